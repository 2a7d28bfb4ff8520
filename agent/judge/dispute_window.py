"""Until when a dispute can still be opened on an order: one rule for the alerts and for ``open``.

Why two cases: when the order's timer is its own clock (the site's countdown "Your
order will be closed in: …", a delivery promise, or the configured fallback), the order
closes when it runs out, and a dispute can still be opened ``after_close_days`` after
that (buyer-support answers, see the reference notes). When the timer is the window of
a completed order ("open a dispute within 90 days after order was placed"), its end is
already the last moment: nothing comes after it. And whatever the dates say, an order
whose own answer offers no "Returns/refunds" for any item cannot be disputed now.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from agent.core.models import Order, ProtectionTimer, TimerSource

__all__ = ["last_moment_to_dispute", "site_offers_no_dispute"]


def last_moment_to_dispute(timer: ProtectionTimer | None, after_close: timedelta) -> datetime | None:
    """The last moment a dispute can be opened, or None when no timer is known."""
    if timer is None:
        return None
    if timer.source is TimerSource.DISPUTE_WINDOW:
        return timer.ends_at
    return timer.ends_at + after_close


def site_offers_dispute(order: Order) -> bool:
    """The order's own answer offers a dispute (an OPEN_DISPUTE button) on the order or on one
    of its items; False when it offers none or was not read."""
    return order.can_open_dispute is True or any(line.can_open_dispute is True for line in order.lines)


def site_offers_no_dispute(order: Order) -> bool:
    """The order's own answer offers no dispute on the order or on any of its items."""
    if order.can_open_dispute is False:
        return True
    return bool(order.lines) and all(line.can_open_dispute is False for line in order.lines)
