"""The browser lock while a command asks a person: the daemon's poll may run meanwhile.

Two real processes: a command holding the browser lock and asking on a real terminal
(a pseudo-terminal), and this test in the daemon's place taking the same file lock.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent.storage.lock import Locked, browser_lock

ROOT = Path(__file__).resolve().parents[2]
COMMAND = """
import sys
from pathlib import Path
from agent.cli.commands import ask
from agent.storage.lock import browser_lock

with browser_lock(Path(sys.argv[1]), timeout=10):
    answer = ask("Submit this dispute?")
    print(f"answer={answer}", flush=True)
    sys.stdin.readline()  # holds the lock again until told to end
"""


def read_until(fd: int, marker: str, seconds: float = 20.0) -> str:
    seen, end = "", time.monotonic() + seconds
    while marker not in seen:
        ready, _, _ = select.select([fd], [], [], max(0.0, end - time.monotonic()))
        if not ready:
            raise AssertionError(f"no {marker!r} from the command; it said {seen!r}")
        seen += os.read(fd, 1024).decode(errors="replace")
    return seen


@pytest.fixture
def command(tmp_path):
    """The command, started with a terminal, holding the lock and waiting at its question."""
    main, child = os.openpty()
    process = subprocess.Popen([sys.executable, "-c", COMMAND, str(tmp_path)], stdin=child, stdout=child,
                               stderr=child, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    os.close(child)
    try:
        read_until(main, "Submit this dispute?")
        yield process, main, tmp_path
    finally:
        process.kill()
        process.wait()
        os.close(main)


def test_the_daemon_can_poll_while_the_command_waits_for_the_person(command):
    process, terminal, state = command
    with browser_lock(state, timeout=3):  # the daemon's poll: before, it waited and failed
        pass
    os.write(terminal, b"y\n")
    assert "answer=True" in read_until(terminal, "answer=")
    with pytest.raises(Locked), browser_lock(state, timeout=0.5):  # the command holds it again before acting
        pass
    os.write(terminal, b"\n")
    assert process.wait(timeout=20) == 0


def test_the_command_waits_for_a_poll_that_started_while_the_person_decided(command):
    process, terminal, state = command
    with browser_lock(state, timeout=3):
        os.write(terminal, b"y\n")
        time.sleep(1.0)  # the person answered during the poll: the command must not act yet
        assert process.poll() is None
        ready, _, _ = select.select([terminal], [], [], 0)
        assert "answer=" not in (os.read(terminal, 1024).decode(errors="replace") if ready else "")
    assert "answer=True" in read_until(terminal, "answer=")
    os.write(terminal, b"\n")
    assert process.wait(timeout=20) == 0
