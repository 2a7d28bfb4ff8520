"""``dispute-agent check-site`` against the sandbox in real Chromium: one line per assumption.

One world and one login for the whole module: each test changes only a fault or the
language, and puts it back; the saved session of the first login serves every pass,
and no pass may add anything to the sandbox's action log or log in again.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from agent.cli.commands import app
from flows import site
from tests.support.agent_env import point_agent_at

pytestmark = pytest.mark.browser
runner = CliRunner()


@pytest.fixture(scope="module")
def user(server, tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        home = point_agent_at(server, patch, tmp_path_factory.mktemp("check-site"))
        login = runner.invoke(app, ["login"])
        assert login.exit_code == 0, login.output
        yield home


@pytest.fixture(autouse=True)
def untouched(user, server):
    """Every pass is read-only: nothing added to the action log, no login, faults cleared after."""
    before = server.state()
    yield
    server.clear_faults()
    server.control("POST", "language", {"account": "en_US", "ignore_cookie": False})
    after = server.state()
    assert after["actions"] == before["actions"]  # the scenario's own history, nothing added
    assert after["account"]["logins"] == before["account"]["logins"]
    assert after["disputes"] == before["disputes"]


def check(*args: str) -> tuple[int, dict[str, dict]]:
    result = runner.invoke(app, ["check-site", "--json", *args])
    assert "Traceback" not in result.output
    report = json.loads(result.stdout)
    return result.exit_code, {line["check"]: line for line in report["checks"]}


def verdicts(lines: dict[str, dict], verdict: str) -> set[str]:
    return {name for name, line in lines.items() if line["verdict"] == verdict}


def test_a_healthy_site_holds_everywhere(server):
    code, lines = check()
    assert verdicts(lines, "holds") == set(lines), {k: v for k, v in lines.items() if v["verdict"] != "holds"}
    assert code == 0
    assert "dispute 6400000000000001" in lines["selector:dispute-amount"]["detail"]  # each open case was read
    assert lines["fields:dispute.detail"]["assumption"] == "dispute-detail-shape"


def test_a_changed_api_names_the_api_and_the_missing_field(server):
    server.add_fault("api_shape", path=f"/h5/{site.API_ORDER_LIST}/")
    code, lines = check()
    assert code == 1
    assert verdicts(lines, "differs") == {"fields:order.list", "fields:order.list.more"}
    broken = lines["fields:order.list"]
    assert site.API_ORDER_LIST in broken["what"]
    assert "data.hierarchy missing" in broken["detail"]
    assert lines["selector:order-more"]["verdict"] == "unreachable"  # no readable answer says if more exist
    assert lines["fields:dispute.detail"]["verdict"] == "holds"  # the pass went on


def test_a_redesigned_page_names_the_selector(server):
    server.add_fault("dom_layout", path="/p/order/index.html")
    server.add_fault("dom_layout", path="/p/refund-amount/")
    code, lines = check()
    assert code == 1
    assert site.SEL_ORDER_ROW in lines["selector:order-rows"]["detail"]
    assert lines["selector:order-rows"]["verdict"] == "differs"
    assert site.SEL_DISPUTE_STATUS in lines["selector:dispute-status"]["detail"]
    assert site.SEL_ORDER_MORE in lines["selector:order-more"]["detail"]
    assert lines["selector:dispute-rows"]["verdict"] == "holds"  # the list was not redesigned
    assert lines["fields:order.list"]["verdict"] == "holds"


def test_a_page_in_another_language_names_the_language(server):
    server.control("POST", "language", {"account": "pt_BR", "ignore_cookie": True})
    code, lines = check()
    assert code == 1
    language = lines["language"]
    assert language["verdict"] == "differs" and language["assumption"] == "locale-cookie"
    assert "Português (pt-BR)" in language["detail"]


def test_without_a_session_only_the_login_line_fails(server, tmp_path, monkeypatch):
    monkeypatch.setenv("DISPUTE_AGENT_STATE__DIR", str(tmp_path / "no-session"))
    monkeypatch.delenv("DISPUTE_AGENT_PASSWORD")
    code, lines = check()
    assert code == 1
    assert verdicts(lines, "differs") == {"login"}
    assert "dispute-agent login" in lines["login"]["detail"]
    assert verdicts(lines, "unreachable") == set(lines) - {"login"}
    assert lines["api:order.list"]["detail"] == "not logged in"
