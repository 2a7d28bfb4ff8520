"""Use case: a person logs in again through the agent's own headless browser, from afar.

A captcha or a one-time code stops the agent's login (it never solves them); a person
then logs in on the "log in again" page, from a phone, in the agent's own browser: the
same settings, the same saved session and the same account's context as every poll,
so the site sees the browser it knows and the cookies it sets are the agent's.

One session at a time, in ONE thread that owns Playwright from start to end (its sync
API is bound to the thread that started it). The web side only talks to it through
thread-safe objects: the latest frame (:class:`Frames`), a queue of input steps, a
cancel flag and the status. The thread:

1. takes the browser lock for the whole session, so a daemon poll waits instead of
   fighting over the session (a poll that waits longer than its lock timeout fails
   once and is retried);
2. opens the site's order list; on the sign-in it types the stored credentials once,
   as the agent's login does, and hands over at the first captcha or code (or at once
   when no password is stored: the person types it);
3. streams the page (:mod:`flows.screencast`) and performs the person's input;
4. ends when the browser shows an ordinary page of the site (the check the login by
   hand uses), when nobody touched it for :data:`IDLE_SECONDS`, after
   :data:`MAX_SECONDS`, or when the person cancels.

On success the session is saved at once, the login-needed streak is ended and a poll
is asked for (``agent.storage.health.record_login``): the daemon runs it within a minute.
Nothing typed is logged, kept or traced: the browser session is untraced from its start.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from agent.config.settings import Settings
from agent.core.errors import DisputeAgentError, UserInputError
from agent.core.remote_input import VIEWPORT, Action, translate

log = logging.getLogger("dispute_agent.remote_login")

#: the session ends when nobody touched the picture for this long
IDLE_SECONDS = 600.0
#: and in any case after this long: the browser lock is held meanwhile
MAX_SECONDS = 1800.0
#: the wait for the browser lock is taken in turns this long, so Cancel ends it
LOCK_TURN_SECONDS = 0.5
#: how often the thread looks at what the page shows (input is performed in between)
CHECK_SECONDS = 0.5
#: the thread's wait between two looks at its input queue (events are dispatched meanwhile)
TICK_MS = 30


class Phase(StrEnum):
    STARTING = "starting"
    WAITING = "waiting"  # for the browser lock (a poll is running)
    SIGNING_IN = "signing_in"  # the agent types the stored credentials
    YOUR_TURN = "your_turn"
    LOGGED_IN = "logged_in"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"
    FAILED = "failed"


FINISHED = frozenset({Phase.LOGGED_IN, Phase.CANCELLED, Phase.TIMED_OUT, Phase.FAILED})


@dataclass(frozen=True)
class Status:
    phase: Phase
    #: one line for the person
    message: str

    @property
    def finished(self) -> bool:
        return self.phase in FINISHED


class NoRemoteLogin(UserInputError):
    """Input for a session that has ended (or never started)."""


class Frames:
    """The latest picture of the page, numbered; the web side asks for one newer than it has."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seq = 0
        self._jpeg: bytes | None = None

    def put(self, jpeg: bytes) -> None:
        with self._lock:
            self._seq += 1
            self._jpeg = jpeg

    def latest(self) -> tuple[int, bytes | None]:
        with self._lock:
            return self._seq, self._jpeg


class RemoteLogin:
    """One remote login session; :meth:`start` runs it in its own thread."""

    def __init__(self, settings: Settings, *, idle_seconds: float = IDLE_SECONDS, max_seconds: float = MAX_SECONDS,
                 on_logged_in: Callable[[Settings], bool] | None = None) -> None:
        self.settings = settings
        self.frames = Frames()
        self._idle = idle_seconds
        self._max = max_seconds
        self._on_logged_in = on_logged_in or note_login
        self._inputs: queue.SimpleQueue[list[Action]] = queue.SimpleQueue()
        self._cancel = threading.Event()
        self._status_lock = threading.Lock()
        self._status = Status(Phase.STARTING, "starting the agent's browser")
        self._thread = threading.Thread(target=self._run, name="remote-login", daemon=True)

    # --- what the web side calls (any thread) ---------------------------------------------

    def start(self) -> RemoteLogin:
        self._thread.start()
        return self

    def status(self) -> Status:
        with self._status_lock:
            return self._status

    def send(self, event: Any) -> None:
        """Queue one input event from the page (checked here: a bad one is refused at once)."""
        if self.status().finished:
            raise NoRemoteLogin("this login has ended; start it again")
        self._inputs.put(translate(event, VIEWPORT))

    def cancel(self) -> None:
        self._cancel.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end; True when it did."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    # --- the thread -------------------------------------------------------------------------

    def _set(self, phase: Phase, message: str) -> None:
        with self._status_lock:
            if self._status.phase in FINISHED:
                return
            changed = phase is not self._status.phase
            self._status = Status(phase, message)
        if changed:
            log.info("remote login: %s", phase.value)

    def _run(self) -> None:
        try:
            self._set(Phase.WAITING, "waiting for the agent's browser (a poll may be running)")
            with ExitStack() as held:
                outcome = self._session() if self._take_browser(held) else Phase.CANCELLED
            if outcome is Phase.CANCELLED:
                self._set(Phase.CANCELLED, "cancelled: nothing was saved")
            elif outcome is Phase.TIMED_OUT:
                self._set(Phase.TIMED_OUT, "ended: nobody touched the page for a while; start again")
        except DisputeAgentError as error:
            self._set(Phase.FAILED, str(error).splitlines()[0] if str(error) else type(error).__name__)
        except Exception as error:  # the person must see an end, not a page that waits forever
            log.exception("the remote login failed")
            self._set(Phase.FAILED, f"the agent's browser failed ({type(error).__name__}); see the agent's log and "
                                    "start again")

    def _take_browser(self, held: ExitStack) -> bool:
        """Wait for the browser lock as any command does, but in short turns, so Cancel works
        meanwhile; False when cancelled, ``Locked`` when the wait is over."""
        from agent.storage.lock import Locked, browser_lock

        wait = self.settings.schedule.browser_lock_seconds
        deadline = time.monotonic() + wait
        while not self._cancel.is_set():
            turn = max(0.0, min(LOCK_TURN_SECONDS, deadline - time.monotonic()))
            try:
                held.enter_context(browser_lock(self.settings.state.dir, timeout=turn))
                return True
            except Locked:
                if time.monotonic() >= deadline:
                    raise Locked(f"the browser session is busy (the daemon is polling?) for more than {wait:.0f} s; "
                                 "try again in a minute") from None
        return False

    def _session(self) -> Phase:
        from flows.browser import BrowserSession
        from flows.screencast import Screencast, open_phone_sized

        with BrowserSession(self.settings) as session:
            page = session.new_page()
            open_phone_sized(page)
            # untraced from the start: a trace would keep what the person types
            with session.evidence(page, "login-again", trace=False), Screencast(page, self.frames.put):
                outcome = self._drive(session, page)
                if outcome is Phase.LOGGED_IN:
                    page.wait_for_load_state("domcontentloaded")
                    session.save_storage_state()
                    self._logged_in()  # said before the browser closes: that takes a few seconds
                return outcome

    def _logged_in(self) -> None:
        if self._on_logged_in(self.settings):
            self._set(Phase.LOGGED_IN, "logged in: the session is saved and watching resumes")
        else:
            self._set(Phase.LOGGED_IN, "logged in: the session is saved; the agent's next poll uses it")

    def _drive(self, session, page) -> Phase:
        from flows import site
        from flows.login import landed, sign_in_shown

        page.goto(site.order_list_url(self.settings.site.base_url), wait_until="domcontentloaded")
        started = last_touch = time.monotonic()
        next_look = 0.0
        typed = False
        while True:
            if self._cancel.is_set():
                return Phase.CANCELLED
            now = time.monotonic()
            if now - last_touch > self._idle or now - started > self._max:
                return Phase.TIMED_OUT
            if self._perform_queued(page):
                last_touch = time.monotonic()
            if now >= next_look:
                if landed(page):
                    return Phase.LOGGED_IN
                if not typed and sign_in_shown(page):
                    typed = True
                    if self._sign_in(session, page):
                        continue  # the next look sees where it led
                self._set(Phase.YOUR_TURN, _what_to_do(page))
                next_look = time.monotonic() + CHECK_SECONDS
            page.wait_for_timeout(TICK_MS)

    def _perform_queued(self, page) -> bool:
        from playwright.sync_api import Error as PlaywrightError

        from flows.screencast import perform

        touched = False
        while True:
            try:
                steps = self._inputs.get_nowait()
            except queue.Empty:
                return touched
            touched = True
            for step in steps:
                try:
                    perform(page, step)
                except PlaywrightError:  # a page between documents: the person taps again
                    # (the error is not logged: its call log may repeat what was typed)
                    log.info("remote login: an input step failed (%s)", type(step).__name__)
                    break

    def _sign_in(self, session, page) -> bool:
        """Type the stored credentials once, as the agent's login does; False when none are stored."""
        from agent.config.secrets import get_credentials
        from agent.core.errors import LoginRequired, PageChanged, SecretError
        from flows.login import submit_login

        try:
            account = get_credentials(self.settings)
        except SecretError:
            return False
        session.redact(account.password.get_secret_value())
        self._set(Phase.SIGNING_IN, "the agent types the stored login and password")
        try:
            submit_login(page, account)
        except (LoginRequired, PageChanged) as stop:  # a captcha, a code, a refusal: the person goes on
            log.info("remote login: the person takes over (%s)", type(stop).__name__)
        self._drop_queued()  # taps on the picture from before the typing hit a page that has changed
        return True

    def _drop_queued(self) -> None:
        while True:
            try:
                self._inputs.get_nowait()
            except queue.Empty:
                return


def _what_to_do(page) -> str:
    from flows.login import challenge_on_page, code_on_page

    if challenge_on_page(page):
        return "the site shows a slider captcha: drag its knob to the right end on the picture"
    if code_on_page(page):
        return "the site asks for a one-time code: type it in the box, send it, then tap the button that confirms it"
    return "log in on the picture: tap a field, then type in the box and send it"


def note_login(settings: Settings) -> bool:
    """A person logged in: the login-needed streak ends and a poll is asked for (the daemon
    runs it within a minute). False when there is nothing to resume (no database yet: it is
    not created here) or it could not be noted (logged; the session is saved all the same)."""
    if not settings.state.db_path.exists():
        return False
    from agent.storage.health import record_login
    from agent.storage.store import Store

    try:
        store = Store(settings.state.db_path)
        try:
            record_login(store)
        finally:
            store.close()
    except Exception as error:  # the login itself worked: the next poll resumes watching anyway
        log.warning("the new login could not be noted: %s", str(error).splitlines()[0] if str(error) else
                    type(error).__name__)
        return False
    return True


def install_session_file(settings: Settings, data: bytes) -> None:
    """A session file exported elsewhere and uploaded, with the checks of ``session import``;
    installed under the browser lock (a poll is not reading the file meanwhile), then a poll
    is asked for."""
    from agent.storage.health import request_poll
    from agent.storage.lock import browser_lock
    from agent.storage.store import Store
    from flows.session_file import import_storage_bytes

    with browser_lock(settings.state.dir, timeout=settings.schedule.browser_lock_seconds):
        import_storage_bytes(settings, data)
    store = Store(settings.state.db_path)
    try:
        request_poll(store, "a session file was uploaded")
    finally:
        store.close()
