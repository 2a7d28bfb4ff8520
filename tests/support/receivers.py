"""Real message receivers on 127.0.0.1 for notification tests: SMTP and a JSON webhook.

Both listen on a free port of the loopback interface only, keep what they receive in
memory, and are started and stopped by the test that uses them. The SMTP server can be
stopped and started again on the same port, to play a mail server that is down for a
while. Nothing here reaches beyond 127.0.0.1.

``drop_repeats=True`` makes either one behave like a receiver that honours the agent's
message keys (decision 0023): a mailbox such as Gmail keeps one message per ``Message-ID``
(:func:`mail_key`), a webhook that implements the ``Idempotency-Key`` header answers a
repeat without acting on it again (:func:`webhook_key`). A repeat is kept apart, in
``repeats``, so a test sees both that it came and that it was dropped.
"""

from __future__ import annotations

import email
import json
import socket
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from agent.usecases.local_server import LocalHTTPServer

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def unthrottle_apprise(monkeypatch: Any) -> None:
    """Let the agent send back to back: it spaces two e-mails of one channel by
    ``agent.notifications.notify.DEFAULT_SEND_INTERVAL`` (and Apprise by its generic 5.5 s elsewhere).

    A polite default for real mail providers; against a local test server it only
    makes the tests slow.
    """
    from apprise.plugins.base import NotifyBase

    import agent.notifications.notify

    monkeypatch.setattr(NotifyBase, "request_rate_per_sec", 0)
    monkeypatch.setattr(agent.notifications.notify, "DEFAULT_SEND_INTERVAL", 0.0)


def wait_for(condition: Callable[[], bool], timeout: float = 5.0, what: str = "condition") -> None:
    """Poll ``condition`` until true, for at most ``timeout`` seconds (a bounded loop)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


def mail_key(message: EmailMessage) -> str | None:
    """The key an e-mail of the agent carries: its one ``Message-ID`` (``<key@host>``)."""
    found = message.get_all("Message-ID") or []
    return str(found[0]).strip() if len(found) == 1 else None


def webhook_key(headers: Any) -> str | None:
    """The key a webhook request of the agent carries: its ``Idempotency-Key`` header, a
    structured-field string (``"key"``), without its quotes. ``headers``: the request's
    headers (``http.server``'s ``self.headers``, or a dict of them)."""
    value = headers.get("Idempotency-Key")
    return value.strip().strip('"') if value else None


class _MailHandler:
    def __init__(self, receiver: SmtpReceiver) -> None:
        self._receiver = receiver

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's naming)
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=default_policy)
        self._receiver.take(message)
        return "250 OK"


#: AUTH without TLS is the point of a loopback test server with test secrets; aiosmtpd
#: warns about it on every connection (in its own thread): use as a pytest mark
QUIET_AUTH_WARNING = "ignore:Requiring AUTH while not requiring TLS:UserWarning"


class SmtpReceiver:
    """``aiosmtpd`` on 127.0.0.1, plain SMTP (no TLS); optional AUTH with one login.

    ``url(...)`` is the Apprise ``mailto://`` URL that delivers here.
    """

    def __init__(self, login: str | None = None, password: str | None = None, *, drop_repeats: bool = False) -> None:
        self.port = free_port()
        self.inbox: list[EmailMessage] = []
        #: mails dropped as repeats of a ``Message-ID`` already in ``inbox`` (``drop_repeats``)
        self.repeats: list[EmailMessage] = []
        self.drop_repeats = drop_repeats
        self.logins: list[str] = []
        self._credentials = (login, password) if login and password else None
        self._controller: Controller | None = None

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        if isinstance(data, LoginPassword) and self._credentials is not None:
            given = (data.login.decode(), data.password.decode())
            if given == self._credentials:
                self.logins.append(given[0])
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    def take(self, message: EmailMessage) -> None:
        key = mail_key(message)
        if self.drop_repeats and key is not None and key in {mail_key(kept) for kept in self.inbox}:
            self.repeats.append(message)
        else:
            self.inbox.append(message)

    def start(self) -> SmtpReceiver:
        kwargs: dict[str, Any] = {}
        if self._credentials is not None:
            kwargs = {"authenticator": self._authenticate, "auth_require_tls": False, "auth_required": True}
        self._controller = Controller(_MailHandler(self), hostname=HOST, port=self.port,
                                      ready_timeout=5.0, **kwargs)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def url(self, to: str = "buyer@example.com", sender: str = "agent@example.com") -> str:
        auth = f"{self._credentials[0]}:{self._credentials[1]}@" if self._credentials else ""
        return f"mailto://{auth}{HOST}:{self.port}?from={sender}&to={to}"

    def __enter__(self) -> SmtpReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class WebhookReceiver:
    """``ThreadingHTTPServer`` on 127.0.0.1 that records every JSON POST.

    ``status`` is what it answers (set 500 to play a broken webhook); ``on_request``, if
    set, is called (in the server's thread) before each request is answered.
    """

    def __init__(self, *, drop_repeats: bool = False) -> None:
        self.requests: list[dict[str, Any]] = []
        #: requests answered without being kept: their ``Idempotency-Key`` was seen (``drop_repeats``)
        self.repeats: list[dict[str, Any]] = []
        self.drop_repeats = drop_repeats
        self.status = 200
        self.on_request: Callable[[], None] | None = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                if receiver.on_request is not None:
                    receiver.on_request()
                got = {"path": self.path, "headers": dict(self.headers), "json": json.loads(raw or b"null")}
                key = webhook_key(self.headers)
                seen = {webhook_key(kept["headers"]) for kept in receiver.requests}
                (receiver.repeats if receiver.drop_repeats and key is not None and key in seen
                 else receiver.requests).append(got)
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:  # keep test output clean
                pass

        self._server = LocalHTTPServer(Handler)
        self.port = self._server.port

    def url(self, path: str = "/hook", auth: str = "") -> str:
        return f"json://{auth}{HOST}:{self.port}{path}"

    def __enter__(self) -> WebhookReceiver:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()
