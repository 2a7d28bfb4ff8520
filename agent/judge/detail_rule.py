"""Which orders a sync reads the detail page of: only those whose state or timer can still change.

Why a rule of its own: a daily sync of an account with years of history would otherwise
load hundreds of order pages to learn nothing (decision 0020). Why these cases, and
why each errs on the side of reading: the detail page is where the protection timer is
read, and a timer not read is a deadline that can be missed. So an order is read when

- it is new, or no detail page of it was ever read (nothing is known of its timer);
- its status is not the one its last detail page showed (a changed order may have a
  new timer). The status of the last detail READING is compared, not the last list
  row's: a sync that saved the list and then failed on the pages has not read the
  new status's timer yet, and the next sync must;
- it is still on its way (awaiting shipment, processing, awaiting delivery, a status
  the agent does not know): its countdown runs and a seller can extend or shorten it;
- it is completed and no timer is known, or its dispute window
  (``agent.judge.dispute_window.last_moment_to_dispute``, the one rule for the window) is not
  over by more than ``GRACE`` (the site's clock and a date-only window may be a day off).

It is skipped when it is settled (cancelled, closed, never paid: today's rule — a closed
order's after-close window is judged on the timer already stored), when it is completed
and its window is over, and when a dispute covers it and its status did not change,
whatever that status is (an order with a case open may still be listed as awaiting
delivery, its countdown shown but no longer the one that matters). Covered means what
the judge means (``Known.disputed``, filled from ``DisputeRecords.covered_orders``): the
judge says nothing of such an order's timer (``agent.judge.rules.order_alerts``), the
tracking step does not read it, and the dispute's own deadlines are read from the
dispute pages, every poll, all of them; filing reads its order's page fresh. A status
that changes (the dispute ending closes or completes the order) brings a reading again.
Pure: no I/O, the caller gives ``now`` (the site's clock).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from agent.core.models import Order, OrderStatus, ProtectionTimer
from agent.judge.dispute_window import last_moment_to_dispute

__all__ = ["GRACE", "SETTLED", "Known", "needs_detail"]

#: statuses whose timer cannot matter any more: no detail page is read for them
SETTLED = frozenset({OrderStatus.CANCELLED, OrderStatus.CLOSED, OrderStatus.PAYMENT_EXPIRED,
                     OrderStatus.AWAITING_PAYMENT})

#: a completed order is still read this long after its window ended (clock offsets,
#: windows the site gives as dates): reading one more day costs little, missing one costs money
GRACE = timedelta(days=2)


@dataclass(frozen=True)
class Known:
    """What the store knows of an order's last detail reading: the facts the rule compares."""

    #: the status the last detail page showed; None when no detail page was read
    read_status: OrderStatus | None
    #: the latest timer stored (None: none known)
    timer: ProtectionTimer | None
    #: a dispute covers the order, as the judge reads it: its timer is not judged
    disputed: bool = False


def needs_detail(listed: Order, known: Known | None, now: datetime, after_close: timedelta) -> bool:
    """True when the order's detail page must be read in this sync (see the module docstring)."""
    if listed.status in SETTLED:
        return False
    if known is None or known.read_status is not listed.status:  # new, never read, or changed
        return True
    if known.disputed or listed.status is OrderStatus.DISPUTE_IN_PROGRESS:
        return False
    if listed.status is not OrderStatus.COMPLETED:
        return True
    closes = last_moment_to_dispute(known.timer, after_close)
    return closes is None or now <= closes + GRACE
