"""One daemon per state directory, and no command fighting it over the browser session.

An advisory ``fcntl`` lock on ``<state>/daemon.lock``: the daemon holds it for its
whole life; a command that drives the browser holds ``<state>/browser.lock`` for its
few seconds, and so does the daemon around each poll. The kernel drops a lock when
its process dies, so a crash never leaves a stale lock behind.

A command that stops to ask a person (the plan of a dispute, an offer to accept) lets
go of the browser lock while the person reads and decides (``released_while_asking``):
a person may take minutes, and the daemon's poll must not fail meanwhile. The command
takes the lock back before it acts, and what it then does reads the case again from
the site.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from agent.core.errors import DisputeAgentError
from agent.storage.private_files import private_dir

DAEMON_LOCK = "daemon.lock"
BROWSER_LOCK = "browser.lock"


class Locked(DisputeAgentError):
    """Raised when another process holds the lock."""


class FileLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self, timeout: float = 0.0, poll: float = 0.2) -> None:
        private_dir(self.path.parent)  # often the first thing to create the state directory
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _read_pid(fd)
                    os.close(fd)
                    who = f" (process {holder})" if holder else ""
                    raise Locked(f"{self.path} is held by another dispute-agent{who}") from None
                time.sleep(poll)
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def _read_pid(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        return os.read(fd, 32).decode().strip()
    except OSError:
        return ""


def daemon_lock(state_dir: Path) -> FileLock:
    return FileLock(state_dir / DAEMON_LOCK)


#: the browser locks this thread holds, innermost last, with their timeouts
_held = threading.local()


@contextmanager
def browser_lock(state_dir: Path, timeout: float = 300.0) -> Iterator[None]:
    """Wait (up to ``timeout``) for the browser session to be free, then hold it."""
    lock = FileLock(state_dir / BROWSER_LOCK)
    _take(lock, timeout)
    stack = _held.__dict__.setdefault("stack", [])
    stack.append((lock, timeout))
    try:
        yield
    finally:
        stack.remove((lock, timeout))
        lock.release()


@contextmanager
def released_while_asking() -> Iterator[None]:
    """Let go of the browser lock this thread holds while a person decides; take it back after.

    Taking it back waits for a poll that started meanwhile, like any command would.
    """
    stack = getattr(_held, "stack", [])
    if not stack:
        yield
        return
    lock, timeout = stack[-1]
    lock.release()
    try:
        yield
    finally:
        _take(lock, timeout)


def _take(lock: FileLock, timeout: float) -> None:
    try:
        lock.acquire(timeout=timeout)
    except Locked:
        raise Locked(f"the browser session is busy (the daemon is polling?) for more than {timeout:.0f} s; "
                     "try again in a minute") from None


@contextmanager
def browser_held(settings) -> Iterator[None]:
    """The browser session's lock, once the saved session's folder is known to be usable:
    what every interface (command line, page, daemon) holds around the browser's work."""
    from agent.core.state_errors import folder_problem

    problem = folder_problem(settings.session_file, "the saved browser session",
                             "move it away, then log in again ('dispute-agent login')")
    if problem is not None:  # found before the browser starts, not after a login it could not save
        raise problem
    with browser_lock(settings.state.dir, timeout=settings.schedule.browser_lock_seconds):
        yield
