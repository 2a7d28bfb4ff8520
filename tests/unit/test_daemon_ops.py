"""What a service running for months needs from the daemon: one-line logs (text or JSON),
systemd's notifications on a real unix datagram socket, and the health ping to a real
local HTTP receiver."""

from __future__ import annotations

import io
import json
import logging
import socket
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest

from agent.config.settings import load_settings
from agent.core.errors import ConfigError
from agent.usecases.health_ping import ping_after_poll
from agent.usecases.logs import JsonFormatter, LineFormatter, setup_logging
from agent.usecases.systemd_notify import SystemdNotifier, watchdog_interval
from tests.support.isolation import isolate_environment

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def record(message: str, level: int = logging.INFO, **extra) -> logging.LogRecord:
    made = logging.LogRecord("dispute_agent.poll", level, __file__, 1, message, (), None)
    made.__dict__.update(extra)
    return made


# --- logs ------------------------------------------------------------------------------------


def test_a_text_line_is_one_line_with_its_extras_and_a_time_unless_the_receiver_adds_one():
    with_time = LineFormatter(timestamps=True, priority_prefix=False).format(record("two\nlines", orders=3))
    assert "\n" not in with_time and with_time.endswith("INFO dispute_agent.poll two\\nlines orders=3")
    assert with_time[:4].isdigit()  # the ISO time first
    journald = LineFormatter(timestamps=False, priority_prefix=True).format(record("failed", logging.ERROR))
    assert journald == "<3>ERROR dispute_agent.poll failed"


def test_a_traceback_stays_on_its_events_line():
    try:
        raise ValueError("broken\nhere")
    except ValueError:
        import sys

        failed = record("step failed")
        failed.exc_info = sys.exc_info()
    assert "\n" not in LineFormatter(False, False).format(failed)
    data = json.loads(JsonFormatter().format(failed))
    assert "ValueError: broken" in data["exception"]


def test_json_is_one_object_per_line_with_time_level_logger_message_and_extras():
    line = JsonFormatter().format(record("poll finished\nok", orders=12, ok=True))
    assert "\n" not in line
    data = json.loads(line)
    assert {k: data[k] for k in ("level", "logger", "message", "orders", "ok")} == {
        "level": "INFO", "logger": "dispute_agent.poll", "message": "poll finished\nok", "orders": 12, "ok": True}
    assert datetime.fromisoformat(data["time"]).tzinfo is not None


@pytest.mark.parametrize(("environ", "stamped", "prefixed"), [
    ({}, True, False),
    ({"JOURNAL_STREAM": "8:1234"}, False, True),
    ({"INVOCATION_ID": "abc"}, False, True),
    ({"DISPUTE_AGENT_LOG_TIMESTAMPS": "0"}, False, False),
    ({"JOURNAL_STREAM": "8:1234", "DISPUTE_AGENT_LOG_TIMESTAMPS": "1"}, True, True),
], ids=["terminal", "journald", "systemd", "docker", "forced"])
def test_the_time_is_left_to_journald_and_docker(environ, stamped, prefixed):
    out = io.StringIO()
    try:
        setup_logging("INFO", None, stream=out, environ=environ)
        logging.getLogger("dispute_agent.daemon").info("daemon started")
    finally:
        logging.basicConfig(force=True, handlers=[logging.NullHandler()])
    line = out.getvalue().rstrip("\n")
    assert line.endswith("INFO dispute_agent.daemon daemon started")
    assert line.startswith("<6>") == prefixed
    assert line.removeprefix("<6>")[:4].isdigit() == stamped


def test_the_format_comes_from_the_environment_and_an_unknown_one_is_refused():
    out = io.StringIO()
    try:
        setup_logging("INFO", None, stream=out, environ={"DISPUTE_AGENT_LOG_FORMAT": "json"})
        logging.getLogger("dispute_agent.daemon").info("hello", extra={"pid": 7})
    finally:
        logging.basicConfig(force=True, handlers=[logging.NullHandler()])
    assert json.loads(out.getvalue())["pid"] == 7
    with pytest.raises(ConfigError, match="log format 'xml' is unknown: use text or json"):
        setup_logging("INFO", "xml", stream=out, environ={})


# --- systemd ---------------------------------------------------------------------------------


@pytest.fixture
def notify_socket(tmp_path):
    path = tmp_path / "notify.sock"
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    receiver.bind(str(path))
    receiver.settimeout(10)
    yield path, receiver
    receiver.close()


def received(receiver: socket.socket, until: str, limit: int = 20) -> list[str]:
    """Datagrams up to and including the first that contains ``until`` (a bounded loop)."""
    got = []
    for _ in range(limit):
        got.append(receiver.recv(4096).decode())
        if until in got[-1]:
            return got
    raise AssertionError(f"no {until} in {got}")


def test_the_protocol_is_one_datagram_per_message(notify_socket):
    path, receiver = notify_socket
    notifier = SystemdNotifier({"NOTIFY_SOCKET": str(path)})
    assert notifier.ready("scheduler running") and notifier.watchdog() and notifier.stopping()
    assert [receiver.recv(4096).decode() for _ in range(3)] == [
        "READY=1\nSTATUS=scheduler running", "WATCHDOG=1", "STOPPING=1"]
    assert not SystemdNotifier({}).ready()  # not under systemd: nothing sent, nothing raised
    assert not SystemdNotifier({"NOTIFY_SOCKET": str(path.with_name("gone.sock"))}).watchdog()


def test_an_abstract_socket_is_reached_too():
    name = f"dispute-agent-test-{time.monotonic_ns()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as receiver:
        receiver.bind("\0" + name)
        receiver.settimeout(10)
        assert SystemdNotifier({"NOTIFY_SOCKET": "@" + name}).watchdog()
        assert receiver.recv(64) == b"WATCHDOG=1"


def test_the_watchdog_interval_is_systemds_and_the_heartbeat_beats_twice_as_often(tmp_path, monkeypatch):
    import os

    assert watchdog_interval({"WATCHDOG_USEC": "30000000"}) == 30
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}) is None  # another process's
    assert watchdog_interval({}) is None
    from agent.usecases.daemon import Daemon

    settings = daemon_settings(tmp_path, monkeypatch)
    settings.schedule.heartbeat_seconds = 60
    daemon = Daemon(settings, store=None, now=lambda: NOW)
    assert daemon.heartbeat_seconds() == 60
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    assert daemon.heartbeat_seconds() == 15


def daemon_settings(tmp_path, monkeypatch, **health):
    isolate_environment(monkeypatch, tmp_path)
    return load_settings(None, state={"dir": str(tmp_path / "state")}, schedule={"heartbeat_seconds": 1},
                         health=health)


def test_the_watchdog_is_fed_while_the_scheduler_runs_even_during_a_long_step(tmp_path, monkeypatch,
                                                                               notify_socket):
    from agent.storage.store import Store
    from agent.usecases.daemon import Daemon

    path, receiver = notify_socket
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    settings = daemon_settings(tmp_path, monkeypatch)
    store = Store(settings.state.db_path)
    daemon = Daemon(settings, store, now=lambda: NOW)
    daemon.started_at = NOW
    scheduler = daemon.build()
    step_over = threading.Event()
    scheduler.add_job(lambda: step_over.wait(10), "date", run_date=datetime.now(UTC), id="long_step")
    runner = threading.Thread(target=scheduler.start, daemon=True)
    runner.start()
    try:
        assert received(receiver, "READY=1")[-1].startswith("READY=1")
        assert received(receiver, "WATCHDOG=1") == ["WATCHDOG=1"]
        assert received(receiver, "WATCHDOG=1") == ["WATCHDOG=1"]  # again, while the long step still runs
        assert not step_over.is_set()
    finally:
        step_over.set()
        scheduler.shutdown(wait=True)
        runner.join(10)
        store.close()
    receiver.setblocking(False)  # what was sent before the scheduler stopped is let go
    for _ in range(50):
        try:
            receiver.recv(64)
        except BlockingIOError:
            break
    receiver.settimeout(2.5)  # two heartbeats' time: no watchdog once the scheduler stopped
    with pytest.raises(TimeoutError):
        while True:
            assert receiver.recv(64) != b"WATCHDOG=1"


# --- the health ping -------------------------------------------------------------------------


class PingReceiver:
    """A real HTTP server on 127.0.0.1 recording the paths it is asked for."""

    def __init__(self, status: int = 200) -> None:
        self.paths: list[str] = []
        self.status = status
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                receiver.paths.append(self.path)
                self.send_response(receiver.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"OK")

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> PingReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


def test_the_ping_follows_each_poll_and_its_failure_has_the_fail_address(tmp_path, monkeypatch, caplog):
    with PingReceiver() as monitor:
        health = daemon_settings(tmp_path, monkeypatch, ping_url=f"{monitor.url}/ping/tok-123",
                                 fail_url=f"{monitor.url}/ping/tok-123/fail").health
        assert ping_after_poll(health, succeeded=True) is True
        assert ping_after_poll(health, succeeded=False) is True
        assert monitor.paths == ["/ping/tok-123", "/ping/tok-123/fail"]
        monitor.status = 404
        with caplog.at_level(logging.WARNING, logger="dispute_agent"):
            assert ping_after_poll(health, succeeded=True) is False
    assert "HTTP 404" in caplog.text and "tok-123" not in caplog.text
    assert ping_after_poll(daemon_settings(tmp_path, monkeypatch).health, succeeded=True) is None  # not set


def test_a_monitor_down_or_silent_never_fails_the_poll_nor_shows_its_token(tmp_path, monkeypatch, caplog):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts, never answers
    try:
        with caplog.at_level(logging.WARNING, logger="dispute_agent"):
            for url in (f"http://127.0.0.1:{port}/tok-456", f"http://127.0.0.1:{silent.getsockname()[1]}/tok-456"):
                health = daemon_settings(tmp_path, monkeypatch, ping_url=url, timeout_seconds=0.5).health
                assert ping_after_poll(health, succeeded=True) is False
    finally:
        silent.close()
    assert caplog.text.count("health ping to http://127.0.0.1:") == 2 and "tok-456" not in caplog.text


def test_the_daemons_poll_pings_after_a_good_poll_and_the_fail_address_after_a_bad_one(tmp_path, monkeypatch):
    import agent.usecases.poll
    from agent.storage.store import Store
    from agent.usecases.daemon import Daemon

    outcomes = iter([True, False])

    def poll(*args, **kwargs):  # the use case's answer; the browser's part is tested elsewhere
        return SimpleNamespace(read_ok=next(outcomes), orders=0, disputes=0, new_alerts=[], delivered=0,
                               messages=0, pending=0)

    monkeypatch.setattr(agent.usecases.poll, "poll", poll)
    with PingReceiver() as monitor:
        settings = daemon_settings(tmp_path, monkeypatch, ping_url=f"{monitor.url}/p", fail_url=f"{monitor.url}/p/fail")
        store = Store(settings.state.db_path)
        daemon = Daemon(settings, store, now=lambda: NOW)
        daemon.build()
        try:
            daemon.poll_job()
            daemon.poll_job()
        finally:
            store.close()
        assert monitor.paths == ["/p", "/p/fail"]
