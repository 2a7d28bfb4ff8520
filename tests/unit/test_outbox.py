"""The outbox: one message per incident, nothing lost while a channel is down or the agent restarts.

Deliveries go to a real SMTP server (aiosmtpd) and a real HTTP receiver on 127.0.0.1;
the database is a real SQLite file. The clock is passed in, so backoff is tested
without sleeping.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from agent.config.settings import NotificationsSettings, load_settings
from agent.core.money import Money
from agent.judge.alerts import ActionKind, Alert, AlertKind, Severity, SuggestedAction
from agent.notifications.outbox import (
    PER_CHANNEL_BATCH,
    AlertRow,
    DeliveryReport,
    DeliveryStatus,
    Outbox,
    OutboxRow,
    backoff,
    record_alerts,
)
from agent.storage.store import Meta, Store
from agent.usecases.ops import format_status, status_report
from tests.support.outbox_env import _isolated, db, notifications, store  # noqa: F401 (fixtures)
from tests.support.receivers import (
    QUIET_AUTH_WARNING,
    SmtpReceiver,
    WebhookReceiver,
)

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 2
pytestmark = pytest.mark.filterwarnings(QUIET_AUTH_WARNING)


def alert(key: str = "zero-offer:5001:p2", severity: Severity = Severity.CRITICAL, screenshot: Path | None = None,
          **changes) -> Alert:
    fields = dict(
        kind=AlertKind.ZERO_OFFER, severity=severity, dedupe_key=key,
        title=f"Seller offers 0.00 EUR on order 8215000000000004 ({key})", order_id="8215000000000004",
        dispute_id="5001", amount=Money(amount=Decimal("0.00"), currency="EUR"), deadline=NOW + timedelta(days=2),
        action=SuggestedAction(kind=ActionKind.REJECT, text="Reject the offer of 0.00 EUR",
                               not_after=NOW + timedelta(days=2)),
        facts={"item": "USB-C cable", "asked": "12.40 EUR"}, link="http://127.0.0.1:9/dispute/5001",
        screenshot=screenshot, created_at=NOW,
    )
    return Alert(**{**fields, **changes})


def rows(store: Store) -> list[OutboxRow]:
    with store.transaction() as session:
        return list(session.scalars(select(OutboxRow).order_by(OutboxRow.id)))


def record(store: Store, settings: NotificationsSettings, *alerts: Alert) -> list[Alert]:
    with store.transaction() as session:
        return record_alerts(session, list(alerts), settings.channels)


# --- recording ---------------------------------------------------------------------------------


def test_a_critical_alert_reaches_every_channel_once(store: Store, smtp: SmtpReceiver, hook: WebhookReceiver,
                                                     tmp_path: Path) -> None:
    shot = tmp_path / "offer.png"
    shot.write_bytes(PNG)
    settings = notifications({"name": "mail", "url": smtp.url()}, {"name": "hook", "url": hook.url()})
    outbox = Outbox(store, settings)

    assert record(store, settings, alert(screenshot=shot)) == [alert(screenshot=shot)]
    report = outbox.deliver_due(NOW)

    assert (report.delivered, report.retrying, report.ok) == (2, 0, True)
    [mail] = smtp.inbox
    [part] = [p for p in mail.walk() if p.get_content_disposition() == "attachment"]
    assert part.get_content() == PNG
    assert "Deadline: Tue 24 Nov 2026, 10:00 CET (in 2 days)" in mail.get_body(("plain",)).get_content()
    assert len(hook.requests) == 1
    assert [(r.channel, r.status, r.attempts, r.delivered_at) for r in rows(store)] == \
        [("mail", "delivered", 1, NOW), ("hook", "delivered", 1, NOW)]
    assert outbox.pending_count() == 0


def test_recording_the_same_alerts_again_sends_nothing_new(store: Store, smtp: SmtpReceiver) -> None:
    settings = notifications({"name": "mail", "url": smtp.url()})
    outbox = Outbox(store, settings)
    record(store, settings, alert("a"), alert("b"))
    outbox.deliver_due(NOW)

    again = record(store, settings, alert("a"), alert("b"), alert("b"))
    report = outbox.deliver_due(NOW + timedelta(hours=1))

    assert again == []
    assert report.delivered == 0
    assert len(smtp.inbox) == 2
    assert len(rows(store)) == 2


def test_a_repeat_within_one_batch_is_recorded_once(store: Store) -> None:
    settings = notifications({"name": "hook", "url": "json://127.0.0.1:9/hook"})
    new = record(store, settings, alert("a"), alert("a", title="the same incident, worded again"))

    assert [a.title for a in new] == [alert("a").title]
    assert len(rows(store)) == 1


def test_alerts_are_written_in_the_callers_transaction(store: Store) -> None:
    settings = notifications({"name": "hook", "url": "json://127.0.0.1:9/hook"})

    with pytest.raises(RuntimeError), store.transaction() as session:
        session.add(Meta(key="last_poll", value="now"))
        record_alerts(session, [alert("a")], settings.channels)
        raise RuntimeError("the poll failed after judging")

    assert store.get_meta("last_poll") is None
    assert rows(store) == []
    with store.transaction() as session:
        session.add(Meta(key="last_poll", value="now"))
        record_alerts(session, [alert("a")], settings.channels)
    assert store.get_meta("last_poll") == "now"
    assert len(rows(store)) == 1


def test_severities_route_alerts_to_their_channels(store: Store, smtp: SmtpReceiver, hook: WebhookReceiver) -> None:
    settings = notifications({"name": "phone", "url": hook.url("/phone"), "severities": ["critical"]},
                             {"name": "mail", "url": smtp.url(), "severities": ["critical", "warning", "info"]},
                             {"name": "chat", "url": hook.url("/chat"), "severities": ["warning"]})
    record(store, settings, alert("crit", Severity.CRITICAL), alert("warn", Severity.WARNING),
           alert("news", Severity.INFO))

    report = Outbox(store, settings).deliver_due(NOW)

    assert report.delivered == 5
    assert sorted((r.alert_key, r.channel) for r in rows(store)) == [
        ("crit", "mail"), ("crit", "phone"), ("news", "mail"), ("warn", "chat"), ("warn", "mail")]
    assert [r["path"] for r in hook.requests if "(crit)" in r["json"]["title"]] == ["/phone"]
    assert [r["path"] for r in hook.requests if "(warn)" in r["json"]["title"]] == ["/chat"]
    assert len(smtp.inbox) == 3


def test_an_alert_no_channel_takes_is_still_recorded_once(store: Store) -> None:
    settings = notifications({"name": "phone", "url": "json://127.0.0.1:9/p", "severities": ["critical"]})

    assert record(store, settings, alert("news", Severity.INFO)) != []
    assert record(store, settings, alert("news", Severity.INFO)) == []
    assert rows(store) == []


def test_money_and_every_field_come_back_exactly(store: Store) -> None:
    settings = notifications({"name": "hook", "url": "json://127.0.0.1:9/hook"})
    original = alert("kwd", amount=Money(amount=Decimal("1.235"), currency="KWD"), screenshot=Path("/x/y.png"))
    record(store, settings, original)

    [recent] = Outbox(store, settings).recent_alerts()

    assert recent.alert == original
    assert str(recent.alert.amount) == "1.235 KWD"


# --- a channel that is down ----------------------------------------------------------------------


def test_smtp_down_keeps_the_alert_and_sends_it_once_when_back(store: Store, smtp: SmtpReceiver,
                                                                hook: WebhookReceiver) -> None:
    settings = notifications({"name": "mail", "url": smtp.url()}, {"name": "hook", "url": hook.url()},
                             retry_backoff_seconds=60, retry_max_seconds=3600)
    outbox = Outbox(store, settings)
    record(store, settings, alert("a"))
    smtp.stop()

    report = outbox.deliver_due(NOW)

    assert (report.delivered, report.retrying) == (1, 1)  # the webhook is not held up by the mail server
    assert report.failures == ['mail: Connection error while submitting email to "127.0.0.1"']
    mail_row = next(r for r in rows(store) if r.channel == "mail")
    assert (mail_row.status, mail_row.attempts, mail_row.next_attempt_at) == ("pending", 1, NOW + timedelta(seconds=60))
    assert "Connection error" in (mail_row.last_error or "")
    assert outbox.pending_count() == 1 and outbox.pending_count("hook") == 0

    assert outbox.deliver_due(NOW + timedelta(seconds=30)).delivered == 0  # not due yet: no attempt
    assert next(r for r in rows(store) if r.channel == "mail").attempts == 1

    smtp.start()
    assert outbox.deliver_due(NOW + timedelta(seconds=61)).delivered == 1
    assert outbox.deliver_due(NOW + timedelta(hours=5)).delivered == 0

    assert len(smtp.inbox) == 1 and len(hook.requests) == 1
    mail_row = next(r for r in rows(store) if r.channel == "mail")
    assert (mail_row.status, mail_row.attempts, mail_row.last_error) == ("delivered", 2, None)
    assert mail_row.delivered_at == NOW + timedelta(seconds=61)


def test_retries_back_off_exponentially_up_to_the_cap(store: Store, smtp: SmtpReceiver) -> None:
    settings = notifications({"name": "mail", "url": smtp.url()}, retry_backoff_seconds=60, retry_max_seconds=200)
    outbox = Outbox(store, settings)
    record(store, settings, alert("a"))
    smtp.stop()

    waits, now = [], NOW
    for _ in range(4):
        assert outbox.deliver_due(now).retrying == 1
        [row] = rows(store)
        waits.append((row.next_attempt_at - now).total_seconds())
        now = row.next_attempt_at

    assert waits == [60, 120, 200, 200]
    assert rows(store)[0].attempts == 4


def test_backoff_doubles_from_the_base_and_stops_at_the_cap() -> None:
    assert [backoff(n, 60, 3600).total_seconds() for n in (1, 2, 3, 6, 7, 500)] == [60, 120, 240, 1920, 3600, 3600]


def test_a_down_channel_costs_one_attempt_per_run_not_one_per_message(store: Store, smtp: SmtpReceiver) -> None:
    settings = notifications({"name": "mail", "url": smtp.url()})
    outbox = Outbox(store, settings)
    record(store, settings, alert("a"), alert("b"), alert("c"))
    smtp.stop()

    report = outbox.deliver_due(NOW)

    assert (report.retrying, report.deferred) == (1, 2)
    assert [r.attempts for r in rows(store)] == [1, 0, 0]
    smtp.start()
    assert outbox.deliver_due(NOW + timedelta(minutes=2)).delivered == 3
    assert sorted(m["Subject"][-3:] for m in smtp.inbox) == ["(a)", "(b)", "(c)"]


def test_a_removed_channel_fails_permanently_instead_of_waiting_forever(store: Store, hook: WebhookReceiver) -> None:
    before = notifications({"name": "old", "url": hook.url("/old")}, {"name": "hook", "url": hook.url()})
    record(store, before, alert("a"))
    after = notifications({"name": "hook", "url": hook.url()})

    report = Outbox(store, after).deliver_due(NOW)

    assert (report.delivered, report.abandoned) == (1, 1)
    old = next(r for r in rows(store) if r.channel == "old")
    assert old.status == DeliveryStatus.FAILED_PERMANENTLY == "failed-permanently"
    assert old.last_error == "channel 'old' is no longer configured"
    assert Outbox(store, after).pending_count() == 0


# --- restarts ----------------------------------------------------------------------------------


def test_a_restart_delivers_what_was_pending(db: Path, smtp: SmtpReceiver) -> None:
    settings = notifications({"name": "mail", "url": smtp.url()})
    first = Store(db)
    record(first, settings, alert("a"), alert("b"))
    smtp.stop()
    assert Outbox(first, settings).deliver_due(NOW).retrying == 1
    first.close()  # the agent stops with both alerts undelivered

    smtp.start()
    second = Store(db)
    try:
        outbox = Outbox(second, notifications({"name": "mail", "url": smtp.url()}))
        assert outbox.pending_count() == 2
        assert outbox.deliver_due(NOW + timedelta(minutes=5)).delivered == 2
        assert outbox.deliver_due(NOW + timedelta(hours=1)).delivered == 0
        assert outbox.pending_count() == 0
    finally:
        second.close()
    assert len(smtp.inbox) == 2


def test_status_lists_recent_alerts_with_their_deliveries(store: Store, hook: WebhookReceiver) -> None:
    settings = notifications({"name": "hook", "url": hook.url()})
    outbox = Outbox(store, settings)
    record(store, settings, alert("old", created_at=NOW - timedelta(hours=2)), alert("new"))
    outbox.deliver_due(NOW)

    recent = outbox.recent_alerts(limit=1)

    assert [r.alert.dedupe_key for r in recent] == ["new"]
    [delivery] = recent[0].deliveries
    assert (delivery.channel, delivery.status, delivery.attempts) == ("hook", DeliveryStatus.DELIVERED, 1)
    with store.transaction() as session:
        assert session.scalar(select(func.count()).select_from(AlertRow)) == 2


# --- privacy --------------------------------------------------------------------------------------


def test_secrets_stay_out_of_last_error_and_logs(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(1)
    password, token = "Hb3-mail-pass", "Xr7webhooktoken"
    with SmtpReceiver(login="agent", password=password) as down, WebhookReceiver() as gone:
        settings = notifications({"name": "mail", "url": down.url()},
                                 {"name": "hook", "url": gone.url(auth=f"bot:{token}@")})
    outbox = Outbox(store, settings)
    record(store, settings, alert("a"))

    report = outbox.deliver_due(NOW)

    assert report.retrying == 2
    for secret in (password, token):
        assert secret not in caplog.text
        assert all(secret not in (row.last_error or "") for row in rows(store))
        assert all(secret not in failure for failure in report.failures)
    assert all(row.last_error for row in rows(store))
    assert any(r.levelno == logging.WARNING and r.name == "dispute_agent.outbox" for r in caplog.records)


# --- one channel never holds up another -------------------------------------------------------------


def _dead_url() -> str:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"json://127.0.0.1:{port}/dead"


def test_a_dead_channels_backlog_never_delays_another_channel(store: Store, smtp: SmtpReceiver) -> None:
    settings = notifications({"name": "chat", "url": _dead_url(), "severities": ["info"]},
                             {"name": "mail", "url": smtp.url(), "severities": ["critical"]})
    outbox = Outbox(store, settings)
    backlog = [alert(f"news-{i}", Severity.INFO, created_at=NOW - timedelta(hours=48) + timedelta(seconds=i))
               for i in range(600)]
    record(store, settings, *backlog)
    record(store, settings, alert("zero-offer", created_at=NOW))

    report = outbox.deliver_due(NOW)

    assert report.delivered == 1 and len(smtp.inbox) == 1  # the zero offer, at once
    assert "(zero-offer)" in smtp.inbox[0]["Subject"]
    assert report.retrying == 1 and report.deferred == PER_CHANNEL_BATCH - 1


def test_critical_alerts_of_a_channel_go_first(store: Store, hook: WebhookReceiver) -> None:
    settings = notifications({"name": "hook", "url": hook.url(), "severities": ["critical", "info"]})
    record(store, settings, *[alert(f"news-{i}", Severity.INFO, created_at=NOW - timedelta(hours=1))
                              for i in range(3)], alert("crit", created_at=NOW))

    assert Outbox(store, settings).deliver_due(NOW, limit=1).delivered == 1

    assert "(crit)" in hook.requests[0]["json"]["title"]


def fail_for(outbox: Outbox, start: datetime, hours: float) -> list[DeliveryReport]:
    """Run deliveries every time the channel's backoff allows, for ``hours``."""
    reports, now = [], start
    while now <= start + timedelta(hours=hours):
        reports.append(outbox.deliver_due(now))
        now += timedelta(minutes=30)
    return reports


def test_a_channel_failing_for_a_day_is_broken_and_the_others_are_told(store: Store, smtp: SmtpReceiver) -> None:
    settings = notifications({"name": "chat", "url": _dead_url()}, {"name": "mail", "url": smtp.url()},
                             retry_backoff_seconds=60, retry_max_seconds=3600, channel_broken_after_hours=24)
    outbox = Outbox(store, settings)
    record(store, settings, alert("zero-offer"))

    reports = fail_for(outbox, NOW, 23.5)
    assert not any(r.broken for r in reports)
    [state] = [s for s in outbox.channel_states() if s.channel == "chat"]
    assert state.broken_since is None and state.failing_since == NOW and state.pending == 1

    later = fail_for(outbox, NOW + timedelta(hours=24), 1)
    assert [r.broken for r in later if r.broken] == [["chat"]]
    [state] = [s for s in outbox.channel_states() if s.channel == "chat"]
    assert state.broken_since is not None and state.consecutive_failures > 1 and "chat" not in (state.last_error or "x")
    told = [m["Subject"] for m in smtp.inbox if "broken" in m["Subject"]]
    assert len(told) == 1 and "'chat'" in told[0]  # once, on the other channel
    shown = format_status(status_report(load_settings(notifications={"channels": []}), store,
                                        NOW + timedelta(hours=25)))
    assert any(line.startswith("channel") and "chat: BROKEN since" in line and "Connection error" in line
               for line in shown), shown
    with store.transaction() as session:
        keys = session.scalars(select(OutboxRow.channel).where(OutboxRow.alert_key.like("channel-broken:%"))).all()
    assert keys == ["mail"]


def test_a_broken_channel_that_works_again_gets_its_backlog_and_an_all_clear(store: Store, hook: WebhookReceiver,
                                                                              smtp: SmtpReceiver) -> None:
    settings = notifications({"name": "hook", "url": hook.url()}, {"name": "mail", "url": smtp.url()},
                             channel_broken_after_hours=1)
    outbox = Outbox(store, settings)
    record(store, settings, alert("zero-offer"))
    hook.status = 500
    fail_for(outbox, NOW, 2)
    assert outbox.channel_states()[0].broken_since is not None

    hook.status = 200
    failed_attempts = len(hook.requests)
    outbox.deliver_due(NOW + timedelta(hours=3))
    outbox.deliver_due(NOW + timedelta(hours=3))  # the all-clear recorded in the first run

    titles = [r["json"]["title"] for r in hook.requests[failed_attempts:]]
    assert len(titles) == 2
    assert "(zero-offer)" in titles[0] and "works again" in titles[1]
    assert any("works again" in m["Subject"] for m in smtp.inbox)
    assert outbox.channel_states()[0].broken_since is None


def test_a_broken_channel_gives_up_only_alerts_that_reached_another_channel(store: Store, smtp: SmtpReceiver) -> None:
    settings = notifications({"name": "chat", "url": _dead_url()},
                             {"name": "mail", "url": smtp.url(), "severities": ["critical"]},
                             channel_broken_after_hours=1, channel_give_up_hours=72)
    outbox = Outbox(store, settings)
    record(store, settings, alert("both"), alert("chat-only", Severity.INFO))
    fail_for(outbox, NOW, 2)
    assert outbox.pending_count("chat") == 2

    outbox.deliver_due(NOW + timedelta(hours=73))

    with store.transaction() as session:
        chat = {row.alert_key: row.status for row in session.scalars(select(OutboxRow).where(OutboxRow.channel == "chat"))}
    assert chat == {"both": "failed-permanently", "chat-only": "pending"}


# --- two senders at once ---------------------------------------------------------------------------


def test_a_row_claimed_by_one_sender_is_left_alone_by_another(db: Path, hook: WebhookReceiver) -> None:
    settings = notifications({"name": "hook", "url": hook.url()})
    daemon_store, cli_store = Store(db), Store(db)
    try:
        record(daemon_store, settings, alert("a"))
        daemon = Outbox(daemon_store, settings)
        claimed = daemon._claim("hook", NOW, 10, "daemon-token")  # the daemon is about to send it
        assert [d.alert.dedupe_key for d in claimed] == ["a"]

        assert Outbox(cli_store, settings).deliver_due(NOW).delivered == 0
        assert hook.requests == []

        # the daemon died holding it: once the lease is over, another sender takes it
        late = Outbox(cli_store, settings, lease_clock=lambda: datetime.now(UTC) + timedelta(minutes=6))
        assert late.deliver_due(NOW).delivered == 1
        assert len(hook.requests) == 1
    finally:
        daemon_store.close()
        cli_store.close()


def test_two_senders_at_once_send_each_alert_exactly_once(db: Path, hook: WebhookReceiver) -> None:
    import threading

    settings = notifications({"name": "hook", "url": hook.url()})
    stores = [Store(db), Store(db)]
    try:
        record(stores[0], settings, *[alert(f"a{i}") for i in range(30)])
        start = threading.Barrier(2)

        def send(store: Store) -> None:
            start.wait()
            Outbox(store, settings).deliver_due(NOW, limit=5)
            Outbox(store, settings).deliver_due(NOW)

        threads = [threading.Thread(target=send, args=(s,)) for s in stores]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        for store in stores:
            store.close()
    titles = [r["json"]["title"] for r in hook.requests]
    assert len(titles) == 30 and len(set(titles)) == 30


def test_recording_the_same_incident_from_two_processes_at_once_loses_nothing(db: Path) -> None:
    import threading
    import time

    settings = notifications({"name": "hook", "url": "json://127.0.0.1:9/hook"})
    first, second = Store(db), Store(db)
    errors: list[BaseException] = []
    recorded: list[list[Alert]] = []
    try:
        with first.transaction() as session:
            record_alerts(session, [alert("a")], settings.channels)

            def other_process() -> None:
                try:
                    with second.transaction() as other:
                        recorded.append(record_alerts(other, [alert("a"), alert("b")], settings.channels))
                except BaseException as error:  # noqa: BLE001 - the test reports it
                    errors.append(error)

            thread = threading.Thread(target=other_process)
            thread.start()
            time.sleep(0.5)  # the other one waits for the write lock, having seen no "a"
        thread.join(30)
    finally:
        first.close()
        second.close()
    assert errors == []
    assert [[a.dedupe_key for a in batch] for batch in recorded] == [["b"]]
    reopened = Store(db)
    try:
        assert sorted(r.alert_key for r in rows(reopened)) == ["a", "b"]
    finally:
        reopened.close()
