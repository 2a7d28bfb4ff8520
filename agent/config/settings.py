"""The agent's configuration, loaded once and passed down (never read ad hoc).

Sources, highest priority first:

1. keyword arguments given to :func:`load_settings` (the CLI's flags, tests);
2. environment variables ``DISPUTE_AGENT_<SECTION>__<KEY>``
   (e.g. ``DISPUTE_AGENT_SITE__BASE_URL``), so a container or a systemd unit can
   override one key without a file;
3. a TOML file: the path given explicitly, else ``agent.toml`` in the user's config
   directory when it exists.

Every section is a nested model that forbids unknown keys, so a typo in a file is an
error rather than a silently ignored setting. Adding a section is one :class:`Section`
subclass plus one field on :class:`Settings` (and its keys in
``config/agent.example.toml``).

Secrets are not settings: the password is read by :mod:`agent.config.secrets` from a
credentials directory, the environment or a keyring, never from this file.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import platformdirs
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from agent.core.errors import ConfigError
from agent.core.zones import TimeZoneName
from agent.judge.alerts import Severity
from agent.judge.policy import Policy

__all__ = [
    "APP_NAME",
    "BROWSER_ENV",
    "ENV_PREFIX",
    "AccountSettings",
    "BrowserSettings",
    "Channel",
    "NotificationsSettings",
    "PolitenessSettings",
    "SecretsSettings",
    "HealthSettings",
    "Section",
    "Settings",
    "SiteSettings",
    "StateSettings",
    "WebSettings",
    "default_config_file",
    "load_settings",
]

#: the name platformdirs derives the config and state folders from
APP_NAME = "dispute-agent"
#: every environment variable the settings read starts with this
ENV_PREFIX = "DISPUTE_AGENT_"
ENV_NESTED_DELIMITER = "__"
#: short name of ``DISPUTE_AGENT_BROWSER__EXECUTABLE``, read by the browser code too
BROWSER_ENV = ENV_PREFIX + "BROWSER"
CONFIG_FILE_NAME = "agent.toml"
#: where a user finds every key with its default (named in error messages)
EXAMPLE_FILE = "config/agent.example.toml"


def default_config_file() -> Path:
    """``<user config dir>/agent.toml``; it is read only when it exists."""
    return Path(platformdirs.user_config_dir(APP_NAME)) / CONFIG_FILE_NAME


def _expand_user(path: Path) -> Path:
    return path.expanduser()


#: a path from a file or the environment; ``~`` is expanded
UserPath = Annotated[Path, AfterValidator(_expand_user)]


class Section(BaseModel):
    """Base of every settings section: unknown keys are errors, so typos are caught."""

    model_config = ConfigDict(extra="forbid")


class SiteSettings(Section):
    """Where the marketplace is and how to read its texts."""

    #: the real site, or the sandbox's address in tests and demos
    base_url: str = "https://www.aliexpress.com"
    #: the mobile host, where the refund/dispute list and pages live; unset, it is
    #: base_url with its "www." host turned into "m." (flows.site.mobile_base)
    mobile_url: str | None = None
    #: IANA zone used to read the site's date-only texts ("Sep 4, 2026")
    time_zone: TimeZoneName = "UTC"

    @field_validator("base_url", "mobile_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http(s) URL such as https://www.aliexpress.com")
        return value.strip().rstrip("/")



    @property
    def zone(self) -> ZoneInfo:
        """The configured time zone as a ``tzinfo``."""
        return ZoneInfo(self.time_zone)


def _default_state_dir() -> Path:
    return Path(platformdirs.user_state_dir(APP_NAME))


class StateSettings(Section):
    """Where the agent keeps its database, browser sessions and evidence."""

    dir: UserPath = Field(default_factory=_default_state_dir)
    #: routine snapshots of each poll (a dispute's page) are kept this many days, unless
    #: still the latest of their dispute or waiting to go out with an alert
    keep_poll_evidence_days: float = Field(default=14, gt=0)
    #: what a failed step left (screenshot, HTML, trace) is kept this many days
    keep_failure_evidence_days: float = Field(default=30, gt=0)

    @property
    def db_path(self) -> Path:
        return self.dir / "agent.db"

    @property
    def sessions_dir(self) -> Path:
        """Saved browser sessions (cookies): private, mode 0700."""
        return self.dir / "sessions"

    @property
    def evidence_dir(self) -> Path:
        """Screenshots, page HTML and traces referenced from the audit log."""
        return self.dir / "evidence"


class BrowserSettings(Section):
    """How Chromium is started (see ``flows/browser.py``)."""

    #: path or name of a Chromium executable; empty: PATH, then Playwright's own
    executable: str | None = None
    #: a remote browser (e.g. a browser container) instead of a local launch
    cdp_url: str | None = None
    headless: bool = True
    timeout_ms: int = Field(default=30_000, gt=0, le=600_000)
    navigation_timeout_ms: int = Field(default=45_000, gt=0, le=600_000)
    user_agent: str | None = None
    #: keep a Playwright trace of a failed step next to its screenshot
    trace_on_failure: bool = True
    #: tries of one read-only page load that meets a server error or no answer (1: no
    #: second try); a submit is never tried again
    load_attempts: int = Field(default=3, ge=1, le=10)
    #: seconds before the second try; each later wait doubles, up to retry_wait_max_s
    retry_wait_s: float = Field(default=2.0, ge=0, le=600)
    retry_wait_max_s: float = Field(default=30.0, ge=0, le=3600)

    @field_validator("cdp_url")
    @classmethod
    def _cdp_scheme(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https", "ws", "wss") or not parts.netloc:
            raise ValueError("must be an http(s):// or ws(s):// URL such as http://chromium:9222")
        return value


class PolitenessSettings(Section):
    """Pauses between requests, so the agent looks like one careful person."""

    min_delay_ms: int = Field(default=400, ge=0)
    max_delay_ms: int = Field(default=1_200, ge=0)
    #: how many order-detail pages are read at the same time
    detail_concurrency: int = Field(default=2, ge=1, le=8)
    #: how many dispute pages a poll reads at the same time: one by default, as a poll
    #: of many open disputes is the agent's largest moment (each more costs a renderer,
    #: 50-80 MB, and on 2 cores saved a poll of 100 disputes 3 s of 48; decision 0026)
    dispute_concurrency: int = Field(default=1, ge=1, le=8)

    @model_validator(mode="after")
    def _ordered(self) -> PolitenessSettings:
        if self.max_delay_ms < self.min_delay_ms:
            raise ValueError("max_delay_ms must be at least min_delay_ms")
        return self


#: an account name becomes a file name: letters, digits, '.', '_', '-', no leading dot
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class AccountSettings(Section):
    """Which buyer account this agent watches."""

    #: names the saved session file ``<state>/sessions/<name>.json``
    name: str = "default"
    #: the login id (e-mail or phone); not secret, the password is read elsewhere
    login: str | None = None

    @field_validator("name")
    @classmethod
    def _safe_file_name(cls, value: str) -> str:
        if not _SAFE_NAME.fullmatch(value):
            raise ValueError(
                "must be 1-64 letters, digits, '.', '_' or '-', not starting with '.' "
                "(it becomes a file name)"
            )
        return value


_DOTTED_NAME = re.compile(r"[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)+")


class SecretsSettings(Section):
    """Where the site password comes from (see ``agent/config/secrets.py``)."""

    #: folder with files ``login`` and ``password``; empty: $CREDENTIALS_DIRECTORY
    credentials_dir: UserPath | None = None
    #: dotted class path of the one keyring backend to use; empty: no keyring
    keyring_backend: str | None = None
    #: allow a backend that stores the password unencrypted (not recommended)
    allow_plaintext_keyring: bool = False

    @field_validator("keyring_backend")
    @classmethod
    def _dotted(cls, value: str | None) -> str | None:
        if value is not None and not _DOTTED_NAME.fullmatch(value):
            raise ValueError(
                "must be a dotted class path such as 'keyring.backends.SecretService.Keyring'"
            )
        return value


#: a channel's name is typed on the command line (``notify-test NAME``) and logged
_CHANNEL_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,31}")


class Channel(Section):
    """One place alerts go: an Apprise URL and the severities it receives."""

    #: how commands and logs name the channel (the URL holds secrets, so it is never shown)
    name: str
    #: an Apprise URL (mailto://, tgram://, slack://, discord://, matrix://, ntfy://, json://…)
    url: SecretStr
    severities: list[Severity] = Field(default_factory=lambda: list(Severity))
    #: send the alert's screenshot along when the service takes files
    attach_screenshots: bool = True
    #: least seconds between two messages to this channel; unset: the service's own pace
    #: where Apprise knows it (Slack 1.2 s, Telegram none…), else 0.2 s (e-mail, ntfy…)
    send_interval_seconds: float | None = Field(default=None, ge=0, le=60)

    @field_validator("name")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not _CHANNEL_NAME.fullmatch(value):
            raise ValueError("must be 1-32 letters, digits, '_' or '-', starting with a letter")
        return value

    @field_validator("url")
    @classmethod
    def _apprise_url(cls, value: SecretStr, info: ValidationInfo) -> SecretStr:
        # Imported here: loading Apprise is only paid for when channels are configured.
        from agent.notifications.notify import check_channel_url

        name = info.data.get("name")  # absent when the name itself was invalid
        try:
            check_channel_url(value.get_secret_value().strip())
        except ValueError as error:  # the message names no secret part of the URL
            raise ValueError(f"channel {name!r}: {error}" if name else str(error)) from None
        return SecretStr(value.get_secret_value().strip())

    @field_validator("severities")
    @classmethod
    def _some_severity(cls, value: list[Severity]) -> list[Severity]:
        if not value:
            raise ValueError("a channel with no severities receives nothing: list at least one or remove it")
        return list(dict.fromkeys(value))


class ScheduleSettings(Section):
    """When the daemon works (``dispute-agent run``); times are in ``time_zone``."""

    time_zone: TimeZoneName = "UTC"
    #: the daily poll, local time "HH:MM"
    daily_at: str = "09:00"
    #: spread the daily poll over this many minutes, so it never hits the site on the dot
    jitter_minutes: float = Field(default=15, ge=0, le=120)
    #: while a dispute is in negotiation or a deadline is near, poll this often
    frequent_minutes: float = Field(default=240, ge=1)
    #: turn stored deadlines into reminders (no browser) this often
    sweep_seconds: float = Field(default=300, ge=1)
    outbox_seconds: float = Field(default=60, ge=1)
    heartbeat_seconds: float = Field(default=60, ge=1)
    #: at start, poll at once if the last good poll is older than this
    catch_up_hours: float = Field(default=20, ge=0)
    #: a missed run (the server slept) still runs once if it is late by less than this
    misfire_grace_hours: float = Field(default=12, gt=0)
    retry_base_minutes: float = Field(default=10, gt=0)
    retry_max_minutes: float = Field(default=240, gt=0)
    #: how long a CLI command or a poll waits for the other to free the browser session
    browser_lock_seconds: float = Field(default=300, ge=0)
    #: on SIGTERM, the running step gets this long before it is abandoned
    stop_grace_seconds: float = Field(default=10, ge=0)


    @field_validator("daily_at")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", value.strip()):
            raise ValueError("write the time as HH:MM, e.g. 09:00")
        return value.strip()


class HealthSettings(Section):
    """An outside monitor told after each poll (Healthchecks.io, Uptime Kuma's push monitor).

    Both addresses hold the monitor's token: they are secrets, never shown or logged whole.
    A monitor that hears nothing for its period raises the alarm itself, so ``fail_url``
    only makes a failed poll known sooner.
    """

    #: called (GET) after each good poll, e.g. https://hc-ping.com/<uuid>
    ping_url: SecretStr | None = None
    #: called after a failed poll, e.g. https://hc-ping.com/<uuid>/fail, or Uptime Kuma's
    #: https://kuma.example/api/push/<token>?status=down&msg=poll+failed; unset: nothing is sent
    fail_url: SecretStr | None = None
    #: a monitor that does not answer within this is let be (the poll is never held up longer)
    timeout_seconds: float = Field(default=10, gt=0, le=60)

    @field_validator("ping_url", "fail_url")
    @classmethod
    def _http(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        if not value.get_secret_value().strip().startswith(("https://", "http://")):
            raise ValueError("must be an http:// or https:// address")
        return SecretStr(value.get_secret_value().strip())


#: the page where a person logs in again (agent.web.relogin serves it)
LOGIN_AGAIN_PATH = "/login-again"


class WebSettings(Section):
    """The page (``dispute-agent web``, and inside ``run`` when ``enabled``); see agent/web/."""

    #: serve the page inside the daemon (``dispute-agent run``), beside the scheduler
    enabled: bool = False
    #: where the page listens; anything but a loopback address needs a password or a proxy
    host: str = "127.0.0.1"
    #: 0 picks a free port (the log names it)
    port: int = Field(default=8710, ge=0, le=65535)
    #: the sign-in password's argon2 hash, written by ``dispute-agent web password``
    #: (never the password itself)
    password_hash: SecretStr | None = None
    #: a trusted reverse proxy's header naming the signed-in user (e.g. "Remote-User"),
    #: honoured only from the addresses in trusted_proxies
    proxy_header: str | None = None
    trusted_proxies: list[str] = Field(default_factory=list)
    #: the page is reached over https (a proxy ends TLS): the cookie is sent over https only
    secure_cookie: bool = False
    #: how long a sign-in lasts
    session_hours: float = Field(default=24 * 7, gt=0, le=24 * 90)
    #: the page's address as a phone reaches it (e.g. https://agent.example.org, through
    #: the reverse proxy): the "login needed" alert then links to its "log in again" page;
    #: unset, the alert names the commands instead
    public_url: str | None = None

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        import ipaddress

        for entry in value:
            try:
                ipaddress.ip_network(entry.strip(), strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an address or network such as 10.0.0.2 or 172.16.0.0/12") from None
        return [entry.strip() for entry in value]

    @field_validator("proxy_header")
    @classmethod
    def _header_name(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9-]{1,64}", value.strip()):
            raise ValueError("must be an HTTP header name such as Remote-User")
        return value.strip() if value else None

    @model_validator(mode="after")
    def _proxy_complete(self) -> WebSettings:
        if self.proxy_header and not self.trusted_proxies:
            raise ValueError("proxy_header needs trusted_proxies: the addresses of the proxy that sets it")
        return self

    @field_validator("public_url")
    @classmethod
    def _page_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http(s) URL such as https://agent.example.net")
        return value.strip().rstrip("/")

    def page(self, path: str) -> str | None:
        """The full address of one of the page's paths, when the page's address is known."""
        return f"{self.public_url}{path}" if self.public_url else None

    @property
    def login_page(self) -> str | None:
        """Where a person logs in again through the agent's own browser, if known."""
        return self.page(LOGIN_AGAIN_PATH)


class AttachmentSettings(Section):
    """Overrides of the site's attachment limits (unset: the values in flows/site.py)."""

    image_types: list[str] | None = None
    max_images: int | None = Field(default=None, ge=1)
    image_max_bytes: int | None = Field(default=None, ge=1024)
    video_types: list[str] | None = None
    max_videos: int | None = Field(default=None, ge=0)
    video_max_bytes: int | None = Field(default=None, ge=1024)


class FilingSettings(Section):
    """Guards of ``dispute-agent open``."""

    #: buyers who open many disputes risk their account; --force passes it
    max_per_30_days: int = Field(default=5, ge=1)
    #: warn when less protection than this is left
    warn_protection_days: int = Field(default=15, ge=0)
    #: a filing whose outcome is unknown (interrupted, or the site failed to answer) may
    #: take this long to show in the site's dispute list; until then nothing is filed for
    #: that item unless the site shows the case
    pending_wait_minutes: int = Field(default=30, ge=0)


class NotificationsSettings(Section):
    """Where alerts go, how deadlines are worded, and how a channel that is down is retried."""

    channels: list[Channel] = Field(default_factory=list)
    #: IANA zone in which messages word deadlines ("Tue 24 Nov 2026, 10:00 CET")
    time_zone: TimeZoneName = "UTC"
    #: the daily digest goes out at the first sweep after this hour (the user's time)
    digest_hour: int = Field(default=8, ge=0, le=23)
    #: first retry after this many seconds, then doubling ...
    retry_backoff_seconds: int = Field(default=60, ge=1)
    #: ... up to this many seconds between attempts
    retry_max_seconds: int = Field(default=3600, ge=1)
    #: a channel failing for this long is "broken": shown by status, told on the others
    channel_broken_after_hours: float = Field(default=24, gt=0)
    #: a broken channel's alerts older than this, which reached another channel, are
    #: given up there (an alert that reached no channel is never given up)
    channel_give_up_hours: float = Field(default=72, gt=0)


    @model_validator(mode="after")
    def _consistent(self) -> NotificationsSettings:
        names = [channel.name for channel in self.channels]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"channel names must be unique; used more than once: {', '.join(twice)}")
        if self.retry_max_seconds < self.retry_backoff_seconds:
            raise ValueError("retry_max_seconds must be at least retry_backoff_seconds")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


#: sections that once had a time zone of their own (now the user's one zone)
_USER_ZONE_SECTIONS = ("notifications", "schedule", "policy")


class _SectionEnvSource(EnvSettingsSource):
    """Environment source that reads only ``DISPUTE_AGENT_<SECTION>__<KEY>``.

    A bare ``DISPUTE_AGENT_<SECTION>`` would be parsed as JSON for the whole section;
    ``DISPUTE_AGENT_BROWSER`` already names a browser executable (flows/browser_path.py),
    so such variables are not settings and are ignored here.
    """

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        value, key, is_complex = super().get_field_value(field, field_name)
        if field_name == "time_zone":  # the one top-level key: DISPUTE_AGENT_TIME_ZONE
            return value, key, is_complex
        return None, key, is_complex


class _BrowserVariableSource(PydanticBaseSettingsSource):
    """``DISPUTE_AGENT_BROWSER`` as ``browser.executable``: over the file, like every
    variable, and under ``DISPUTE_AGENT_BROWSER__EXECUTABLE`` and explicit values."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        named = os.environ.get(BROWSER_ENV)
        return {"browser": {"executable": named}} if named else {}


#: the file :func:`load_settings` chose; sources are built by a classmethod, so this
#: context-local variable is how a per-call path reaches them without a global
_TOML_FILE: ContextVar[Path | None] = ContextVar("_TOML_FILE", default=None)


def _existing(path: Path) -> Path | None:
    return path if path.is_file() else None


class Settings(BaseSettings):
    """All settings; build it with :func:`load_settings`, then pass it down."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=ENV_NESTED_DELIMITER,
        env_ignore_empty=True,
        case_sensitive=False,
        extra="forbid",
    )

    #: the user's IANA zone: every time a person reads (tables, messages, the digest) and
    #: the daemon's daily hour are in it; unset, the machine's zone (``TZ``)
    time_zone: TimeZoneName | None = None
    site: SiteSettings = Field(default_factory=SiteSettings)
    state: StateSettings = Field(default_factory=StateSettings)
    browser: BrowserSettings = Field(default_factory=BrowserSettings)
    politeness: PolitenessSettings = Field(default_factory=PolitenessSettings)
    account: AccountSettings = Field(default_factory=AccountSettings)
    secrets: SecretsSettings = Field(default_factory=SecretsSettings)
    notifications: NotificationsSettings = Field(default_factory=NotificationsSettings)
    policy: Policy = Field(default_factory=Policy)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    attachments: AttachmentSettings = Field(default_factory=AttachmentSettings)
    filing: FilingSettings = Field(default_factory=FilingSettings)
    health: HealthSettings = Field(default_factory=HealthSettings)
    web: WebSettings = Field(default_factory=WebSettings)

    _config_file: Path | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _one_user_zone(self) -> Settings:
        """One zone for the user, told to every section that words or schedules time.

        ``notifications``, ``schedule`` and ``policy`` once had a ``time_zone`` each (a
        message could word one deadline in three zones); an old file that sets them is
        still read when they agree, and refused when they do not.
        """
        named = {f"{name}.time_zone": getattr(self, name).time_zone for name in _USER_ZONE_SECTIONS
                 if "time_zone" in getattr(self, name).model_fields_set}
        if self.time_zone is None:
            if len(set(named.values())) > 1:
                raise ValueError(f"{' and '.join(named)} name different zones; set the one top-level "
                                 "time_zone instead (the first line of the file, before any [section])")
            from agent.core.readable import machine_zone

            self.time_zone = next(iter(named.values()), None) or machine_zone()
        else:
            differing = [key for key, value in named.items() if value != self.time_zone]
            if differing:
                raise ValueError(f"{' and '.join(differing)} {'differ' if len(differing) > 1 else 'differs'} from the "
                                 "top-level time_zone; remove "
                                 f"{'them' if len(differing) > 1 else 'it'}: the top-level time_zone is used everywhere")
        self.notifications.time_zone = self.schedule.time_zone = self.time_zone
        self.policy = self.policy.model_copy(update={"time_zone": self.time_zone})
        return self

    @property
    def zone(self) -> ZoneInfo:
        """The user's zone (always set once the settings are loaded)."""
        return ZoneInfo(self.time_zone or "UTC")

    @property
    def config_file(self) -> Path | None:
        """The TOML file these settings were read from, if any."""
        return self._config_file

    @property
    def session_file(self) -> Path:
        """The saved browser session of the configured account."""
        return self.state.sessions_dir / f"{self.account.name}.json"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """init > environment > TOML; no dotenv, no secrets dir (secrets are not settings)."""
        toml_file = _TOML_FILE.get() or _existing(default_config_file())
        sources: list[PydanticBaseSettingsSource] = [
            init_settings, _SectionEnvSource(settings_cls), _BrowserVariableSource(settings_cls)
        ]
        if toml_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_file))
        return tuple(sources)


def load_settings(config_file: Path | str | None = None, **overrides: Any) -> Settings:
    """Load and validate the settings; any problem becomes one :class:`ConfigError`.

    ``config_file`` must exist when given; without it the user's default file is read
    if present. ``overrides`` are sections as dicts (``browser={"headless": False}``)
    and win over everything else.
    """
    path = _choose_file(config_file)
    token = _TOML_FILE.set(path)
    try:
        settings = Settings(**overrides)
    except tomllib.TOMLDecodeError as exc:
        line = _toml_syntax_line(path, exc)
        raise ConfigError(f"invalid configuration: {line}; fix the file's syntax", [line]) from exc
    except ValidationError as exc:
        problems = _problems(exc, path, overrides)
        raise ConfigError(
            f"invalid configuration ({len(problems)} problem{'s' if len(problems) != 1 else ''}): "
            f"{'; '.join(problems)}; fix each key where it is set "
            f"(every key is described in {EXAMPLE_FILE})",
            problems,
        ) from exc
    except SettingsError as exc:
        line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(
            f"invalid configuration: {line}; use DISPUTE_AGENT_<SECTION>__<KEY> variables", [line]
        ) from exc
    except UnicodeDecodeError as exc:
        from agent.core.state_errors import not_utf8

        line = f"{path}: {not_utf8(exc)}"
        raise ConfigError(f"invalid configuration: {line}; save the file as UTF-8 text", [line]) from exc
    except OSError as exc:
        line = f"{path}: cannot be read ({exc.strerror or exc})"
        raise ConfigError(
            f"invalid configuration: {line}; fix the file's permissions", [line]
        ) from exc
    finally:
        _TOML_FILE.reset(token)
    settings._config_file = path
    return settings


def _choose_file(config_file: Path | str | None) -> Path | None:
    if config_file is not None:
        path = Path(config_file).expanduser()
        if not path.is_file():
            reason = "is a directory" if path.is_dir() else "does not exist"
            line = f"{path}: {reason}"
            raise ConfigError(
                f"configuration file {path} {reason}; give an existing file or copy "
                f"{EXAMPLE_FILE} there",
                [line],
            )
        return path
    return _existing(default_config_file())


_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def _toml_syntax_line(path: Path | None, exc: tomllib.TOMLDecodeError) -> str:
    """``<file>: line N, column M: <what tomllib says>`` on one line."""
    message = str(exc)
    match = _TOML_POSITION.search(message)
    if match is None:
        return f"{path}: TOML syntax error: {message}"
    reason = message[: match.start()]
    return f"{path}: line {match.group(1)}, column {match.group(2)}: TOML syntax error: {reason}"


_FRIENDLY = {
    "extra_forbidden": "unknown key (a typo?)",
}


def _problems(exc: ValidationError, path: Path | None, overrides: Mapping[str, Any]) -> list[str]:
    """One line per problem: ``key.path: message (origin)``; never the offending value.

    The value is left out on purpose: a later section may hold tokens (notification
    URLs), and an error message ends up in logs.
    """
    toml_data = _read_toml_quietly(path)
    lines = []
    for error in exc.errors(include_url=False, include_input=False):
        loc = tuple(str(part) for part in error["loc"])
        key = ".".join(loc) or "(top level)"
        message = _FRIENDLY.get(error["type"], error["msg"])
        message = message.removeprefix("Value error, ")
        lines.append(f"{key}: {message} ({_origin(loc, path, toml_data, overrides)})")
    return lines


def _origin(
    loc: tuple[str, ...],
    path: Path | None,
    toml_data: Mapping[str, Any],
    overrides: Mapping[str, Any],
) -> str:
    """Which source supplied the key, so the user knows where to fix it."""
    if _has_path(overrides, loc):
        return "from arguments"
    env_name = ENV_PREFIX + ENV_NESTED_DELIMITER.join(loc).upper()
    if loc and len(loc) > 1 and any(name.upper() == env_name for name in os.environ):
        return f"from environment variable {env_name}"
    if path is not None and _has_path(toml_data, loc):
        return f"in {path}"
    if path is not None:
        return f"in {path} or the environment"
    return "from the environment or defaults"


def _has_path(data: Any, loc: tuple[str, ...]) -> bool:
    for part in loc:
        if not isinstance(data, Mapping) or part not in data:
            return False
        data = data[part]
    return bool(loc)


def _read_toml_quietly(path: Path | None) -> Mapping[str, Any]:
    if path is None:
        return {}
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError):
        return {}
