"""A local inbox for the demo: a webhook receiver on 127.0.0.1 that Apprise's ``json://``
delivers to, so the demo can show the real notification on screen without sending
anything anywhere. Standard library only (it ships with the package, not the tests).
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from typing import Any

from agent.usecases.local_server import LocalHTTPServer


class DemoInbox:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length", "0"))
                try:
                    inbox.messages.append(json.loads(self.rfile.read(length) or b"{}"))
                except json.JSONDecodeError:
                    pass
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = LocalHTTPServer(Handler, poll_interval=0.1)
        self.port = self._server.port

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/inbox"

    def __enter__(self) -> DemoInbox:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()
