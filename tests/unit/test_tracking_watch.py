"""Tracking kept in the store and told through the outbox: a real SQLite file, a real SMTP
server and a real webhook receiver on 127.0.0.1 (no browser: the reading itself is the
browser test's).

The orders are stored as a sync stores them (timer history included); the watch state
is built from the store as a poll builds it, judged, recorded and delivered.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from agent.config.settings import load_settings
from agent.core.models import (
    Order,
    OrderLine,
    OrderStatus,
    ProtectionTimer,
    TimerSource,
    TrackingEvent,
    TrackingInfo,
)
from agent.core.money import Money
from agent.judge.alerts import AlertKind
from agent.judge.policy import Policy
from agent.judge.rules import judge
from agent.notifications.outbox import Outbox
from agent.storage.store import Store
from agent.storage.tracking_store import load_tracking, save_tracking
from agent.usecases.poll import record, watch_state
from tests.support.cli_state import BEFORE_MIGRATIONS, alter
from tests.support.isolation import isolate_environment
from tests.support.receivers import (
    QUIET_AUTH_WARNING,
    SmtpReceiver,
    WebhookReceiver,
    unthrottle_apprise,
)

pytestmark = pytest.mark.filterwarnings(QUIET_AUTH_WARNING)

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
IN_TRANSIT, DELIVERED, EXTENDED = "8215000000000011", "8215000000000012", "8215000000000013"


def order(order_id: str, ends: datetime, status: OrderStatus = OrderStatus.AWAITING_DELIVERY,
          title: str = "USB-C cable 2 m") -> Order:
    timer = ProtectionTimer(ends_at=ends, source=TimerSource.COUNTDOWN, read_at=T0,
                            raw_text="Your order will be closed in: …")
    return Order(order_id=order_id, store_name="Vega Store", status=status, status_text="Awaiting delivery",
                 placed_on=date(2026, 10, 1), shipped_on=date(2026, 10, 3),
                 total=Money(amount=Decimal("12.40"), currency="EUR"),
                 lines=[OrderLine(line_id=order_id + "1", title=title, quantity=1)], timer=timer, timers=[timer],
                 site_time=T0, detail_loaded=True)


def parcel(*events: tuple[datetime, str, str]) -> TrackingInfo:
    return TrackingInfo(
        tracking_number="LP00012345678CN", carrier="AliExpress standard shipping",
        events=[TrackingEvent(at=at, name=name, description=f"{name} (details)", code=code)
                for at, name, code in sorted(events, reverse=True)],
        delivered=any(code == "AE_GTMS_SIGNED" for _, _, code in events),
        delivered_at=max((at for at, _, code in events if code == "AE_GTMS_SIGNED"), default=None))


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    isolate_environment(monkeypatch, tmp_path)
    unthrottle_apprise(monkeypatch)
    clock = iter(T0 + timedelta(minutes=i) for i in range(1000))
    opened = Store(tmp_path / "state" / "agent.db", now=lambda: next(clock))
    yield opened
    opened.close()


def test_the_latest_reading_is_kept_per_order(store: Store) -> None:
    store.save_orders([order(IN_TRANSIT, T0 + 18 * DAY)])
    early = parcel((T0 - 9 * DAY, "Departed from sorting center", "AE_GTMS_TRANSIT"))
    save_tracking(store, IN_TRANSIT, early, T0 - DAY)
    later = parcel((T0 - 9 * DAY, "Departed from sorting center", "AE_GTMS_TRANSIT"),
                   (T0 - 2 * DAY, "Delivered", "AE_GTMS_SIGNED"))
    save_tracking(store, IN_TRANSIT, later, T0)
    (known,) = load_tracking(store).values()
    assert (known.read_at, known.events, known.last_event, known.last_event_at) == (T0, 2, "Delivered", T0 - 2 * DAY)
    assert (known.delivered, known.delivered_at, known.tracking_number) == (True, T0 - 2 * DAY, "LP00012345678CN")


def test_a_database_made_before_tracking_was_kept_gains_its_table_and_keeps_its_rows(tmp_path: Path) -> None:
    db = tmp_path / "agent.db"
    first = Store(db)
    first.save_orders([order(IN_TRANSIT, T0 + 18 * DAY)])
    first.close()
    alter(db, *BEFORE_MIGRATIONS, "DROP TABLE order_tracking")  # as an older version of the agent left it
    looked = Store(db, read_only=True)  # the commands that only look never write it...
    assert load_tracking(looked) == {} and len(looked.orders()) == 1
    looked.close()
    with sqlite3.connect(db) as raw:
        assert not raw.execute("SELECT name FROM sqlite_master WHERE name = 'order_tracking'").fetchall()
    upgraded = Store(db)  # ...a command that writes adds the table
    save_tracking(upgraded, IN_TRANSIT, parcel(), T0)
    assert list(load_tracking(upgraded)) == [IN_TRANSIT] and len(upgraded.orders()) == 1
    upgraded.close()


def test_each_tracking_alert_reaches_mail_and_webhook_once(store: Store) -> None:
    store.save_orders([order(IN_TRANSIT, T0 + 18 * DAY), order(DELIVERED, T0 + 16 * DAY, title="Desk lamp"),
                       order(EXTENDED, T0 + 25 * DAY, title="Phone case")])
    store.save_orders([order(EXTENDED, T0 + 32 * DAY, title="Phone case")])  # the seller extended it by 7 days
    save_tracking(store, IN_TRANSIT, parcel((T0 - 30 * DAY, "Departed from sorting center", "AE_GTMS_TRANSIT"),
                                            (T0 - 12 * DAY, "Arrived at destination country", "AE_GTMS_TRANSIT")),
                  T0)
    save_tracking(store, DELIVERED, parcel((T0 - 3 * DAY, "Out for delivery", "AE_GTMS_TRANSIT"),
                                           (T0 - DAY, "Delivered", "AE_GTMS_SIGNED")), T0)
    save_tracking(store, EXTENDED, parcel((T0 - DAY, "Departed from sorting center", "AE_GTMS_TRANSIT")), T0)
    with SmtpReceiver() as smtp, WebhookReceiver() as hook:
        settings = load_settings(notifications={"channels": [{"name": "mail", "url": smtp.url()},
                                                             {"name": "hook", "url": hook.url()}],
                                                "time_zone": "Europe/Berlin"},
                                 policy={"time_zone": "Europe/Berlin"})
        policy = settings.policy
        recorded = record(settings, store, judge(watch_state(store), T0, policy))
        kinds = {(a.kind, a.order_id) for a in recorded}
        assert kinds == {(AlertKind.TRACKING_STALLED, IN_TRANSIT), (AlertKind.PROTECTION_ENDING, IN_TRANSIT),
                         (AlertKind.DELIVERED, DELIVERED), (AlertKind.PROTECTION_MOVED, EXTENDED)}
        outbox = Outbox(store, settings.notifications)
        assert outbox.deliver_due(T0).delivered == 8
        mails = {mail["subject"]: mail.get_content() for mail in smtp.inbox}
        assert len(mails) == 4 and len(hook.requests) == 4

        def mail(words: str) -> str:
            (body,) = [body for subject, body in mails.items() if words in subject]
            return body

        ask = mail(f"Buyer protection of order {IN_TRANSIT} ends")
        start, end = "----- message to the seller: copy from the next line -----", "----- end of the message to the seller -----"
        assert ask.count(start) == 1 and ask.count(end) == 1
        text = ask.split(start)[1].split(end)[0]
        for fact in (IN_TRANSIT, "USB-C cable 2 m", "Vega Store", "placed on 1 October 2026", "LP00012345678CN",
                     '"Arrived at destination country" on 8 November 2026', "ends on 8 December 2026",
                     "extend the buyer protection"):
            assert fact in text, fact
        assert "{" not in text and "dispute-agent" not in text  # nothing of the agent goes to the seller

        stalled = mail(f"No tracking news for order {IN_TRANSIT} in 12 days")
        assert "Last event: Arrived at destination country, Sun 8 Nov 2026, 10:00 CET" in stalled
        assert "Tracking: LP00012345678CN (AliExpress standard shipping)" in stalled

        delivered = mail(f"Order {DELIVERED} was delivered on Thu 19 Nov 2026, 10:00 CET")
        assert "inspect it before Sun 6 Dec 2026, 10:00 CET" in delivered
        assert "Deadline: Sun 6 Dec 2026, 10:00 CET" in delivered

        moved = mail(f"Buyer protection of order {EXTENDED} was extended by 7 days")
        assert "it was Tue 15 Dec 2026, 10:00 CET, it is now Tue 22 Dec 2026, 10:00 CET" in moved
        assert "Phone case" in moved

        hooked = " ".join(str(request["json"]) for request in hook.requests)
        assert "extend the buyer protection" in hooked and "was extended by 7 days" in hooked

        # polls and sweeps say the same again: nothing new goes out, even days later
        for later in (T0 + timedelta(hours=6), T0 + 3 * DAY):
            assert record(settings, store, [a for a in judge(watch_state(store), later, policy)
                                            if a.kind is not AlertKind.PROTECTION_ENDING]) == []
        assert outbox.deliver_due(T0 + 3 * DAY).delivered == 0
        assert len(smtp.inbox) == 4 and len(hook.requests) == 4


def test_one_orders_tracking_failing_is_said_and_the_others_are_read_but_a_lost_login_stops_the_poll(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """The loop's error policy. The browser flow is replaced by a stand-in here (its page
    failing for real is the browser test's): it raises what the flow raises."""
    import flows.orders
    from agent.core.errors import LoginRequired, SiteUnavailable
    from agent.usecases.tracking_watch import read_tracking_due

    ends = datetime.now(UTC) + 18 * DAY  # the poll's clock is the site's, today's
    store.save_orders([order(IN_TRANSIT, ends), order(DELIVERED, ends), order(EXTENDED, ends, OrderStatus.COMPLETED)])
    fails: dict[str, Exception] = {IN_TRANSIT: SiteUnavailable("the tracking page answered HTTP 500")}
    asked: list[str] = []

    def read_tracking(session, base_url, order_id, credentials, timeout_ms):
        asked.append(order_id)
        if order_id in fails:
            raise fails[order_id]
        return parcel((T0, "Departed from sorting center", "AE_GTMS_TRANSIT"))

    monkeypatch.setattr(flows.orders, "read_tracking", read_tracking)
    settings = load_settings(site={"base_url": "http://127.0.0.1:9"}, policy={"tracking_reads_per_poll": 5})
    said: list[str] = []
    assert read_tracking_due(settings, store, None, None, said.append) == 1
    assert sorted(asked) == [IN_TRANSIT, DELIVERED]  # the completed order is not read
    assert list(load_tracking(store)) == [DELIVERED]
    assert any(f"the tracking of order {IN_TRANSIT} could not be read" in line and "HTTP 500" in line
               for line in said)
    asked.clear()
    assert read_tracking_due(settings, store, None, None, said.append) == 0  # not due again: only the failed one
    assert asked == [IN_TRANSIT]
    fails[IN_TRANSIT] = LoginRequired("the session ended while reading the tracking")
    with pytest.raises(LoginRequired):
        read_tracking_due(settings, store, None, None, said.append)


E0 = T0 + 30 * DAY


@pytest.mark.parametrize(("readings", "announced"), [
    # a countdown read again seconds or minutes off, at every poll: never a move
    ([E0, E0 + timedelta(seconds=590), E0 - timedelta(seconds=590), E0 + timedelta(minutes=5)], []),
    # extended by 7 days, then read again a little off: one message
    ([E0, E0 + 7 * DAY + timedelta(minutes=2), E0 + 7 * DAY - timedelta(minutes=2), E0 + 7 * DAY], [E0 + 7 * DAY]),
    # extended, then shortened: two messages, one per new end
    ([E0, E0 + 3 * DAY, E0 + 3 * DAY, E0 + DAY + timedelta(seconds=30)], [E0 + 3 * DAY, E0 + DAY]),
    # extended and taken back: the end it returns to is news too
    ([E0, E0 + 3 * DAY, E0], [E0 + 3 * DAY, E0]),
])
def test_readings_a_little_off_are_no_move_and_each_new_end_is_one_message(tmp_path: Path, readings: list[datetime],
                                                                          announced: list[datetime]) -> None:
    """Readings stored as a sync stores them, judged after each as a poll judges."""
    from agent.judge.reminders import key_time

    ticks = iter(range(10_000))
    store = Store(tmp_path / "moves.db", now=lambda: T0 + timedelta(minutes=next(ticks)))
    try:
        keys: list[str] = []
        for hour, end in enumerate(readings):
            store.save_orders([order(IN_TRANSIT, end)])
            keys += [a.dedupe_key for a in judge(watch_state(store), T0 + timedelta(hours=hour), Policy())
                     if a.kind is AlertKind.PROTECTION_MOVED and a.dedupe_key not in keys]
        assert keys == [f"protection-moved:{IN_TRANSIT}:{key_time(end)}" for end in announced]
    finally:
        store.close()
