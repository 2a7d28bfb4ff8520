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
the judge means (``Known.disputed``, filled from ``CaseCover.covered``): the
judge says nothing of such an order's timer (``agent.judge.rules.order_alerts``), the
tracking step does not read it, and the dispute's own deadlines are read from the
dispute pages, every poll, all of them; filing reads its order's page fresh. A status
that changes (the dispute ending closes or completes the order) brings a reading again.
Once its cases are all over, an order is no longer covered, and it is read once more
whatever its status, a closed order included, unless its window is over
(``read_after_its_case``): only a page read after the case ended says whether the site
lets another dispute be opened, and until one is read the judge says nothing of it
(decision 0027). The poll reads it right after the case is seen ending, the next sync if
that failed.
Pure: no I/O, the caller gives ``now`` (the site's clock).

The same facts say where a daily read of the order list may stop (``ListStop``, decision
0025). An order is *history* when nothing its list row could say would change what the
agent does, and no dispute covers it: cancelled, or never paid and expired; closed with
no timer known or its window after close over; completed, read as completed, its window
over. The list is newest first: once a page holds only history, every order the store
knows that is not history has been seen, and no order came twice in the pass (the sign
of a skipped one), the pages after it can only hold history again and are not read. A
person deleting an order from the list, or any doubt, only means reading on to the end.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from agent.core.models import Order, OrderStatus, ProtectionTimer
from agent.judge.dispute_window import last_moment_to_dispute

__all__ = ["GRACE", "NEVER_PROTECTED", "SETTLED", "Known", "ListStop", "is_history", "needs_detail",
           "read_after_its_case"]

#: statuses whose timer cannot matter any more: no detail page is read for them
SETTLED = frozenset({OrderStatus.CANCELLED, OrderStatus.CLOSED, OrderStatus.PAYMENT_EXPIRED,
                     OrderStatus.AWAITING_PAYMENT})

#: statuses no order leaves and that protect nothing (awaiting payment is settled for the
#: detail rule, yet it is paid or expires: not one of them)
NEVER_PROTECTED = frozenset({OrderStatus.CANCELLED, OrderStatus.PAYMENT_EXPIRED})

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
    #: its cases are all over and no page of it was read since the last one ended
    ended_unread: bool = False


def needs_detail(listed: Order, known: Known | None, now: datetime, after_close: timedelta) -> bool:
    """True when the order's detail page must be read in this sync (see the module docstring)."""
    if known is not None and read_after_its_case(known, now, after_close):
        return True
    if listed.status in SETTLED:
        return False
    if known is None or known.read_status is not listed.status:  # new, never read, or changed
        return True
    if known.disputed or listed.status is OrderStatus.DISPUTE_IN_PROGRESS:
        return False
    if listed.status is not OrderStatus.COMPLETED:
        return True
    return not _window_over(known, now, after_close)


def read_after_its_case(known: Known, now: datetime, after_close: timedelta) -> bool:
    """Its cases all ended after its page was last read, and its window may still be open:
    only a page read now says whether another dispute can be opened (decision 0027)."""
    return known.ended_unread and not _window_over(known, now, after_close)


def _window_over(known: Known, now: datetime, after_close: timedelta) -> bool:
    """The order's window to open a dispute is known and over by more than ``GRACE``."""
    closes = last_moment_to_dispute(known.timer, after_close)
    return closes is not None and now > closes + GRACE


def is_history(status: OrderStatus, known: Known | None, now: datetime, after_close: timedelta) -> bool:
    """True when the order's list row can tell nothing that changes what the agent does
    (see the module docstring): never for an order the store does not know or a dispute covers."""
    if known is None or known.disputed:
        return False
    if status in NEVER_PROTECTED:
        return True
    if status is OrderStatus.CLOSED:  # its window after close is judged on the stored timer and row
        return known.timer is None or _window_over(known, now, after_close)
    if status is OrderStatus.COMPLETED:
        return known.read_status is OrderStatus.COMPLETED and _window_over(known, now, after_close)
    return False


@dataclass(frozen=True)
class ListStop:
    """Where a read of the order list may stop: ``known`` and ``stored`` (each stored
    order's list status) are what the store held before the read."""

    known: Mapping[str, Known]
    stored: Mapping[str, OrderStatus]
    now: datetime
    after_close: timedelta
    #: stored orders that are not history: a read sees every one of them before it stops
    live: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        live = frozenset(order_id for order_id, status in self.stored.items()
                         if not is_history(status, self.known.get(order_id), self.now, self.after_close))
        object.__setattr__(self, "live", live)

    def after_page(self, page: Sequence[tuple[str, OrderStatus]], seen: Collection[str], repeated: bool) -> bool:
        """True when the pages after this one need not be read: ``page`` is the page just
        read (order id, listed status), ``seen`` every order the read showed so far,
        ``repeated`` whether an order came twice (then one was skipped: read on)."""
        if repeated or not page:
            return False
        if not all(is_history(status, self.known.get(order_id), self.now, self.after_close)
                   for order_id, status in page):
            return False
        return all(order_id in seen for order_id in self.live)
