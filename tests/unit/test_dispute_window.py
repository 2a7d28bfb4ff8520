"""Until when a dispute can be opened: the alerts invite to exactly what ``open`` accepts.

The demo world's order …011 (placed Aug 25, completed Sep 15: its window is the "open a
dispute within 90 days after order was placed" one) used to be invited, three days
after that window closed, to a dispute ``open`` then refused.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from agent.core.errors import NotEligible
from agent.core.models import (
    Order,
    OrderLine,
    OrderStatus,
    ProtectionTimer,
    TimerSource,
)
from agent.core.money import Money
from agent.judge.alerts import AlertKind
from agent.judge.policy import Policy
from agent.judge.rules import judge
from agent.judge.watch_state import OrderView, WatchState
from agent.usecases.filing import eligibility

END = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def order(source: TimerSource, *, line_can: bool | None = True, order_can: bool | None = None) -> Order:
    line = OrderLine(line_id="8215100000011001", title="Bottle", quantity=1, can_open_dispute=line_can,
                     unit_price=Money(amount=Decimal("9.45"), currency="USD"))
    return Order(order_id="8215000000000011", status=OrderStatus.COMPLETED, lines=[line], site_time=END,
                 can_open_dispute=order_can, timer=ProtectionTimer(ends_at=END, source=source, read_at=END - DAY))


def invited(item: Order, now: datetime, policy: Policy) -> bool:
    alerts = judge(WatchState(orders=[OrderView(order=item, link="https://x/o")]), now, policy)
    return any(alert.kind is AlertKind.AFTER_CLOSE_WINDOW for alert in alerts)


def accepted(item: Order, now: datetime, policy: Policy) -> bool:
    try:
        eligibility(item, item.lines[0], [], now, policy.after_close, None, False)
    except NotEligible:
        return False
    return True


@pytest.mark.parametrize("source", [TimerSource.COUNTDOWN, TimerSource.DELIVERY_PROMISE, TimerSource.FALLBACK])
@pytest.mark.parametrize("days", [0, 5, 15])
def test_after_the_orders_own_clock_the_window_is_the_policys_days_for_both(source, days):
    policy = Policy(after_close_days=days)
    item = order(source)
    last_second = [(END + days * DAY - timedelta(seconds=1), True)] if days else []
    for now, expected in [*last_second, (END + days * DAY, False), (END + 40 * DAY, False)]:
        assert invited(item, now, policy) is expected, (now, days)
        assert accepted(item, now, policy) is expected, (now, days)


def test_the_window_of_a_completed_order_has_nothing_after_it():
    item, policy = order(TimerSource.DISPUTE_WINDOW), Policy()
    assert not invited(item, END + 3 * DAY + timedelta(hours=1), policy)
    with pytest.raises(NotEligible, match=r"the time to open a dispute on order 8215000000000011 ended on 2026-11-23"):
        eligibility(item, item.lines[0], [], END + 3 * DAY, policy.after_close, None, False)


@pytest.mark.parametrize(("line_can", "order_can"), [(False, None), (None, False), (False, False)])
def test_no_invitation_where_the_orders_own_answer_offers_no_dispute(line_can, order_can):
    item = order(TimerSource.COUNTDOWN, line_can=line_can, order_can=order_can)
    assert not invited(item, END + DAY, Policy())


def test_an_item_the_site_still_offers_a_dispute_for_is_invited():
    assert invited(order(TimerSource.COUNTDOWN, line_can=None), END + DAY, Policy())
