"""Which order pages a sync reads (agent.judge.detail_rule): never skip an order whose deadline can still be missed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agent.core.models import Order, OrderStatus, ProtectionTimer, TimerSource
from agent.judge.detail_rule import GRACE, Known, needs_detail

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
AFTER_CLOSE = timedelta(days=15)
S = OrderStatus


def listed(status: OrderStatus) -> Order:
    return Order(order_id="8100000000000001", status=status, lines=[], site_time=NOW)


def timer(ends_in: timedelta, source: TimerSource = TimerSource.COUNTDOWN) -> ProtectionTimer:
    return ProtectionTimer(ends_at=NOW + ends_in, source=source, read_at=NOW - timedelta(days=1))


DAY = timedelta(days=1)
WINDOW = TimerSource.DISPUTE_WINDOW

# (listed status, status of the last detail reading or None, stored timer, read?)
TABLE = [
    # new orders, or orders whose page was never read: read (unless settled)
    ("new, in transit", S.AWAITING_DELIVERY, "new", None, True),
    ("new, completed long ago", S.COMPLETED, "new", None, True),
    ("listed before, page never read", S.COMPLETED, None, timer(-400 * DAY, WINDOW), True),
    ("new, settled", S.CLOSED, "new", None, False),
    ("new, never paid", S.AWAITING_PAYMENT, "new", None, False),
    # still on its way: its countdown runs and can be moved, whatever is stored
    ("in transit, timer running", S.AWAITING_DELIVERY, S.AWAITING_DELIVERY, timer(10 * DAY), True),
    ("in transit, stored timer long over", S.AWAITING_DELIVERY, S.AWAITING_DELIVERY, timer(-90 * DAY), True),
    ("in transit, no timer", S.AWAITING_DELIVERY, S.AWAITING_DELIVERY, None, True),
    ("awaiting shipment", S.AWAITING_SHIPMENT, S.AWAITING_SHIPMENT, timer(-90 * DAY), True),
    ("processing", S.PROCESSING, S.PROCESSING, timer(-90 * DAY), True),
    ("a status the agent does not know", S.UNKNOWN, S.UNKNOWN, timer(-90 * DAY), True),
    # a status the last page did not show: read, whatever the stored timer says
    ("completed since the last reading", S.COMPLETED, S.AWAITING_DELIVERY, timer(-90 * DAY), True),
    ("dispute ended since", S.COMPLETED, S.DISPUTE_IN_PROGRESS, timer(-90 * DAY, WINDOW), True),
    ("dispute opened since", S.DISPUTE_IN_PROGRESS, S.AWAITING_DELIVERY, timer(5 * DAY), True),
    # completed: read while its window (or timer) runs, skipped once it is over
    ("completed, timer running", S.COMPLETED, S.COMPLETED, timer(3 * DAY), True),
    ("completed, window of 90 days open", S.COMPLETED, S.COMPLETED, timer(30 * DAY, WINDOW), True),
    ("completed, closed but after-close window open", S.COMPLETED, S.COMPLETED, timer(-10 * DAY), True),
    ("completed, after-close window just over (grace)", S.COMPLETED, S.COMPLETED, timer(-16 * DAY), True),
    ("completed, after-close window over", S.COMPLETED, S.COMPLETED, timer(-15 * DAY - GRACE - DAY), False),
    ("completed, window of 90 days just over (grace)", S.COMPLETED, S.COMPLETED, timer(-DAY, WINDOW), True),
    ("completed, window of 90 days over", S.COMPLETED, S.COMPLETED, timer(-GRACE - DAY, WINDOW), False),
    ("completed, history", S.COMPLETED, S.COMPLETED, timer(-400 * DAY, WINDOW), False),
    ("completed, no timer known", S.COMPLETED, S.COMPLETED, None, True),
    # a dispute covers the order: its deadlines are read from the dispute pages
    ("dispute in progress, unchanged", S.DISPUTE_IN_PROGRESS, S.DISPUTE_IN_PROGRESS, timer(5 * DAY), False),
    # settled: nothing read (the stored timer still drives the after-close alert)
    ("closed since", S.CLOSED, S.AWAITING_DELIVERY, timer(-DAY), False),
    ("cancelled", S.CANCELLED, S.AWAITING_SHIPMENT, None, False),
    ("payment expired", S.PAYMENT_EXPIRED, None, None, False),
]


# the same, for an order a dispute covers (the judge says nothing of its timer): read only
# when its page was never read or its status changed, whatever the status and the timer
COVERED = [
    ("covered, in transit, timer running", S.AWAITING_DELIVERY, S.AWAITING_DELIVERY, timer(10 * DAY), False),
    ("covered, in transit, no timer", S.AWAITING_DELIVERY, S.AWAITING_DELIVERY, None, False),
    ("covered, awaiting shipment", S.AWAITING_SHIPMENT, S.AWAITING_SHIPMENT, timer(5 * DAY), False),
    ("covered, a status the agent does not know", S.UNKNOWN, S.UNKNOWN, None, False),
    ("covered, completed, window open", S.COMPLETED, S.COMPLETED, timer(30 * DAY, WINDOW), False),
    ("covered, completed, no timer known", S.COMPLETED, S.COMPLETED, None, False),
    ("covered, in dispute", S.DISPUTE_IN_PROGRESS, S.DISPUTE_IN_PROGRESS, timer(5 * DAY), False),
    ("covered, page never read", S.AWAITING_DELIVERY, None, None, True),
    ("covered, completed since the last reading", S.COMPLETED, S.AWAITING_DELIVERY, timer(-90 * DAY), True),
    ("covered, delivered since the last reading", S.AWAITING_DELIVERY, S.AWAITING_SHIPMENT, timer(5 * DAY), True),
    ("covered, closed since", S.CLOSED, S.AWAITING_DELIVERY, timer(-DAY), False),
]


@pytest.mark.parametrize(("status", "read_status", "stored_timer", "expected"),
                         [row[1:] for row in TABLE], ids=[row[0] for row in TABLE])
def test_which_order_pages_a_sync_reads(status, read_status, stored_timer, expected):
    known = None if read_status == "new" else Known(read_status=read_status, timer=stored_timer)
    assert needs_detail(listed(status), known, NOW, AFTER_CLOSE) is expected


@pytest.mark.parametrize(("status", "read_status", "stored_timer", "expected"),
                         [row[1:] for row in COVERED], ids=[row[0] for row in COVERED])
def test_which_pages_of_orders_a_dispute_covers_a_sync_reads(status, read_status, stored_timer, expected):
    known = Known(read_status=read_status, timer=stored_timer, disputed=True)
    assert needs_detail(listed(status), known, NOW, AFTER_CLOSE) is expected


def test_the_window_is_the_one_rule_with_the_policy_after_close():
    """A longer after-close window keeps a closed order's page read: the policy is honoured."""
    ended = Known(read_status=S.COMPLETED, timer=timer(-20 * DAY))
    assert needs_detail(listed(S.COMPLETED), ended, NOW, timedelta(days=15)) is False
    assert needs_detail(listed(S.COMPLETED), ended, NOW, timedelta(days=30)) is True


def test_the_store_gives_the_status_of_the_last_page_read_not_of_the_last_list_row(tmp_path):
    """A sync that saved the list and failed on the pages leaves the new status unread: the next one reads it."""
    from agent.storage.store import Store
    from agent.usecases.sync import known_orders

    store = Store(tmp_path / "agent.db", now=lambda: NOW)
    try:
        first, later = timer(5 * DAY), timer(9 * DAY)
        page = listed(S.AWAITING_DELIVERY).model_copy(update={"detail_loaded": True, "timer": first})
        store.save_orders([page, listed(S.COMPLETED).model_copy(update={"order_id": "8100000000000002"})])
        store.save_orders([page.model_copy(update={"timer": later})])
        store.save_orders([listed(S.COMPLETED)])  # the list row of the next sync, its page not read
        known = known_orders(store)
        assert known["8100000000000001"] == Known(read_status=S.AWAITING_DELIVERY, timer=later)
        assert known["8100000000000002"] == Known(read_status=None, timer=None)
        assert needs_detail(listed(S.COMPLETED), known["8100000000000001"], NOW, AFTER_CLOSE) is True
    finally:
        store.close()


def test_an_order_the_sync_skips_for_its_dispute_is_one_the_judge_says_nothing_of(tmp_path):
    """``Known.disputed`` is the judge's ``has_dispute``: a skipped page never hides an alert."""
    from agent.core.models import DisputeDetail, DisputeStage
    from agent.judge.policy import Policy
    from agent.judge.rules import judge
    from agent.storage.dispute_records import DisputeRecords
    from agent.storage.store import Store
    from agent.usecases.poll import watch_state
    from agent.usecases.sync import known_orders

    covered, free = "8100000000000001", "8100000000000002"
    store = Store(tmp_path / "agent.db", now=lambda: NOW)
    try:
        pages = [listed(S.AWAITING_DELIVERY).model_copy(update={"order_id": order_id, "detail_loaded": True,
                                                                 "timer": timer(2 * DAY)})
                 for order_id in (covered, free)]
        store.save_orders(pages)
        DisputeRecords(store).save_dispute(DisputeDetail(
            reverse_order_id="RO1", reverse_line_id="6400000000000001", trade_order_id=covered,
            trade_line_id="81000000000000011", reverse_status=2, stage=DisputeStage.WAIT_SELLER_RESPONSE,
            site_time=NOW))
        known = known_orders(store)
        views = {view.order.order_id: view for view in watch_state(store).orders}
        assert {order_id: k.disputed for order_id, k in known.items()} == {covered: True, free: False}
        assert {order_id: v.has_dispute for order_id, v in views.items()} == {covered: True, free: False}
        assert [needs_detail(page, known[page.order_id], NOW, AFTER_CLOSE) for page in pages] == [False, True]
        warned = {alert.order_id for alert in judge(watch_state(store), NOW, Policy())}
        assert warned == {free}  # the protection of the covered order ends too, and is not judged
    finally:
        store.close()


@pytest.mark.parametrize("offered", [True, False])
def test_an_order_whose_dispute_ended_is_read_once_more_then_judged_on_that_page(tmp_path, offered):
    """A case withdrawn or closed no longer covers its order: the order is read once more,
    whatever its status (closed here, which is never read otherwise), and its protection is
    judged again only on that page, and only if it offers another dispute (decision 0027)."""
    from agent.core.models import DisputeDetail, DisputeStage, OrderLine
    from agent.judge.alerts import AlertKind
    from agent.judge.policy import Policy
    from agent.judge.rules import judge
    from agent.storage.dispute_records import DisputeRecords
    from agent.storage.store import Store
    from agent.usecases.poll import watch_state
    from agent.usecases.sync import known_orders

    clock = [NOW]
    order_id = "8100000000000001"
    store = Store(tmp_path / "agent.db", now=lambda: clock[0])
    records = DisputeRecords(store)

    def page(can_open: bool) -> Order:
        return listed(S.CLOSED).model_copy(update={
            "detail_loaded": True, "timer": timer(2 * DAY), "can_open_dispute": can_open,
            "lines": [OrderLine(line_id="81000000000000011", title="Lamp", quantity=1, can_open_dispute=can_open)]})

    def case(stage: DisputeStage) -> DisputeDetail:
        return DisputeDetail(reverse_order_id="RO1", reverse_line_id="6400000000000001", trade_order_id=order_id,
                             trade_line_id="81000000000000011", stage=stage, site_time=clock[0],
                             reverse_status=4 if stage is DisputeStage.FINISHED else 2)

    def warned() -> bool:
        return any(alert.kind in (AlertKind.PROTECTION_ENDING, AlertKind.AFTER_CLOSE_WINDOW)
                   for alert in judge(watch_state(store), clock[0], Policy()))

    try:
        store.save_orders([page(True)])  # read before the dispute, offering one
        records.save_dispute(case(DisputeStage.WAIT_SELLER_RESPONSE))
        assert known_orders(store)[order_id] == Known(read_status=S.CLOSED, timer=known_orders(store)[order_id].timer,
                                                      disputed=True)
        assert not warned()

        clock[0] += timedelta(hours=1)  # the case ends: its order's page, read before, says nothing yet
        records.save_dispute(case(DisputeStage.FINISHED))
        known = known_orders(store)[order_id]
        assert (known.disputed, known.ended_unread) == (False, True)
        assert needs_detail(listed(S.CLOSED), known, clock[0], AFTER_CLOSE) is True
        assert [view.after_dispute for view in watch_state(store).orders] == [False]
        assert not warned()

        clock[0] += timedelta(hours=1)  # the next sync reads it
        store.save_orders([page(offered)])
        known = known_orders(store)[order_id]
        assert (known.disputed, known.ended_unread) == (False, False)
        assert needs_detail(listed(S.CLOSED), known, clock[0], AFTER_CLOSE) is False
        assert [view.after_dispute for view in watch_state(store).orders] == [True]
        assert warned() is offered
    finally:
        store.close()


def test_a_page_read_at_the_moment_its_case_ended_was_read_before_it():
    """The sync reads the orders before the poll reads the cases: with one clock reading
    for both (a frozen clock, a coarse one), the page is the older of the two."""
    from agent.usecases.sync import read_since

    assert [read_since(at, NOW) for at in (None, NOW - DAY, NOW, NOW + timedelta(seconds=1))] == \
        [False, False, False, True]


@pytest.mark.parametrize(("status", "ends_in", "read"), [
    (S.CLOSED, 2 * DAY, True),  # settled, yet its window after close is open: read once more
    (S.COMPLETED, -AFTER_CLOSE - GRACE + timedelta(hours=1), True),  # inside the grace
    (S.COMPLETED, -AFTER_CLOSE - GRACE - timedelta(hours=1), False),  # its window long over
    (S.CLOSED, -AFTER_CLOSE - GRACE - timedelta(hours=1), False),
])
def test_an_order_whose_cases_ended_unread_is_read_while_its_window_may_be_open(status, ends_in, read):
    known = Known(read_status=status, timer=timer(ends_in), ended_unread=True)
    assert needs_detail(listed(status), known, NOW, AFTER_CLOSE) is read
    assert needs_detail(listed(status), Known(read_status=status, timer=timer(ends_in)), NOW, AFTER_CLOSE) is (
        read and status is S.COMPLETED)  # without the ended case: the usual rule
