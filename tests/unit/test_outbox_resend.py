"""A message sent again after a crash is the same message under the same key, so a receiver
that honours keys keeps one copy (decision 0023).

The crash between a send and its mark is played by a mark that raises right after a real
send to a real receiver (aiosmtpd, ``http.server`` on 127.0.0.1); the next run, once the
claim's lease is over (a lease clock passed in), must send the recorded message again.
A real SQLite file; the delivery clock moves on between the runs, so a message worded
again would read differently.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from agent.config.settings import NotificationsSettings, load_settings
from agent.core.money import Money
from agent.judge.alerts import ActionKind, Alert, AlertKind, Severity, SuggestedAction
from agent.notifications.notify import Notifier
from agent.notifications.outbox import Outbox, OutboxRow, record_alerts
from agent.storage.store import Store
from tests.support.outbox_env import _isolated, db, notifications, store  # noqa: F401 (fixtures)
from tests.support.receivers import (
    QUIET_AUTH_WARNING,
    SmtpReceiver,
    WebhookReceiver,
    mail_key,
    webhook_key,
)

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=7)
pytestmark = pytest.mark.filterwarnings(QUIET_AUTH_WARNING)


class Killed(Exception):
    """The process died here (between a send and its mark)."""


def alert(key: str, *, severity: Severity = Severity.CRITICAL, deadline_days: float = 2) -> Alert:
    deadline = NOW + timedelta(days=deadline_days)
    return Alert(
        kind=AlertKind.ZERO_OFFER, severity=severity, dedupe_key=key,
        title=f"Seller offers 0.00 EUR on order 8215000000000004 ({key})", order_id="8215000000000004",
        dispute_id="5001", amount=Money(amount=Decimal("0.00"), currency="EUR"), deadline=deadline,
        action=SuggestedAction(kind=ActionKind.REJECT, text="Reject the offer of 0.00 EUR", not_after=deadline),
        facts={"item": "USB-C cable"}, created_at=NOW)


def record(store: Store, settings: NotificationsSettings, *alerts: Alert) -> None:
    with store.transaction() as session:
        record_alerts(session, list(alerts), settings.channels)


def rows(store: Store) -> list[OutboxRow]:
    with store.transaction() as session:
        return list(session.scalars(select(OutboxRow).order_by(OutboxRow.id)))


def after_the_lease() -> datetime:
    return datetime.now(UTC) + timedelta(minutes=6)


def killed_after_sending(monkeypatch: pytest.MonkeyPatch, at: str = "mark") -> None:
    """The process dies once a message went out: at the mark (``"mark"``), or as soon as
    the channel took it, before the send even returned (``"send"``); the rows stay pending
    and claimed."""
    if at == "mark":
        def die(self, *args, **kwargs) -> None:
            raise Killed

        monkeypatch.setattr(Outbox, "_delivered", die)
        return
    real = Notifier.send

    def sent_then_die(self, *args, **kwargs):
        if real(self, *args, **kwargs).ok:
            raise Killed
        raise AssertionError("the channel refused the message")

    monkeypatch.setattr(Notifier, "send", sent_then_die)


def deliver_and_die(store: Store, settings: NotificationsSettings, now: datetime = NOW, at: str = "mark",
                    **kwargs) -> None:
    with pytest.MonkeyPatch.context() as patch:
        killed_after_sending(patch, at)
        with pytest.raises(Killed):
            Outbox(store, settings).deliver_due(now, **kwargs)


def body(mail) -> str:
    return mail.get_body(("plain",)).get_content()


@pytest.mark.parametrize("at", ["mark", "send"])
def test_an_email_sent_again_after_a_crash_has_the_same_message_id_and_words(store: Store, at: str) -> None:
    with SmtpReceiver(drop_repeats=True) as smtp:
        settings = notifications({"name": "mail", "url": smtp.url()})
        record(store, settings, alert("a"))
        deliver_and_die(store, settings, at=at)
        [row] = rows(store)
        assert (row.status, row.message_key is not None, row.message is not None) == ("pending", True, True)

        # before the lease is over nobody sends it: the dead sender's claim still holds
        assert Outbox(store, settings).deliver_due(LATER).delivered == 0
        report = Outbox(store, settings, lease_clock=after_the_lease).deliver_due(LATER)

        assert (report.delivered, report.messages) == (1, 1)
        [first], [again] = smtp.inbox, smtp.repeats  # sent twice; the mailbox keeps one
        assert mail_key(again) == mail_key(first) == f"<{row.message_key}@127.0.0.1>"
        assert len(again.get_all("Message-ID")) == 1
        assert (again["Subject"], body(again)) == (first["Subject"], body(first))
        assert "(in 2 days)" in body(again)  # as worded at NOW, not at LATER
        [done] = rows(store)
        assert (done.status, done.message_key, done.message) == ("delivered", row.message_key, None)
        assert Outbox(store, settings, lease_clock=after_the_lease).deliver_due(LATER).delivered == 0


@pytest.mark.parametrize("at", ["mark", "send"])
def test_a_webhook_call_made_again_after_a_crash_has_the_same_idempotency_key_and_words(store: Store, at: str) -> None:
    with WebhookReceiver(drop_repeats=True) as hook:
        settings = notifications({"name": "hook", "url": hook.url()})
        record(store, settings, alert("a"))
        deliver_and_die(store, settings, at=at)
        Outbox(store, settings, lease_clock=after_the_lease).deliver_due(LATER)

        [first], [again] = hook.requests, hook.repeats
        assert webhook_key(again["headers"]) == webhook_key(first["headers"]) == rows(store)[0].message_key
        assert again["json"] == first["json"]
        assert rows(store)[0].status == "delivered"


def test_a_first_summary_sent_again_is_the_same_summary_and_nothing_new_joins_it(store: Store) -> None:
    with SmtpReceiver(drop_repeats=True) as smtp:
        settings = notifications({"name": "mail", "url": smtp.url()})
        record(store, settings, alert("a"), alert("b", severity=Severity.WARNING))
        deliver_and_die(store, settings, first_summary=True)
        [summary] = smtp.inbox
        assert "2 alerts at once" in summary["Subject"]
        record(store, settings, alert("c", deadline_days=1))  # found while the agent was down

        report = Outbox(store, settings, lease_clock=after_the_lease).deliver_due(LATER, first_summary=True)

        assert (report.delivered, report.messages) == (3, 2)
        [again] = smtp.repeats
        assert (mail_key(again), again["Subject"], body(again)) == \
            (mail_key(summary), summary["Subject"], body(summary))
        assert "(c)" not in body(again)
        [_, alone] = smtp.inbox  # the new finding goes as its own message, under its own key
        assert "(c)" in alone["Subject"] and "alerts at once" not in alone["Subject"]
        assert mail_key(alone) != mail_key(summary)
        assert [r.status for r in rows(store)] == ["delivered"] * 3


def test_a_message_sent_again_takes_all_its_rows_whatever_the_batch_limit(store: Store) -> None:
    with WebhookReceiver(drop_repeats=True) as hook:
        settings = notifications({"name": "hook", "url": hook.url()})
        record(store, settings, *[alert(f"a{i}") for i in range(3)])
        deliver_and_die(store, settings, first_summary=True)
        record(store, settings, alert("new", severity=Severity.CRITICAL))

        report = Outbox(store, settings, lease_clock=after_the_lease).deliver_due(LATER, limit=1)

        assert len(hook.repeats) == 1 and report.messages >= 1
        summary_rows = [r for r in rows(store) if r.alert_key.startswith("a")]
        assert [r.status for r in summary_rows] == ["delivered"] * 3
        assert len({r.message_key for r in summary_rows}) == 1


def test_an_offer_sent_alone_before_a_crash_goes_again_alone_not_merged_with_its_outcome(store: Store) -> None:
    from agent.notifications.message_groups import taken_key

    with WebhookReceiver(drop_repeats=True) as hook:
        settings = notifications({"name": "hook", "url": hook.url()})
        offer = alert("zero-offer:5001:p2")
        record(store, settings, offer)
        deliver_and_die(store, settings)
        done = Alert(kind=AlertKind.ACTION_TAKEN, severity=Severity.INFO, dedupe_key=taken_key("reject", offer.dedupe_key),
                     title="The agent rejected the 0.00 EUR offer on order 8215000000000004",
                     order_id=offer.order_id, dispute_id=offer.dispute_id,
                     facts={"offer_alert": offer.dedupe_key, "action": "reject"}, created_at=NOW)
        record(store, settings, done)

        Outbox(store, settings, lease_clock=after_the_lease).deliver_due(LATER)

        [first, outcome], [again] = hook.requests, hook.repeats
        assert again["json"] == first["json"] and "offers 0.00 EUR" in first["json"]["title"]
        assert "rejected" in outcome["json"]["title"]
        assert webhook_key(outcome["headers"]) != webhook_key(first["headers"])


def test_a_refused_first_attempt_is_worded_afresh_under_a_new_key(store: Store, hook: WebhookReceiver) -> None:
    settings = notifications({"name": "hook", "url": hook.url()})
    record(store, settings, alert("a"))
    hook.status = 500
    assert Outbox(store, settings).deliver_due(NOW).retrying == 1
    [refused] = hook.requests
    [row] = rows(store)
    assert (row.message_key, row.message) == (None, None)  # the channel said no: nothing may have arrived

    hook.status = 200
    Outbox(store, settings).deliver_due(LATER)

    [_, sent] = hook.requests
    assert webhook_key(sent["headers"]) != webhook_key(refused["headers"])
    assert sent["json"]["message"].endswith("Sun 22 Nov 2026, 17:00 CET")  # worded at LATER
    assert refused["json"]["message"].endswith("Sun 22 Nov 2026, 10:00 CET")


def test_a_failed_resend_keeps_its_key_and_words(store: Store) -> None:
    with WebhookReceiver(drop_repeats=True) as hook:
        settings = notifications({"name": "hook", "url": hook.url()})
        record(store, settings, alert("a"))
        deliver_and_die(store, settings)
        hook.status = 500
        assert Outbox(store, settings, lease_clock=after_the_lease).deliver_due(LATER).retrying == 1
        assert rows(store)[0].message is not None  # the first attempt may have arrived: still that message
        hook.status = 200
        Outbox(store, settings, lease_clock=after_the_lease).deliver_due(LATER + timedelta(days=1))

        [first] = hook.requests
        assert len(hook.repeats) == 2
        assert all(again["json"] == first["json"] for again in hook.repeats)
        assert {webhook_key(again["headers"]) for again in hook.repeats} == {webhook_key(first["headers"])}


def test_two_senders_after_a_crash_send_each_recorded_message_once_more(db: Path) -> None:
    stores = [Store(db), Store(db)]
    try:
        with WebhookReceiver() as hook:
            settings = notifications({"name": "hook", "url": hook.url()})
            for i in range(8):  # eight messages, each sent and never marked
                record(stores[0], settings, alert(f"a{i}"))
                deliver_and_die(stores[0], settings)
            assert len(hook.requests) == 8
            start = threading.Barrier(2)

            def send(store: Store) -> None:
                start.wait()
                Outbox(store, settings, lease_clock=after_the_lease).deliver_due(LATER, limit=3)
                Outbox(store, settings, lease_clock=after_the_lease).deliver_due(LATER)

            threads = [threading.Thread(target=send, args=(s,)) for s in stores]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
            keys = [webhook_key(r["headers"]) for r in hook.requests]
        assert len(keys) == 16 and all(keys.count(key) == 2 for key in keys)
        assert [r.status for r in rows(stores[0])] == ["delivered"] * 8
    finally:
        for store in stores:
            store.close()


@pytest.mark.simulation  # two processes of the daemon's job: seconds the default run does not spend
def test_a_delivery_job_killed_right_after_the_mail_server_took_the_mail_is_not_a_second_mail(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The daemon's real outbox job in a process of its own, SIGKILLed as soon as the
    channel accepted the message (the simulation's own job runner); the next job sends it
    again, and the mailbox keeps one. The tests above play the same crash in-process."""
    import json
    import os
    import signal
    import subprocess
    import sys


    root = Path(__file__).resolve().parents[2]
    with SmtpReceiver(drop_repeats=True) as smtp:
        monkeypatch.setenv("DISPUTE_AGENT_STATE__DIR", str(tmp_path / "agent-state"))
        monkeypatch.setenv("DISPUTE_AGENT_NOTIFICATIONS__CHANNELS", json.dumps([{"name": "mail", "url": smtp.url()}]))
        monkeypatch.setenv("DISPUTE_AGENT_NOTIFICATIONS__TIME_ZONE", "Europe/Berlin")
        settings = load_settings()
        store = Store(settings.state.db_path)
        try:
            record(store, settings.notifications, alert("a"))
        finally:
            store.close()
        env = {**os.environ, "PYTHONPATH": str(root)}

        def job(now: datetime, kill: str) -> int:
            return subprocess.run([sys.executable, "-m", "tests.support.simulation_job", "outbox_job",
                                   now.isoformat(), kill], cwd=root, env=env, timeout=120,
                                  capture_output=True, check=False).returncode

        assert job(NOW, "send") == -signal.SIGKILL
        assert len(smtp.inbox) == 1
        assert job(NOW + timedelta(minutes=30), "none") == 0  # the job's clock is the lease's: 5 min are over

        [first], [again] = smtp.inbox, smtp.repeats
        assert mail_key(again) == mail_key(first) and body(again) == body(first)


def test_a_record_that_cannot_be_read_is_worded_again_rather_than_blocking_the_channel(
        store: Store, hook: WebhookReceiver) -> None:
    from sqlalchemy import update

    settings = notifications({"name": "hook", "url": hook.url()})
    record(store, settings, alert("a"), alert("b"))
    with store.transaction() as session:
        session.execute(update(OutboxRow).where(OutboxRow.alert_key == "a").values(
            message_key="dispute-agent-1-0000000000000000", message="{not json"))

    assert Outbox(store, settings).deliver_due(NOW).delivered == 2
    assert sorted(r["json"]["title"][-3:] for r in hook.requests) == ["(a)", "(b)"]
