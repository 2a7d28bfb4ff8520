"""Operations: healthcheck, status, doctor, and the deployment files that rely on them."""

from __future__ import annotations

import configparser
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from agent.cli.commands import app
from agent.config.secrets import KEYRING_SERVICE
from agent.config.settings import Settings, load_settings
from agent.core.errors import LoginRequired
from agent.storage import health
from agent.storage.migrations import HEAD
from agent.storage.store import Store
from agent.usecases.doctor import Check, doctor, format_check
from agent.usecases.ops import (
    DB_FILE,
    HEALTH_KEY,
    HEARTBEAT_FILE,
    format_status,
    healthcheck,
    resolve_state_dir,
    status_report,
)
from tests.support.isolation import isolate_environment
from tests.support.memory_keyring import (
    MEMORY_KEYRING,
    PLAINTEXT_KEYRING,
    MemoryKeyring,
)

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
POLL_AGE, BEAT_AGE = timedelta(hours=36), timedelta(minutes=10)
PASSWORD = "hunter2-very-secret"
TOKEN = "s3cr3t-hook-token"
runner = CliRunner()


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    isolate_environment(monkeypatch, tmp_path)
    MemoryKeyring.reset()
    directory = tmp_path / "state"
    directory.mkdir(mode=0o700)
    directory.chmod(0o700)
    monkeypatch.setenv("DISPUTE_AGENT_STATE__DIR", str(directory))
    return directory


def beat(state_dir: Path, at: datetime, started: datetime | None = None, pid: int | None = None) -> None:
    (state_dir / HEARTBEAT_FILE).write_text(json.dumps({
        "pid": pid or os.getpid(), "started_at": (started or at - timedelta(days=1)).isoformat(),
        "at": at.isoformat(), "version": 1,
        "next_runs": {"daily_poll": (at + timedelta(hours=20)).isoformat(), "frequent_poll": None,
                      "sweep": (at + timedelta(minutes=2)).isoformat(), "outbox": None},
    }))


def polled(state_dir: Path, at: datetime, failures: int = 0) -> None:
    store = Store(state_dir / DB_FILE)
    health.record_success(store, at, local_now=at)
    for _ in range(failures):
        health.record_failure(store, at + timedelta(minutes=1), LoginRequired("session expired; log in"))
    store.close()


# --- healthcheck ---------------------------------------------------------------------------


def test_healthy_with_a_fresh_heartbeat_and_a_recent_poll(state):
    beat(state, NOW - timedelta(seconds=30))
    polled(state, NOW - timedelta(hours=2))
    ok, line = healthcheck(state, NOW, POLL_AGE, BEAT_AGE)
    assert ok, line
    assert line.startswith("healthy:") and "2 h" in line and "\n" not in line


def test_a_stale_heartbeat_is_unhealthy(state):
    beat(state, NOW - timedelta(minutes=25))
    polled(state, NOW - timedelta(hours=2))
    ok, line = healthcheck(state, NOW, POLL_AGE, BEAT_AGE)
    assert not ok
    assert "heartbeat 25 minutes ago" in line and "restart" in line


def test_a_new_daemon_without_a_poll_is_healthy_during_the_grace_period(state):
    beat(state, NOW - timedelta(seconds=10), started=NOW - timedelta(hours=1))
    ok, line = healthcheck(state, NOW, POLL_AGE, BEAT_AGE)
    assert ok, line
    assert "no successful poll yet" in line


def test_no_poll_after_the_grace_period_is_unhealthy(state):
    beat(state, NOW - timedelta(seconds=10), started=NOW - timedelta(hours=40))
    Store(state / DB_FILE).close()  # a database, but no health record in it
    ok, line = healthcheck(state, NOW, POLL_AGE, BEAT_AGE)
    assert not ok
    assert "no successful poll since the daemon started 1 day and 16 hours ago" in line


def test_a_poll_too_old_is_unhealthy_and_says_why(state):
    beat(state, NOW - timedelta(seconds=30))
    polled(state, NOW - timedelta(hours=40), failures=3)
    ok, line = healthcheck(state, NOW, POLL_AGE, BEAT_AGE)
    assert not ok
    assert "last successful poll 1 day and 16 hours ago (limit 1 day and 12 hours)" in line
    assert "3 failed in a row, the last: login_needed" in line


def test_a_missing_state_directory_is_unhealthy_with_a_clear_reason(tmp_path):
    ok, line = healthcheck(tmp_path / "nowhere", NOW, POLL_AGE, BEAT_AGE)
    assert not ok
    assert "state directory" in line and "does not exist" in line and "DISPUTE_AGENT_STATE__DIR" in line


def test_no_heartbeat_means_the_daemon_is_not_running(state):
    ok, line = healthcheck(state, NOW, POLL_AGE, BEAT_AGE)
    assert not ok and "not running" in line and "dispute-agent run" in line


def test_a_broken_heartbeat_is_unhealthy(state):
    (state / HEARTBEAT_FILE).write_text("{not json")
    ok, line = healthcheck(state, NOW, POLL_AGE, BEAT_AGE)
    assert not ok and "not a heartbeat" in line


def test_a_heartbeat_from_the_future_is_unhealthy(state):
    beat(state, NOW + timedelta(hours=2))
    ok, line = healthcheck(state, NOW, POLL_AGE, BEAT_AGE)
    assert not ok and "future" in line


def test_the_healthcheck_reads_the_database_read_only(state):
    beat(state, NOW - timedelta(seconds=30))
    polled(state, NOW - timedelta(hours=1))
    before = (state / DB_FILE).read_bytes()
    assert healthcheck(state, NOW, POLL_AGE, BEAT_AGE)[0]
    assert (state / DB_FILE).read_bytes() == before


def test_the_names_it_repeats_match_the_agents_own():
    from agent.usecases.daemon import HEARTBEAT

    assert DB_FILE == Settings().state.db_path.name
    assert HEALTH_KEY == health.KEY
    assert HEARTBEAT_FILE == HEARTBEAT


def test_healthcheck_command_exit_codes(state):
    now = datetime.now(UTC)
    beat(state, now - timedelta(seconds=5))
    polled(state, now - timedelta(hours=1))
    result = runner.invoke(app, ["healthcheck"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("healthy:") and len(result.output.splitlines()) == 1

    result = runner.invoke(app, ["healthcheck", "--max-poll-age-hours", "1", "--max-heartbeat-age-minutes", "1"])
    assert result.exit_code == 1
    assert result.output.startswith("unhealthy: last successful poll")


_LIGHT_SCRIPT = """
import sys
from agent.cli.commands import main
try:
    main(["healthcheck"])
except SystemExit as done:
    code = done.code
print("CODE", code)
print("HEAVY", ",".join(m for m in ("sqlalchemy", "playwright", "apprise", "apscheduler", "keyring")
                        if m in sys.modules))
"""


def test_the_healthcheck_command_imports_nothing_heavy(state):
    """What keeps it fast; the time itself is measured by bench/bench_startup.py."""
    now = datetime.now(UTC)
    beat(state, now)
    polled(state, now - timedelta(hours=1))
    env = {**os.environ, "DISPUTE_AGENT_STATE__DIR": str(state)}
    done = subprocess.run([sys.executable, "-c", _LIGHT_SCRIPT], capture_output=True, text=True,
                          env=env, cwd=ROOT, check=True)
    fields = dict(line.split(" ", 1) if " " in line else (line, "") for line in done.stdout.splitlines())
    assert fields["CODE"] == "0", done.stdout
    assert fields["HEAVY"] == ""


def test_the_state_directory_is_found_as_the_settings_find_it(tmp_path, monkeypatch):
    isolate_environment(monkeypatch, tmp_path)
    assert resolve_state_dir() == load_settings().state.dir  # the default
    config = tmp_path / "agent.toml"
    config.write_text('[state]\ndir = "~/from-file"\n')
    assert resolve_state_dir(config) == load_settings(config).state.dir == Path("~/from-file").expanduser()
    default = tmp_path / "config" / "dispute-agent" / "agent.toml"
    default.parent.mkdir(parents=True)
    default.write_text('[state]\ndir = "/srv/agent-state"\n')
    assert resolve_state_dir() == load_settings().state.dir == Path("/srv/agent-state")
    monkeypatch.setenv("DISPUTE_AGENT_STATE__DIR", str(tmp_path / "from-env"))
    assert resolve_state_dir(config) == load_settings(config).state.dir == tmp_path / "from-env"


def test_a_missing_config_file_makes_the_healthcheck_unhealthy(tmp_path, monkeypatch):
    isolate_environment(monkeypatch, tmp_path)
    result = runner.invoke(app, ["healthcheck", "--config", str(tmp_path / "missing.toml")])
    assert result.exit_code == 1
    assert "missing.toml does not exist" in result.output


# --- status --------------------------------------------------------------------------------


def _insert_alerts_and_outbox(store: Store, now: datetime) -> None:
    from sqlalchemy import MetaData, Table

    tables = MetaData()
    alerts = Table("alerts", tables, autoload_with=store.engine)
    outbox = Table("outbox", tables, autoload_with=store.engine)

    def naive(moment: datetime) -> datetime:
        return moment.astimezone(UTC).replace(tzinfo=None)

    with store.engine.begin() as connection:
        for key, severity, age in (("a", "critical", 2), ("b", "warning", 3), ("c", "info", 10)):
            connection.execute(alerts.insert().values(
                dedupe_key=key, kind="zero_offer", severity=severity, title=f"alert {key}", facts="{}",
                created_at=naive(now - timedelta(days=age))))
        for key, channel, status in (("a", "mail", "pending"), ("b", "mail", "pending"),
                                     ("a", "phone", "delivered")):
            connection.execute(outbox.insert().values(
                alert_key=key, channel=channel, status=status, attempts=0, next_attempt_at=naive(now)))


def test_status_with_alerts_outbox_heartbeat_and_a_failure(state):
    settings = load_settings()
    now = datetime.now(UTC)
    beat(state, now - timedelta(seconds=20))
    store = Store(settings.state.db_path)
    health.record_success(store, now - timedelta(hours=5), local_now=now - timedelta(hours=5))
    health.record_failure(store, now - timedelta(hours=1), LoginRequired("the session expired; log in"))
    _insert_alerts_and_outbox(store, now)
    settings.session_file.parent.mkdir(mode=0o700)
    settings.session_file.write_text('{"cookies": [], "origins": []}')

    report = status_report(settings, store, now)
    store.close()

    json.dumps(report)  # JSON-ready as it is
    assert report["daemon"]["running"] and report["daemon"]["pid"] == os.getpid()
    assert report["next_runs"]["frequent_poll"] is None and report["next_runs"]["daily_poll"]
    assert report["last_successful_poll"] == (now - timedelta(hours=5)).isoformat()
    assert report["consecutive_failures"] == 1
    assert report["last_failure"] == {"kind": "login_needed", "message": "the session expired; log in"}
    assert report["open_alerts"] == 2
    assert report["open_alerts_by_severity"] == {"critical": 1, "warning": 1}
    assert report["pending_outbox"] == 2
    assert report["session"]["age_seconds"] is not None and report["session"]["age_seconds"] < 60
    assert report["database"]["size_bytes"] > 0
    text = "\n".join(format_status(report))
    assert "running (pid" in text and "2 in the last 7 days (1 critical, 1 warning)" in text
    assert "1 in a row; last: login_needed" in text and "5 hours ago" in text
    assert re.search(r"last poll +\d{4}-\d\d-\d\d \d\d:\d\d UTC \(5 hours ago\)", text)
    tokyo = "\n".join(format_status(report, ZoneInfo("Asia/Tokyo")))  # the user's zone, named
    assert re.search(r"last poll +\d{4}-\d\d-\d\d \d\d:\d\d JST \(5 hours ago\)", tokyo)


def test_status_without_alerts_and_outbox_tables(state):
    settings = load_settings()
    store = Store(settings.state.db_path)
    with store.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE outbox")
        connection.exec_driver_sql("DROP TABLE alerts")

    report = status_report(settings, store)
    store.close()

    assert report["open_alerts"] is None and report["pending_outbox"] is None
    assert report["daemon"]["running"] is False and report["next_runs"] == {}
    assert report["last_successful_poll"] is None and report["last_failure"] is None
    text = "\n".join(format_status(report))
    assert "no alerts table yet" in text and "no outbox table yet" in text and "not running" in text


def test_a_heartbeat_of_a_dead_process_is_not_a_running_daemon(state):
    settings = load_settings()
    beat(state, datetime.now(UTC), pid=2**22 + 12345)  # above Linux's pid_max: never alive
    store = Store(settings.state.db_path)
    report = status_report(settings, store)
    store.close()
    assert report["daemon"]["running"] is False and report["daemon"]["pid_alive"] is False


def test_status_command_prints_json(state):
    result = runner.invoke(app, ["status", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert {"daemon", "next_runs", "last_successful_poll", "open_alerts", "pending_outbox", "session",
            "database"} <= set(report)
    assert runner.invoke(app, ["status"]).output.startswith("daemon ")


# --- doctor --------------------------------------------------------------------------------


def write_good_setup(state_dir: Path, tmp_path: Path, **extra: str) -> Path:
    """A config a server would run with: keyring credentials, one channel, a live session."""
    sections = {
        "account": 'login = "buyer@example.com"',
        "secrets": f'keyring_backend = "{MEMORY_KEYRING}"',
        "browser": 'executable = "/usr/bin/chromium"',
        **extra,
    }
    text = "".join(f"[{name}]\n{body}\n" for name, body in sections.items())
    text += f'[[notifications.channels]]\nname = "hook"\nurl = "json://hook:{TOKEN}@localhost:8080/alerts"\n'
    config = tmp_path / "agent.toml"
    config.write_text(text)
    config.chmod(0o600)
    MemoryKeyring().set_password(KEYRING_SERVICE, "buyer@example.com", PASSWORD)
    session = state_dir / "sessions" / "default.json"
    session.parent.mkdir(mode=0o700, exist_ok=True)
    expires = (datetime.now(UTC) + timedelta(days=10)).timestamp()
    session.write_text(json.dumps({"cookies": [
        {"name": "xman_t", "value": "v", "domain": ".aliexpress.com", "path": "/", "expires": expires},
        {"name": "other", "value": "v", "domain": ".example.org", "path": "/", "expires": -1},
    ], "origins": []}))
    session.chmod(0o600)
    return config


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {check.name: check for check in checks}


def test_doctor_with_a_good_config(state, tmp_path):
    config = write_good_setup(state, tmp_path)
    Store(state / DB_FILE).close()
    checks = by_name(doctor(load_settings(config), launch_browser=False))

    assert set(checks) == {"config", "state directory", "database", "browser", "keyring", "credentials",
                           "session", "channel hook"}
    assert checks["browser"].ok is None
    assert all(check.ok for name, check in checks.items() if name != "browser"), checks
    assert str(config) in checks["config"].detail
    assert f"schema {HEAD}" in checks["database"].detail
    assert "found in the keyring" in checks["credentials"].detail
    assert "1 of 1 cookies for www.aliexpress.com unexpired" in checks["session"].detail
    assert checks["channel hook"].detail.startswith("json://hook:****@localhost:8080/alerts")
    printed = "\n".join(format_check(check) for check in checks.values())
    assert PASSWORD not in printed and TOKEN not in printed


def test_doctor_refuses_a_state_directory_others_can_read(state, tmp_path):
    state.chmod(0o755)
    check = by_name(doctor(load_settings(write_good_setup(state, tmp_path)), launch_browser=False))["state directory"]
    assert check.ok is False
    assert "mode 0755" in check.detail and check.fix == f"chmod 700 {state}"
    assert format_check(check).startswith("✗ state directory:") and "→ fix: chmod 700" in format_check(check)


def test_doctor_refuses_a_plaintext_keyring_unless_allowed(state, tmp_path):
    config = write_good_setup(state, tmp_path, secrets=f'keyring_backend = "{PLAINTEXT_KEYRING}"')
    checks = by_name(doctor(load_settings(config), launch_browser=False))
    assert checks["keyring"].ok is False
    assert "plain text" in checks["keyring"].detail and "allow_plaintext_keyring" in checks["keyring"].fix
    assert checks["credentials"].ok is False  # the same refusal: no password is read from it

    allowed = write_good_setup(state, tmp_path, secrets=f'keyring_backend = "{PLAINTEXT_KEYRING}"\n'
                                                        "allow_plaintext_keyring = true")
    checks = by_name(doctor(load_settings(allowed), launch_browser=False))
    assert checks["keyring"].ok is True and "unencrypted" in checks["keyring"].detail


def test_doctor_names_the_fix_for_a_missing_browser(state, tmp_path):
    config = write_good_setup(state, tmp_path, browser='executable = "/nowhere/chromium"')
    check = by_name(doctor(load_settings(config)))["browser"]
    assert check.ok is False
    assert "/nowhere/chromium" in check.detail
    assert "browser.executable" in check.fix and "install-browser" in check.fix


def test_doctor_finds_an_expired_session_and_an_open_config_file(state, tmp_path):
    config = write_good_setup(state, tmp_path)
    config.chmod(0o644)
    session = state / "sessions" / "default.json"
    session.write_text(json.dumps({"cookies": [{"name": "xman_t", "value": "v", "domain": ".aliexpress.com",
                                                "expires": (NOW - timedelta(days=1)).timestamp()}], "origins": []}))
    checks = by_name(doctor(load_settings(config), launch_browser=False, now=NOW))
    assert checks["session"].ok is False and "expired" in checks["session"].detail
    assert "dispute-agent login --headed" in checks["session"].fix
    assert checks["config"].ok is False and checks["config"].fix == f"chmod 600 {config}"


def test_doctor_without_credentials_or_channels(state):
    checks = by_name(doctor(load_settings(), launch_browser=False))
    assert checks["keyring"].ok is None
    assert checks["credentials"].ok is False and "DISPUTE_AGENT_PASSWORD" in checks["credentials"].fix
    assert checks["session"].ok is False
    assert checks["notifications"].ok is False and "[[notifications.channels]]" in checks["notifications"].fix
    assert checks["database"].ok is True and "not created yet" in checks["database"].detail


def test_doctor_command_no_browser_skips_and_exits_0_when_all_is_well(state, tmp_path):
    config = write_good_setup(state, tmp_path)
    result = runner.invoke(app, ["doctor", "--no-browser", "--config", str(config)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "– browser: not launched (--no-browser)" in lines
    assert all(line[0] in "✓–" for line in lines) and len(lines) == 8


def test_doctor_command_exits_1_on_a_failed_check_or_a_bad_config(state, tmp_path):
    state.chmod(0o750)
    result = runner.invoke(app, ["doctor", "--no-browser", "--config", str(write_good_setup(state, tmp_path))])
    assert result.exit_code == 1 and "✗ state directory" in result.output

    bad = tmp_path / "bad.toml"
    bad.write_text("[browser]\nheadles = true\n")
    result = runner.invoke(app, ["doctor", "--config", str(bad)])
    assert result.exit_code == 1
    assert result.output.startswith("✗ config: browser.headles") and "→ fix:" in result.output


@pytest.mark.browser
def test_doctor_starts_the_browser_headless(state, tmp_path):
    config = write_good_setup(state, tmp_path, browser="headless = false")  # the doctor forces headless
    check = by_name(doctor(load_settings(config)))["browser"]
    assert check.ok is True, check
    assert check.detail.startswith("Chromium ") and "starts headless" in check.detail


@pytest.mark.parametrize("command", ["status", "healthcheck", "doctor"])
def test_the_commands_have_help_with_an_example(command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert f"dispute-agent {command}" in result.output


# --- deployment files ----------------------------------------------------------------------


def test_the_compose_file_parses_and_names_healthcheck_volume_and_secrets():
    yaml = pytest.importorskip("yaml")
    compose = yaml.safe_load((CONFIG / "compose.yaml").read_text())
    agent = compose["services"]["agent"]
    assert agent["build"] == {"context": "..", "dockerfile": "config/Dockerfile"}
    assert (ROOT / agent["build"]["dockerfile"]).is_file()
    assert agent["healthcheck"]["test"] == ["CMD", "dispute-agent", "healthcheck"]
    assert agent["restart"] == "unless-stopped"
    assert "data:/data" in agent["volumes"] and "data" in compose["volumes"]
    assert {"login", "password", "config"} <= set(agent["secrets"]) == set(compose["secrets"])
    env = agent["environment"]
    assert env["CREDENTIALS_DIRECTORY"] == "/run/secrets"
    assert env["DISPUTE_AGENT_CONFIG"] == "/run/secrets/config"
    assert env["DISPUTE_AGENT_STATE__DIR"] == "/data" and "TZ" in env
    assert "DISPUTE_AGENT_BROWSER__CDP_URL" in (CONFIG / "compose.yaml").read_text()  # the remote option


def _unit() -> tuple[configparser.ConfigParser, dict[str, list[str]]]:
    text = (CONFIG / "dispute-agent.service").read_text()
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    parser.read_string(text)
    repeated: dict[str, list[str]] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.startswith(("#", ";")):
            repeated.setdefault(key.strip(), []).append(value.strip())
    return parser, repeated


def test_the_systemd_unit_has_the_keys_a_home_server_needs():
    unit, repeated = _unit()
    service = unit["Service"]
    assert service["ExecStart"] == "/opt/dispute-agent/.venv/bin/dispute-agent run"
    assert service["User"] == "dispute-agent" or service.get("DynamicUser") == "yes"
    assert service["Restart"] == "on-failure"
    assert service["StateDirectory"] == "dispute-agent" and service["StateDirectoryMode"] == "0700"
    assert service["ConfigurationDirectory"] == "dispute-agent"
    assert {"login:/etc/dispute-agent/login", "password:/etc/dispute-agent/password"} <= set(
        repeated["LoadCredential"])
    assert "DISPUTE_AGENT_STATE__DIR=%S/dispute-agent" in repeated["Environment"]
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
                       "PrivateTmp": "yes", "ReadWritePaths": "%S/dispute-agent"}.items():
        assert service[key] == value, key
    assert service["TimeoutStopSec"]
    assert unit["Install"]["WantedBy"] == "multi-user.target"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_accepts_the_unit(tmp_path):
    text = (CONFIG / "dispute-agent.service").read_text()
    # the unit names an install path that does not exist on a build machine
    unit = tmp_path / "dispute-agent.service"
    unit.write_text(re.sub(r"(?m)^ExecStart=.*$", "ExecStart=/bin/true run", text))
    done = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True)
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr


def test_the_dockerfile_runs_the_daemon_as_a_user_with_a_healthcheck():
    text = (CONFIG / "Dockerfile").read_text()
    assert text.count("\nFROM python:3.11-slim-bookworm") == 1
    # the package installed is the executable named
    assert re.search(r"apt-get install[^\n]*\\\n\s+chromium-headless-shell ", text)
    assert 'VOLUME ["/data"]' in text
    assert "DISPUTE_AGENT_STATE__DIR=/data" in text
    assert "DISPUTE_AGENT_BROWSER__EXECUTABLE=/usr/bin/chromium-headless-shell " in text
    assert re.search(r"HEALTHCHECK [^\n]*\\\n\s+CMD \[\"dispute-agent\", \"healthcheck\"\]", text)
    assert text.rstrip().endswith('CMD ["dispute-agent", "run"]')
    for source in re.findall(r"(?m)^COPY (\S+)", text):
        assert (ROOT / source).exists(), source
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", "state", "config/secrets", "tests"} <= set(ignored)


@pytest.mark.parametrize("name", ["Dockerfile", "compose.yaml", "dispute-agent.service"])
def test_every_setting_variable_in_the_deployment_files_is_a_real_key(name):
    text = (CONFIG / name).read_text()
    names = set(re.findall(r"DISPUTE_AGENT_([A-Z]+)__([A-Z_]+)", text))
    assert names
    for section, key in names:
        model = Settings.model_fields[section.lower()].annotation
        assert key.lower() in model.model_fields, f"DISPUTE_AGENT_{section}__{key} is not a setting"


def test_status_writes_out_control_characters_a_failure_quoted_from_the_site(state):
    settings = load_settings()
    store = Store(settings.state.db_path)
    report = status_report(settings, store)
    store.close()
    report["consecutive_failures"] = 1
    report["last_failure"] = {"kind": "page_changed", "message": "the site said \x1b[2Jgone"}
    text = "\n".join(format_status(report))
    assert "\x1b" not in text and "the site said \\x1b[2Jgone" in text
