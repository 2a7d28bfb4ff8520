"""The daemon as a real subprocess against the sandbox, with a webhook channel.

Each test starts ``dispute-agent run`` with short intervals, reads its log lines, and
stops it; every wait is bounded.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.receivers import WebhookReceiver, wait_for

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
#: a webhook token: it must reach the receiver and never the logs
TOKEN = "hook-token-5f2c9a"


@pytest.fixture
def hook():
    with WebhookReceiver() as receiver:
        yield receiver


class Daemon:
    """``dispute-agent run`` in a subprocess; its output collected line by line."""

    def __init__(self, env: dict[str, str], *extra: str) -> None:
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "agent.cli", "run", "--log-level", "DEBUG", *extra],
            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def count(self, text: str) -> int:
        return sum(1 for line in self.lines if text in line)

    def wait_line(self, text: str, timeout: float = 120) -> None:
        wait_for(lambda: self.count(text) > 0 or self.process.poll() is not None, timeout, f"log line {text!r}")
        assert self.count(text) > 0, "\n".join(self.lines[-30:])

    def stop(self, timeout: float = 20) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=5)
        return code

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture
def env(server, hook, tmp_path):
    server.reset()
    daily = (datetime.now(UTC) + timedelta(hours=12)).strftime("%H:%M")
    values = {k: v for k, v in os.environ.items() if not k.startswith("DISPUTE_AGENT_") or k == "DISPUTE_AGENT_BROWSER"}
    values.update({
        "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "DISPUTE_AGENT_SITE__BASE_URL": server.url,
        "DISPUTE_AGENT_STATE__DIR": str(tmp_path / "state"),
        "DISPUTE_AGENT_LOGIN": "buyer@example.com",
        "DISPUTE_AGENT_PASSWORD": "sandbox-pass",
        "DISPUTE_AGENT_POLITENESS__MIN_DELAY_MS": "0",
        "DISPUTE_AGENT_POLITENESS__MAX_DELAY_MS": "10",
        "DISPUTE_AGENT_POLITENESS__DETAIL_CONCURRENCY": "3",
        "DISPUTE_AGENT_POLICY__TRACKING_READS_PER_POLL": "1",  # as tests/support/isolation.py sets them
        "DISPUTE_AGENT_BROWSER__RETRY_WAIT_S": "0.05",
        "DISPUTE_AGENT_SCHEDULE__DAILY_AT": daily,
        "DISPUTE_AGENT_SCHEDULE__SWEEP_SECONDS": "2",
        "DISPUTE_AGENT_SCHEDULE__OUTBOX_SECONDS": "1",
        "DISPUTE_AGENT_SCHEDULE__HEARTBEAT_SECONDS": "1",
        "DISPUTE_AGENT_SCHEDULE__STOP_GRACE_SECONDS": "3",
        "DISPUTE_AGENT_NOTIFICATIONS__CHANNELS": json.dumps([{"name": "hook", "url": hook.url(auth=f"agent:{TOKEN}@")}]),
    })
    return values


def alerts_in_db(state: Path) -> int:
    with sqlite3.connect(state / "agent.db") as db:
        return db.execute("SELECT COUNT(*) FROM alerts").fetchone()[0]


def titles_in_db(state: Path) -> list[str]:
    with sqlite3.connect(state / "agent.db") as db:
        return [row[0] for row in db.execute("SELECT title FROM alerts")]


def pending_in_db(state: Path) -> int:
    with sqlite3.connect(state / "agent.db") as db:
        return db.execute("SELECT COUNT(*) FROM outbox WHERE status = 'pending'").fetchone()[0]


def test_missed_run_is_caught_up_once_at_start_and_sigterm_exits_0(env):
    daemon = Daemon(env)
    try:
        daemon.wait_line("poll finished reason=catch-up at start")
        time.sleep(3)
        assert daemon.count("poll finished") == 1
        assert Path(env["DISPUTE_AGENT_STATE__DIR"], "heartbeat.json").is_file()
    finally:
        started = time.monotonic()
        code = daemon.stop()
    assert code == 0
    assert time.monotonic() - started < 10
    assert daemon.count("daemon stopped") == 1
    # started again soon after: the last poll is recent, no catch-up this time
    again = Daemon(env)
    try:
        again.wait_line("daemon started")
        time.sleep(4)
        assert again.count("poll finished") == 0
    finally:
        assert again.stop() == 0


def test_a_second_daemon_on_the_same_state_refuses_to_start(env):
    first = Daemon(env)
    try:
        first.wait_line("daemon started")
        second = subprocess.run([sys.executable, "-m", "agent.cli", "run"], env=env, cwd=ROOT,
                                capture_output=True, text=True, timeout=60)
        assert second.returncode != 0
        assert "held by another dispute-agent" in second.stderr
    finally:
        assert first.stop() == 0


def test_kill_9_during_a_poll_then_restart_loses_and_repeats_no_notification(env, hook):
    state = Path(env["DISPUTE_AGENT_STATE__DIR"])
    first = Daemon(env)
    first.wait_line("step start name=poll (catch-up at start)")
    time.sleep(1.5)  # in the middle of reading the site
    first.kill()
    assert first.count("poll finished") == 0
    second = Daemon(env)
    try:
        second.wait_line("poll finished reason=catch-up at start")
        wait_for(lambda: alerts_in_db(state) > 0 and pending_in_db(state) == 0 and hook.requests, 30,
                 "every alert delivered")
        time.sleep(3)  # a few more sweeps and outbox runs: nothing new may go out
    finally:
        assert second.stop() == 0
    messages = Counter(json.dumps(request["json"], sort_keys=True) for request in hook.requests)
    assert max(messages.values()) == 1  # none twice
    said = [json.dumps(request["json"]) for request in hook.requests]
    for title in titles_in_db(state):  # none lost: the first delivery is one summary, each alert in one message
        assert sum(json.dumps(title)[1:-1] in message for message in said) == 1, title
    logs = "\n".join(first.lines + second.lines)
    assert "poll finished" in logs
    for secret in (TOKEN, "sandbox-pass", "xman_t"):
        assert secret not in logs, f"{secret!r} appears in the daemon's log"
    session = json.loads((state / "sessions" / "default.json").read_text())
    cookie = next(c["value"] for c in session["cookies"] if c["name"] == "xman_t")
    assert cookie not in logs


def test_sigterm_during_a_poll_exits_0_within_seconds(env):
    daemon = Daemon(env)
    daemon.wait_line("step start name=poll (catch-up at start)")
    time.sleep(1)
    started = time.monotonic()
    assert daemon.stop() == 0
    assert time.monotonic() - started < 12


def healthcheck(env: dict[str, str], max_age_hours: float) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "agent.cli", "healthcheck", "--max-poll-age-hours",
                           str(max_age_hours)], env=env, cwd=ROOT, capture_output=True, text=True, timeout=30)


def test_healthcheck_turns_1_when_polls_stop_succeeding(env, server):
    daemon = Daemon(env)
    try:
        daemon.wait_line("poll finished reason=catch-up at start")
        fresh = healthcheck(env, 0.0025)  # 9 s
        assert fresh.returncode == 0, fresh.stdout + fresh.stderr
        server.add_fault("http500", path="/")  # the site breaks: no poll can succeed any more
        time.sleep(9.5)
        stale = healthcheck(env, 0.0025)
        assert stale.returncode == 1
        assert "unhealthy" in stale.stdout
    finally:
        server.clear_faults()
        assert daemon.stop() == 0
