"""Login, the obstacles the real site puts in front of it, and the session cookies.

The real site keeps the session in HttpOnly cookies (``xman_t`` among others) and
gives the page script a readable signing token (``_m_h5_tk``); it may stop a login
with a slider captcha or an e-mail code. The agent must detect those steps and hand
the login to a person, so the sandbox shows them with the real markup
(``#nc_1_wrapper``, ``#nc_1_n1z``, "Please slide to verify") and a person can pass
them in a visible browser. A login in progress lives in ``world.pending_logins``,
keyed by a short-lived HttpOnly cookie, so no step can be skipped by URL.
"""

from __future__ import annotations

import secrets
import time
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from .origins import LOGIN, WWW, delete_site_cookie, origins_of, set_site_cookie
from .web import render, world_of
from .world import World

SESSION_COOKIE = "xman_t"
TOKEN_COOKIE = "_m_h5_tk"
PENDING_COOKIE = "havana_lgc2_77"
PENDING_SECONDS = 600
DEFAULT_RETURN_PATH = "/p/order/index.html"
#: where a logged-out visitor is sent, on the login host
LOGIN_ENTRY = "/login"
#: share of the slider track the knob must travel (the page checks the same)
CAPTCHA_MIN_SLIDE = 0.9

LOGIN_ERROR = "Your account name or password is incorrect."
EMAIL_CODE_ERROR = "The verification code is incorrect. Please check the e-mail and try again."
PENDING_EXPIRED = "Your sign-in session timed out. Please sign in again."
CAPTCHA_ERROR = "Verification failed. Please slide the bar all the way to the right."


def default_return_url(request: Request) -> str:
    return origins_of(request).url(WWW, DEFAULT_RETURN_PATH)


def safe_return_url(request: Request, value: str | None) -> str:
    """Only the site's own pages (any of its hosts): an open redirect would be a real
    site's bug, not ours. The login pages themselves are no place to return to."""
    fallback = default_return_url(request)
    if not value or "\\" in value or any(ch in value for ch in "\r\n\t"):
        return fallback
    origins = origins_of(request)
    if not origins.owns(value):
        return fallback
    parts = urlsplit(value)
    if parts.path.startswith(LOGIN_ENTRY) or (origins.login and value.startswith(origins.login)):
        return fallback
    return value


def logged_in(request: Request, world: World) -> bool:
    return world.session_valid(request.cookies.get(SESSION_COOKIE))


def login_redirect(request: Request) -> RedirectResponse:
    """Send a logged-out visitor to the login host, remembering where they wanted to go."""
    origins = origins_of(request)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if origins.www:  # came by name: the full address of the page, on whichever host it was
        target = str(request.url)
    login = origins.url(LOGIN, LOGIN_ENTRY)
    return RedirectResponse(login + "?" + urlencode({"return_url": target}), status_code=302)


# --- pending logins --------------------------------------------------------------------

def _pending(request: Request, world: World) -> tuple[str, dict] | None:
    key = request.cookies.get(PENDING_COOKIE)
    if not key:
        return None
    with world.lock:
        entry = world.pending_logins.get(key)
        if entry is None:
            return None
        if entry["expires"] < time.monotonic():
            world.pending_logins.pop(key, None)
            return None
        return key, entry


def _start_pending(world: World, return_url: str, stage: str) -> str:
    key = secrets.token_urlsafe(18)
    with world.lock:
        now = time.monotonic()
        for old in [k for k, v in world.pending_logins.items() if v["expires"] < now]:
            world.pending_logins.pop(old, None)
        world.pending_logins[key] = {"stage": stage, "return_url": return_url,
                                     "expires": now + PENDING_SECONDS, "error": ""}
    return key


def _next_stage(world: World, after: str) -> str | None:
    """password → captcha (if on) → e-mail code (if set) → done."""
    order = ["password", "captcha", "email"]
    enabled = {"captcha": world.captcha, "email": bool(world.scenario.account.email_code)}
    for stage in order[order.index(after) + 1:]:
        if enabled[stage]:
            return stage
    return None


def _complete(request: Request, world: World, return_url: str, pending_key: str | None = None) -> Response:
    """Open a session: the HttpOnly session cookie, the script's token, back where the buyer was."""
    token = world.new_session()
    if pending_key:
        with world.lock:
            world.pending_logins.pop(pending_key, None)
    response = RedirectResponse(safe_return_url(request, return_url), status_code=302)
    lifetime = int(timedelta(days=world.scenario.account.session_days).total_seconds())
    set_site_cookie(request, response, SESSION_COOKIE, token, max_age=lifetime)
    signing = f"{secrets.token_hex(16)}_{world.clock.epoch_ms() + 3_600_000}"
    set_site_cookie(request, response, TOKEN_COOKIE, signing, max_age=lifetime, httponly=False)
    response.delete_cookie(PENDING_COOKIE, path="/login")
    return response


def _to_stage(world: World, return_url: str, stage: str, pending_key: str | None) -> Response:
    if pending_key is None:
        pending_key = _start_pending(world, return_url, stage)
    else:
        with world.lock:
            entry = world.pending_logins.get(pending_key)
            if entry is not None:
                entry.update(stage=stage, error="")
    response = RedirectResponse("/login/verify", status_code=302)
    response.set_cookie(PENDING_COOKIE, pending_key, max_age=PENDING_SECONDS, path="/login",
                        httponly=True, samesite="lax")
    return response


def _masked(login: str) -> str:
    name, at, domain = login.partition("@")
    return f"{name[:1]}***{at}{domain}" if at else f"{login[:1]}***"


# --- handlers ----------------------------------------------------------------------------

def _password_page(request: Request, return_url: str, error: str = "", login: str = "") -> Response:
    return render(request, "login.html", {"stage": "password", "return_url": return_url,
                                          "error": error, "login_value": login, "title": "Sign in"})


async def login_page(request: Request) -> Response:
    world = world_of(request)
    return_url = safe_return_url(request, request.query_params.get("return_url"))
    if logged_in(request, world):
        return RedirectResponse(return_url, status_code=302)
    return _password_page(request, return_url)


async def login_submit(request: Request) -> Response:
    world = world_of(request)
    form = await request.form()
    login = str(form.get("fm-login-id", "")).strip()
    password = str(form.get("fm-login-password", ""))
    return_url = safe_return_url(request, str(form.get("return_url", "")))
    account = world.scenario.account
    if not login or not password:
        return _password_page(request, return_url, "Please enter your account name and password.", login)
    if login.lower() != account.login.lower() or not secrets.compare_digest(password, account.password):
        return _password_page(request, return_url, LOGIN_ERROR, login)
    stage = _next_stage(world, "password")
    if stage is None:
        return _complete(request, world, return_url)
    return _to_stage(world, return_url, stage, None)


async def verify_page(request: Request) -> Response:
    world = world_of(request)
    pending = _pending(request, world)
    if pending is None:
        return _password_page(request, default_return_url(request), PENDING_EXPIRED)
    _, entry = pending
    return render(request, "login.html", {
        "stage": entry["stage"], "error": entry.get("error", ""), "return_url": entry["return_url"],
        "masked_login": _masked(world.scenario.account.login), "title": "Verification",
        "min_slide": CAPTCHA_MIN_SLIDE,
    })


async def captcha_submit(request: Request) -> Response:
    world = world_of(request)
    pending = _pending(request, world)
    if pending is None or pending[1]["stage"] != "captcha":
        return _password_page(request, default_return_url(request), PENDING_EXPIRED)
    key, entry = pending
    form = await request.form()
    try:
        slide = float(str(form.get("slide", "0")))
    except ValueError:
        slide = 0.0
    if slide < CAPTCHA_MIN_SLIDE:
        with world.lock:
            entry["error"] = CAPTCHA_ERROR
        return RedirectResponse("/login/verify", status_code=302)
    stage = _next_stage(world, "captcha")
    if stage is None:
        return _complete(request, world, entry["return_url"], key)
    return _to_stage(world, entry["return_url"], stage, key)


async def email_submit(request: Request) -> Response:
    world = world_of(request)
    pending = _pending(request, world)
    if pending is None or pending[1]["stage"] != "email":
        return _password_page(request, default_return_url(request), PENDING_EXPIRED)
    key, entry = pending
    form = await request.form()
    code = str(form.get("code", "")).strip()
    expected = world.scenario.account.email_code or ""
    if not code or not secrets.compare_digest(code, expected):
        return render(request, "login.html", {
            "stage": "email", "error": EMAIL_CODE_ERROR, "return_url": entry["return_url"],
            "masked_login": _masked(world.scenario.account.login), "title": "Verification",
        })
    return _complete(request, world, entry["return_url"], key)


async def logout(request: Request) -> Response:
    world = world_of(request)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with world.lock:
            world.sessions.pop(token, None)
    response = RedirectResponse(origins_of(request).url(LOGIN, LOGIN_ENTRY), status_code=302)
    delete_site_cookie(request, response, SESSION_COOKIE)
    delete_site_cookie(request, response, TOKEN_COOKIE)
    return response


def routes() -> list[Route]:
    return [
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login_submit, methods=["POST"]),
        Route("/login/verify", verify_page, methods=["GET"]),
        Route("/login/captcha", captcha_submit, methods=["POST"]),
        Route("/login/email", email_submit, methods=["POST"]),
        Route("/logout", logout, methods=["GET"]),
    ]
