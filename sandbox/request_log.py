"""What the site was asked, counted by kind: ``GET|DELETE /__sandbox__/requests``.

Why: how many pages and API calls a sync or a poll costs the site is a figure the
agent promises to keep small (a settled order's page is not loaded again every day).
Tests and benchmarks read it here, on the server's side, whatever client asked.

Kinds: ``page <path>`` for a page (``page /p/order/detail.html``), ``api <name>`` for
an mtop call (``api mtop.aliexpress.trade.buyer.order.detail``), ``static`` for scripts
and styles, ``login`` for the sign-in host, ``other`` for the rest. The control API is
not counted. The log belongs to the server, not the world: a new scenario or a reset
keeps it; ``DELETE`` empties it.
"""

from __future__ import annotations

import threading
from collections import Counter

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from .origins import origin_of

__all__ = ["RequestLog", "RequestLogMiddleware", "kind_of", "routes"]


def kind_of(path: str, host_role: str | None) -> str | None:
    """The kind a request is counted as; None for the control API (not the site's traffic)."""
    if path.startswith("/__sandbox__"):
        return None
    if host_role == "login":
        return "login"
    if path.startswith("/static/") or path == "/favicon.ico":
        return "static"
    if path.startswith("/h5/"):
        parts = [p for p in path.split("/") if p]
        return f"api {parts[1]}" if len(parts) > 1 else "other"
    if path.startswith("/p/") or path in ("/", "/login", "/logout"):
        return f"page {path}"
    return "other"


class RequestLog:
    """Counts by kind, shared by the server's threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def add(self, kind: str) -> None:
        with self._lock:
            self._counts[kind] += 1

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self._counts.items()))

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()


class RequestLogMiddleware:
    """Counts every request to the site before anything (a fault, a guard) answers it."""

    def __init__(self, app: ASGIApp, log: RequestLog) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            kind = kind_of(scope.get("path", ""), origin_of(Request(scope)))
            if kind is not None:
                self.log.add(kind)
        await self.app(scope, receive, send)


async def requests_get(request: Request) -> Response:
    return JSONResponse(request.app.state.request_log.counts())


async def requests_delete(request: Request) -> Response:
    request.app.state.request_log.clear()
    return JSONResponse({})


def routes() -> list[Route]:
    return [Route("/requests", requests_get, methods=["GET"]),
            Route("/requests", requests_delete, methods=["DELETE"])]
