"""The slider captcha, shown by the site's anti-bot layer in two ways.

The real site's anti-bot layer ("x5", drawn by "baxia") stops a visitor with a slider
(``#nc_1_wrapper``, the knob ``#nc_1_n1z``, "Please slide to verify") either inside a
dialog over the page (``.baxia-dialog`` around ``iframe#baxia-dialog-content``), as
after "Sign in", or by sending the browser to ``<page URL>/_____tmd_____/punish?
x5secdata=<blob>&x5step=1`` instead of the page. Solving it sets the ``x5sec`` cookie
that lets the visitor through. The agent must recognise both and hand over to a
person, so the sandbox shows both with the real markers, and a person can solve them
in a visible browser (real mouse or touch events only).

``world.captcha`` switches it on, ``world.captcha_kind`` says which way: ``dialog``
stops the login (``web_auth``), ``punish`` every page of ``www.`` and ``m.``.
Challenges and passes live in ``world.challenges``; switching the captcha on again
voids every pass, so a fresh challenge always follows.
"""

from __future__ import annotations

import secrets
import time
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from .origins import MOBILE, WWW, page_origin, set_site_cookie
from .web import render, world_of
from .world import World

PASS_COOKIE = "x5sec"
#: what the anti-bot layer appends to a page's path
PUNISH_SUFFIX = "/_____tmd_____/punish"
TMD_MARK = "/_____tmd_____/"
SLIDE_PATH = "/_____tmd_____/slide"
#: share of the slider track the knob must travel (the page script checks the same)
CAPTCHA_MIN_SLIDE = 0.9
CHALLENGE_SECONDS = 600
PASS_SECONDS = 1800
CAPTCHA_ERROR = "Verification failed. Please slide the bar all the way to the right."
PUNISH_TITLE = "Sorry, we have detected unusual traffic from your network."


def _sweep(world: World, now: float) -> None:
    for key in [k for k, v in world.challenges.items() if v["expires"] < now]:
        world.challenges.pop(key, None)


def new_challenge(world: World, return_url: str) -> str:
    """A challenge to solve; ``return_url`` is where a solved punish page goes back to."""
    blob = secrets.token_urlsafe(24)
    with world.lock:
        now = time.monotonic()
        _sweep(world, now)
        world.challenges[blob] = {"type": "challenge", "return_url": return_url,
                                  "expires": now + CHALLENGE_SECONDS}
    return blob


def has_pass(request: Request, world: World) -> bool:
    token = request.cookies.get(PASS_COOKIE)
    if not token:
        return False
    with world.lock:
        entry = world.challenges.get("pass:" + token)
        return entry is not None and entry["expires"] >= time.monotonic()


def void_passes(world: World) -> None:
    """Switching the captcha on means a challenge next time, whatever was solved before."""
    with world.lock:
        world.challenges.clear()


def dialog_url(blob: str) -> str:
    """The document the login page's baxia dialog loads in its iframe (same host)."""
    return PUNISH_SUFFIX + "?" + urlencode({"x5secdata": blob, "x5step": 2, "pureCaptcha": "true"})


def punish_location(request: Request, blob: str) -> str:
    return request.url.path.rstrip("/") + PUNISH_SUFFIX + "?" + urlencode({"x5secdata": blob, "x5step": 1})


def punishing(world: World) -> bool:
    return world.captcha and world.captcha_kind == "punish"


class PunishGate:
    """With the ``punish`` captcha on, a page of ``www.`` or ``m.`` asked without a pass
    answers 302 to its own ``…/_____tmd_____/punish`` address (before any login check,
    as the anti-bot layer stands in front of the site)."""

    def __init__(self, app: ASGIApp, holder: Any) -> None:
        self.app = app
        self.holder = holder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (scope["type"] == "http" and scope.get("method") == "GET" and TMD_MARK not in path
                and page_origin(path) in (WWW, MOBILE) and punishing(self.holder.world)):
            request = Request(scope)
            world = self.holder.world
            if not has_pass(request, world):
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                blob = new_challenge(world, target)
                await RedirectResponse(punish_location(request, blob), status_code=302)(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def punish_page(request: Request) -> Response:
    """The slider page: at the top of a tab (punish) or inside the login's dialog (pure)."""
    world = world_of(request)
    blob = request.query_params.get("x5secdata", "")
    with world.lock:
        entry = world.challenges.get(blob)
        known = entry is not None and entry["type"] == "challenge" and entry["expires"] >= time.monotonic()
    if not known:  # an old or made-up blob: a fresh challenge for the same page
        page = request.url.path[: -len(PUNISH_SUFFIX)] if request.url.path.endswith(PUNISH_SUFFIX) else ""
        blob = new_challenge(world, page)
    pure = request.query_params.get("pureCaptcha") == "true"
    return render(request, "login_punish.html", {
        "title": "Verification", "page": "punish", "x5secdata": blob, "pure": pure,
        "min_slide": CAPTCHA_MIN_SLIDE, "punish_title": PUNISH_TITLE, "slide_path": SLIDE_PATH,
    })


async def slide(request: Request) -> Response:
    """The knob was released: past the threshold, a pass (the ``x5sec`` cookie)."""
    world = world_of(request)
    try:
        body = await request.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    blob = str(body.get("x5secdata", ""))
    try:
        share = float(body.get("slide", 0))
    except (TypeError, ValueError):
        share = 0.0
    with world.lock:
        entry = world.challenges.get(blob)
        if entry is None or entry["type"] != "challenge" or entry["expires"] < time.monotonic():
            return JSONResponse({"success": False, "message": CAPTCHA_ERROR, "expired": True})
        if share < CAPTCHA_MIN_SLIDE:
            return JSONResponse({"success": False, "message": CAPTCHA_ERROR})
        world.challenges.pop(blob, None)
        token = secrets.token_urlsafe(18)
        world.challenges["pass:" + token] = {"type": "pass", "expires": time.monotonic() + PASS_SECONDS}
    response = JSONResponse({"success": True, "url": entry["return_url"]})
    set_site_cookie(request, response, PASS_COOKIE, token, max_age=PASS_SECONDS)
    return response


def routes() -> list[Route]:
    return [
        Route(PUNISH_SUFFIX, punish_page, methods=["GET"]),
        Route("/{page:path}" + PUNISH_SUFFIX, punish_page, methods=["GET"]),
        Route(SLIDE_PATH, slide, methods=["POST"]),
    ]
