"""What the agent tells the user when its automatic answer to a zero offer fails.

The alert is built from the zero-offer alert and the error: critical, the deadline,
the exact command, keyed so that polls failing on the same offer send one message.
Stored in a real SQLite file through the outbox's own recording.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from agent.config.settings import load_settings
from agent.core.errors import BrowserUnavailable, NotEligible, PageChanged
from agent.core.money import Money
from agent.judge.alerts import ActionKind, Alert, AlertKind, Severity, SuggestedAction
from agent.judge.policy import Policy
from agent.notifications.messages import render
from agent.notifications.outbox import record_alerts
from agent.storage import health
from agent.storage.store import Store
from agent.usecases.auto_actions import action_failed_alert, zero_offer_actions
from tests.support.isolation import isolate_environment

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
DEADLINE = NOW + timedelta(days=2)
POLICY = Policy(on_zero_offer="reject", time_zone="Europe/Berlin")


def zero(key: str = "zero-offer:5001:p2", kind: AlertKind = AlertKind.ZERO_OFFER, *, automatic: bool = True,
         action: ActionKind = ActionKind.REJECT, dispute: str = "5001", not_after: datetime = DEADLINE) -> Alert:
    return Alert(kind=kind, severity=Severity.CRITICAL, dedupe_key=key,
                 title="Seller offers 0.00 EUR on order 8215000000000004: reject it or get nothing",
                 order_id="8215000000000004", dispute_id=dispute, amount=Money(amount=Decimal("0.00"), currency="EUR"),
                 deadline=not_after, link="http://127.0.0.1:9/dispute/5001", created_at=NOW,
                 action=SuggestedAction(kind=action, text="The agent will reject the offer by itself",
                                        not_after=not_after, automatic=automatic))


def test_a_failed_action_is_critical_with_the_deadline_and_the_command_to_run():
    failed = action_failed_alert(zero(), "reject", NotEligible("the site refused: The server is busy"), NOW, POLICY)
    assert (failed.kind, failed.severity) == (AlertKind.ACTION_FAILED, Severity.CRITICAL)
    assert failed.deadline == DEADLINE and failed.action.not_after == DEADLINE and not failed.action.automatic
    assert failed.title == ("The agent could not reject the 0.00 EUR offer on order 8215000000000004: "
                            "do it yourself before Tue 24 Nov 2026, 10:00 CET")
    message = render(failed, NOW, ZoneInfo("Europe/Berlin"))
    assert message.subject.startswith("[dispute-agent] CRITICAL: The agent could not reject")
    assert "it tried to reject and could not: the site refused: The server is busy." in message.body
    assert "\n    dispute-agent reject 5001\n" in message.body
    assert "Deadline: Tue 24 Nov 2026, 10:00 CET (in 2 days)" in message.body
    assert ("What to do: Reject the 0.00 EUR offer yourself before Tue 24 Nov 2026, 10:00 CET (the command above, "
            "or on the dispute page)") in message.body


def test_polls_that_keep_failing_on_the_same_offer_send_one_message(tmp_path, monkeypatch):
    isolate_environment(monkeypatch, tmp_path)
    settings = load_settings(None, state={"dir": str(tmp_path / "state")},
                             notifications={"channels": [{"name": "hook", "url": "json://127.0.0.1:9/hook"}]})
    store = Store(settings.state.db_path)
    first = action_failed_alert(zero(), "reject", PageChanged("no 'View possible solutions' button"), NOW, POLICY)
    later = action_failed_alert(zero("zero-offer:5001:p2:reminder:24h", AlertKind.ZERO_OFFER_REMINDER), "reject",
                                NotEligible("the site refused: busy"), NOW + timedelta(days=1), POLICY)
    other = action_failed_alert(zero("zero-offer:5002:p1", dispute="5002"), "reject", KeyError("x"), NOW, POLICY)
    try:
        with store.transaction() as session:
            assert record_alerts(session, [first, other], settings.notifications.channels) == [first, other]
        with store.transaction() as session:
            assert record_alerts(session, [later], settings.notifications.channels) == []
    finally:
        store.close()
    assert other.facts["error"] == "KeyError: 'x'"


def test_the_agent_acts_only_by_policy_before_the_deadline_once_per_dispute_and_never_accepts():
    offers = [zero(), zero("zero-offer:5001:p2:reminder:24h", AlertKind.ZERO_OFFER_REMINDER),
              zero("zero-offer:5002:p1", dispute="5002", action=ActionKind.ACCEPT),
              zero("zero-offer:5003:p1", dispute="5003", not_after=NOW),
              zero("zero-offer:5004:p1", dispute="5004", automatic=False)]
    assert [a.dedupe_key for a in zero_offer_actions(offers, POLICY, NOW)] == ["zero-offer:5001:p2"]
    assert zero_offer_actions(offers, Policy(), NOW) == []


def test_a_raw_error_is_its_own_failure_kind_named_by_its_type():
    assert (health.failure_kind(KeyError("tradeOrderId")), health.failure_message(KeyError("tradeOrderId"))) == (
        "unexpected", "KeyError: 'tradeOrderId'")
    assert health.failure_message(RuntimeError()) == "RuntimeError"
    assert health.failure_kind(BrowserUnavailable("no Chromium")) == "other"
    assert health.failure_message(PageChanged("first line\nsecond")) == "first line"
