"""The two addresses a machine fetches, not a person: the calendar feed and ``/metrics``.

Why they carry their own authentication: a phone's calendar and a Prometheus server
cannot log in to the page, so the web app's session check and CSRF (middleware) must
let them through, and each guards itself instead — the calendar by the secret in its
address (a wrong one is 404, as if nothing were there), ``/metrics`` by a bearer token
or the page's logged-in session (else 401). The page mounts them marked
``public_with_secret`` (``agent.web.app.other_parts``), so its middleware lets exactly
these through, and its test of "every route refuses an unauthenticated request" covers
them (no secret: 404 or 401).

Both answer from a read-only snapshot of the store, built when asked.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from agent.core.clock import Now, SiteClock, system_now

if TYPE_CHECKING:  # pragma: no cover
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import BaseRoute

    from agent.config.settings import Settings

__all__ = ["CALENDAR_PATH", "METRICS_PATH", "SECRET_AUTH_PATHS", "HideCalendarSecret", "calendar_path", "hide_secret",
           "is_secret_auth", "routes"]

CALENDAR_PATH = "/calendar/{secret}.ics"
METRICS_PATH = "/metrics"
#: the routes that check their own secret: the web app's session middleware lets them through
SECRET_AUTH_PATHS = (CALENDAR_PATH, METRICS_PATH)

#: the web app's own check of a request's logged-in session
LoggedIn = Callable[["Request"], bool]


_SECRET_IN_PATH = re.compile(r"/calendar/[^/?#\s]+\.ics")


def calendar_path(secret: str) -> str:
    return CALENDAR_PATH.replace("{secret}", secret)


def hide_secret(text: str) -> str:
    """``text`` with any calendar address's secret replaced by ``<secret>``."""
    return _SECRET_IN_PATH.sub("/calendar/<secret>.ics", text)


class HideCalendarSecret(logging.Filter):
    """Keeps the calendar's secret out of the server's access log (``agent.web.serve``
    installs it on ``uvicorn.access``): the address is the only key to the feed."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(hide_secret(arg) if isinstance(arg, str) else arg for arg in record.args)
        record.msg = hide_secret(record.msg) if isinstance(record.msg, str) else record.msg
        return True


def is_secret_auth(route: object) -> bool:
    """Whether ``route`` guards itself with a secret (one of :func:`routes`)."""
    return bool(getattr(route, "secret_auth", False))


def routes(settings: Settings, *, logged_in: LoggedIn | None = None, now: Now = system_now) -> list[BaseRoute]:
    """The calendar feed and the metrics, each marked ``secret_auth``.

    ``logged_in`` is the web app's session check: a person logged in to the page may read
    ``/metrics`` without the token. ``now`` is this machine's clock (the site's is the
    store's offset from it).
    """
    from starlette.routing import Route

    stamps_lock = threading.Lock()

    def calendar(request: Request) -> Response:
        from starlette.responses import PlainTextResponse, Response

        from agent.core.errors import StorageError
        from agent.web.feed_files import calendar_secret_matches

        if not _unless_unreadable(lambda: calendar_secret_matches(settings.state.dir,
                                                                   str(request.path_params.get("secret", "")))):
            return PlainTextResponse("not found\n", status_code=404)
        try:
            with stamps_lock:  # two fetches at once would number a moved event twice
                body = _calendar_body(settings, now)
        except StorageError as error:
            return PlainTextResponse(f"{error}\n", status_code=503)
        return Response(body, media_type="text/calendar; charset=utf-8",
                        headers={"Cache-Control": "no-store", "Content-Disposition": 'inline; filename="deadlines.ics"',
                                 "Referrer-Policy": "no-referrer"})

    def metrics(request: Request) -> Response:
        from prometheus_client import CONTENT_TYPE_LATEST
        from starlette.responses import PlainTextResponse, Response

        from agent.web.metrics import metrics_text

        if not (_bearer_ok(settings, request) or (logged_in is not None and logged_in(request))):
            return PlainTextResponse("a bearer token is needed: make one with 'dispute-agent feeds metrics-token'\n",
                                     status_code=401, headers={"WWW-Authenticate": 'Bearer realm="dispute-agent"'})
        return Response(metrics_text(settings, now), media_type=CONTENT_TYPE_LATEST,
                        headers={"Cache-Control": "no-store"})

    made = [Route(CALENDAR_PATH, calendar, methods=["GET"], name="calendar_feed"),
            Route(METRICS_PATH, metrics, methods=["GET"], name="metrics")]
    for route in made:
        route.secret_auth = True  # type: ignore[attr-defined]
    return made


def _bearer_ok(settings: Settings, request: Request) -> bool:
    from agent.web.feed_files import metrics_token_matches

    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return (scheme.lower() == "bearer" and bool(token.strip())
            and _unless_unreadable(lambda: metrics_token_matches(settings.state.dir, token.strip())))


def _unless_unreadable(check: Callable[[], bool]) -> bool:
    """A secrets file that cannot be read lets nobody in (and tells a stranger nothing)."""
    from agent.core.errors import StorageError

    try:
        return check()
    except StorageError:
        return False


def _calendar_body(settings: Settings, now: Now) -> bytes:
    from agent.storage.store import Store
    from agent.usecases.poll import watch_state
    from agent.usecases.sync import site_clock
    from agent.web.calendar_feed import calendar_feed
    from agent.web.feed_files import load_stamps, save_stamps

    store = Store(settings.state.db_path, read_only=True)
    try:
        site_now = SiteClock(site_clock(store).offset, local=now)()
        state = watch_state(store)
    finally:
        store.close()
    previous = load_stamps(settings.state.dir)
    body, stamps = calendar_feed(state, site_now, settings.policy, settings.zone, previous, now())
    if stamps != previous:
        save_stamps(settings.state.dir, stamps)
    return body
