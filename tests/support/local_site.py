"""A tiny web site on 127.0.0.1 for browser tests: a few pages and one session cookie.

Runs ``http.server.ThreadingHTTPServer`` on a free port in a daemon thread, so tests
need no network and no sandbox. Pages:

- ``/``        a plain page (``#home``)
- ``/login``   sets the cookie ``sid`` and a localStorage entry, like a login would
- ``/whoami``  echoes the ``Cookie`` and ``User-Agent`` headers the browser sent
"""

from __future__ import annotations

import html
from http.server import BaseHTTPRequestHandler

from agent.usecases.local_server import LocalHTTPServer

SESSION_COOKIE = "sid=s3ss10n-cookie"

_PAGES = {
    "/": "<title>home</title><h1 id='home'>Home</h1>",
    "/login": (
        "<title>logged in</title><p id='done'>logged in</p>"
        "<script>localStorage.setItem('seen', 'yes')</script>"
    ),
}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        path = self.path.split("?", 1)[0]
        if path == "/whoami":
            body = (
                f"<p id='cookie'>{html.escape(self.headers.get('Cookie', ''))}</p>"
                f"<p id='agent'>{html.escape(self.headers.get('User-Agent', ''))}</p>"
            )
        elif path in _PAGES:
            body = _PAGES[path]
        else:
            self.send_error(404)
            return
        data = f"<!doctype html><html><body>{body}</body></html>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        if path == "/login":
            self.send_header("Set-Cookie", f"{SESSION_COOKIE}; Path=/; Max-Age=3600; HttpOnly")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass


class LocalSite:
    """``with LocalSite() as site:`` serves the pages at ``site.url``."""

    def __init__(self) -> None:
        self._server = LocalHTTPServer(_Handler)
        self.url = f"http://127.0.0.1:{self._server.port}"

    def __enter__(self) -> LocalSite:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()
