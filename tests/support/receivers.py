"""Real message receivers on 127.0.0.1 for notification tests: SMTP and a JSON webhook.

Both listen on a free port of the loopback interface only, keep what they receive in
memory, and are started and stopped by the test that uses them. The SMTP server can be
stopped and started again on the same port, to play a mail server that is down for a
while. Nothing here reaches beyond 127.0.0.1.
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


class _MailHandler:
    def __init__(self, inbox: list[EmailMessage]) -> None:
        self._inbox = inbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's naming)
        self._inbox.append(email.message_from_bytes(envelope.original_content or envelope.content,
                                                    policy=default_policy))
        return "250 OK"


#: AUTH without TLS is the point of a loopback test server with test secrets; aiosmtpd
#: warns about it on every connection (in its own thread): use as a pytest mark
QUIET_AUTH_WARNING = "ignore:Requiring AUTH while not requiring TLS:UserWarning"


class SmtpReceiver:
    """``aiosmtpd`` on 127.0.0.1, plain SMTP (no TLS); optional AUTH with one login.

    ``url(...)`` is the Apprise ``mailto://`` URL that delivers here.
    """

    def __init__(self, login: str | None = None, password: str | None = None) -> None:
        self.port = free_port()
        self.inbox: list[EmailMessage] = []
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

    def start(self) -> SmtpReceiver:
        kwargs: dict[str, Any] = {}
        if self._credentials is not None:
            kwargs = {"authenticator": self._authenticate, "auth_require_tls": False, "auth_required": True}
        self._controller = Controller(_MailHandler(self.inbox), hostname=HOST, port=self.port,
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

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self.on_request: Callable[[], None] | None = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                if receiver.on_request is not None:
                    receiver.on_request()
                receiver.requests.append({"path": self.path, "headers": dict(self.headers),
                                          "json": json.loads(raw or b"null")})
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
