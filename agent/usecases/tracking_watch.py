"""Use case step of a poll: read the tracking of the orders in transit whose reading is due.

Why only some orders, and not every poll: each reading is a page load of a few seconds,
and only a parcel still on its way can stall or be delivered. So an order's tracking is
read when it awaits delivery, its protection still runs, no dispute covers it (nor one
that ended on an order whose page offers no other), and its last reading is older than
``policy.tracking_read_every_hours``; and a poll reads at most
``policy.tracking_reads_per_poll`` of them, taking turns.

Why a failed reading does not fail the poll: the orders and disputes were read already;
a tracking page that misbehaves costs one order's tracking news, which is said (and
retried at the next poll), never the poll's alerts about money. A lost login does fail
it: every later page would fail the same way, and "login needed" must be told.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime

from agent.core.models import Order, OrderStatus
from agent.judge.policy import Policy
from agent.judge.watch_state import TrackingView

__all__ = ["due_for_tracking", "read_tracking_due"]

log = logging.getLogger("dispute_agent.tracking")


def due_for_tracking(orders: Iterable[Order], tracking: dict[str, TrackingView], disputed: set[str],
                     now: datetime, policy: Policy) -> list[str]:
    """The ids of the orders whose tracking a poll at ``now`` reads (pure), in reading order.

    At most ``policy.tracking_reads_per_poll``: the orders never read first, then the
    least recently read, each group by the soonest protection end. So every parcel gets
    its turn however many are on their way, and the ones whose protection ends first
    (the ones an extension request is for) come first.
    """
    due = []
    for order in orders:
        if (order.status is not OrderStatus.AWAITING_DELIVERY or order.timer is None
                or order.timer.ends_at <= now or order.order_id in disputed):
            continue
        known = tracking.get(order.order_id)
        if known is None or now - known.read_at >= policy.tracking_read_every:
            due.append((known is not None, known.read_at if known else now, order.timer.ends_at, order.order_id))
    return [order_id for *_, order_id in sorted(due)][:policy.tracking_reads_per_poll]


def read_tracking_due(settings, store, session, credentials, say: Callable[[str], None]) -> int:
    """Read and store the tracking of every order due (``due_for_tracking``); the count read.

    Raises ``LoginRequired`` (the session is gone); any other site error of one order is
    said and logged, and the next order is read.
    """
    from agent.core.errors import LoginRequired, SiteError
    from agent.judge.dispute_window import site_offers_dispute
    from agent.storage.dispute_records import DisputeRecords
    from agent.storage.tracking_store import load_tracking, save_tracking
    from agent.usecases.sync import site_clock
    from flows.orders import read_tracking

    clock = site_clock(store)
    orders = [stored.order for stored in store.orders()]
    covered, ended = DisputeRecords(store).case_cover()
    disputed = covered | {order.order_id for order in orders
                          if order.order_id in ended and not site_offers_dispute(order)}
    wanted = due_for_tracking(orders, load_tracking(store), disputed, clock(), settings.policy)
    read = 0
    for order_id in wanted:
        try:
            info = read_tracking(session, settings.site.base_url, order_id, credentials, settings.browser.timeout_ms)
        except LoginRequired:
            raise
        except SiteError as error:
            log.warning("the tracking of order %s could not be read: %s", order_id, error)
            say(f"the tracking of order {order_id} could not be read (tried again at the next poll): {error}")
            continue
        save_tracking(store, order_id, info, clock())
        read += 1
    if wanted:
        say(f"read the tracking of {read} of {len(wanted)} orders in transit")
    return read
