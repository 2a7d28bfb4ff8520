"""The commands a user types, end to end: real Chromium, the sandbox, a real SQLite file."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from agent.cli.commands import app
from tests.support.agent_env import point_agent_at

pytestmark = pytest.mark.browser
runner = CliRunner()


@pytest.fixture
def user(server, tmp_path, monkeypatch):
    return point_agent_at(server, monkeypatch, tmp_path)


def test_login_sync_orders_order(user, server):
    login = runner.invoke(app, ["login"])
    assert login.exit_code == 0, login.output
    session_file = user / "state" / "sessions" / "default.json"
    assert session_file.stat().st_mode & 0o777 == 0o600

    synced = runner.invoke(app, ["sync"])
    assert synced.exit_code == 0, synced.output
    assert "26 orders read" in synced.output and "open disputes" in synced.output
    assert server.state()["account"]["logins"] == 1  # sync reused the session of 'login'
    # the first look after a sync already shows a seller's offer of nothing, with its command
    agenda = json.loads(runner.invoke(app, ["agenda", "--json"]).output)
    [zero] = [item for item in agenda["items"] if item["offer_is_zero"]]
    assert zero["offer"]["amount"] == "0.00" and zero["deadline_what"] == "answer the offer"
    assert zero["command"].startswith(f"dispute-agent reject {zero['dispute_id']}")
    shown = runner.invoke(app, [])
    assert shown.exit_code == 0 and f"Dispute {zero['dispute_id']}" in shown.output

    listed = json.loads(runner.invoke(app, ["orders", "--json"]).output)
    assert listed["orders"][0]["order_id"] == "8215000000000001"  # 20 hours left
    one = json.loads(runner.invoke(app, ["order", "8215000000000004", "--json"]).output)
    assert one["timer_source"] == "countdown"
    assert one["lines"][0]["can_open_dispute"] is True


def test_session_export_import_moves_a_login(user, server, tmp_path, monkeypatch):
    assert runner.invoke(app, ["login"]).exit_code == 0
    exported = tmp_path / "moved.json"
    result = runner.invoke(app, ["session", "export", str(exported)])
    assert result.exit_code == 0, result.output
    assert exported.stat().st_mode & 0o777 == 0o600
    # another machine: a fresh state folder, no password at all
    monkeypatch.setenv("DISPUTE_AGENT_STATE__DIR", str(tmp_path / "server-state"))
    monkeypatch.delenv("DISPUTE_AGENT_PASSWORD")
    assert runner.invoke(app, ["session", "import", str(exported)]).exit_code == 0
    synced = runner.invoke(app, ["sync"])
    assert synced.exit_code == 0, synced.output
    assert server.state()["account"]["logins"] == 1


def test_captcha_is_one_line_with_the_remedy(user, server):
    server.set_captcha(True)
    result = runner.invoke(app, ["sync"])
    assert result.exit_code == 1
    assert "login --headed" in result.output
    assert "Traceback" not in result.output


def test_no_credentials_is_login_needed_in_one_line(user, server, monkeypatch):
    monkeypatch.delenv("DISPUTE_AGENT_PASSWORD")
    result = runner.invoke(app, ["sync"])
    assert result.exit_code == 1  # login needed (an alert in the daemon), not bad input
    [error] = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert "login --headed" in error and "DISPUTE_AGENT_PASSWORD" in error


def test_bad_browser_is_one_line(user, monkeypatch):
    monkeypatch.setenv("DISPUTE_AGENT_BROWSER__EXECUTABLE", "/nonexistent/chromium")
    result = runner.invoke(app, ["sync"])
    assert result.exit_code == 1
    assert "/nonexistent/chromium" in result.output
