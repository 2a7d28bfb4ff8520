"""Where a daily read of the order list may stop (agent.judge.detail_rule.ListStop): only
where every later page can hold nothing but history, so no order whose money can still be
protected, and no order never seen, is left unread."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agent.core.models import OrderStatus, ProtectionTimer, TimerSource
from agent.judge.detail_rule import GRACE, Known, ListStop, is_history

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
AFTER_CLOSE = timedelta(days=15)
DAY = timedelta(days=1)
S = OrderStatus
WINDOW = TimerSource.DISPUTE_WINDOW


def timer(ends_in: timedelta, source: TimerSource = TimerSource.COUNTDOWN) -> ProtectionTimer:
    return ProtectionTimer(ends_at=NOW + ends_in, source=source, read_at=NOW - 100 * DAY)


def known(read: OrderStatus | None, stored_timer: ProtectionTimer | None = None, disputed: bool = False) -> Known:
    return Known(read_status=read, timer=stored_timer, disputed=disputed)


# (case, listed status, what the store knows, history?)
HISTORY = [
    ("never seen", S.CANCELLED, None, False),
    ("cancelled", S.CANCELLED, known(None), True),
    ("never paid, expired", S.PAYMENT_EXPIRED, known(None), True),
    ("awaiting payment: it may still be paid", S.AWAITING_PAYMENT, known(None), False),
    ("closed, no timer known: nothing to judge", S.CLOSED, known(None), True),
    ("closed, window after close over", S.CLOSED, known(None, timer(-AFTER_CLOSE - GRACE - DAY)), True),
    ("closed, window after close within the grace", S.CLOSED, known(None, timer(-AFTER_CLOSE - GRACE + DAY)), False),
    ("closed, window after close still open", S.CLOSED, known(None, timer(-5 * DAY)), False),
    ("completed, window over", S.COMPLETED, known(S.COMPLETED, timer(-GRACE - DAY, WINDOW)), True),
    ("completed, window over by less than the grace", S.COMPLETED, known(S.COMPLETED, timer(-GRACE + DAY, WINDOW)),
     False),
    ("completed, window open", S.COMPLETED, known(S.COMPLETED, timer(30 * DAY, WINDOW)), False),
    ("completed, no timer", S.COMPLETED, known(S.COMPLETED), False),
    ("completed, last read in transit", S.COMPLETED, known(S.AWAITING_DELIVERY, timer(-400 * DAY, WINDOW)), False),
    ("in transit, timer long over", S.AWAITING_DELIVERY, known(S.AWAITING_DELIVERY, timer(-400 * DAY)), False),
    ("awaiting shipment", S.AWAITING_SHIPMENT, known(S.AWAITING_SHIPMENT, timer(-400 * DAY)), False),
    ("dispute in progress", S.DISPUTE_IN_PROGRESS, known(S.DISPUTE_IN_PROGRESS), False),
    ("covered by a dispute, cancelled", S.CANCELLED, known(None, disputed=True), False),
    ("covered by a dispute, completed long ago", S.COMPLETED,
     known(S.COMPLETED, timer(-400 * DAY, WINDOW), disputed=True), False),
]


@pytest.mark.parametrize(("status", "what", "expected"), [row[1:] for row in HISTORY], ids=[row[0] for row in HISTORY])
def test_history(status, what, expected):
    assert is_history(status, what, NOW, AFTER_CLOSE) is expected


OLD = known(S.COMPLETED, timer(-300 * DAY, WINDOW))  # completed, its window long over
LIVE = known(S.AWAITING_DELIVERY, timer(10 * DAY))


def stop(stored: dict[str, tuple[OrderStatus, Known]]) -> ListStop:
    return ListStop(known={k: v[1] for k, v in stored.items()}, stored={k: v[0] for k, v in stored.items()},
                    now=NOW, after_close=AFTER_CLOSE)


STORE = {"new1": None, "live1": (S.AWAITING_DELIVERY, LIVE), "old1": (S.COMPLETED, OLD),
         "old2": (S.COMPLETED, OLD), "old3": (S.CANCELLED, known(None))}
STORED = {k: v for k, v in STORE.items() if v is not None}


def test_the_live_orders_are_the_stored_ones_that_are_not_history():
    assert stop(STORED).live == {"live1"}


def test_a_page_of_history_after_every_live_order_ends_the_read():
    rule = stop(STORED)
    page = [("old1", S.COMPLETED), ("old2", S.COMPLETED)]
    assert rule.after_page(page, seen={"new1", "live1", "old1", "old2"}, repeated=False)


@pytest.mark.parametrize(("case", "page", "seen", "repeated"), [
    ("a live order not seen yet", [("old1", S.COMPLETED), ("old2", S.COMPLETED)], {"old1", "old2"}, False),
    ("an order came twice: one was skipped", [("old1", S.COMPLETED), ("old2", S.COMPLETED)],
     {"live1", "old1", "old2"}, True),
    ("a new order on the page", [("new1", S.COMPLETED), ("old2", S.COMPLETED)], {"live1", "new1", "old2"}, False),
    ("a history order whose status changed", [("old1", S.CLOSED), ("old2", S.AWAITING_DELIVERY)],
     {"live1", "old1", "old2"}, False),
    ("a live order on the page", [("live1", S.AWAITING_DELIVERY), ("old2", S.COMPLETED)], {"live1", "old2"}, False),
    ("an empty page", [], {"live1"}, False),
])
def test_the_read_goes_on(case, page, seen, repeated):
    assert not stop(STORED).after_page(page, seen=seen, repeated=repeated), case


def test_a_live_order_whose_status_changed_since_is_still_awaited():
    """Stored as in transit, now closed on the site: it must be seen, wherever it is listed."""
    rule = stop({**STORED, "live2": (S.AWAITING_DELIVERY, known(S.AWAITING_DELIVERY, timer(-2 * DAY)))})
    assert "live2" in rule.live
    assert not rule.after_page([("old1", S.COMPLETED)], seen={"live1", "old1"}, repeated=False)
    assert rule.after_page([("old1", S.COMPLETED)], seen={"live1", "live2", "old1"}, repeated=False)
