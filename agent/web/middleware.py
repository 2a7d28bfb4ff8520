"""The page's security as middleware, so that no route can forget it.

``Authenticated``: every request — page, form, file, websocket — of someone who is not
signed in is refused (a page is sent to /signin, anything else gets 401) unless its path
is on the short allow-list (the sign-in page, the static files) or its route declares
that it checks a secret of its own (:func:`public_with_secret`: a calendar feed's
secret address, a bearer token). ``CsrfChecked``: every request that is not GET or
HEAD must carry the session's token (form field ``csrf_token`` or header
``X-CSRF-Token``); a websocket must come from the page's own origin. A route mounted
later is behind both without a line of its own.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

from agent.web.auth import Gate

Scope = dict[str, Any]
ASGIApp = Callable[[Scope, Callable, Callable], Awaitable[None]]

#: the attribute a route sets to be reached without a session (it checks its own secret)
PUBLIC_WITH_SECRET = "public_with_secret"
OPEN_PATHS = frozenset({"/signin"})
OPEN_PREFIXES = ("/static/",)
SAFE_METHODS = frozenset({"GET", "HEAD"})
CSRF_FIELD, CSRF_HEADER = "csrf_token", "x-csrf-token"
#: the largest request body read to find a form's token (photos and a video for evidence)
MAX_BODY = 64 * 1024 * 1024
SECURITY_HEADERS = [
    (b"content-security-policy", (b"default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "
                                  b"script-src 'self'; connect-src 'self'; frame-ancestors 'none'; "
                                  b"form-action 'self'; base-uri 'none'")),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]


def public_with_secret(route: Any) -> Any:
    """Mark a route as checking its own secret (in its address or a header): no session asked."""
    setattr(route, PUBLIC_WITH_SECRET, True)
    return route


def csrf_token(session: dict) -> str:
    """The session's token, made on first use; templates and small scripts send it back."""
    token = session.get("csrf")
    if not isinstance(token, str) or len(token) < 32:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def _headers(scope: Scope) -> dict[str, str]:
    return {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope.get("headers", [])}


async def _plain(send: Callable, status: int, text: str, extra: Sequence[tuple[bytes, bytes]] = ()) -> None:
    body = text.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), *extra]})
    await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """Headers that keep the page out of frames and other sites' scripts, on every answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                present = {key.lower() for key, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *[(k, v) for k, v in SECURITY_HEADERS if k not in present]]
            await send(message)

        await self.app(scope, receive, with_headers)


class Authenticated:
    """Refuses everyone not signed in, except the allow-list and routes with a secret of their own."""

    def __init__(self, app: ASGIApp, gate: Gate) -> None:
        self.app, self.gate = app, gate

    def _public(self, scope: Scope) -> bool:
        path = scope.get("path", "")
        if path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
            return True
        from starlette.routing import Match

        routes = scope["app"].router.routes if "app" in scope else []  # as mounted now, later routes too
        return any(getattr(route, PUBLIC_WITH_SECRET, False) and route.matches(scope)[0] is Match.FULL
                   for route in routes)

    async def __call__(self, scope: Scope, receive: Callable, send: Callable) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        client = scope.get("client")
        user = self.gate.proxy_user(client[0] if client else None, headers)
        signed_in = user is not None or self.gate.signed_in(scope.get("session", {}))
        scope.setdefault("state", {})["signed_in"] = signed_in
        if signed_in or self._public(scope):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 4401})
            return
        wants_page = scope["method"] in SAFE_METHODS and "text/html" in headers.get("accept", "")
        if wants_page:
            target = scope.get("path", "/")
            if scope.get("query_string"):
                target += "?" + scope["query_string"].decode("latin-1")
            await _plain(send, 303, "sign in first", [(b"location", b"/signin?next=" + quote(target).encode())])
            return
        await _plain(send, 401, "sign in first: open /signin", [(b"www-authenticate", b'Session realm="dispute-agent"')])


class CsrfChecked:
    """Every request that changes something carries the session's token."""

    def __init__(self, app: ASGIApp, max_body: int = MAX_BODY) -> None:
        self.app, self.max_body = app, max_body

    async def __call__(self, scope: Scope, receive: Callable, send: Callable) -> None:
        if scope["type"] == "websocket":
            if not _same_origin(_headers(scope)):
                await send({"type": "websocket.close", "code": 4403})
                return
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        session = scope.get("session")
        expected = csrf_token(session) if session is not None else None
        if scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        given = headers.get(CSRF_HEADER)
        body = b""
        if given is None and headers.get("content-type", "").startswith(("application/x-www-form-urlencoded",
                                                                            "multipart/form-data")):
            try:
                body = await _read_body(receive, self.max_body)
            except _TooLarge:
                await _plain(send, 413, "too large: the page takes at most 64 MB at once; send fewer files")
                return
            given = await _form_token(scope, body)
            receive = _replay(body, receive)
        if expected is None or not given or not hmac.compare_digest(expected.encode(), given.encode()):
            await _plain(send, 403, "the form was out of date (its security token is missing or wrong); "
                                    "reload the page and try again")
            return
        await self.app(scope, receive, send)


def _same_origin(headers: dict[str, str]) -> bool:
    origin = headers.get("origin")
    return bool(origin) and urlsplit(origin).netloc == headers.get("host")


class _TooLarge(Exception):
    pass


async def _read_body(receive: Callable, limit: int) -> bytes:
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def _replay(body: bytes, receive: Callable) -> Callable:
    sent = False

    async def replayed() -> dict:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


async def _form_token(scope: Scope, body: bytes) -> str | None:
    from starlette.requests import Request

    async def once() -> dict:
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        form = await Request(scope, receive=once).form()
    except Exception:  # noqa: BLE001 — a form that cannot be read carries no token
        return None
    try:
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    finally:
        await form.close()
