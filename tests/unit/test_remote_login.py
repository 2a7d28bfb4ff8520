"""Logging in again from afar, without a browser: the input's scaling and translation, the
page's routes (the browser session replaced by one that only queues input), the session
file upload, and how watching resumes afterwards."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from agent.config.settings import Settings, load_settings
from agent.core.errors import CaptchaRequired, PageChanged
from agent.core.remote_input import (
    VIEWPORT,
    BadInput,
    MouseDown,
    MouseMove,
    MouseUp,
    PressKey,
    TypeText,
    Wheel,
    scale_point,
    translate,
)
from agent.judge.policy import Policy
from agent.judge.rules import LOG_IN_AGAIN, judge
from agent.judge.watch_state import HealthView, WatchState
from agent.storage import health as health_store
from agent.storage.store import Store
from agent.usecases.remote_login import Phase, RemoteLogin, Status
from tests.support.isolation import isolate_environment

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
SHOWN = [240, 420]  # the picture at half the viewport's size


# --- coordinates and input ---------------------------------------------------------------------


def test_a_point_on_the_shown_picture_is_the_same_point_of_the_viewport():
    assert VIEWPORT == (480, 840)
    assert scale_point(120, 210, (240, 420), VIEWPORT) == (240.0, 420.0)
    assert scale_point(0, 0, (240, 420), VIEWPORT) == (0.0, 0.0)
    assert scale_point(100, 50, (480, 840), VIEWPORT) == (100.0, 50.0)  # shown at full size
    assert scale_point(33.3, 10, (333, 583), VIEWPORT) == (48.0, 14.4)  # a phone's odd width
    # a finger past the edge (pointer capture goes on outside the picture) stays inside the viewport
    assert scale_point(-15, 500, (240, 420), VIEWPORT) == (0.0, 839.0)
    assert scale_point(300, -1, (240, 420), VIEWPORT) == (479.0, 0.0)


@pytest.mark.parametrize("shown", [(0, 420), (240, -1), (float("nan"), 420), (float("inf"), 420)])
def test_a_picture_without_a_size_is_refused(shown):
    with pytest.raises(BadInput, match="reload the page"):
        scale_point(10, 10, shown, VIEWPORT)


def test_a_drag_is_press_moves_release_in_the_viewport():
    down = translate({"kind": "pointer", "phase": "down", "points": [[10, 100]], "shown": SHOWN}, VIEWPORT)
    assert down == [MouseMove(20.0, 200.0), MouseDown(20.0, 200.0)]
    moves = translate({"kind": "pointer", "phase": "move", "points": [[50, 100], [90.5, 101]], "shown": SHOWN},
                      VIEWPORT)
    assert moves == [MouseMove(100.0, 200.0), MouseMove(181.0, 202.0)]
    up = translate({"kind": "pointer", "phase": "up", "points": [[230, 100]], "shown": SHOWN}, VIEWPORT)
    assert up == [MouseMove(460.0, 200.0), MouseUp(460.0, 200.0)]


def test_text_keys_and_scrolling():
    assert translate({"kind": "text", "text": "246810"}, VIEWPORT) == [TypeText("246810")]
    assert translate({"kind": "key", "key": "Backspace"}, VIEWPORT) == [PressKey("Backspace")]
    assert translate({"kind": "key", "key": "Enter"}, VIEWPORT) == [PressKey("Enter")]
    assert translate({"kind": "scroll", "dy": -400}, VIEWPORT) == [Wheel(-400.0)]


@pytest.mark.parametrize("event, says", [
    ("tap", "JSON object"),
    ({"kind": "run", "code": "alert(1)"}, "unknown input"),
    ({"kind": "key", "key": "F5"}, "cannot be sent"),
    ({"kind": "key", "key": "Control+W"}, "cannot be sent"),
    ({"kind": "text", "text": ""}, "no text"),
    ({"kind": "text", "text": "x" * 501}, "at most 500"),
    ({"kind": "scroll", "dy": 10**6}, "scroll at most"),
    ({"kind": "scroll", "dy": True}, "number"),
    ({"kind": "pointer", "phase": "hover", "points": [[1, 1]], "shown": SHOWN}, "phase"),
    ({"kind": "pointer", "phase": "down", "points": [], "shown": SHOWN}, "1 to 200 points"),
    ({"kind": "pointer", "phase": "move", "points": [[1, 1]] * 201, "shown": SHOWN}, "1 to 200 points"),
    ({"kind": "pointer", "phase": "down", "points": [[1, "a"]], "shown": SHOWN}, "number"),
    ({"kind": "pointer", "phase": "down", "points": [[1, 1]]}, "size is missing"),
])
def test_anything_the_page_never_sends_is_refused_in_one_line(event, says):
    with pytest.raises(BadInput, match=says) as refused:
        translate(event, VIEWPORT)
    line = str(refused.value)
    assert "\n" not in line and ";" in line  # what is wrong; what to do


# --- the page's routes ---------------------------------------------------------------------------


class QueueOnly(RemoteLogin):
    """A remote login that starts no browser: input is only checked and queued."""

    def start(self) -> QueueOnly:
        self._set(Phase.YOUR_TURN, "the site shows a slider captcha")
        self.frames.put(b"\xff\xd8 a picture \xff\xd9")
        return self

    def queued(self) -> list:
        found = []
        while not self._inputs.empty():
            found += self._inputs.get_nowait()
        return found


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    isolate_environment(monkeypatch, tmp_path)
    return load_settings(None, state={"dir": str(tmp_path / "state")}, schedule={"browser_lock_seconds": 1})


@pytest.fixture
def client(settings):
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from agent.web.relogin import RemoteLogins, routes

    logins = RemoteLogins(settings, QueueOnly)
    app = Starlette(routes=routes(settings, logins=logins, csrf_token=lambda request: "t0ken-for-the-page"))
    with TestClient(app) as test_client:
        test_client.logins = logins
        yield test_client


def test_the_page_carries_the_csrf_token_for_its_script_and_no_login_runs_until_asked(client):
    page = client.get("/login-again")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert '<meta name="csrf-token" content="t0ken-for-the-page">' in page.text
    assert '<script src="/login-again/page.js">' in page.text
    script = client.get("/login-again/page.js")
    assert script.headers["content-type"].startswith("text/javascript") and "X-CSRF-Token" in script.text
    assert client.get("/login-again/status").json() == {"phase": "none", "message": "no login is under way",
                                                        "finished": True, "frame": 0}
    assert client.get("/login-again/frame?after=0").status_code == 204  # at once: nothing to wait for
    refused = client.post("/login-again/input", json={"kind": "key", "key": "Enter"})
    assert refused.status_code == 409
    assert refused.json() == {"ok": False, "error": "no login is under way; press 'Open the site's login' first"}


def test_input_reaches_the_running_login_scaled_and_a_bad_one_is_refused(client):
    started = client.post("/login-again/start").json()
    assert started == {"phase": "your_turn", "message": "the site shows a slider captcha", "finished": False,
                       "frame": 1}
    login = client.logins.current()
    assert client.post("/login-again/start").json()["frame"] == 1 and client.logins.current() is login  # one at a time
    frame = client.get("/login-again/frame?after=0")
    assert (frame.status_code, frame.headers["content-type"], frame.headers["x-frame"]) == (200, "image/jpeg", "1")
    assert client.post("/login-again/input", json={"kind": "pointer", "phase": "down", "points": [[60, 105]],
                                                   "shown": SHOWN}).json() == {"ok": True}
    assert client.post("/login-again/input", json={"kind": "text", "text": "246810"}).status_code == 200
    assert login.queued() == [MouseMove(120.0, 210.0), MouseDown(120.0, 210.0), TypeText("246810")]
    bad = client.post("/login-again/input", content=b"{not json")
    assert (bad.status_code, bad.json()["error"]) == (400, "an input must be JSON; reload the page")
    bad = client.post("/login-again/input", json={"kind": "key", "key": "F12"})
    assert bad.status_code == 400 and bad.json()["error"].startswith("the key 'F12' cannot be sent")
    assert login.queued() == []
    client.post("/login-again/cancel")
    assert login._cancel.is_set()


def session_export(cookie_value: str = "c00kie") -> bytes:
    return json.dumps({"cookies": [{"name": "xman_t", "value": cookie_value, "domain": ".aliexpress.com",
                                    "path": "/", "expires": -1, "httpOnly": True, "secure": True,
                                    "sameSite": "Lax"}], "origins": []}).encode()


def test_a_good_session_file_is_installed_private_and_a_poll_is_asked_for(client, settings):
    answer = client.post("/login-again/session-file", files={"file": ("default.json", session_export())})
    assert answer.status_code == 200, answer.text
    assert answer.json()["message"].startswith("the session file is installed")
    assert json.loads(settings.session_file.read_text())["cookies"][0]["value"] == "c00kie"
    assert settings.session_file.stat().st_mode & 0o777 == 0o600
    store = Store(settings.state.db_path)
    assert health_store.take_poll_request(store) == "a session file was uploaded"
    store.close()


@pytest.mark.parametrize("content, says", [
    (b"\x89PNG not a session", "the uploaded file cannot be read as JSON"),
    (b'{"cookies": []}', "the uploaded file is not a saved browser session (no 'origins' list)"),
    (b"[1, 2]", "the uploaded file is not a saved browser session (not a JSON object)"),
])
def test_a_bad_session_file_is_refused_in_one_line_and_nothing_is_stored(client, settings, content, says):
    answer = client.post("/login-again/session-file", files={"file": ("x.json", content)})
    assert answer.status_code == 400
    line = answer.json()["error"]
    assert line.startswith(says) and "\n" not in line
    assert line.endswith("export it with 'dispute-agent session export' or log in with 'dispute-agent login'")
    assert not settings.session_file.exists()


def test_an_upload_without_a_file_or_during_a_login_is_refused(client, settings):
    assert client.post("/login-again/session-file", data={"x": "1"}).json()["error"].startswith("no file was received")
    client.post("/login-again/start")
    busy = client.post("/login-again/session-file", files={"file": ("default.json", session_export())})
    assert busy.status_code == 409 and busy.json()["error"].startswith("a login is under way")
    assert not settings.session_file.exists()


def test_the_status_of_an_ended_login_says_so_and_input_is_refused(settings):
    login = QueueOnly(settings).start()
    login._set(Phase.LOGGED_IN, "logged in: the session is saved and watching resumes")
    login._set(Phase.FAILED, "too late: an ended login keeps its end")
    assert login.status() == Status(Phase.LOGGED_IN, "logged in: the session is saved and watching resumes")
    assert login.status().finished
    with pytest.raises(Exception, match="this login has ended; start it again"):
        login.send({"kind": "key", "key": "Enter"})


# --- watching resumes ----------------------------------------------------------------------------


def test_a_new_login_ends_the_login_needed_streak_and_asks_for_a_poll(tmp_path: Path):
    store = Store(tmp_path / "agent.db")
    health_store.record_success(store, NOW)
    health_store.record_failure(store, NOW, CaptchaRequired("the site asks for a slider captcha"))
    health_store.mark_broken(store)
    health_store.record_login(store)
    health = health_store.load(store)
    assert (health.consecutive_failures, health.last_failure_kind, health.previously_broken) == (0, None, True)
    # the all-clear follows once, keyed by the last success before the streak
    [clear] = judge(WatchState(health=health.view()), NOW, Policy())
    assert clear.dedupe_key == f"all-clear:{NOW.isoformat()}"
    assert health_store.take_poll_request(store) == "after a new login"
    assert health_store.take_poll_request(store) is None
    store.close()


def test_a_new_login_does_not_hide_a_changed_page(tmp_path: Path):
    store = Store(tmp_path / "agent.db")
    health_store.record_failure(store, NOW, PageChanged("the order list changed"))
    health_store.record_login(store)
    health = health_store.load(store)
    assert (health.consecutive_failures, health.last_failure_kind) == (1, "page_changed")
    assert health_store.take_poll_request(store) == "after a new login"  # the poll tells
    store.close()


def test_the_daemon_runs_an_asked_for_poll_in_place_of_the_retry(tmp_path: Path, settings):
    from agent.usecases.daemon import Daemon

    class Scheduler:
        def __init__(self) -> None:
            self.jobs: list = []

        def add_job(self, func, trigger, **options):
            self.jobs.append((func.__name__, trigger, options["args"], options["id"], options["replace_existing"]))

    store = Store(settings.state.db_path)
    daemon = Daemon(settings, store)
    daemon.scheduler = Scheduler()
    daemon.poll_if_asked()
    assert daemon.scheduler.jobs == []
    health_store.request_poll(store, "after a new login")
    daemon.poll_if_asked()
    daemon.poll_if_asked()  # asked once, run once
    assert daemon.scheduler.jobs == [("poll_job", "date", ["after a new login"], "retry_poll", True)]
    store.close()


def test_the_login_needed_alert_links_to_the_page_when_its_address_is_known(tmp_path, monkeypatch):
    isolate_environment(monkeypatch, tmp_path)
    health = HealthView(consecutive_failures=1, last_failure_kind="login_needed", last_success_at=NOW)
    [without] = judge(WatchState(health=health), NOW, Policy())
    assert (without.link, without.action.text) == (None, LOG_IN_AGAIN)
    page = load_settings(None, web={"public_url": "https://agent.example.net/"}).web.login_page
    assert page == "https://agent.example.net/login-again"
    [linked] = judge(WatchState(health=health), NOW, Policy(), login_page=page)
    assert linked.link == page and page in linked.action.text and "captcha" in linked.action.text
    assert linked.dedupe_key == without.dedupe_key  # the same incident either way

    from agent.notifications.messages import render

    assert f"Open: {page}" in render(linked, NOW, ZoneInfo("UTC")).body


def test_the_pages_address_must_be_a_web_address(tmp_path, monkeypatch):
    from agent.core.errors import ConfigError

    isolate_environment(monkeypatch, tmp_path)
    with pytest.raises(ConfigError, match="public_url"):
        load_settings(None, web={"public_url": "agent.example.net"})
    assert load_settings(None, web={"public_url": ""}).web.login_page is None


# --- the session's own thread, while a poll holds the browser -----------------------------------


def wait_for_phase(login: RemoteLogin, phase: Phase, limit: float = 10.0) -> None:
    import time

    deadline = time.monotonic() + limit
    while login.status().phase is not phase:
        assert time.monotonic() < deadline, f"still {login.status()}"
        time.sleep(0.02)


def test_while_a_poll_holds_the_browser_the_login_waits_and_cancel_ends_it(settings):
    from agent.storage.lock import FileLock

    poll = FileLock(settings.state.dir / "browser.lock")
    poll.acquire()
    try:
        login = RemoteLogin(settings.model_copy(update={"schedule": settings.schedule.model_copy(
            update={"browser_lock_seconds": 60})})).start()
        wait_for_phase(login, Phase.WAITING)
        assert login.status().message == "waiting for the agent's browser (a poll may be running)"
        login.cancel()
        assert login.join(10)
        assert login.status() == Status(Phase.CANCELLED, "cancelled: nothing was saved")
    finally:
        poll.release()
    assert login.frames.latest() == (0, None)  # no browser was started


def test_a_browser_held_past_the_lock_timeout_ends_the_login_in_one_line(settings):
    from agent.storage.lock import FileLock

    poll = FileLock(settings.state.dir / "browser.lock")
    poll.acquire()
    try:
        login = RemoteLogin(settings).start()  # browser_lock_seconds = 1
        assert login.join(10)
    finally:
        poll.release()
    assert login.status() == Status(Phase.FAILED, "the browser session is busy (the daemon is polling?) for more "
                                                  "than 1 s; try again in a minute")
    with pytest.raises(Exception, match="this login has ended"):
        login.send({"kind": "key", "key": "Enter"})


def test_a_login_before_any_poll_creates_no_database(settings):
    from agent.usecases.remote_login import note_login

    assert note_login(settings) is False
    assert not settings.state.db_path.exists()
    store = Store(settings.state.db_path)
    health_store.record_failure(store, NOW, CaptchaRequired("the site asks for a slider captcha"))
    store.close()
    assert note_login(settings) is True
    store = Store(settings.state.db_path)
    assert health_store.load(store).consecutive_failures == 0
    assert health_store.take_poll_request(store) == "after a new login"
    store.close()
