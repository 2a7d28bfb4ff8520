"""The sandbox marketplace as an ASGI app: pages, the "mtop" API, login and control.

``create_app(world)`` assembles the pieces kept in their own modules:

- ``web_auth``   the sign-in (two steps, chooser, e-mail code) and the session cookies;
- ``web_challenge`` the slider captcha (the login's dialog, the ``punish`` page);
- ``web_pages``  the buyer's HTML pages (Jinja2 templates + plain JS in ``static/``);
- ``web_api``    ``/h5/<api>/1.0/``, the JSON the pages' scripts load, in the real shapes;
- ``control``    ``/__sandbox__/``, the control API for tests, the demo and benchmarks.

The world can be replaced while the server runs (a new scenario, a reset), so no
handler keeps a reference to it: each request reads ``holder.world`` once and uses
that world to the end. Faults (``http500``, ``slow``) are applied here, in front of
every page and API route, so the handlers stay free of them.
"""

from __future__ import annotations

import asyncio
import threading
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from . import i18n
from .classnames import ClassNames, new_seed
from .origins import Origins, origin_of, origins_of, page_origin
from .scenario import Scenario
from .web_layout import rename_css, rename_html, renames_json
from .world import World

PACKAGE_DIR = Path(__file__).parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"

#: paths faults never touch: the control API must keep working to clear them, and
#: static files are not what a fault scenario is about
FAULT_FREE_PREFIXES = ("/__sandbox__", "/static/", "/favicon.ico")

SERVER_ERROR_PAGE = """<!DOCTYPE html><html><head><title>500 Internal Server Error</title></head>
<body><h1>500 Internal Server Error</h1><p>Sorry, something went wrong. Please try again later.</p></body></html>"""


class WorldHolder:
    """The current world, swapped atomically by the control API.

    ``initial`` is the scenario the server started with: ``/__sandbox__/reset`` goes back to it.
    """

    def __init__(self, world: World) -> None:
        self._lock = threading.Lock()
        self._world = world
        self.initial: Scenario = world.scenario
        #: this start's "release": the CSS-module hashes, unless the scenario fixes them
        self.release_seed = new_seed()

    @property
    def world(self) -> World:
        return self._world

    def replace(self, world: World) -> World:
        with self._lock:
            self._world = world
        return world


def holder_of(request: Request) -> WorldHolder:
    return request.app.state.holder


def world_of(request: Request) -> World:
    return request.app.state.holder.world


def class_names(request: Request, *, redesigned: bool = False) -> ClassNames:
    """The CSS-module names of this rendering (a redesign under the ``dom_layout`` fault)."""
    holder: WorldHolder = request.app.state.holder
    seed = holder.world.scenario.site.class_seed or holder.release_seed
    return ClassNames.redesigned(seed) if redesigned else ClassNames(seed)


# --- rendering -------------------------------------------------------------------------

def _templates() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(request: Request, template: str, context: dict[str, Any], *, status_code: int = 200,
           headers: dict[str, str] | None = None) -> HTMLResponse:
    """Render a page; under the ``dom_layout`` fault its classes and ids are renamed."""
    world = world_of(request)
    altered = world.take_fault("dom_layout", request.url.path) is not None
    env: Environment = request.app.state.templates
    cm = class_names(request, redesigned=altered)
    html = env.get_template(template).render(
        request=request,
        cm=cm,
        layout="v2" if altered else "v1",
        renames=renames_json() if altered else "[]",
        css_url="/static/site-v2.css" if altered else "/static/site.css",
        origins=origins_of(request),
        html_lang=i18n.html_lang(i18n.locale_of(request, world)),
        **context,
    )
    if altered:
        html = rename_html(html)
    return HTMLResponse(html, status_code=status_code, headers=headers)


async def altered_stylesheet(request: Request) -> Response:
    """``site.css`` with the ``dom_layout`` renames, so an altered page still looks right."""
    css = (STATIC_DIR / "site.css").read_text(encoding="utf-8")
    return Response(rename_css(css), media_type="text/css")


# --- faults ----------------------------------------------------------------------------

class FaultMiddleware:
    """``slow`` waits (without blocking the loop) and ``http500`` answers 500 on matching paths."""

    def __init__(self, app: ASGIApp, holder: WorldHolder) -> None:
        self.app = app
        self.holder = holder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(FAULT_FREE_PREFIXES):
            await self.app(scope, receive, send)
            return
        world = self.holder.world
        slow = world.take_fault("slow", path)
        if slow is not None and slow.delay_ms > 0:
            await asyncio.sleep(slow.delay_ms / 1000)
        if world.take_fault("http500", path) is not None:
            await HTMLResponse(SERVER_ERROR_PAGE, status_code=500)(scope, receive, send)
            return
        await self.app(scope, receive, send)


class OriginGuard:
    """A page is served only by its own host: the order list on ``www.``, the dispute
    list on ``m.``, the sign-in on ``login.``. Asking the wrong host is a 404, as it
    would be on the real site, so an agent that forgets to cross hosts fails here."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope)
            came_to = origin_of(request)
            wanted = page_origin(scope.get("path", ""))
            if came_to is not None and wanted is not None and came_to != wanted:
                await PlainTextResponse("Not Found", status_code=404)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class VirtualDateMiddleware:
    """Every answer's HTTP ``Date`` is the virtual clock's, as a real server's is its clock.

    The agent falls back to this header for the site's time when a page carries no
    ``curTime``; the machine's own time here would shift every deadline it reads.
    """

    def __init__(self, app: ASGIApp, holder: WorldHolder) -> None:
        self.app = app
        self.holder = holder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_date(message) -> None:
            if message["type"] == "http.response.start":
                stamp = format_datetime(self.holder.world.now(), usegmt=True).encode()
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"date"]
                message = {**message, "headers": [*headers, (b"date", stamp)]}
            await send(message)

        await self.app(scope, receive, send_with_date)


async def _http_error(request: Request, exc: Exception) -> Response:
    """Plain errors for the shop, JSON ones (never a traceback) for the control API."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else "internal error"
    if request.url.path.startswith("/__sandbox__"):
        if status == 404:
            detail = f"no control endpoint {request.method} {request.url.path}; see GET /__sandbox__/"
        elif status == 405:
            detail = f"{request.method} is not allowed on {request.url.path}"
        return JSONResponse({"error": detail}, status_code=status)
    return PlainTextResponse(str(detail), status_code=status)


async def _favicon(request: Request) -> Response:
    return Response(status_code=204)


def create_app(world: World) -> Starlette:
    """The whole sandbox site around ``world`` (which the control API may later replace)."""
    from . import control, web_api, web_auth, web_challenge, web_pages
    from .request_log import RequestLog, RequestLogMiddleware
    from .request_log import routes as request_log_routes

    holder = WorldHolder(world)
    request_log = RequestLog()
    routes = [
        *web_auth.routes(),
        *web_challenge.routes(),
        *web_pages.routes(),
        *web_api.routes(),
        Mount("/__sandbox__", routes=[*control.routes(), *request_log_routes()]),
        Route("/favicon.ico", _favicon),
        Route("/static/site-v2.css", altered_stylesheet),
        Mount("/static", app=StaticFiles(directory=str(STATIC_DIR)), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(RequestLogMiddleware, log=request_log),
                    Middleware(VirtualDateMiddleware, holder=holder), Middleware(OriginGuard),
                    Middleware(web_challenge.PunishGate, holder=holder),
                    Middleware(FaultMiddleware, holder=holder)],
        exception_handlers={HTTPException: _http_error, Exception: _http_error},
    )
    app.state.holder = holder
    app.state.request_log = request_log
    app.state.templates = _templates()
    # relative links until a server binds real sockets and names the hosts
    app.state.origins = Origins()
    app.state.login_port = None
    return app
