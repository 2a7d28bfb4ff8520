"""Sign-in on the login host, the obstacles in front of it, and the session cookies.

The real sign-in lives on its own host (``login.aliexpress.com/?return_url=<URL>``):
one page whose script walks the buyer through an e-mail/phone step ("Continue") and a
password step ("Sign in", a plain button whose request runs in the background); an
account chooser, an e-mail code or the slider captcha may come in between. The page
script (``static/login.js``) talks to the small JSON endpoints below; the older
one-page form also posts to ``/login`` without a script.

The session is set on the way back, by the cookie-sync hop
``/sync_cookie_write.htm?xman_goto=<return URL>``, on the parent domain so every host
shares it: the HttpOnly ``xman_t`` and the script's signing token ``_m_h5_tk``. A
login in progress lives in ``world.pending_logins``, keyed by a short-lived HttpOnly
cookie, so no step can be skipped by URL: the hop opens a session only for a login
that passed every step.
"""

from __future__ import annotations

import secrets
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from .origins import (
    LOGIN,
    WWW,
    delete_site_cookie,
    origin_of,
    origins_of,
    set_site_cookie,
)
from .web import render, world_of
from .web_challenge import TMD_MARK, dialog_url, has_pass, new_challenge
from .world import World

SESSION_COOKIE = "xman_t"
TOKEN_COOKIE = "_m_h5_tk"
PENDING_COOKIE = "havana_lgc2_77"
PENDING_SECONDS = 600
DEFAULT_RETURN_PATH = "/p/order/index.html"
#: the older address of the sign-in page, still answered on the login host
LOGIN_ALIAS = "/login"
SYNC_PATH = "/sync_cookie_write.htm"
CHECK_PATH = "/newlogin/account/check.do"
LOGIN_PATH = "/newlogin/login.do"
CODE_PATH = "/newlogin/code/verify.do"

LOGIN_ERROR = "Your account name or password is incorrect."
UNKNOWN_ACCOUNT = "We couldn't find an account with this email or phone number. Check it, or register."
EMPTY_FIELDS = "Please enter your account name and password."
EMAIL_CODE_ERROR = "The verification code is incorrect. Please check the e-mail and try again."
PENDING_EXPIRED = "Your sign-in session timed out. Please sign in again."
FIELD_LABELS = {"two_step": "Email or phone number", "two_step_email": "Email"}


# --- addresses ---------------------------------------------------------------------------

def entry_url(request: Request) -> str:
    """The sign-in page: the login host's root, or ``/login`` for a client by address
    (there ``/`` is the shop's home)."""
    origins = origins_of(request)
    return origins.login + "/" if origins.login else LOGIN_ALIAS


def default_return_url(request: Request) -> str:
    return origins_of(request).url(WWW, DEFAULT_RETURN_PATH)


def safe_return_url(request: Request, value: str | None) -> str:
    """Only the site's own pages (any of its hosts): an open redirect would be a real
    site's bug, not ours. The sign-in, the sync hop and the captcha are no place to return to."""
    fallback = default_return_url(request)
    if not value or "\\" in value or any(ch in value for ch in "\r\n\t"):
        return fallback
    origins = origins_of(request)
    if not origins.owns(value):
        return fallback
    parts = urlsplit(value)
    if (parts.path.startswith((LOGIN_ALIAS, SYNC_PATH, "/newlogin/")) or TMD_MARK in parts.path
            or (origins.login and value.startswith(origins.login))):
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
    return RedirectResponse(entry_url(request) + "?" + urlencode({"return_url": target}), status_code=302)


def _sync_url(return_url: str) -> str:
    return SYNC_PATH + "?" + urlencode({"xman_goto": return_url})


# --- pending logins ----------------------------------------------------------------------

def _pending(request: Request, world: World) -> tuple[str, dict[str, Any]] | None:
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
                                     "expires": now + PENDING_SECONDS}
    return key


def _masked(login: str) -> str:
    name, at, domain = login.partition("@")
    return f"{name[:1]}***{at}{domain}" if at else f"{login[:1]}***"


def _remembered(world: World) -> str:
    value = world.scenario.account.remembered
    if value is True:
        return world.scenario.account.login
    return value or ""


# --- the steps, whatever answers them (the page script's JSON, or the plain form) ---------

def _attempt(request: Request, world: World, login: str, password: str, return_url: str) -> dict[str, Any]:
    """Check the password (behind the captcha, when it is on); what comes next."""
    account = world.scenario.account
    if not login or not password:
        return {"ok": False, "message": EMPTY_FIELDS}
    if world.captcha and world.captcha_kind == "dialog" and not has_pass(request, world):
        return {"ok": False, "captcha": dialog_url(new_challenge(world, ""))}
    if login.lower() != account.login.lower() or not secrets.compare_digest(password, account.password):
        return {"ok": False, "message": LOGIN_ERROR}
    if account.email_code:
        return {"ok": True, "next": "email_code", "masked": _masked(account.login),
                "pending": _start_pending(world, return_url, "email_code")}
    return {"ok": True, "next": "done", "url": _sync_url(return_url),
            "pending": _start_pending(world, return_url, "done")}


def _with_pending(response: Response, outcome: dict[str, Any]) -> Response:
    key = outcome.pop("pending", None)
    if key:
        response.set_cookie(PENDING_COOKIE, key, max_age=PENDING_SECONDS, path="/", httponly=True,
                            samesite="lax")
    return response


def _page(request: Request, return_url: str, **context: Any) -> Response:
    world = world_of(request)
    account = world.scenario.account
    pending = _pending(request, world)
    view = "account"
    if account.login_form == "one_page":
        view = "one_page"
    elif _remembered(world):
        view = "chooser"
    if pending is not None and pending[1]["stage"] == "email_code":
        view = "email_code"
        return_url = pending[1]["return_url"]
    return render(request, "login.html", {
        "title": "Sign in", "page": "login", "view": view, "return_url": return_url,
        "form": account.login_form, "field_label": FIELD_LABELS.get(account.login_form, ""),
        "remembered": _remembered(world), "masked_login": _masked(account.login),
        "code_length": len(account.email_code or ""), "error": "", "challenge": "", "login_value": "",
        "paths": {"check": CHECK_PATH, "login": LOGIN_PATH, "code": CODE_PATH},
        **context,
    })


# --- handlers ----------------------------------------------------------------------------

async def login_page(request: Request) -> Response:
    world = world_of(request)
    return_url = safe_return_url(request, request.query_params.get("return_url"))
    if logged_in(request, world):
        return RedirectResponse(return_url, status_code=302)
    return _page(request, return_url)


async def _fields(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: str(value) for key, value in form.items() if isinstance(value, str)}


async def account_check(request: Request) -> Response:
    """Step one: is there such an account? (The real page asks before showing the password.)"""
    world = world_of(request)
    login = (await _fields(request)).get("loginId", "").strip()
    if not login:
        return JSONResponse({"ok": False, "message": "Please enter your email or phone number."})
    if login.lower() != world.scenario.account.login.lower() and login.lower() != _remembered(world).lower():
        return JSONResponse({"ok": False, "message": UNKNOWN_ACCOUNT})
    return JSONResponse({"ok": True})


async def login_submit_json(request: Request) -> Response:
    """"Sign in" on today's page: the script's request, answered in JSON."""
    world = world_of(request)
    fields = await _fields(request)
    outcome = _attempt(request, world, fields.get("loginId", "").strip(), fields.get("password", ""),
                       safe_return_url(request, fields.get("returnUrl")))
    return _with_pending(JSONResponse({k: v for k, v in outcome.items() if k != "pending"}), outcome)


async def login_submit_form(request: Request) -> Response:
    """The older one-page form posted without a script: answered with pages and redirects."""
    world = world_of(request)
    fields = await _fields(request)
    login = fields.get("fm-login-id", "").strip()
    return_url = safe_return_url(request, fields.get("return_url"))
    outcome = _attempt(request, world, login, fields.get("fm-login-password", ""), return_url)
    if not outcome["ok"]:
        return _page(request, return_url, error=outcome.get("message", ""),
                     challenge=outcome.get("captcha", ""), login_value=login)
    target = outcome["url"] if outcome["next"] == "done" else entry_url(request)
    return _with_pending(RedirectResponse(target, status_code=302), outcome)


async def code_verify(request: Request) -> Response:
    """The e-mail code, after the password; a wrong one can be tried again."""
    world = world_of(request)
    pending = _pending(request, world)
    if pending is None or pending[1]["stage"] != "email_code":
        return JSONResponse({"ok": False, "message": PENDING_EXPIRED, "restart": True})
    key, entry = pending
    code = (await _fields(request)).get("code", "").strip()
    expected = world.scenario.account.email_code or ""
    if not code or not secrets.compare_digest(code, expected):
        return JSONResponse({"ok": False, "message": EMAIL_CODE_ERROR})
    with world.lock:
        entry["stage"] = "done"
    return JSONResponse({"ok": True, "url": _sync_url(entry["return_url"])})


async def sync_cookie_write(request: Request) -> Response:
    """The hop on the way back: a finished login becomes a session on the parent domain.

    Visited without one, it passes a logged-in buyer through and sends anyone else to
    the sign-in: the URL alone opens nothing."""
    world = world_of(request)
    goto = safe_return_url(request, request.query_params.get("xman_goto"))
    pending = _pending(request, world)
    if pending is not None and pending[1]["stage"] == "done":
        key, entry = pending
        with world.lock:
            world.pending_logins.pop(key, None)
        return _open_session(request, world, safe_return_url(request, entry["return_url"]))
    if logged_in(request, world):
        return RedirectResponse(goto, status_code=302)
    return RedirectResponse(entry_url(request) + "?" + urlencode({"return_url": goto}), status_code=302)


def signing_token(world: World) -> str:
    """The script's ``_m_h5_tk``: ``<token>_<expiry in epoch ms>``, valid an hour of the world's clock."""
    return f"{secrets.token_hex(16)}_{world.clock.epoch_ms() + 3_600_000}"


def _open_session(request: Request, world: World, return_url: str) -> Response:
    """The HttpOnly session cookie, the script's token, back where the buyer was."""
    token = world.new_session()
    response = RedirectResponse(return_url, status_code=302)
    lifetime = int(timedelta(days=world.scenario.account.session_days).total_seconds())
    set_site_cookie(request, response, SESSION_COOKIE, token, max_age=lifetime)
    set_site_cookie(request, response, TOKEN_COOKIE, signing_token(world), max_age=lifetime, httponly=False)
    response.delete_cookie(PENDING_COOKIE, path="/")
    return response


async def logout(request: Request) -> Response:
    world = world_of(request)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with world.lock:
            world.sessions.pop(token, None)
    response = RedirectResponse(entry_url(request), status_code=302)
    delete_site_cookie(request, response, SESSION_COOKIE)
    delete_site_cookie(request, response, TOKEN_COOKIE)
    return response


def is_login_host(request: Request) -> bool:
    return origin_of(request) == LOGIN


def routes() -> list[Route]:
    """The sign-in page itself is also ``/`` on the login host (``web_pages.home``)."""
    return [
        Route(LOGIN_ALIAS, login_page, methods=["GET"]),
        Route(LOGIN_ALIAS, login_submit_form, methods=["POST"]),
        Route(CHECK_PATH, account_check, methods=["POST"]),
        Route(LOGIN_PATH, login_submit_json, methods=["POST"]),
        Route(CODE_PATH, code_verify, methods=["POST"]),
        Route(SYNC_PATH, sync_cookie_write, methods=["GET"]),
        Route("/logout", logout, methods=["GET"]),
    ]
