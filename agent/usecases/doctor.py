"""``dispute-agent doctor``: every precondition of an unattended run, one line each.

Config, state directory, database, browser, keyring, credentials, saved session and
notification channels are checked with their remedy. It never visits the site and
never sends a notification; secrets are never printed (channels only in Apprise's
masked form).
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urlsplit

from agent.core.readable import short_moment
from agent.usecases.ops import _bytes, _db_size, _span

if TYPE_CHECKING:  # pragma: no cover
    from agent.config.settings import Settings

__all__ = ["Check", "doctor", "format_check"]


# --- doctor ---------------------------------------------------------------------------------


class Check(NamedTuple):
    """One precondition: ``ok`` is ``None`` when it was skipped; ``fix`` says what to do."""

    name: str
    ok: bool | None
    detail: str
    fix: str = ""


_MARKS = {True: "✓", False: "✗", None: "–"}


def format_check(check: Check) -> str:
    line = f"{_MARKS[check.ok]} {check.name}: {check.detail}"
    return f"{line} → fix: {check.fix}" if check.ok is False and check.fix else line


def doctor(settings: Settings, *, launch_browser: bool = True, now: datetime | None = None) -> list[Check]:
    """Every precondition of an unattended run, in the order a person would fix them.

    A check that crashes becomes a failed line naming the exception, so one broken part
    never hides the others. Nothing here prints a credential or a channel's secret.
    """
    now = now or datetime.now(UTC)
    checks: list[Check] = []
    steps: list[tuple[str, Callable[[], Check | list[Check]]]] = [
        ("config", lambda: _check_config(settings)),
        ("state directory", lambda: _check_state_dir(settings)),
        ("database", lambda: _check_database(settings)),
        ("browser", lambda: _check_browser(settings, launch_browser)),
        ("keyring", lambda: _check_keyring(settings)),
        ("credentials", lambda: _check_credentials(settings)),
        ("session", lambda: _check_session(settings, now, _credentials_found(checks))),
        ("notifications", lambda: _check_channels(settings)),
    ]
    for name, step in steps:
        try:
            found = step()
        except Exception as error:  # a diagnostic tool reports, it does not crash
            found = Check(name, False, f"the check itself failed ({type(error).__name__}: {_first_line(error)})",
                          "report this with the output of 'dispute-agent doctor'")
        checks.extend(found if isinstance(found, list) else [found])
    return checks


def _credentials_found(checks: list[Check]) -> bool:
    return any(check.name == "credentials" and check.ok for check in checks)


def _check_config(settings: Settings) -> Check:
    from agent.config.settings import default_config_file

    path = settings.config_file
    if path is None:
        return Check("config", True, f"no file; defaults and DISPUTE_AGENT_* variables "
                                     f"(a file would be read from {default_config_file()})")
    channels = getattr(getattr(settings, "notifications", None), "channels", None)
    mode = stat.S_IMODE(path.stat().st_mode)
    if channels and mode & 0o004:
        return Check("config", False, f"{path} holds the channels' URLs (passwords, tokens) and every user "
                                      f"of this machine can read it (mode {mode:04o})", f"chmod 600 {path}")
    return Check("config", True, f"loaded from {path}")


def _check_state_dir(settings: Settings) -> Check:
    directory = settings.state.dir
    name = "state directory"
    if not directory.exists():
        return Check(name, False, f"{directory} does not exist", f"mkdir -p -m 700 {directory}")
    if not directory.is_dir():
        return Check(name, False, f"{directory} is not a directory", "move it away or set state.dir")
    if not os.access(directory, os.W_OK | os.X_OK):
        return Check(name, False, f"{directory} is not writable by this user",
                     f"run as the agent's user, or give it to this one: chown -R $(id -un) {directory}")
    mode = stat.S_IMODE(directory.stat().st_mode)
    if mode & 0o077:
        return Check(name, False, f"{directory} is open to other users (mode {mode:04o}); it holds the "
                                  "browser session and your orders", f"chmod 700 {directory}")
    return Check(name, True, f"{directory} (mode {mode:04o}, writable)")


def _check_database(settings: Settings) -> Check:
    from agent.core.errors import DisputeAgentError
    from agent.storage.store import Store

    path = settings.state.db_path
    if not path.exists():
        return Check("database", True, f"{path} not created yet (the first 'sync', 'poll' or 'run' creates it)")
    try:
        store = Store(path)
    except DisputeAgentError as error:
        what, remedy = _split_remedy(str(error))
        return Check("database", False, what, remedy)
    except Exception as error:  # SQLAlchemy's errors: a damaged file, a lock, permissions
        return Check("database", False, f"{path} cannot be opened ({_first_line(error)})",
                     "check its owner and permissions; restore a backup if the file is damaged")
    try:
        with store.engine.connect() as connection:
            verdict = connection.exec_driver_sql("PRAGMA quick_check").scalar()
        version = store.schema_version()
    finally:
        store.close()
    if verdict != "ok":
        return Check("database", False, f"{path} is damaged ({verdict})",
                     "stop the daemon and restore a backup (or move the file away to start afresh)")
    return Check("database", True, f"{path} ({_bytes(_db_size(path) or 0)}, schema {version})")


def _check_browser(settings: Settings, launch: bool) -> Check:
    if not launch:
        return Check("browser", None, "not launched (--no-browser)")
    from agent.config.settings import BROWSER_ENV
    from agent.core.errors import DisputeAgentError
    from flows.browser_path import resolve_chromium

    config = settings.browser
    if config.cdp_url:
        parts = urlsplit(config.cdp_url)  # no user info, no query: remote browsers put tokens there
        what = f"remote browser at {parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}"
    else:
        try:
            executable = resolve_chromium(config.executable)
        except DisputeAgentError as error:
            return Check("browser", False, _split_remedy(str(error))[0],
                         "set browser.executable (DISPUTE_AGENT_BROWSER__EXECUTABLE) to a Chromium, "
                         f"unset {BROWSER_ENV}, or run 'dispute-agent install-browser'")
        what = executable or "Playwright's own Chromium"
    from flows.browser import BrowserSession

    headless = settings.model_copy(update={"browser": config.model_copy(update={"headless": True})})
    session = BrowserSession(headless)
    try:
        session.start()
        version = session.browser.version
    except DisputeAgentError as error:
        what_failed, remedy = _split_remedy(str(error))
        return Check("browser", False, what_failed, remedy or "install chromium or set browser.executable")
    finally:
        session.close()
    return Check("browser", True, f"Chromium {version} starts headless ({what})")


def _check_keyring(settings: Settings) -> Check:
    dotted = settings.secrets.keyring_backend
    if not dotted:
        return Check("keyring", None, "not used (secrets.keyring_backend is empty)")
    from agent.config.secrets import RECOMMENDED_PRIORITY, load_keyring_backend
    from agent.core.errors import SecretError

    try:
        backend = load_keyring_backend(settings)
    except SecretError as error:
        what, remedy = _split_remedy(str(error))
        return Check("keyring", False, what, remedy)
    priority = float(type(backend).priority)
    if "plaintext" in type(backend).__name__.lower() or priority < RECOMMENDED_PRIORITY:
        return Check("keyring", True, f"{dotted}: stores passwords unencrypted, accepted because "
                                      "secrets.allow_plaintext_keyring = true")
    return Check("keyring", True, f"{dotted} (priority {priority:g})")


def _check_credentials(settings: Settings) -> Check:
    from agent.config.secrets import get_credentials
    from agent.core.errors import SecretError

    try:
        found = get_credentials(settings)
    except SecretError as error:
        what, remedy = _split_remedy(str(error))
        return Check("credentials", False, what, remedy)
    where = {"credentials_dir": "the credentials directory", "environment": "the environment",
             "keyring": "the keyring"}.get(found.source, found.source)
    return Check("credentials", True, f"login and password found in {where}")


def _log_in() -> str:
    from agent.core.display import login_by_hand

    return login_by_hand()


def _check_session(settings: Settings, now: datetime, have_credentials: bool) -> Check:
    """Whether the saved cookies for the site are still unexpired, read from the file alone.

    The site is not asked (a doctor must not log in or poll), so "valid" means valid on
    file: the site may still end a session sooner.
    """
    path = settings.session_file
    if not path.exists():
        if have_credentials:
            return Check("session", True, f"none saved yet; the first poll logs in with the credentials ({path})")
        return Check("session", False, f"no saved session at {path} and no credentials", _log_in())
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        return Check("session", False, f"{path} holds live cookies and other users can read it "
                                       f"(mode {mode:04o})", f"chmod 600 {path}")
    try:
        cookies = json.loads(path.read_text(encoding="utf-8"))["cookies"]
        host = urlsplit(settings.site.base_url).hostname or ""
        ours = [c for c in cookies if _cookie_matches(str(c.get("domain", "")), host)]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        return Check("session", False, f"{path} is not a saved browser session ({type(error).__name__})", _log_in())
    if not ours:
        return Check("session", False, f"{path} has no cookie for {host} (saved for another site?)", _log_in())
    expiries = [float(c.get("expires", -1)) for c in ours]
    live = [e for e in expiries if e <= 0 or e > now.timestamp()]
    saved = _span(now - datetime.fromtimestamp(path.stat().st_mtime, UTC))
    if not live:
        last = datetime.fromtimestamp(max(expiries), UTC)
        return Check("session", False, f"saved {saved} ago; every cookie for {host} expired, "
                                       f"the last on {short_moment(last, settings.zone)}", _log_in())
    until = [e for e in live if e > 0]
    end = f", the last expires {datetime.fromtimestamp(max(until), UTC):%Y-%m-%d}" if until else ""
    return Check("session", True, f"saved {saved} ago; {len(live)} of {len(ours)} cookies for {host} "
                                  f"unexpired{end} (the site may end it sooner)")


def _cookie_matches(domain: str, host: str) -> bool:
    domain = domain.lstrip(".").lower()
    return bool(domain) and (host == domain or host.endswith("." + domain))


def _check_channels(settings: Settings) -> list[Check]:
    """Each channel's URL loads in Apprise; only its privacy form is shown.

    ``agent.notifications.notify.check_channel_url`` is Apprise's own parser behind the agent's log
    mask: Apprise traces every URL it parses, secrets included.
    """
    notifications = getattr(settings, "notifications", None)
    if notifications is None or not hasattr(notifications, "channels"):
        return [Check("notifications", None, "this version has no notification settings")]
    if not notifications.channels:
        return [Check("notifications", False, "no channel configured: alerts reach no one",
                      "add a [[notifications.channels]] table (see config/agent.example.toml), "
                      "then run 'dispute-agent notify-test'")]
    from agent.notifications.notify import check_channel_url

    checks = []
    for channel in notifications.channels:
        url = channel.url.get_secret_value() if hasattr(channel.url, "get_secret_value") else str(channel.url)
        try:
            shown = check_channel_url(url).split("?", 1)[0]
        except ValueError as error:  # its message names no secret part of the URL
            checks.append(Check(f"channel {channel.name}", False, str(error),
                                "fix its url in [[notifications.channels]]"))
            continue
        checks.append(Check(f"channel {channel.name}", True,
                            f"{shown} (nothing sent; 'dispute-agent notify-test {channel.name}' sends a test)"))
    return checks


def _split_remedy(message: str) -> tuple[str, str]:
    """``"what happened; what to do"`` → the two halves (the agent's errors end with the remedy).

    Split at the first ``"; "`` outside parentheses: a quoted library error may hold one.
    """
    depth = 0
    for index, char in enumerate(message):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth = max(depth - 1, 0)
        elif depth == 0 and message.startswith("; ", index):
            return message[:index], message[index + 2:]
    return message, ""


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:300] if text else type(error).__name__
