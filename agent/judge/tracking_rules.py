"""Rules about the parcel and a protection end that moved: pure, like ``agent.judge.rules``.

Three incidents, each told once (docs/decisions/0012-tracking-watch.md):

- **stalled**: an order awaiting delivery whose tracking shows no new event for
  ``policy.tracking_stalled_days`` — once per last event (a new event ends the incident;
  a later stall after it is a new one);
- **delivered**: the tracking says the parcel was handed over — once per order, with the
  last moment a dispute can still be opened, so the item is inspected before then;
- **protection moved**: the protection end the site shows moved by more than
  ``PROTECTION_MOVE`` since the previous reading (the seller extended or shortened it) —
  once per new end, with both dates.

And one addition to the protection-ending alert: on an order still in transit with at
most ``policy.extension_request_days`` left, the facts of a ready English message asking
the seller to extend the protection (worded by the notification template
``_seller_extension_request.txt`` at delivery).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from agent.core.models import OrderStatus, ProtectionTimer
from agent.core.readable import duration
from agent.judge.alerts import ActionKind, Alert, AlertKind, Severity, SuggestedAction
from agent.judge.dispute_window import last_moment_to_dispute
from agent.judge.policy import Policy
from agent.judge.reminders import Facts, clean_facts, deadline_facts, key_time
from agent.judge.watch_state import OrderView

__all__ = ["PROTECTION_MOVE", "extension_request_facts", "in_transit", "previous_end", "tracking_alerts"]

#: a protection end that moved by more than this is news (a seller's extension is whole
#: days); less is the countdown read again a little off (docs/decisions/0012)
PROTECTION_MOVE = timedelta(hours=12)

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def in_transit(view: OrderView) -> bool:
    """Awaiting delivery, and the tracking (if read) does not say it was delivered."""
    return view.order.status is OrderStatus.AWAITING_DELIVERY and not (view.tracking and view.tracking.delivered)


def previous_end(timer_history: list[tuple[datetime, ProtectionTimer]],
                 status_history: list[tuple[datetime, str, str | None]]) -> datetime | None:
    """The protection end observed before the latest one, when it can be compared with it.

    Both readings must come from the same kind of timer (an estimate replaced by the
    site's countdown is no move) and from while the order awaited delivery (a completed
    order's timer is another deadline: its dispute window).
    """
    if len(timer_history) < 2:
        return None
    (seen_before, before), (seen_last, last) = timer_history[-2], timer_history[-1]
    if before.source is not last.source:
        return None

    def status_at(moment: datetime) -> str | None:
        known = [status for seen, status, _text in status_history if seen <= moment]
        return known[-1] if known else None

    awaiting = OrderStatus.AWAITING_DELIVERY.value
    if status_at(seen_before) != awaiting or status_at(seen_last) != awaiting:
        return None
    return before.ends_at


def _day(moment: datetime, policy: Policy) -> str:
    """'24 November 2026': a date for a message to the seller (English, unambiguous)."""
    return _date_words(moment.astimezone(policy.zone).date())


def _date_words(day: date) -> str:
    """A calendar day the site gave as a day (placed, shipped): as it is, in no zone."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _tracking_facts(view: OrderView, policy: Policy) -> Facts:
    tracking = view.tracking
    if tracking is None:
        return {}
    return {"tracking_number": tracking.tracking_number, "carrier": tracking.carrier,
            "last_event": tracking.last_event,
            "last_event_local": policy.local(tracking.last_event_at) if tracking.last_event_at else None,
            "last_event_date": _day(tracking.last_event_at, policy) if tracking.last_event_at else None,
            "tracking_read_local": policy.local(tracking.read_at)}


def extension_request_facts(view: OrderView, now: datetime, policy: Policy) -> Facts:
    """The facts of the message asking the seller to extend protection, when it is due:
    the order is still in transit and at most ``extension_request_days`` remain."""
    timer = view.order.timer
    if (policy.extension_request_days == 0 or timer is None or not in_transit(view)
            or not now < timer.ends_at <= now + timedelta(days=policy.extension_request_days)):
        return {}
    order = view.order
    return {"ask_extension": "yes", "protection_end_date": _day(timer.ends_at, policy),
            "placed_date": _date_words(order.placed_on) if order.placed_on else None,
            **_tracking_facts(view, policy)}


def tracking_alerts(view: OrderView, now: datetime, policy: Policy) -> list[Alert]:
    """Stalled, delivered and protection-moved alerts of one order (the caller has
    already set aside orders with a dispute, without a timer or without protection)."""
    return [*_stalled(view, now, policy), *_delivered(view, now, policy), *_moved(view, now, policy)]


def _alert(view: OrderView, now: datetime, policy: Policy, *, kind: AlertKind, severity: Severity, key: str,
           title: str, deadline: datetime, action: str, facts: Facts) -> Alert:
    order = view.order
    base: Facts = {"order_id": order.order_id, "store": order.store_name,
                   "item": order.lines[0].title if order.lines else None,
                   # a parcel not delivered yet: the dispute to open is "not received"
                   "awaiting_delivery": "yes" if kind is AlertKind.TRACKING_STALLED else None}
    return Alert(kind=kind, severity=severity, dedupe_key=key, title=title, order_id=order.order_id,
                 deadline=deadline, link=view.link, created_at=now,
                 action=SuggestedAction(kind=ActionKind.OPEN_DISPUTE, text=action, not_after=deadline),
                 facts=clean_facts({**base, **_tracking_facts(view, policy), **facts,
                                    **deadline_facts(deadline, now, policy)}))


def _stalled(view: OrderView, now: datetime, policy: Policy) -> list[Alert]:
    order, tracking, timer = view.order, view.tracking, view.order.timer
    if tracking is None or timer is None or not in_transit(view) or now >= timer.ends_at:
        return []
    since = tracking.last_event_at
    if since is None and order.shipped_on is not None:  # nothing dated yet: quiet since it shipped
        since = datetime.combine(order.shipped_on, time(0), UTC)
    if since is None or now - since < policy.tracking_stalled:
        return []
    days = (now - since) // timedelta(days=1)
    last = (f'last: "{tracking.last_event}" on {policy.local(since)}' if tracking.last_event_at
            else f"no dated event since it shipped on {_date_words(order.shipped_on)}")
    return [_alert(view, now, policy, kind=AlertKind.TRACKING_STALLED, severity=Severity.WARNING,
                   key=f"tracking-stalled:{order.order_id}:"
                       f"{key_time(tracking.last_event_at) if tracking.last_event_at else 'none'}",
                   title=f"No tracking news for order {order.order_id} in {days} day{'s' if days != 1 else ''} "
                         f"({last})",
                   deadline=timer.ends_at,
                   action=f"Ask the seller where the parcel is; if it does not move, open a dispute "
                          f"(not received) before {policy.local(timer.ends_at)}",
                   facts={"stalled_days": str(days)})]


#: statuses in which a delivered parcel may still be disputed
_DELIVERED_WATCH = frozenset({OrderStatus.AWAITING_DELIVERY, OrderStatus.COMPLETED, OrderStatus.UNKNOWN})


def _delivered(view: OrderView, now: datetime, policy: Policy) -> list[Alert]:
    order, tracking, timer = view.order, view.tracking, view.order.timer
    if tracking is None or not tracking.delivered or timer is None or order.status not in _DELIVERED_WATCH:
        return []
    deadline = timer.ends_at if now < timer.ends_at else last_moment_to_dispute(timer, policy.after_close)
    if deadline is None or now >= deadline:
        return []
    when = f" on {policy.local(tracking.delivered_at)}" if tracking.delivered_at else ""
    return [_alert(view, now, policy, kind=AlertKind.DELIVERED, severity=Severity.WARNING,
                   key=f"delivered:{order.order_id}",
                   title=f"Order {order.order_id} was delivered{when}: inspect it before {policy.local(deadline)}",
                   deadline=deadline,
                   action=f"Open the parcel and check the item now; if anything is wrong, open a dispute "
                          f"before {policy.local(deadline)}",
                   facts={"delivered_local": policy.local(tracking.delivered_at) if tracking.delivered_at else None})]


def _moved(view: OrderView, now: datetime, policy: Policy) -> list[Alert]:
    order, timer, before = view.order, view.order.timer, view.previous_end
    if (before is None or timer is None or order.status is not OrderStatus.AWAITING_DELIVERY
            or now >= timer.ends_at):
        return []
    moved = timer.ends_at - before
    if abs(moved) <= PROTECTION_MOVE:
        return []
    how, by = ("extended" if moved > timedelta(0) else "shortened"), duration(abs(moved))
    return [_alert(view, now, policy, kind=AlertKind.PROTECTION_MOVED,
                   severity=Severity.INFO if moved > timedelta(0) else Severity.WARNING,
                   key=f"protection-moved:{order.order_id}:{key_time(timer.ends_at)}",
                   title=f"Buyer protection of order {order.order_id} was {how} by {by}: it now ends "
                         f"{policy.local(timer.ends_at)} (it ended {policy.local(before)})",
                   deadline=timer.ends_at,
                   action=f"Open a dispute before {policy.local(timer.ends_at)} if the order goes wrong",
                   facts={"moved": how, "moved_by": by, "previous_end_local": policy.local(before),
                          "new_end_local": policy.local(timer.ends_at)})]
