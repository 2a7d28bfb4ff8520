"""Alerts that calm, not flood: a channel's first delivery is one summary, and a zero offer
the agent acted on is one message with what it did — never "reject it or get nothing"
followed by "done".

Real SMTP (aiosmtpd) and webhook receivers on 127.0.0.1, a real SQLite file; the clock
and the lease clock are passed in.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from agent.config.settings import NotificationsSettings, load_settings
from agent.core.errors import NotEligible
from agent.core.money import Money
from agent.judge.alerts import ActionKind, Alert, AlertKind, Severity, SuggestedAction
from agent.judge.policy import Policy
from agent.notifications.message_groups import taken_key
from agent.notifications.outbox import (
    Outbox,
    OutboxRow,
    hold_deliveries,
    record_alerts,
    release_deliveries,
)
from agent.storage.store import Store
from agent.usecases.auto_actions import action_failed_alert
from tests.support.outbox_env import _isolated  # noqa: F401 (an autouse fixture)
from tests.support.receivers import (
    QUIET_AUTH_WARNING,
    SmtpReceiver,
    WebhookReceiver,
)

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
DEADLINE = NOW + timedelta(days=2)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
pytestmark = pytest.mark.filterwarnings(QUIET_AUTH_WARNING)


@pytest.fixture
def store(tmp_path: Path):
    opened = Store(tmp_path / "state" / "agent.db")
    yield opened
    opened.close()


def notifications(*channels: dict) -> NotificationsSettings:
    return load_settings(notifications={"channels": list(channels), "time_zone": "Europe/Berlin"}).notifications


def offer(key: str = "zero-offer:5001:p2", kind: AlertKind = AlertKind.ZERO_OFFER, screenshot: Path | None = None,
          created_at: datetime = NOW) -> Alert:
    return Alert(kind=kind, severity=Severity.CRITICAL, dedupe_key=key,
                 title="Seller offers 0.00 EUR on order 8215000000000004: reject it before Tue 24 Nov 2026, 10:00 CET "
                       "or get nothing",
                 order_id="8215000000000004", dispute_id="5001", amount=Money(amount=Decimal("0.00"), currency="EUR"),
                 deadline=DEADLINE, facts={"proposer": "SELLER", "asked": "54.99 EUR", "item": "Keyboard"},
                 link="http://127.0.0.1:9/dispute/5001", screenshot=screenshot, created_at=created_at,
                 action=SuggestedAction(kind=ActionKind.REJECT, automatic=True, not_after=DEADLINE,
                                        text="The agent will reject the offer of 0.00 EUR by itself (policy: reject)"))


def taken(zero: Alert, at: datetime = NOW + timedelta(seconds=20)) -> Alert:
    return Alert(kind=AlertKind.ACTION_TAKEN, severity=Severity.WARNING, dedupe_key=taken_key("reject", zero.dedupe_key),
                 title="The agent rejected the 0 offer on order 8215000000000004", order_id=zero.order_id,
                 dispute_id=zero.dispute_id, amount=zero.amount, deadline=DEADLINE, created_at=at,
                 facts={"policy": "reject", "action": "reject", "offer_alert": zero.dedupe_key})


def other(key: str, severity: Severity, deadline: datetime | None = None, **extra) -> Alert:
    return Alert(kind=AlertKind.PROTECTION_ENDING, severity=severity, dedupe_key=key, title=f"Finding {key}",
                 order_id="8215000000000009", deadline=deadline, created_at=NOW,
                 action=SuggestedAction(kind=ActionKind.OPEN_DISPUTE, text="Open a dispute now", not_after=deadline),
                 **extra)


def record(store: Store, settings: NotificationsSettings, *alerts: Alert, hold: str | None = None,
           release: str | None = None, lease: datetime | None = None) -> None:
    with store.transaction() as session:
        record_alerts(session, list(alerts), settings.channels)
        if hold:
            hold_deliveries(session, [a.dedupe_key for a in alerts if a.kind is AlertKind.ZERO_OFFER], hold,
                            lease or datetime.now(UTC) + timedelta(minutes=5))
        if release:
            release_deliveries(session, release)


def statuses(store: Store) -> dict[tuple[str, str], str]:
    with store.transaction() as session:
        return {(r.alert_key, r.channel): r.status for r in session.scalars(select(OutboxRow))}


def body(mail) -> str:
    return mail.get_body(("plain",)).get_content()


# --- the first delivery of a channel -------------------------------------------------------------


def test_a_new_channels_first_delivery_is_one_summary_most_urgent_first_then_one_message_per_incident(
        store: Store, smtp: SmtpReceiver, hook: WebhookReceiver, tmp_path: Path) -> None:
    shot = tmp_path / "offer.png"
    shot.write_bytes(PNG)
    settings = notifications({"name": "mail", "url": smtp.url()}, {"name": "hook", "url": hook.url()})
    outbox = Outbox(store, settings)
    news = Alert(kind=AlertKind.DISPUTE_CLOSED, severity=Severity.INFO, dedupe_key="closed:1", created_at=NOW,
                 title="Dispute on order 8215000000000013 won: 8.75 USD refunded")
    later = other("protection:9:3d", Severity.CRITICAL, NOW + timedelta(days=3))
    record(store, settings, news, other("protection:8:7d", Severity.WARNING, NOW + timedelta(days=7)), later,
           offer(screenshot=shot))

    report = outbox.deliver_due(NOW, first_summary=True)

    assert (report.delivered, report.messages) == (8, 2)  # every row settled, one message per channel
    [mail] = smtp.inbox
    assert mail["subject"].startswith("[dispute-agent] CRITICAL: 4 alerts at once; most urgent: Seller offers 0.00")
    text = body(mail)
    order = [text.index(s) for s in ("1. [CRITICAL] Seller offers 0.00 EUR", "2. [CRITICAL] Finding protection:9:3d",
                                     "3. [WARNING] Finding protection:8:7d", "4. [INFO] Dispute on order")]
    assert order == sorted(order)
    assert "Deadline: Tue 24 Nov 2026, 10:00 CET (in 2 days)" in text
    assert "Run: dispute-agent open 8215000000000009" in text  # the command of each finding
    [part] = [p for p in mail.walk() if p.get_content_disposition() == "attachment"]
    assert part.get_content() == PNG  # the offer's screenshot, critical money first
    assert len(hook.requests) == 1 and "4 alerts at once" in hook.requests[0]["json"]["title"]
    assert set(statuses(store).values()) == {"delivered"}

    # later: one message per incident, and nothing already said again
    record(store, settings, news, other("protection:7:15d", Severity.INFO, NOW + timedelta(days=15)),
           other("protection:6:15d", Severity.INFO, NOW + timedelta(days=15)))
    again = outbox.deliver_due(NOW + timedelta(hours=1), first_summary=True)
    assert (again.delivered, again.messages) == (4, 4)
    assert [m["subject"] for m in smtp.inbox[1:]] == ["[dispute-agent] Finding protection:7:15d",
                                                      "[dispute-agent] Finding protection:6:15d"]


def test_a_single_first_alert_goes_as_itself_and_without_first_summary_each_goes_alone(
        store: Store, hook: WebhookReceiver) -> None:
    settings = notifications({"name": "hook", "url": hook.url()})
    record(store, settings, other("a", Severity.WARNING))
    Outbox(store, settings).deliver_due(NOW, first_summary=True)
    assert [r["json"]["title"] for r in hook.requests] == ["[dispute-agent] Finding a"]

    fresh = notifications({"name": "fresh", "url": hook.url("/fresh")})
    record(store, fresh, other("b", Severity.WARNING), other("c", Severity.WARNING))
    assert Outbox(store, fresh).deliver_due(NOW).messages == 2  # the outbox alone never groups


def test_a_summary_that_cannot_go_out_is_retried_whole_and_nothing_is_lost(store: Store, smtp: SmtpReceiver) -> None:
    settings = load_settings(notifications={"channels": [{"name": "mail", "url": smtp.url()}],
                                            "retry_backoff_seconds": 60}).notifications
    outbox = Outbox(store, settings)
    record(store, settings, offer(), other("p", Severity.WARNING))
    smtp.stop()
    failed = outbox.deliver_due(NOW, first_summary=True)
    assert (failed.delivered, failed.retrying) == (0, 2)
    smtp.start()
    record(store, settings, other("q", Severity.INFO))  # found meanwhile: joins the first message
    report = outbox.deliver_due(NOW + timedelta(minutes=2), first_summary=True)
    assert (report.delivered, report.messages) == (3, 1)
    [mail] = smtp.inbox
    assert "3 alerts at once" in mail["subject"] and "Seller offers 0.00 EUR" in body(mail)


# --- a zero offer and what the agent did: one message ---------------------------------------------


@pytest.mark.parametrize("severities", [["critical", "warning", "info"], ["critical"]])
def test_an_offer_the_agent_rejected_is_one_message_saying_what_was_offered_and_done(
        store: Store, smtp: SmtpReceiver, severities: list[str]) -> None:
    settings = notifications({"name": "mail", "url": smtp.url(), "severities": severities})
    outbox = Outbox(store, settings)
    record(store, settings, other("old", Severity.CRITICAL))
    outbox.deliver_due(NOW, first_summary=True)  # the channel is not new
    zero = offer()
    record(store, settings, zero, hold="poll-1")  # recorded before acting, held while the agent acts
    assert outbox.deliver_due(NOW, first_summary=True).messages == 0  # another sender leaves it alone

    record(store, settings, taken(zero), release="poll-1")
    report = outbox.deliver_due(NOW + timedelta(seconds=30), first_summary=True)

    assert report.messages == 1
    [mail] = smtp.inbox[1:]
    assert mail["subject"] == ("[dispute-agent] The seller offered 0.00 EUR on order 8215000000000004: "
                               "the agent rejected it for you")
    text = body(mail)
    assert "The agent rejected it on your behalf at Sun 22 Nov 2026, 10:00 CET" in text
    assert "or get nothing" not in text and "Amount: 0.00 EUR (you asked 54.99 EUR)" in text
    assert set(statuses(store).values()) == {"delivered"}
    assert outbox.deliver_due(NOW + timedelta(days=1), first_summary=True).messages == 0  # no second "done"


def test_an_offer_the_agent_failed_to_reject_is_one_critical_message_with_the_command_and_deadline(
        store: Store, hook: WebhookReceiver) -> None:
    settings = notifications({"name": "hook", "url": hook.url()})
    outbox = Outbox(store, settings)
    record(store, settings, other("old", Severity.INFO))
    outbox.deliver_due(NOW, first_summary=True)
    zero = offer()
    failed = action_failed_alert(zero, "reject", NotEligible("the site refused: busy"), NOW + timedelta(seconds=20),
                                 Policy(on_zero_offer="reject", time_zone="Europe/Berlin"))
    record(store, settings, zero, hold="poll-1")
    record(store, settings, failed, release="poll-1")

    outbox.deliver_due(NOW + timedelta(seconds=30), first_summary=True)

    [message] = [r["json"] for r in hook.requests[1:]]
    assert message["title"] == ("[dispute-agent] CRITICAL: The seller offers 0.00 EUR on order 8215000000000004 and "
                                "the agent could not reject it: do it yourself before Tue 24 Nov 2026, 10:00 CET")
    text = message["message"]
    assert "it tried to reject and could not: the site refused: busy." in text
    assert "\n    dispute-agent reject 5001\n" in text
    assert "Deadline: Tue 24 Nov 2026, 10:00 CET (in 1 day and 23 hours)" in text


def test_a_poll_that_dies_while_acting_still_sends_the_plain_warning_once_its_hold_expires(
        store: Store, hook: WebhookReceiver) -> None:
    settings = notifications({"name": "hook", "url": hook.url()})
    record(store, settings, offer(), hold="poll-that-died")  # then the process died: no outcome, no release

    soon = Outbox(store, settings, lease_clock=lambda: datetime.now(UTC) + timedelta(minutes=1))
    assert soon.deliver_due(NOW, first_summary=True).messages == 0
    later = Outbox(store, settings, lease_clock=lambda: datetime.now(UTC) + timedelta(minutes=6))
    assert later.deliver_due(NOW, first_summary=True).messages == 1
    [message] = [r["json"] for r in hook.requests]
    assert message["title"].startswith("[dispute-agent] CRITICAL: Seller offers 0.00 EUR")
    assert "or get nothing" in message["title"]


def test_what_the_agent_did_after_the_offer_went_out_comes_alone_and_an_old_failure_joins_no_reminder(
        store: Store, hook: WebhookReceiver) -> None:
    settings = notifications({"name": "hook", "url": hook.url()})
    outbox = Outbox(store, settings)
    zero = offer()
    failed = action_failed_alert(zero, "reject", NotEligible("busy"), NOW, Policy(on_zero_offer="reject"))
    record(store, settings, zero, failed)
    outbox.deliver_due(NOW)
    reminder = offer("zero-offer:5001:p2:reminder:24h", AlertKind.ZERO_OFFER_REMINDER,
                     created_at=NOW + timedelta(days=1))
    record(store, settings, reminder)  # the agent failed again: the failure is not news, the reminder is
    outbox.deliver_due(NOW + timedelta(days=1))
    assert "Seller offers 0.00 EUR" in hook.requests[-1]["json"]["title"]

    record(store, settings, taken(reminder, NOW + timedelta(days=1, minutes=1)))  # a later poll succeeded
    outbox.deliver_due(NOW + timedelta(days=1, minutes=2))
    assert hook.requests[-1]["json"]["title"] == ("[dispute-agent] The agent rejected the 0 offer on order "
                                                 "8215000000000004")
    assert len(hook.requests) == 3


def test_a_failure_joins_the_very_alert_it_answers_when_an_offer_and_its_reminder_wait_together(
        store: Store, hook: WebhookReceiver) -> None:
    settings = notifications({"name": "hook", "url": hook.url()})
    zero = offer()
    reminder = offer("zero-offer:5001:p2:reminder:24h", AlertKind.ZERO_OFFER_REMINDER)
    failed = action_failed_alert(zero, "reject", NotEligible("busy"), NOW, Policy(on_zero_offer="reject"))
    record(store, settings, zero, reminder, failed)  # a channel that was down: all three wait

    report = Outbox(store, settings).deliver_due(NOW + timedelta(hours=1))

    assert (report.delivered, report.messages) == (3, 2)
    titles = sorted(r["json"]["title"] for r in hook.requests)
    assert sum("and the agent could not reject it" in t for t in titles) == 1
