"""Serving the page: in the foreground (``dispute-agent web``) or in a thread beside the
daemon's scheduler (``run`` with ``web.enabled``), the demo and the tests.

The socket is bound before uvicorn starts, so port 0 gives a free port whose number is
known at once, and a port in use is one line, not a traceback. Uvicorn reads no
``X-Forwarded-*`` header: the client address is the real peer, which is what the
trusted-proxy rule (``agent.web.auth.Gate.proxy_user``) checks.
"""

from __future__ import annotations

import logging
import secrets
import socket
import threading
import time
from collections.abc import Sequence
from typing import Any

from agent.config.settings import Settings
from agent.core.errors import ConfigError
from agent.web.auth import check_can_serve, is_loopback

log = logging.getLogger("dispute_agent.web")


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise ConfigError(f"the page cannot listen on {host}:{port} ({error.strerror or error}); "
                          "choose another --port or stop what uses it") from None
    sock.listen(64)
    sock.set_inheritable(True)
    return sock


def address(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else ("127.0.0.1" if host in ("0.0.0.0", "") else host)
    return f"http://{shown}:{port}"


class PageServer:
    """The page on its own thread: ``start()`` returns once it answers, ``stop()`` ends it."""

    def __init__(self, settings: Settings, host: str | None = None, port: int | None = None, *,
                 start_token: str | None = None, extra_routes: Sequence[Any] | None = None) -> None:
        from agent.web.app import create_app, other_parts

        extra_routes = other_parts(settings) if extra_routes is None else extra_routes

        self.host = host if host is not None else settings.web.host
        check_can_serve(settings.web, self.host, start_token=start_token is not None)
        self.start_token = start_token
        self.app = create_app(settings, extra_routes=extra_routes, start_token=start_token)
        self._sock = bind(self.host, settings.web.port if port is None else port)
        self.port = self._sock.getsockname()[1]
        self.url = address(self.host, self.port)
        self._server = None
        self._thread: threading.Thread | None = None

    @property
    def signin_url(self) -> str:
        """Where a person starts: the sign-in address with the start token, or the page."""
        return f"{self.url}/signin?token={self.start_token}" if self.start_token else f"{self.url}/"

    def _uvicorn(self):
        import logging

        import uvicorn

        from agent.web.feeds import HideCalendarSecret

        # no access log is written; should one be turned on, the feed's only key stays out of it
        access = logging.getLogger("uvicorn.access")
        if not any(isinstance(f, HideCalendarSecret) for f in access.filters):
            access.addFilter(HideCalendarSecret())
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, server_header=False,
                                proxy_headers=False, lifespan="off", timeout_graceful_shutdown=5)
        self._server = uvicorn.Server(config)
        return self._server

    def run(self) -> None:
        """In the foreground until Ctrl-C or SIGTERM."""
        try:
            self._uvicorn().run(sockets=[self._sock])
        finally:
            self._sock.close()

    def start(self, timeout: float = 15.0) -> PageServer:
        server = self._uvicorn()
        self._thread = threading.Thread(target=server.run, kwargs={"sockets": [self._sock]}, name="web-page",
                                        daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise ConfigError(f"the page did not start on {self.url}; see the log above")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._sock.close()

    def __enter__(self) -> PageServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def foreground(settings: Settings, host: str, port: int, say=print) -> int:
    """``dispute-agent web``: with no password and no proxy on a loopback address, a start
    token is made and the sign-in address printed (decision 0014)."""
    web = settings.web
    token = None
    if web.password_hash is None and not web.proxy_header and is_loopback(host):
        token = secrets.token_urlsafe(24)
    page = PageServer(settings, host, port, start_token=token)
    if token:
        say(f"the page: {page.signin_url}")
        say("(no password is set: this address signs you in while this command runs; set one with "
            "'dispute-agent web password')")
    else:
        say(f"the page: {page.url}/  (Ctrl-C stops it)")
    page.run()
    return 0


def start_page(settings: Settings) -> "PageServer | None":
    """The page beside the daemon's scheduler (``web.enabled``), on its own thread; it acts
    under the same browser lock as the polls. It needs a password or a trusted proxy here:
    nobody watches the daemon's terminal for a sign-in address (decision 0014)."""
    if not settings.web.enabled:
        return None
    page = PageServer(settings).start()
    log.info("the page is served at %s/", page.url)
    return page
