"""The "log in again" page: the agent's own browser, live, driven from a phone.

Routes only (``routes(settings)``): the web app mounts them behind its sign-in and its
CSRF check, which are middleware: nothing here authenticates. The page's script sends
the CSRF token from ``<meta name="csrf-token">`` as ``X-CSRF-Token`` on every POST.

- ``GET  /login-again`` — the page: the picture, a text box with "Send text", Enter,
  Backspace and Tab buttons, scrolling, Cancel, a status line; and the upload of a
  session file exported elsewhere.
- ``POST /login-again/start`` — start the agent's browser at the site's login (or show
  the one already running: one at a time).
- ``GET  /login-again/frame?after=N`` — the newest picture (JPEG) once it is newer than
  ``N``, else 204 after a few seconds: the page asks again at once (long polling; see
  decision 0016 for why not a stream).
- ``GET  /login-again/status`` — the phase and one line for the person.
- ``POST /login-again/input`` — one tap, drag piece, text or key (:mod:`agent.core.remote_input`).
- ``POST /login-again/cancel``.
- ``POST /login-again/session-file`` — a file from ``dispute-agent session export``,
  checked as ``session import`` checks it.

The browser work never runs in the event loop: the session's own thread does it
(:mod:`agent.usecases.remote_login`); the handlers only read its status and frames and queue input.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from agent.config.settings import LOGIN_AGAIN_PATH, Settings
from agent.core.errors import DisputeAgentError, UserInputError
from agent.usecases.remote_login import NoRemoteLogin, RemoteLogin

#: a frame request waits at most this long for a newer picture, then answers 204
FRAME_WAIT_SECONDS = 8.0
_FRAME_POLL_SECONDS = 0.04
#: an input event is a few hundred bytes; a session file some tens of kB
MAX_INPUT_BYTES = 32_000
MAX_SESSION_FILE_BYTES = 5_000_000
_ASSETS = Path(__file__).parent / "templates" / "login_again"
_NO_STORE = {"Cache-Control": "no-store"}


class RemoteLogins:
    """The one remote login of this process: started on demand, replaced once it has ended."""

    def __init__(self, settings: Settings, factory: Callable[[Settings], RemoteLogin] | None = None) -> None:
        self._settings = settings
        self._factory = factory or RemoteLogin
        self._lock = threading.Lock()
        self._current: RemoteLogin | None = None

    def current(self) -> RemoteLogin | None:
        with self._lock:
            return self._current

    def start(self) -> RemoteLogin:
        """The running session, or a new one when none runs (a second phone sees the same one)."""
        with self._lock:
            if self._current is None or self._current.status().finished:
                self._current = self._factory(self._settings).start()
            return self._current

    def running(self) -> RemoteLogin:
        found = self.current()
        if found is None or found.status().finished:
            raise NoRemoteLogin("no login is under way; press 'Open the site's login' first")
        return found


def routes(settings: Settings, *, logins: RemoteLogins | None = None,
           csrf_token: Callable[[Request], str] | None = None) -> list[BaseRoute]:
    """The page's routes, to mount behind the web app's sign-in and CSRF middleware.

    ``csrf_token`` gives the request's token for the page's ``<meta>``; by default it is
    read from ``request.state.csrf_token`` (where the web app's middleware leaves it).
    """
    logins = logins or RemoteLogins(settings)
    token_of = csrf_token or (lambda request: str(getattr(request.state, "csrf_token", "") or ""))
    page_template = _template()
    script = (_ASSETS / "page.js").read_text(encoding="utf-8")

    async def page(request: Request) -> Response:
        # the page's own frame (base.html): its header, its navigation, its zone
        return HTMLResponse(page_template.render(
            csrf_token=token_of(request), base=LOGIN_AGAIN_PATH, login_again=LOGIN_AGAIN_PATH,
            signed_in=bool(getattr(request.state, "signed_in", False)), zone=settings.zone.key,
        ), headers=_NO_STORE)

    async def page_script(_request: Request) -> Response:
        return Response(script, media_type="text/javascript", headers=_NO_STORE)

    async def start(_request: Request) -> Response:
        return _status_json(logins.start())

    async def status(_request: Request) -> Response:
        return _status_json(logins.current())

    async def frame(request: Request) -> Response:
        try:
            after = int(request.query_params.get("after", "0"))
        except ValueError:
            after = 0
        deadline = time.monotonic() + FRAME_WAIT_SECONDS
        while True:
            found = logins.current()
            if found is None:
                return Response(status_code=204, headers=_NO_STORE)
            seq, jpeg = found.frames.latest()
            if jpeg is not None and seq != after:
                return Response(jpeg, media_type="image/jpeg", headers={**_NO_STORE, "X-Frame": str(seq)})
            if found.status().finished:  # no picture comes any more
                return Response(status_code=204, headers=_NO_STORE)
            if time.monotonic() >= deadline or await request.is_disconnected():
                return Response(status_code=204, headers=_NO_STORE)
            await asyncio.sleep(_FRAME_POLL_SECONDS)

    async def send_input(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_INPUT_BYTES:
            return _refused(UserInputError("that input is too large; send text in parts"), 413)
        try:
            event = json.loads(body or b"null")
            logins.running().send(event)
        except ValueError:
            return _refused(UserInputError("an input must be JSON; reload the page"))
        except NoRemoteLogin as error:
            return _refused(error, 409)
        except DisputeAgentError as error:
            return _refused(error)
        return JSONResponse({"ok": True}, headers=_NO_STORE)

    async def cancel(_request: Request) -> Response:
        found = logins.current()
        if found is not None:
            found.cancel()
        return _status_json(found)

    async def session_file(request: Request) -> Response:
        from agent.usecases.remote_login import install_session_file

        data = await _uploaded(request)
        if isinstance(data, Response):
            return data
        found = logins.current()
        if found is not None and not found.status().finished:
            return _refused(UserInputError("a login is under way in the agent's browser; cancel it first, "
                                           "or finish it there"), 409)
        try:
            await asyncio.to_thread(install_session_file, settings, data)
        except DisputeAgentError as error:
            return _refused(error)
        return JSONResponse({"ok": True, "message": "the session file is installed; the agent's next poll uses "
                                                    "it (the daemon polls within a minute)"}, headers=_NO_STORE)

    base = LOGIN_AGAIN_PATH
    return [
        Route(base, page, methods=["GET"], name="login_again"),
        Route(f"{base}/page.js", page_script, methods=["GET"]),
        Route(f"{base}/start", start, methods=["POST"]),
        Route(f"{base}/status", status, methods=["GET"]),
        Route(f"{base}/frame", frame, methods=["GET"]),
        Route(f"{base}/input", send_input, methods=["POST"]),
        Route(f"{base}/cancel", cancel, methods=["POST"]),
        Route(f"{base}/session-file", session_file, methods=["POST"]),
    ]


async def _uploaded(request: Request) -> bytes | Response:
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_SESSION_FILE_BYTES + 10_000:
        return _refused(UserInputError("that file is too large for a session file; choose the file that "
                                       "'dispute-agent session export' wrote"), 413)
    try:
        form = await request.form(max_files=1, max_fields=5)
    except Exception:  # noqa: BLE001 - a malformed form is the client's error, in one line
        return _refused(UserInputError("no file was received; choose the session file and upload it again"))
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        return _refused(UserInputError("no file was received; choose the session file and upload it again"))
    data = await upload.read(MAX_SESSION_FILE_BYTES + 1)
    await form.close()
    if len(data) > MAX_SESSION_FILE_BYTES:
        return _refused(UserInputError("that file is too large for a session file; choose the file that "
                                       "'dispute-agent session export' wrote"), 413)
    return data


def _status_json(found: RemoteLogin | None) -> Response:
    if found is None:
        body = {"phase": "none", "message": "no login is under way", "finished": True, "frame": 0}
    else:
        status = found.status()
        body = {"phase": status.phase.value, "message": status.message, "finished": status.finished,
                "frame": found.frames.latest()[0]}
    return JSONResponse(body, headers=_NO_STORE)


def _refused(error: DisputeAgentError, code: int = 400) -> Response:
    line = str(error).splitlines()[0] if str(error) else type(error).__name__
    return JSONResponse({"ok": False, "error": line}, status_code=code, headers=_NO_STORE)


def _template():
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader([str(_ASSETS), str(_ASSETS.parent)]),
                             autoescape=True, undefined=jinja2.StrictUndefined)
    return env.get_template("page.html")
