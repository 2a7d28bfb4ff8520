"""Tracking and moved-protection rules: (state, now, policy) → alerts, one per incident.

Table tests pin each edge (just before / at / after the stall, the move threshold, the
extension request's 20 days); property tests check the promises over any instants:
"stalled" exactly when the parcel has been quiet for N days while protection runs, a
moved end announced exactly when it moved by more than the threshold, once per new end.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.core.models import (
    Order,
    OrderLine,
    OrderStatus,
    ProtectionTimer,
    TimerSource,
)
from agent.judge.alerts import ActionKind, AlertKind, Severity
from agent.judge.policy import Policy
from agent.judge.rules import judge
from agent.judge.tracking_rules import PROTECTION_MOVE, previous_end
from agent.judge.watch_state import OrderView, TrackingView, WatchState
from agent.usecases.tracking_watch import due_for_tracking

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
END = T0 + timedelta(days=30)  # protection end of the order below
DAY, H, SECOND = timedelta(days=1), timedelta(hours=1), timedelta(seconds=1)
POLICY = Policy()
OID = "8215000000000009"


def order(ends_at: datetime | None = END, status: OrderStatus = OrderStatus.AWAITING_DELIVERY,
          source: TimerSource = TimerSource.COUNTDOWN) -> Order:
    timer = ProtectionTimer(ends_at=ends_at, source=source, read_at=T0) if ends_at else None
    return Order(order_id=OID, status=status, store_name="Vega Store", placed_on=date(2026, 10, 1),
                 shipped_on=date(2026, 10, 3), timer=timer, site_time=T0,
                 lines=[OrderLine(line_id="L1", title="USB-C cable 2 m", quantity=1)])


def tracking(last_at: datetime | None = T0 - 2 * DAY, delivered: bool = False, read_at: datetime = T0,
             **extra: Any) -> TrackingView:
    return TrackingView(read_at=read_at, tracking_number="LP00012345678CN", carrier="AliExpress standard shipping",
                        events=3 if last_at else 0, last_event_at=last_at,
                        last_event="Arrived at destination country" if last_at else None, delivered=delivered,
                        delivered_at=last_at if delivered else None, **extra)


def alerts(now: datetime, policy: Policy = POLICY, **view: Any) -> list:
    view.setdefault("order", order())
    return judge(WatchState(orders=[OrderView(link="https://x/o/9", **view)]), now, policy)


def found(now: datetime, policy: Policy = POLICY, **view: Any) -> list[tuple[AlertKind, str, Severity]]:
    return [(a.kind, a.dedupe_key, a.severity) for a in alerts(now, policy, **view)]


def of_kind(kind: AlertKind, now: datetime, policy: Policy = POLICY, **view: Any) -> list:
    return [a for a in alerts(now, policy, **view) if a.kind is kind]


# --- no movement for N days ------------------------------------------------------------------

LAST = T0 - 2 * DAY
STALLED = ("tracking-stalled:8215000000000009:2026-11-18T10:00Z")


@pytest.mark.parametrize(("now", "view", "expected"), [
    (LAST + 10 * DAY - SECOND, {}, []),
    (LAST + 10 * DAY, {}, [STALLED]),
    (LAST + 25 * DAY, {}, [STALLED]),  # still the same incident: the same last event
    (END, {}, []),  # protection over: the stall is moot (the after-close alert speaks)
    (LAST + 12 * DAY, {"tracking": tracking(delivered=True)}, []),
    (LAST + 12 * DAY, {"tracking": None}, []),  # never read: nothing to say about it
    (LAST + 12 * DAY, {"has_dispute": True}, []),
    (LAST + 12 * DAY, {"order": order(status=OrderStatus.COMPLETED)}, []),
])
def test_no_tracking_movement_for_n_days(now: datetime, view: dict, expected: list[str]) -> None:
    view.setdefault("tracking", tracking())
    assert [a.dedupe_key for a in of_kind(AlertKind.TRACKING_STALLED, now, **view)] == expected


def test_stall_is_counted_from_the_policy_and_a_new_event_is_a_new_incident() -> None:
    short = Policy(tracking_stalled_days=3)
    assert of_kind(AlertKind.TRACKING_STALLED, LAST + 3 * DAY - SECOND, short, tracking=tracking()) == []
    first = of_kind(AlertKind.TRACKING_STALLED, LAST + 3 * DAY, short, tracking=tracking())
    later = of_kind(AlertKind.TRACKING_STALLED, LAST + 9 * DAY, short, tracking=tracking(last_at=LAST + 5 * DAY))
    assert first[0].dedupe_key != later[0].dedupe_key
    assert "in 3 days" in first[0].title and "in 4 days" in later[0].title


def test_a_stalled_alert_names_the_last_event_and_suggests_a_dispute_before_protection_ends() -> None:
    (alert,) = of_kind(AlertKind.TRACKING_STALLED, LAST + 11 * DAY, tracking=tracking())
    assert alert.severity is Severity.WARNING and alert.deadline == END
    assert alert.action.kind is ActionKind.OPEN_DISPUTE and alert.action.not_after == END
    assert '"Arrived at destination country" on Wed 18 Nov 2026, 10:00 UTC' in alert.title
    assert (alert.facts["stalled_days"], alert.facts["tracking_number"]) == ("11", "LP00012345678CN")


def test_a_parcel_without_any_dated_event_is_quiet_since_it_shipped() -> None:
    shipped = datetime(2026, 10, 3, tzinfo=UTC)
    assert of_kind(AlertKind.TRACKING_STALLED, shipped + 10 * DAY - SECOND, tracking=tracking(last_at=None)) == []
    (alert,) = of_kind(AlertKind.TRACKING_STALLED, shipped + 10 * DAY, tracking=tracking(last_at=None))
    assert alert.dedupe_key == "tracking-stalled:8215000000000009:none"
    assert "no dated event since it shipped on 3 October 2026" in alert.title


@given(quiet=st.integers(0, 60 * 24 * 60), days=st.integers(1, 30), end_in=st.integers(-5 * 24 * 60, 60 * 24 * 60))
def test_stalled_exactly_when_quiet_for_n_days_while_protection_runs(quiet: int, days: int, end_in: int) -> None:
    now = T0 + 40 * DAY
    view = {"order": order(ends_at=now + timedelta(minutes=end_in)),
            "tracking": tracking(last_at=now - timedelta(minutes=quiet))}
    stalled = of_kind(AlertKind.TRACKING_STALLED, now, Policy(tracking_stalled_days=days), **view)
    assert bool(stalled) == (quiet >= days * 24 * 60 and end_in > 0)


# --- delivered -------------------------------------------------------------------------------

DELIVERED_AT = T0 - DAY


@pytest.mark.parametrize(("now", "view", "deadline"), [
    (T0, {}, END),
    (END - SECOND, {}, END),
    (END, {}, END + 15 * DAY),  # the order closed with its timer: a dispute can still be opened 15 days
    (T0, {"order": order(status=OrderStatus.COMPLETED)}, END),
    (END + 5 * DAY, {"order": order(status=OrderStatus.COMPLETED)}, END + 15 * DAY),  # after close: 15 days more
    (END + 15 * DAY, {"order": order(status=OrderStatus.COMPLETED)}, None),
    (END + 5 * DAY, {"order": order(status=OrderStatus.COMPLETED, source=TimerSource.DISPUTE_WINDOW)}, None),
    (T0, {"has_dispute": True}, None),
    (T0, {"tracking": tracking(last_at=DELIVERED_AT)}, None),  # not delivered
    (T0, {"order": order(status=OrderStatus.CLOSED)}, None),
])
def test_delivered_says_until_when_to_inspect(now: datetime, view: dict, deadline: datetime | None) -> None:
    view.setdefault("tracking", tracking(last_at=DELIVERED_AT, delivered=True))
    delivered = of_kind(AlertKind.DELIVERED, now, **view)
    assert [a.deadline for a in delivered] == ([deadline] if deadline else [])
    assert all(a.dedupe_key == f"delivered:{OID}" and a.severity is Severity.WARNING for a in delivered)


def test_delivered_wording() -> None:
    (alert,) = of_kind(AlertKind.DELIVERED, T0, tracking=tracking(last_at=DELIVERED_AT, delivered=True))
    assert alert.title == (f"Order {OID} was delivered on Thu 19 Nov 2026, 10:00 UTC: inspect it before "
                           "Sun 20 Dec 2026, 10:00 UTC")
    assert alert.action.kind is ActionKind.OPEN_DISPUTE and alert.action.not_after == END


# --- the protection end moved ----------------------------------------------------------------

MOVED = f"protection-moved:{OID}:2026-12-20T10:00Z"


@pytest.mark.parametrize(("before", "expected"), [
    (END, []),
    (END - PROTECTION_MOVE, []),  # a countdown read a little off is no move
    (END + PROTECTION_MOVE, []),
    (END - PROTECTION_MOVE - SECOND, [(AlertKind.PROTECTION_MOVED, MOVED, Severity.INFO)]),  # extended
    (END - 5 * DAY, [(AlertKind.PROTECTION_MOVED, MOVED, Severity.INFO)]),
    (END + PROTECTION_MOVE + SECOND, [(AlertKind.PROTECTION_MOVED, MOVED, Severity.WARNING)]),  # shortened
    (END + 10 * DAY, [(AlertKind.PROTECTION_MOVED, MOVED, Severity.WARNING)]),
    (None, []),
])
def test_a_moved_protection_end_over_the_threshold_is_announced(before: datetime | None, expected: list) -> None:
    got = [f for f in found(T0, previous_end=before) if f[0] is AlertKind.PROTECTION_MOVED]
    assert got == expected


def test_a_moved_end_names_both_dates_and_is_one_message_per_new_end() -> None:
    (extended,) = of_kind(AlertKind.PROTECTION_MOVED, T0, previous_end=END - 5 * DAY)
    assert extended.title == (f"Buyer protection of order {OID} was extended by 5 days: it now ends "
                              "Sun 20 Dec 2026, 10:00 UTC (it ended Tue 15 Dec 2026, 10:00 UTC)")
    assert (extended.facts["previous_end_local"], extended.facts["new_end_local"]) == (
        "Tue 15 Dec 2026, 10:00 UTC", "Sun 20 Dec 2026, 10:00 UTC")
    (later,) = of_kind(AlertKind.PROTECTION_MOVED, T0 + 3 * DAY, previous_end=END - 5 * DAY)
    assert later.dedupe_key == extended.dedupe_key
    (again,) = of_kind(AlertKind.PROTECTION_MOVED, T0, order=order(ends_at=END + 7 * DAY), previous_end=END)
    assert again.dedupe_key != extended.dedupe_key and "by 7 days" in again.title
    (short,) = of_kind(AlertKind.PROTECTION_MOVED, T0, previous_end=END + DAY + 6 * H)
    assert "shortened by 1 day and 6 hours" in short.title


@pytest.mark.parametrize("view", [{"has_dispute": True}, {"order": order(status=OrderStatus.COMPLETED)},
                                  {"order": order(ends_at=T0)}])
def test_no_move_is_announced_for_an_order_that_is_not_waiting_with_protection_running(view: dict) -> None:
    assert of_kind(AlertKind.PROTECTION_MOVED, T0, previous_end=END - 5 * DAY, **view) == []


@given(before=st.integers(-30 * 24 * 60, 30 * 24 * 60))
def test_announced_exactly_when_it_moved_more_than_the_threshold(before: int) -> None:
    moved = of_kind(AlertKind.PROTECTION_MOVED, T0, previous_end=END + timedelta(minutes=before))
    assert bool(moved) == (abs(timedelta(minutes=before)) > PROTECTION_MOVE)
    if moved:
        assert moved[0].facts["moved"] == ("extended" if before < 0 else "shortened")


def timer(ends: datetime, source: TimerSource = TimerSource.COUNTDOWN) -> ProtectionTimer:
    return ProtectionTimer(ends_at=ends, source=source, read_at=T0)


AWAITING, COMPLETED = OrderStatus.AWAITING_DELIVERY.value, OrderStatus.COMPLETED.value


@pytest.mark.parametrize(("timers", "statuses", "expected"), [
    ([(T0, timer(END))], [(T0, AWAITING, None)], None),  # one reading: nothing to compare
    ([(T0, timer(END)), (T0 + DAY, timer(END + 5 * DAY))], [(T0, AWAITING, None)], END),
    ([(T0, timer(END)), (T0 + DAY, timer(END + 5 * DAY)), (T0 + 2 * DAY, timer(END + 9 * DAY))],
     [(T0, AWAITING, None)], END + 5 * DAY),  # from the previous observed end, not the first
    # an estimate replaced by the site's own countdown is no move
    ([(T0, timer(END, TimerSource.FALLBACK)), (T0 + DAY, timer(END + 5 * DAY))], [(T0, AWAITING, None)], None),
    # a completed order's timer is its dispute window: another deadline, no move
    ([(T0, timer(END)), (T0 + DAY, timer(END + 50 * DAY))], [(T0, AWAITING, None), (T0 + DAY, COMPLETED, None)],
     None),
    ([(T0, timer(END)), (T0 + DAY, timer(END + 5 * DAY))], [], None),
    # read before the order awaited delivery (an end shown while still processing): no move either
    ([(T0, timer(END)), (T0 + DAY, timer(END + 5 * DAY))],
     [(T0, OrderStatus.PROCESSING.value, None), (T0 + DAY, AWAITING, None)], None),
])
def test_previous_end_compares_like_with_like(timers: list, statuses: list, expected: datetime | None) -> None:
    assert previous_end(timers, statuses) == expected


# --- asking the seller to extend protection ---------------------------------------------------

P = f"protection:{OID}:2026-12-20T10:00Z"


@pytest.mark.parametrize(("now", "view", "expected_key", "asks"), [
    (END - 20 * DAY - SECOND, {}, None, False),
    (END - 20 * DAY, {}, f"{P}:20d", True),
    (END - 15 * DAY - SECOND, {}, f"{P}:20d", True),
    (END - 15 * DAY, {}, f"{P}:15d", True),
    (END - 2 * DAY, {}, f"{P}:3d", True),
    (END - 20 * DAY, {"tracking": tracking(delivered=True)}, None, False),  # delivered: not in transit
    (END - 7 * DAY, {"tracking": tracking(delivered=True)}, f"{P}:7d", False),
    (END - 20 * DAY, {"order": order(status=OrderStatus.COMPLETED)}, None, False),
    (END - 7 * DAY, {"order": order(status=OrderStatus.COMPLETED)}, f"{P}:7d", False),
    (END - 20 * DAY, {"tracking": None}, f"{P}:20d", True),  # tracking not read yet: still awaiting delivery
])
def test_protection_ending_on_an_order_in_transit_asks_the_seller_to_extend(
        now: datetime, view: dict, expected_key: str | None, asks: bool) -> None:
    view.setdefault("tracking", tracking())
    ending = of_kind(AlertKind.PROTECTION_ENDING, now, **view)
    assert [a.dedupe_key for a in ending] == ([expected_key] if expected_key else [])
    assert all(("ask_extension" in a.facts) == asks for a in ending)


def test_the_extension_request_follows_the_policy() -> None:
    assert of_kind(AlertKind.PROTECTION_ENDING, END - 20 * DAY, Policy(extension_request_days=0), tracking=tracking()) == []
    (ending,) = of_kind(AlertKind.PROTECTION_ENDING, END - 10 * DAY, Policy(extension_request_days=0),
                        tracking=tracking())
    assert ending.dedupe_key == f"{P}:15d" and "ask_extension" not in ending.facts
    (early,) = of_kind(AlertKind.PROTECTION_ENDING, END - 25 * DAY, Policy(extension_request_days=25),
                       tracking=tracking())
    assert early.dedupe_key == f"{P}:25d" and early.severity is Severity.INFO


def test_the_extension_request_carries_the_orders_facts() -> None:
    (ending,) = of_kind(AlertKind.PROTECTION_ENDING, END - 19 * DAY, tracking=tracking())
    assert {key: ending.facts[key] for key in ("ask_extension", "order_id", "item", "store", "tracking_number",
                                               "last_event", "last_event_date", "protection_end_date",
                                               "placed_date")} == {
        "ask_extension": "yes", "order_id": OID, "item": "USB-C cable 2 m", "store": "Vega Store",
        "tracking_number": "LP00012345678CN", "last_event": "Arrived at destination country",
        "last_event_date": "18 November 2026", "protection_end_date": "20 December 2026",
        "placed_date": "1 October 2026"}


# --- which orders a poll reads the tracking of -----------------------------------------------


@pytest.mark.parametrize(("kwargs", "known", "disputed", "due"), [
    ({}, None, set(), True),
    ({}, T0 - 12 * H, set(), True),
    ({}, T0 - 12 * H + SECOND, set(), False),  # read less than 12 h ago
    ({}, None, {OID}, False),
    ({"status": OrderStatus.COMPLETED}, None, set(), False),
    ({"status": OrderStatus.AWAITING_SHIPMENT}, None, set(), False),
    ({"ends_at": None}, None, set(), False),
    ({"ends_at": T0}, None, set(), False),  # protection over
])
def test_tracking_is_read_for_orders_in_transit_at_most_every_n_hours(kwargs: dict, known: datetime | None,
                                                                     disputed: set, due: bool) -> None:
    stored = {OID: tracking(read_at=known)} if known else {}
    assert due_for_tracking([order(**kwargs)], stored, disputed, T0, POLICY) == ([OID] if due else [])


def test_the_reading_interval_comes_from_the_policy() -> None:
    stored = {OID: tracking(read_at=T0 - H)}
    assert due_for_tracking([order()], stored, set(), T0, Policy(tracking_read_every_hours=1)) == [OID]
    assert due_for_tracking([order()], stored, set(), T0, Policy(tracking_read_every_hours=2)) == []
    assert due_for_tracking([order()], stored, set(), T0, Policy(tracking_read_every_hours=0)) == [OID]


def test_a_poll_reads_a_few_tracking_pages_taking_turns() -> None:
    def parcel_order(order_id: str, ends_in: timedelta) -> Order:
        return order(ends_at=T0 + ends_in).model_copy(update={"order_id": order_id})

    orders = [parcel_order("A", 30 * DAY), parcel_order("B", 10 * DAY), parcel_order("C", 5 * DAY),
              parcel_order("D", 3 * DAY), parcel_order("E", 2 * DAY)]
    stored = {"C": tracking(read_at=T0 - 20 * H), "D": tracking(read_at=T0 - 13 * H), "E": tracking(read_at=T0 - H)}

    def due(reads: int) -> list[str]:
        return due_for_tracking(orders, stored, set(), T0, Policy(tracking_reads_per_poll=reads))

    # never read first (the soonest end first), then the least recently read; E was read an hour ago
    assert due(10) == ["B", "A", "C", "D"]
    assert due(3) == ["B", "A", "C"]
    assert due(0) == []
