"""Delivery through Apprise: one ``apprise.Apprise`` per configured channel.

Why Apprise: one URL per channel covers e-mail, Telegram, Slack, Discord, Matrix, ntfy
and plain webhooks, so a new channel is configuration, not code.

Why the privacy machinery lives here: an Apprise URL carries passwords and tokens, and
Apprise itself traces every URL it parses (and echoes some in warnings), as does its
HTTP client. Targets are shown only in Apprise's privacy form (``url(privacy=True)``)
with every query value masked too (the privacy form shows custom headers such as
``?+X-Api-Key=KEY`` in clear), and a filter on those loggers masks every part of a
configured URL that the privacy form hides, and every header, parameter and
credential-named query value, whoever logs it. Failure reasons are masked the same
way before they are stored or printed.

Why the agent sets each channel's pace (Apprise's ``request_rate_per_sec``, the least
time between two sends of one plugin): a plugin that has no pace of its own inherits
Apprise's generic guess of 5.5 s ("most servers do not like more than one request per
5 s"), so e-mail spaced a poll's messages 5.5 s apart — a minute for ten alerts. The
pace Apprise knows for a service (Slack, Telegram, Matrix…) is kept; where it has none,
the agent uses :data:`DEFAULT_SEND_INTERVAL`; ``send_interval_seconds`` overrides both.

The words of the messages are in :mod:`agent.notifications.messages`.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit
from zoneinfo import ZoneInfo

from agent.core.errors import ConfigError, UserInputError
from agent.judge.alerts import Alert, Severity
from agent.notifications.idempotency import Carrier, carrier_of, carrying, send_lock
from agent.notifications.messages import (
    Message,
    format_local,
    notify_test_alert,
    render,
    render_summary,
)

if TYPE_CHECKING:  # pragma: no cover
    import apprise

    from agent.config.settings import Channel, NotificationsSettings

__all__ = [
    "MASK",
    "Notifier",
    "SendResult",
    "check_channel_url",
    "mask_secrets",
    "send_interval",
    "shown_form",
    "url_secrets",
]

logger = logging.getLogger("dispute_agent.notify")

#: what replaces a secret in a log line or an error
MASK = "****"
#: loggers that may print a configured URL or part of it (Apprise, then its HTTP client)
MASKED_LOGGERS = ("apprise", "urllib3.connectionpool", "requests")
APPRISE_WIKI = "https://github.com/caronc/apprise/wiki"
#: seconds between two messages of a channel whose Apprise plugin has no pace of its own
#: (e-mail, ntfy…): a mail server takes five a second from one sender without a blink,
#: and ten messages go out in two seconds, not one a second
DEFAULT_SEND_INTERVAL = 0.2


# --- privacy -------------------------------------------------------------------------------

_DELIMITERS = re.compile(r"[/:@?&=#,;\s]+")
#: a percent-escape between two parts of a value ("Bearer%20token")
_ESCAPES = re.compile(r"%[0-9A-Fa-f]{2}")


def _pieces(text: str) -> set[str]:
    pieces: set[str] = set()
    for form in (text, unquote(text)):
        pieces.update(piece for piece in _DELIMITERS.split(form) if piece)
    return pieces


#: query keys whose values are secret whatever Apprise's privacy form shows: Apprise's
#: custom headers (``+X-Api-Key=…``), extra GET (``-token=…``) and form (``:field=…``)
#: parameters, and anything named like a credential
_SECRET_KEY = re.compile(r"^[+:-]|token|key|pass|pwd|secret|auth|sig|session|cookie|bearer|webhook|user",
                         re.IGNORECASE)


def url_secrets(url: str, shown: str | None = None) -> set[str]:
    """The parts of ``url`` to mask: whatever Apprise's privacy form ``shown`` hides,
    and every header, parameter and credential-named value in its query (the privacy
    form shows those in clear: ``json://host/?+X-Api-Key=KEY``).

    Without a privacy form (the URL could not be loaded) every part but the scheme
    counts as secret. Query keys are never secret.
    """
    scheme, has_scheme, _ = url.partition("://")
    parts = urlsplit(url if has_scheme else f"//{url}")
    userinfo, _, hostport = parts.netloc.rpartition("@")
    password = userinfo.partition(":")[2]
    candidates = _pieces(userinfo) | _pieces(hostport) | _pieces(parts.path) | _pieces(parts.fragment)
    always: set[str] = set()
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        candidates |= _pieces(value)
    for raw_key, _, raw_value in (pair.partition("=") for pair in parts.query.split("&") if pair):
        if raw_value and _SECRET_KEY.search(unquote(raw_key.replace("+", "%2B"))):
            # as written ("Bearer%20tok") and decoded ("Bearer tok"), whole and in pieces,
            # since a log may print either form
            forms = {raw_value, unquote(raw_value)}
            pieces = {p for form in forms for p in _ESCAPES.split(form) for p in _DELIMITERS.split(p)}
            always |= forms | {piece for piece in pieces if len(piece) >= 3}
    hidden = candidates - (_pieces(shown) if shown else set()) - {scheme.lower()}
    secrets = {piece for piece in hidden if len(piece) >= 3} | always
    if password:  # a password is secret whatever its length and whatever Apprise shows
        secrets |= {password, unquote(password)}
    return secrets


def shown_form(privacy_form: str) -> str:
    """Apprise's privacy form with every query value masked: the only form ever printed.

    Apprise hides tokens in the path and the password, but shows query values, custom
    headers included, in clear.
    """
    parts = urlsplit(privacy_form)
    if not parts.query:
        return privacy_form
    keys = [key for key, _ in parse_qsl(parts.query, keep_blank_values=True)]
    query = "&".join(f"{quote(key, safe='')}={MASK}" for key in keys)
    return f"{parts.scheme}://{parts.netloc}{parts.path}?{query}"


def _compile(secrets: set[str]) -> re.Pattern[str] | None:
    if not secrets:
        return None
    alternatives = "|".join(re.escape(s) for s in sorted(secrets, key=len, reverse=True))
    # not inside a longer word: a short password must not eat the middle of other words
    return re.compile(rf"(?<![A-Za-z0-9])(?:{alternatives})(?![A-Za-z0-9])")


class _SecretMask(logging.Filter):
    """Masks the secrets of every configured URL in the records of the masked loggers.

    Secrets learnt from a loaded channel stay for the life of the process (Apprise may
    log later, from its worker threads); the ones of a URL being checked are scoped.
    """

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._known: set[str] = set()
        self._scoped: list[set[str]] = []
        self._pattern: re.Pattern[str] | None = None

    def remember(self, secrets: Iterable[str]) -> None:
        with self._lock:
            self._known |= {s for s in secrets if s}
            self._recompile()

    @contextmanager
    def scoped(self, secrets: set[str]) -> Iterator[None]:
        with self._lock:
            self._scoped.append(secrets)
            self._recompile()
        try:
            yield
        finally:
            with self._lock:
                self._scoped.remove(secrets)
                self._recompile()

    def _recompile(self) -> None:
        self._pattern = _compile(self._known.union(*self._scoped))

    def mask(self, text: str) -> str:
        pattern = self._pattern
        return pattern.sub(MASK, text) if pattern is not None else text

    def filter(self, record: logging.LogRecord) -> bool:
        if self._pattern is None:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken record is logging's problem, not a leak
            return True
        masked = self.mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self.mask(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = self.mask(record.stack_info)
        return True


_MASK = _SecretMask()


def _install_mask() -> None:
    for name in MASKED_LOGGERS:
        target = logging.getLogger(name)
        if _MASK not in target.filters:
            target.addFilter(_MASK)


def mask_secrets(text: str) -> str:
    """``text`` with every known secret of a configured channel URL replaced by ``****``."""
    return _MASK.mask(text)


class _WarningsOf(logging.Handler):
    """Collects what Apprise warns about during one call: the reason a send failed."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())  # already masked by the logger's filter


@contextmanager
def _apprise_warnings() -> Iterator[list[str]]:
    _install_mask()
    handler = _WarningsOf()
    apprise_logger = logging.getLogger("apprise")
    apprise_logger.addHandler(handler)
    try:
        yield handler.lines
    finally:
        apprise_logger.removeHandler(handler)


def _scheme_of(url: str) -> str:
    scheme, has_scheme, _ = url.partition("://")
    return scheme.lower() if has_scheme and re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme) else ""


def _load(url: str) -> tuple[Any, str]:
    """``(plugin, "")`` or ``(None, why)``: an Apprise plugin for ``url``, never echoing it."""
    import apprise

    scheme = _scheme_of(url)
    if not scheme:
        return None, "not an Apprise URL: it must start with a scheme such as mailto://, tgram:// or json://"
    if scheme not in apprise.NotificationManager():
        return None, f"unknown scheme '{scheme}://'; the supported ones are listed at {APPRISE_WIKI}"
    # Apprise traces the URL while parsing it: mask all of it until the privacy form is known
    with _MASK.scoped(url_secrets(url)), _apprise_warnings() as said:
        plugin = apprise.Apprise.instantiate(url)
    if plugin is None:
        reason = said[-1] if said else "Apprise cannot read it"
        return None, f"Apprise rejects this '{scheme}://' URL ({reason}); check it against {APPRISE_WIKI}"
    _MASK.remember(url_secrets(url, plugin.url(privacy=True)))
    return plugin, ""


def send_interval(plugin: Any, configured: float | None = None) -> float:
    """The least seconds between two sends of ``plugin``: ``configured`` if set, else the
    pace its Apprise class declares for its service, else :data:`DEFAULT_SEND_INTERVAL`
    (a plugin that only inherits Apprise's generic 5.5 s guess)."""
    from apprise.plugins.base import NotifyBase

    if configured is not None:
        return configured
    for klass in type(plugin).__mro__:
        if klass is NotifyBase:
            break
        if "request_rate_per_sec" in vars(klass):
            return float(klass.request_rate_per_sec)
    return DEFAULT_SEND_INTERVAL


def check_channel_url(url: str) -> str:
    """The printable form of ``url`` (:func:`shown_form`) if Apprise can use it; else
    ``ValueError`` saying why.

    The error never contains the URL's secret parts: it ends up in logs.
    """
    plugin, why = _load(url)
    if plugin is None:
        raise ValueError(why)
    return shown_form(plugin.url(privacy=True))


# --- sending ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SendResult:
    """How one send went; ``target`` and ``error`` are privacy-safe."""

    channel: str
    target: str
    ok: bool
    error: str | None = None

    def line(self) -> str:
        """How a test send is reported, on the command line and on the page (no query part shown)."""
        target = self.target.split("?", 1)[0]
        return f"{self.channel}: ok ({target})" if self.ok else f"{self.channel}: failed: {self.error} ({target})"


_NOTIFY_TYPES = {Severity.CRITICAL: "failure", Severity.WARNING: "warning", Severity.INFO: "info"}


@dataclass(frozen=True)
class _Target:
    name: str
    apprise: apprise.Apprise
    #: the URL in its printable form (:func:`shown_form`): the only form ever logged or printed
    shown: str
    #: the channel takes files and the user wants screenshots there
    attach: bool
    #: the channel's one plugin, and where its messages carry their key
    plugin: Any = None
    carrier: Carrier = Carrier.NONE


class Notifier:
    """Sends rendered messages to the configured channels, one ``apprise.Apprise`` each."""

    def __init__(self, settings: NotificationsSettings) -> None:
        self.zone = ZoneInfo(settings.time_zone)
        self._targets = {channel.name: self._target(channel) for channel in settings.channels}

    @staticmethod
    def _target(channel: Channel) -> _Target:
        import apprise

        plugin, why = _load(channel.url.get_secret_value())
        if plugin is None:
            raise ConfigError(f"notification channel {channel.name!r}: {why}",
                              [f"notifications.channels.{channel.name}.url: {why}"])
        plugin.request_rate_per_sec = send_interval(plugin, channel.send_interval_seconds)
        asset = apprise.AppriseAsset(app_id="dispute-agent", app_desc="dispute-agent")
        sender = apprise.Apprise(asset=asset)
        sender.add(plugin)
        return _Target(name=channel.name, apprise=sender, shown=shown_form(plugin.url(privacy=True)),
                       attach=channel.attach_screenshots and bool(getattr(plugin, "attachment_support", False)),
                       plugin=plugin, carrier=carrier_of(plugin))

    @property
    def channel_names(self) -> list[str]:
        return list(self._targets)

    def target(self, channel: str) -> str:
        """The channel's URL in its printable form (no secret, no query value)."""
        return self._get(channel).shown

    def _get(self, channel: str) -> _Target:
        try:
            return self._targets[channel]
        except KeyError:
            known = ", ".join(self._targets) or "none configured"
            raise UserInputError(f"unknown notification channel {channel!r}; known channels: {known}") from None

    def render_for(self, channel: str, alert: Alert, now: datetime) -> Message:
        """``alert`` worded for ``channel`` (with its screenshot if the channel takes files)."""
        return render(alert, now, self.zone, attach=self._get(channel).attach)

    def handled(self, offer: Alert, outcome: Alert) -> Alert:
        """A zero offer and what the agent did about it, as one alert worded in the user's zone."""
        from agent.notifications.message_groups import handled_offer

        return handled_offer(offer, outcome, format_local(outcome.created_at, self.zone))

    def render_summary_for(self, channel: str, alerts: Sequence[Alert], now: datetime) -> Message:
        """Several alerts as one message for ``channel``, most urgent first."""
        from agent.notifications.message_groups import by_urgency

        return render_summary(by_urgency(list(alerts)), now, self.zone, attach=self._get(channel).attach)

    def carrier(self, channel: str) -> Carrier:
        """Where ``channel``'s messages carry their key (:mod:`agent.notifications.idempotency`)."""
        return self._get(channel).carrier

    def send(self, channel: str, message: Message, *, key: str | None = None) -> SendResult:
        """One attempt; a channel that is down is a failed result, never an exception.

        ``key``: the message's idempotency key, the same on every attempt of one message;
        an e-mail carries it as its ``Message-ID``, a webhook as ``Idempotency-Key``.
        """
        import apprise

        target = self._get(channel)
        attach = None
        if message.attachment is not None:
            attach = apprise.AppriseAttachment()
            attach.add(str(message.attachment))
        with send_lock, _apprise_warnings() as said, carrying(target.plugin, target.carrier, key) as ids:
            try:
                ok = bool(target.apprise.notify(body=message.body, title=message.subject,
                                                notify_type=_NOTIFY_TYPES[message.severity],
                                                body_format=apprise.NotifyFormat.TEXT, attach=attach))
            except Exception as error:  # a plugin may raise anything: a failed attempt, not a crash
                ok = False
                said.append(f"{type(error).__name__}: {error}")
        if ok and key is not None and target.carrier is Carrier.MESSAGE_ID and not ids:
            logger.warning("channel %s: the e-mail went out with Apprise's own Message-ID, not its key (this Apprise "
                           "release builds e-mails differently; a repeat after a crash is possible)", channel)
        if ok:
            logger.info("sent %r to channel %s (%s)", message.subject, channel, target.shown)
            return SendResult(channel=channel, target=target.shown, ok=True)
        error = mask_secrets(said[-1] if said else "the channel did not accept the message")[:500]
        # info, not warning: the caller (the outbox, notify-test) reports the failure
        logger.info("channel %s (%s) failed: %s", channel, target.shown, error)
        return SendResult(channel=channel, target=target.shown, ok=False, error=error)

    def deliver(self, channel: str, alert: Alert, now: datetime) -> SendResult:
        """Render ``alert`` for ``channel`` and send it (one attempt)."""
        return self.send(channel, self.render_for(channel, alert, now))

    def send_test(self, channels: Sequence[str] | None, now: datetime) -> list[SendResult]:
        """A test message to each of ``channels`` (all when ``None``)."""
        names = list(channels) if channels is not None else self.channel_names
        return [self.deliver(name, notify_test_alert(name, now), now) for name in names]
