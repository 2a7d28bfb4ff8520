"""The page's application: routes, templates, and the security layer around all of them.

``create_app(settings, extra_routes=[...])`` is where other parts of the page plug in
(the remote login, the calendar feed, the metrics): their routes sit behind the same
middleware as the pages here (``agent.web.middleware``). A route that checks its own
secret instead of a session is marked with ``public_with_secret(route)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from agent.config.settings import Settings
from agent.web.auth import Gate, TooManyAttempts
from agent.web.jobs import Jobs
from agent.web.middleware import Authenticated, CsrfChecked, SecurityHeaders, csrf_token

HERE = Path(__file__).parent
SESSION_COOKIE = "dispute_agent_session"
#: where the remote login page lives once mounted (linked from the nav and a "login needed" state)
LOGIN_AGAIN = "/login-again"


def _safe_next(target: str | None) -> str:
    """Only a path on this page: never another site (an open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/"


def _client(request) -> str:
    return request.client.host if request.client else "unknown"


def signin_page(request):
    from starlette.responses import RedirectResponse

    from agent.web.pages import render

    gate: Gate = request.app.state.gate
    token = request.query_params.get("token")
    if token is not None:  # the start address printed by 'dispute-agent web'
        try:
            if gate.try_token(_client(request), token):
                request.session.clear()
                gate.sign_in(request.session)
                return RedirectResponse(_safe_next(request.query_params.get("next")), status_code=303)
        except TooManyAttempts as refused:
            return _too_many(request, refused)
        return render(request, "signin.html", status_code=401, problem="that sign-in address is not valid "
                      "(the page was restarted?); use the address the terminal printed last", next="/")
    if request.state.signed_in:
        return RedirectResponse("/", status_code=303)
    return render(request, "signin.html", next=_safe_next(request.query_params.get("next")))


async def signin(request):
    from starlette.responses import RedirectResponse

    from agent.web.pages import render

    gate: Gate = request.app.state.gate
    form = await request.form()
    target = _safe_next(str(form.get("next") or "/"))
    if not gate.has_password:
        return render(request, "signin.html", status_code=400, next=target,
                      problem="no password is set: open the sign-in address 'dispute-agent web' printed")
    try:
        ok = gate.try_password(_client(request), str(form.get("password") or ""))
    except TooManyAttempts as refused:
        return _too_many(request, refused)
    if not ok:
        return render(request, "signin.html", status_code=401, next=target, problem="wrong password; try again")
    request.session.clear()  # a new session (and CSRF token) once signed in
    gate.sign_in(request.session)
    return RedirectResponse(target, status_code=303)


def _too_many(request, refused: TooManyAttempts):
    from agent.core.readable import duration, short_moment
    from agent.web.pages import render

    settings = request.app.state.settings
    wait = max(refused.retry_at - request.app.state.gate.now(), timedelta(seconds=1))
    who = "to this page" if refused.overall else "from your address"
    problem = (f"too many failed sign-ins {who}; try again after {short_moment(refused.retry_at, settings.zone)} "
               f"(in {duration(wait)})")
    response = render(request, "signin.html", status_code=429, next="/", problem=problem)
    response.headers["Retry-After"] = str(max(1, int(wait.total_seconds())))
    return response


def signout(request):
    from starlette.responses import RedirectResponse

    request.session.clear()
    return RedirectResponse("/signin", status_code=303)


def _routes() -> list:
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    from agent.web import actions, pages

    return [
        Route("/signin", signin_page, methods=["GET"], name="signin"),
        Route("/signin", signin, methods=["POST"], name="signin-post"),
        Route("/signout", signout, methods=["POST"], name="signout"),
        Route("/", pages.home, name="home"),
        Route("/orders", pages.orders, name="orders"),
        Route("/disputes/{dispute_id}", pages.dispute, name="dispute"),
        Route("/disputes/{dispute_id}/accept", pages.accept_confirm, methods=["GET"], name="accept-confirm"),
        Route("/disputes/{dispute_id}/accept", actions.accept, methods=["POST"], name="accept"),
        Route("/disputes/{dispute_id}/reject", actions.reject, methods=["POST"], name="reject"),
        Route("/disputes/{dispute_id}/escalate", actions.escalate, methods=["POST"], name="escalate"),
        Route("/disputes/{dispute_id}/evidence", actions.evidence, methods=["POST"], name="evidence"),
        Route("/disputes/{dispute_id}/ship-return", actions.ship_return, methods=["POST"], name="ship-return"),
        Route("/disputes/{dispute_id}/screenshot", pages.dispute_screenshot, name="dispute-screenshot"),
        Route("/log", pages.log_page, name="log"),
        Route("/log/{entry:int}/screenshot", pages.audit_screenshot, name="audit-screenshot"),
        Route("/status", pages.status, name="status"),
        Route("/status/notify-test", actions.notify_test, methods=["POST"], name="notify-test"),
        Route("/jobs/{job_id}", pages.job, name="job"),
        Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
    ]


def other_parts(settings: Settings) -> list:
    """The routes of the page's other parts (the remote login, the calendar feed, the
    metrics), mounted by every server of the page (``web``, ``run``, the demo): the one
    place to list them. The feed and the metrics check their own secret (a calendar app or
    Prometheus cannot sign in); everything else is behind the sign-in and CSRF middleware."""
    from agent.web.feeds import routes as feed_routes
    from agent.web.middleware import csrf_token, public_with_secret
    from agent.web.relogin import routes as login_again_routes

    def signed_in(request) -> bool:
        return bool(getattr(request.state, "signed_in", False))

    return [*login_again_routes(settings, csrf_token=lambda request: csrf_token(request.session)),
            *(public_with_secret(route) for route in feed_routes(settings, logged_in=signed_in))]


def _templates(settings: Settings, has_login_again: Callable[[], bool]):
    from starlette.templating import Jinja2Templates

    from agent.core.readable import left, short_moment

    def context(request) -> dict[str, Any]:
        return {"csrf_token": csrf_token(request.session), "signed_in": getattr(request.state, "signed_in", False),
                "login_again": LOGIN_AGAIN if has_login_again() else None, "zone": settings.zone.key}

    templates = Jinja2Templates(directory=HERE / "templates", context_processors=[context])
    templates.env.filters["moment"] = lambda when: short_moment(when, settings.zone)
    templates.env.filters["left"] = lambda delta: left(delta)
    return templates


def create_app(settings: Settings, *, extra_routes: Sequence[Any] = (), start_token: str | None = None,
               now: Callable[[], datetime] | None = None, channel_names: Sequence[str] | None = None):
    """The page. ``extra_routes`` are mounted behind the same security; ``start_token`` is
    the sign-in secret of a page with no password on a loopback address (decision 0014)."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.sessions import SessionMiddleware
    from starlette.responses import Response

    from agent.core.errors import DisputeAgentError
    from agent.web.auth import secret_key

    gate = Gate(settings.web, start_token=start_token, now=now)
    routes = [*extra_routes, *_routes()]

    async def agent_error(request, error: Exception) -> Response:
        from agent.core.error_lines import error_line
        from agent.web.pages import render

        line, _ = error_line(error) or (str(error), 1)
        return render(request, "message.html", status_code=400, title="Not done", line=line, ok=False)

    app = Starlette(routes=routes, exception_handlers={DisputeAgentError: agent_error}, middleware=[
        Middleware(SecurityHeaders),
        Middleware(SessionMiddleware, secret_key=secret_key(settings.state.dir), session_cookie=SESSION_COOKIE,
                   max_age=int(settings.web.session_hours * 3600), same_site="lax",
                   https_only=settings.web.secure_cookie),
        Middleware(Authenticated, gate=gate),
        Middleware(CsrfChecked),
    ])
    app.state.settings = settings
    app.state.gate = gate
    app.state.jobs = Jobs()
    app.state.channel_names = list(channel_names if channel_names is not None
                                   else [c.name for c in settings.notifications.channels])
    app.state.templates = _templates(settings, lambda: any(getattr(r, "path", None) == LOGIN_AGAIN
                                                           for r in app.router.routes))
    return app
