"""Watching disputes end to end: the sandbox in real Chromium, a real SMTP server, a real
webhook receiver, a real SQLite file. Nothing is sent anywhere but 127.0.0.1."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agent.alerts import AlertKind
from agent.policy import Policy
from agent.poll import poll
from agent.settings import load_settings
from agent.store import Store
from sandbox.scenario import parse_scenario
from sandbox.server import SandboxServer
from tests.support.isolation import isolate_environment
from tests.support.receivers import QUIET_AUTH_WARNING, SmtpReceiver, WebhookReceiver, unthrottle_apprise

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings(QUIET_AUTH_WARNING)]

START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def order(n: int, *, shipped_days_ago: float = 20, disputes: list[dict] | None = None, **extra) -> dict:
    shipped = START - timedelta(days=shipped_days_ago)
    return {"id": f"87000000000000{n:02d}", "store": "s", "currency": "EUR",
            "placed": (shipped - timedelta(days=2)).isoformat(), "paid": (shipped - timedelta(days=2)).isoformat(),
            "shipped": shipped.isoformat(),
            "lines": [{"id": f"87100000000000{n:02d}", "title": f"Item {n}", "price": "40.00"}],
            "disputes": [{"line": f"87100000000000{n:02d}", **d} for d in (disputes or [])], **extra}


def opened(days_ago: float, **extra) -> dict:
    return {"opened": (START - timedelta(days=days_ago)).isoformat(), **extra}


SCENARIO = parse_scenario({
    "name": "watch",
    "clock": {"start": START.isoformat()},
    "account": {"login": "buyer@example.com", "password": "sandbox-pass"},
    "stores": [{"id": "s", "name": "Test Store"}],
    "orders": [
        order(1, disputes=[opened(4)]),  # zero offer (escalation possible after 3 days)
        order(2, disputes=[opened(1)]),  # partial offer
        order(3, disputes=[opened(1, received=True, reason="damaged")]),  # changed solution
        order(4, disputes=[opened(6, escalated=(START - timedelta(days=1)).isoformat())]),  # mediator
        order(5, disputes=[opened(10, finished="won")]),
        order(6, disputes=[opened(10, finished="lost", refund="0")]),
        order(7, disputes=[opened(1)]),  # silent seller
        order(8, shipped_days_ago=58),  # protection ends in 2 days, no dispute
    ],
})


@pytest.fixture(scope="module")
def server():
    with SandboxServer(SCENARIO) as running:
        yield running


@pytest.fixture
def receivers():
    with SmtpReceiver() as smtp, WebhookReceiver() as hook:
        yield smtp, hook


@pytest.fixture
def agent(server, receivers, tmp_path, monkeypatch):
    isolate_environment(monkeypatch, tmp_path)
    unthrottle_apprise(monkeypatch)
    server.load(SCENARIO)
    smtp, hook = receivers
    monkeypatch.setenv("DISPUTE_AGENT_LOGIN", "buyer@example.com")
    monkeypatch.setenv("DISPUTE_AGENT_PASSWORD", "sandbox-pass")

    def make(policy: Policy | None = None):
        settings = load_settings(
            None, site={"base_url": server.url}, state={"dir": str(tmp_path / "state")},
            politeness={"min_delay_ms": 0, "max_delay_ms": 10, "detail_concurrency": 3},
            notifications={"channels": [
                {"name": "mail", "url": smtp.url(), "severities": ["critical"]},
                {"name": "hook", "url": hook.url(), "severities": ["critical"], "attach_screenshots": False},
            ], "retry_backoff_seconds": 1, "retry_max_seconds": 2},
        )
        return settings, Store(settings.state.db_path), policy or Policy()

    return make


def dispute_of(server, order_n: int) -> str:
    return next(d["reverse_line_id"] for d in server.state()["disputes"]
                if d["order_id"] == f"87000000000000{order_n:02d}")


def seller(server, order_n: int, **step) -> None:
    server.seller(dispute_of(server, order_n), **step)


def zero_mails(smtp) -> list:
    return [m for m in smtp.inbox if "0.00 EUR" in m["subject"] or "nothing" in m["subject"].lower()]


def test_zero_offer_is_one_critical_mail_with_screenshot_and_one_webhook_call_then_nothing(agent, server, receivers):
    smtp, hook = receivers
    seller(server, 1, action="offer", amount="0.00", respond_days=2)
    settings, store, policy = agent()
    first = poll(settings, store, policy, say=lambda _: None)
    assert first.read_ok, first.error
    zero = [a for a in first.new_alerts if a.kind is AlertKind.ZERO_OFFER]
    assert len(zero) == 1 and zero[0].severity.value == "critical"
    assert zero[0].amount.is_zero() and zero[0].amount.currency == "EUR"
    (mail,) = zero_mails(smtp)
    attachments = [part for part in mail.iter_attachments()]
    assert attachments and attachments[0].get_content_type() == "image/png"
    assert attachments[0].get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    zero_hooks = [r for r in hook.requests if "0.00" in str(r["json"])]
    assert len(zero_hooks) == 1
    before = (len(smtp.inbox), len(hook.requests))
    second = poll(settings, store, policy, say=lambda _: None)
    assert second.new_alerts == []
    assert (len(smtp.inbox), len(hook.requests)) == before


def test_mail_server_down_during_the_poll_delivers_on_the_next_one_once(agent, server, receivers):
    smtp, _hook = receivers
    seller(server, 1, action="offer", amount="0.00", respond_days=2)
    settings, store, policy = agent()
    smtp.stop()
    first = poll(settings, store, policy, say=lambda _: None)
    assert any(a.kind is AlertKind.ZERO_OFFER for a in first.new_alerts)
    assert first.pending > 0
    smtp.start()  # same port: the channel is back
    server.advance(minutes=5)  # the next poll comes later, past the retry backoff
    poll(settings, store, policy, say=lambda _: None)
    assert len(zero_mails(smtp)) == 1
    server.advance(minutes=5)
    from agent.poll import deliver_due

    deliver_due(settings, store, datetime.now(UTC) + timedelta(days=1))  # whatever is due, much later
    assert len(zero_mails(smtp)) == 1


def test_policy_escalate_escalates_the_zero_offer_before_its_deadline(agent, server):
    seller(server, 1, action="offer", amount="0.00", respond_days=2)
    settings, store, _ = agent()
    report = poll(settings, store, Policy(on_zero_offer="escalate"), say=lambda _: None)
    assert report.actions == [f"escalate {dispute_of(server, 1)}"]
    case = next(d for d in server.state()["disputes"] if d["reverse_line_id"] == dispute_of(server, 1))
    assert case["status"] == "ESCALATED"
    escalated_at = datetime.fromisoformat(case["escalated_at"])
    deadline = datetime.fromisoformat(case["proposals"][-1]["deadline"])
    assert escalated_at < deadline
    assert any(a.kind is AlertKind.ACTION_TAKEN for a in report.new_alerts)
    # never accepted: the offer is rejected by the escalation, not taken
    assert case["result"] is None


def test_policy_notify_never_acts(agent, server):
    seller(server, 1, action="offer", amount="0.00", respond_days=2)
    settings, store, policy = agent()
    report = poll(settings, store, policy, say=lambda _: None)
    assert report.actions == []
    assert not [a for a in server.state()["actions"] if a["actor"] == "buyer"]


def test_each_situation_yields_its_alert(agent, server):
    seller(server, 2, action="offer", percent=40, respond_days=3)
    seller(server, 3, action="change_solution", respond_days=3)
    server.mediator(dispute_of(server, 4), action="request_info", respond_days=2)
    settings, store, policy = agent()
    report = poll(settings, store, policy, say=lambda _: None)
    kinds = {(a.kind, a.order_id) for a in report.new_alerts}
    expected = {
        (AlertKind.LOWBALL_OFFER, "8700000000000002"),
        (AlertKind.SOLUTION_CHANGED, "8700000000000003"),
        (AlertKind.MEDIATOR_REQUEST, "8700000000000004"),
        (AlertKind.DISPUTE_CLOSED, "8700000000000005"),
        (AlertKind.DISPUTE_CLOSED, "8700000000000006"),
        (AlertKind.SELLER_SILENT, "8700000000000007"),
        (AlertKind.PROTECTION_ENDING, "8700000000000008"),
    }
    assert expected <= kinds, expected - kinds
    closed = {a.order_id: a for a in report.new_alerts if a.kind is AlertKind.DISPUTE_CLOSED}
    assert closed["8700000000000005"].facts.get("result", "").lower() in ("won", "won")
    assert closed["8700000000000006"].severity.value == "warning"
