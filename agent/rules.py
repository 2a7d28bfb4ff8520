"""The judge: (what the agent knows, now, the user's policy) → the alerts that apply now.

Why pure: the scheduler's sweep, the ``poll`` command, tests and the deadline-safety
simulation all ask the same question at arbitrary instants, and the answer must not
depend on a browser, a database or the wall clock. No I/O here, ever.

Why dedupe keys and not "did we already send it": ``judge`` is stateless and is called
at every poll and sweep, so it re-emits everything that still applies; the outbox keeps
the first alert per ``dedupe_key``. A key names the incident only (dispute, proposal,
threshold, deadline hour), never ``now``, so re-emission costs nothing.

Reminders (docs/decisions/0002-alert-dedupe-and-reminders.md): before a deadline only
the most recent threshold passed is due, and only if the incident was known before
that threshold; one that passed before the agent first saw the incident is folded into
the first alert, so a late-seen zero offer is ONE message. Nothing is said about an
offer once its deadline has passed: the case is decided. An unreadable amount
(``None``) is never taken for zero.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from agent.alerts import ActionKind, Alert, AlertKind, Severity, SuggestedAction
from agent.models import (
    DeadlineKind,
    DisputeDetail,
    DisputeResult,
    DisputeStage,
    OrderStatus,
    Proposal,
    ProposalStatus,
    Proposer,
    TimerSource,
)
from agent.money import Money
from agent.policy import Policy
from agent.watch_state import (
    DisputeView,
    HealthView,
    OrderView,
    WatchState,
    counter_offers,
    deadline_of,
    escalation_possible,
    is_finished,
    is_nothing,
    offer_deadline,
    pending_offers,
    proposal_ref,
)

__all__ = [
    "DisputeView",
    "HealthView",
    "OrderView",
    "WatchState",
    "dispute_alerts",
    "due_threshold",
    "health_alerts",
    "judge",
    "order_alerts",
    "schedule",
    "time_left",
]


def judge(state: WatchState, now: datetime, policy: Policy) -> list[Alert]:
    """Every alert that applies at ``now``, one per dedupe key (the first one wins)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware: deadlines are compared in UTC")
    now = now.astimezone(timezone.utc)
    alerts: list[Alert] = []
    for dispute in state.disputes:
        alerts += dispute_alerts(dispute, now, policy)
    for order in state.orders:
        alerts += order_alerts(order, now, policy)
    alerts += health_alerts(state.health, now, policy)
    unique: dict[str, Alert] = {}
    for alert in alerts:
        unique.setdefault(alert.dedupe_key, alert)
    return list(unique.values())


# --- wording, keys, reminders -------------------------------------------------------------

_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}
#: ``Proposal.solution_type`` codes (see agent.models)
_REFUND_ONLY, _RETURN_AND_REFUND = 1, 2
Facts = dict[str, str | None]


def time_left(delta: timedelta) -> str:
    """'2 days 4 h', '5 h 30 min', '12 min': rounded down to whole minutes (no float)."""
    days, rest = divmod(max(0, delta // timedelta(minutes=1)), 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} day{'s' if days != 1 else ''} {hours} h"
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def _key_time(moment: datetime | None) -> str:
    """A deadline as part of a key, rounded to the nearest hour ("open" if unknown).

    Why rounded: a deadline read from a countdown ("Respond within: 1 day 23:59:58")
    moves by seconds between polls; the nearest hour keeps the key stable.
    """
    if moment is None:
        return "open"
    utc = moment.astimezone(timezone.utc) + timedelta(minutes=30)
    return utc.replace(minute=0, second=0, microsecond=0).strftime("%Y-%m-%dT%H:00Z")


def _money(value: Money | None) -> str:
    return str(value) if value is not None else "unreadable"


def _clean(facts: Facts) -> dict[str, str]:
    return {key: value for key, value in facts.items() if value is not None}


def _deadline_facts(deadline: datetime | None, now: datetime, policy: Policy) -> Facts:
    if deadline is None:
        return {"deadline_local": "unknown"}
    return {"deadline_local": policy.local(deadline), "deadline_utc": deadline.isoformat(),
            "time_left": time_left(deadline - now)}


def due_threshold(deadline: datetime, thresholds_hours: Iterable[int], now: datetime) -> int | None:
    """The most recent threshold passed (smallest h with deadline - h ≤ now), if any."""
    passed = [h for h in thresholds_hours if deadline - timedelta(hours=h) <= now]
    return min(passed) if passed else None


def schedule(first: Alert, reminder: Callable[[int], Alert], deadline: datetime | None,
             thresholds_hours: tuple[int, ...], first_known: datetime, now: datetime) -> list[Alert]:
    """The first alert of a timed incident and the reminder due now; nothing after the deadline.

    A reminder is due for the most recent threshold only, and only if that threshold was
    crossed while the incident was already known (``first_known``): otherwise the user
    would get the alert and a reminder at once. When reminders are more severe than the
    first alert (a return to ship: warning, then critical), an incident first seen past
    a threshold starts with the reminder instead of the milder first alert.
    """
    if deadline is None:
        return [first]
    if now >= deadline:
        return []
    first_known = min(first_known, now)
    outranks = bool(thresholds_hours) and _RANK[reminder(thresholds_hours[0]).severity] > _RANK[first.severity]
    seen_early = not thresholds_hours or first_known < deadline - timedelta(hours=max(thresholds_hours))
    alerts = [first] if seen_early or not outranks else []
    due = due_threshold(deadline, thresholds_hours, now)
    if due is not None and (first_known < deadline - timedelta(hours=due) or not alerts):
        alerts.append(reminder(due))
    return alerts


def _first_known(view: DisputeView, shows: Callable[[DisputeDetail], bool]) -> datetime:
    """Since when the agent has known an incident: the previous reading if it showed it."""
    if view.previous is not None and shows(view.previous):
        return min(view.previous.site_time, view.latest.site_time)
    return view.latest.site_time


def _who(proposer: Proposer) -> str:
    return {Proposer.SELLER: "Seller", Proposer.PLATFORM: "AliExpress"}.get(proposer, "The other side")


# --- one dispute ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Case:
    """One dispute being judged: builds its alerts with the facts every message needs."""

    view: DisputeView
    now: datetime
    policy: Policy

    @property
    def detail(self) -> DisputeDetail:
        return self.view.latest

    @property
    def id(self) -> str:
        return self.detail.reverse_line_id

    @property
    def order(self) -> str:
        return self.detail.trade_order_id

    def by(self, deadline: datetime | None) -> str:
        return f"before {self.policy.local(deadline)}" if deadline else "as soon as possible (deadline unknown)"

    def alert(self, kind: AlertKind, severity: Severity, key: str, title: str, *, amount: Money | None = None,
              deadline: datetime | None = None, action: SuggestedAction | None = None,
              facts: Facts | None = None, screenshot: bool = False) -> Alert:
        detail = self.detail
        base: Facts = {"dispute_id": self.id, "order_id": self.order, "item": detail.item_title,
                       "store": self.view.order.store_name if self.view.order else None,
                       "stage": detail.stage_text or detail.stage.value,
                       **_deadline_facts(deadline, self.now, self.policy), **(facts or {})}
        return Alert(kind=kind, severity=severity, dedupe_key=key, title=title, order_id=self.order,
                     dispute_id=self.id, amount=amount, deadline=deadline, action=action, facts=_clean(base),
                     link=self.view.link, screenshot=self.view.screenshot if screenshot else None,
                     created_at=self.now)


def dispute_alerts(view: DisputeView, now: datetime, policy: Policy) -> list[Alert]:
    """Everything one dispute calls for now; a closed case only reports how it ended."""
    case = _Case(view, now, policy)
    if is_finished(case.detail):
        return _closed(case)
    alerts: list[Alert] = []
    for offer in pending_offers(case.detail):
        alerts += _zero_offer(case, offer) if is_nothing(offer.refund) else _offer(case, offer)
    for rule in (_unread_offer, _zero_request, _withdrawn, _seller_silent, _escalation, _mediator, _return_shipment):
        alerts += rule(case)
    return alerts


def _timed(case: _Case, kind: AlertKind, reminder_kind: AlertKind, severities: tuple[Severity, Severity],
           key: str, titles: tuple[str, str], deadline: datetime | None, thresholds: tuple[int, ...],
           shows: Callable[[DisputeDetail], bool], **common: Any) -> list[Alert]:
    """An incident with a deadline: its first alert and reminders (keys ``<key>:reminder:<h>h``)."""
    first = case.alert(kind, severities[0], key, titles[0], deadline=deadline, **common)
    facts = common.pop("facts", None) or {}

    def reminder(hours: int) -> Alert:
        return case.alert(reminder_kind, severities[1], f"{key}:reminder:{hours}h", titles[1], deadline=deadline,
                          facts={**facts, "reminder": f"{hours}h"}, **common)

    return schedule(first, reminder, deadline, thresholds, _first_known(case.view, shows), case.now)


def _zero_action(case: _Case, amount: Money | None, deadline: datetime | None) -> SuggestedAction:
    """Reject (escalating when the site allows); automatic only by policy and before the deadline."""
    mode = case.policy.on_zero_offer
    escalate = mode != "reject" and escalation_possible(case.detail, case.now)
    automatic = mode != "notify" and deadline is not None and case.now < deadline
    verb = "escalate the dispute (this rejects the offer)" if escalate else "reject the offer"
    text = f"{verb.capitalize()} of {_money(amount)} {case.by(deadline)}, or the case closes with nothing"
    if automatic:
        text = f"The agent will {verb} of {_money(amount)} by itself {case.by(deadline)} (policy: {mode})"
    return SuggestedAction(kind=ActionKind.ESCALATE if escalate else ActionKind.REJECT, text=text,
                           not_after=deadline, automatic=automatic)


def _offer_facts(case: _Case, offer: Proposal) -> Facts:
    asked = case.detail.buyer_solution
    return {"proposer": offer.proposer.value, "proposal_id": offer.proposal_id, "amount": _money(offer.refund),
            "solution": offer.solution_type_text, "asked": _money(asked.refund) if asked else None}


def _zero_offer(case: _Case, offer: Proposal) -> list[Alert]:
    """A seller's or the platform's offer of nothing: critical at once, then reminders."""
    ref, amount = proposal_ref(offer), _money(offer.refund)
    deadline = offer_deadline(case.detail, offer)
    titles = (f"{_who(offer.proposer)} offers {amount} on order {case.order}: "
              f"reject it {case.by(deadline)} or get nothing",
              f"Still unanswered: the {amount} offer on order {case.order} closes the case {case.by(deadline)}")
    return _timed(case, AlertKind.ZERO_OFFER, AlertKind.ZERO_OFFER_REMINDER, (Severity.CRITICAL, Severity.CRITICAL),
                  f"zero-offer:{case.id}:{ref}", titles, deadline, case.policy.zero_offer_reminders_hours,
                  lambda prev: any(proposal_ref(p) == ref and is_nothing(p.refund) for p in pending_offers(prev)),
                  amount=offer.refund, action=_zero_action(case, offer.refund, deadline),
                  facts=_offer_facts(case, offer), screenshot=True)


def _offer_concern(case: _Case, offer: Proposal) -> tuple[AlertKind, str, ActionKind, str]:
    """What a non-zero offer means for the buyer: (kind, title, action kind, action text)."""
    asked = case.detail.buyer_solution
    ask = asked.refund if asked else None
    deadline = offer_deadline(case.detail, offer)
    who, amount, by = _who(offer.proposer), _money(offer.refund), case.by(deadline)
    push_back = ActionKind.ESCALATE if escalation_possible(case.detail, case.now) else ActionKind.REJECT
    if offer.refund is None:
        return (AlertKind.OFFER_AWAITING, f"{who} made an offer on order {case.order}; its amount could not be read",
                ActionKind.CHECK_SITE, f"Open the dispute page and answer the offer {by}")
    if asked is not None and asked.solution_type == _REFUND_ONLY and offer.solution_type == _RETURN_AND_REFUND:
        return (AlertKind.SOLUTION_CHANGED, f"{who} offers a return and refund of {amount} on order {case.order} "
                "instead of the refund only you asked", push_back,
                f"Reject or counter {by} unless you want to ship the item back")
    comparable = ask is not None and ask.currency == offer.refund.currency and not is_nothing(ask)
    if comparable and offer.refund < ask * case.policy.lowball_share:
        return (AlertKind.LOWBALL_OFFER, f"{who} offers only {amount} of the {ask} you asked on order {case.order}",
                push_back, f"Reject and counter with your amount {by}")
    if comparable and offer.refund >= ask:
        return (AlertKind.OFFER_AWAITING, f"{who} offers {amount}, all you asked, on order {case.order}",
                ActionKind.ACCEPT, f"Accept it yourself {by} if it suits you (the agent never accepts)")
    return (AlertKind.OFFER_AWAITING, f"{who} offers {amount} on order {case.order}: decide {by}", ActionKind.NONE,
            f"Accept, reject or counter {by}; unanswered, the case closes with this offer")


def _offer(case: _Case, offer: Proposal) -> list[Alert]:
    """A non-zero (or unreadable) offer: one warning naming its concern, one reminder near the deadline."""
    ref, deadline = proposal_ref(offer), offer_deadline(case.detail, offer)
    kind, title, action_kind, text = _offer_concern(case, offer)
    reminder = f"Offer of {_money(offer.refund)} on order {case.order} still unanswered: decide {case.by(deadline)}"
    return _timed(case, kind, AlertKind.OFFER_AWAITING, (Severity.WARNING, Severity.WARNING),
                  f"offer:{case.id}:{ref}", (title, reminder), deadline, (case.policy.deadline_soon_hours,),
                  lambda prev: any(proposal_ref(p) == ref for p in pending_offers(prev)),
                  amount=offer.refund, action=SuggestedAction(kind=action_kind, text=text, not_after=deadline),
                  facts={**_offer_facts(case, offer), "concern": kind.value}, screenshot=True)


def _unread_offer(case: _Case) -> list[Alert]:
    """The site waits for the buyer's answer but no pending offer could be read: never silent."""
    if case.detail.stage is not DisputeStage.WAIT_BUYER_RESPONSE or pending_offers(case.detail):
        return []
    deadline = deadline_of(case.detail, DeadlineKind.BUYER_RESPOND)
    if deadline is not None and case.now >= deadline:
        return []
    return [case.alert(
        AlertKind.OFFER_AWAITING, Severity.WARNING, f"offer:{case.id}:unread:{_key_time(deadline)}",
        f"Order {case.order}: the site waits for your answer to an offer that could not be read",
        deadline=deadline, facts={"amount": "unreadable"}, screenshot=True,
        action=SuggestedAction(kind=ActionKind.CHECK_SITE, not_after=deadline,
                               text=f"Open the dispute page and answer the offer {case.by(deadline)}"))]


def _zero_request(case: _Case) -> list[Alert]:
    """The buyer's own request now says nothing: executed as is if the seller stays silent."""
    asked = case.detail.buyer_solution
    if asked is None or not is_nothing(asked.refund):
        return []
    ref, amount = proposal_ref(asked), _money(asked.refund)
    deadline = deadline_of(case.detail, DeadlineKind.SELLER_RESPOND)
    escalate = escalation_possible(case.detail, case.now)
    action = SuggestedAction(kind=ActionKind.ESCALATE if escalate else ActionKind.CHECK_SITE, not_after=deadline,
                             text=f"Change the request back to the refund you want{' or escalate' if escalate else ''}"
                                  f" {case.by(deadline)}")
    titles = (f"The request on order {case.order} now asks for {amount}: fix it {case.by(deadline)}",
              f"Still {amount}: the request on order {case.order} is executed {case.by(deadline)}")
    return _timed(case, AlertKind.ZERO_OFFER, AlertKind.ZERO_OFFER_REMINDER, (Severity.CRITICAL, Severity.CRITICAL),
                  f"zero-request:{case.id}:{ref}", titles, deadline, case.policy.zero_offer_reminders_hours,
                  lambda prev: prev.buyer_solution is not None and not is_finished(prev)
                  and proposal_ref(prev.buyer_solution) == ref and is_nothing(prev.buyer_solution.refund),
                  amount=asked.refund, action=action, facts={"amount": amount, "change": "request_now_nothing"},
                  screenshot=True)


_ANSWERED = frozenset({ProposalStatus.ACCEPTED, ProposalStatus.REJECTED, ProposalStatus.EXPIRED})


def _withdrawn(case: _Case) -> list[Alert]:
    """An offer pending at the previous reading that is gone, not by the buyer's answer."""
    if case.view.previous is None:
        return []
    before = {proposal_ref(p): p for p in pending_offers(case.view.previous)}
    pending = {proposal_ref(p): p for p in pending_offers(case.detail)}
    current = counter_offers(case.detail)
    new = [p for ref, p in pending.items() if ref not in before]
    alerts = []
    for ref, old in before.items():
        status = current[ref].status if ref in current else None
        if ref in pending or status in _ANSWERED or (status is not ProposalStatus.WITHDRAWN and not new):
            continue
        replaced_by = _money(new[-1].refund) if new else None
        what = f"replaced the offer of {_money(old.refund)} with {replaced_by}" if new else \
            f"withdrew the offer of {_money(old.refund)}"
        alerts.append(case.alert(
            AlertKind.PROPOSAL_WITHDRAWN, Severity.WARNING, f"withdrawn:{case.id}:{ref}",
            f"{_who(old.proposer)} {what} on order {case.order}", amount=old.refund,
            facts={"proposal_id": old.proposal_id, "amount": _money(old.refund), "replaced_by": replaced_by},
            action=SuggestedAction(kind=ActionKind.NONE, text="Look at the dispute page: the offer changed")))
    return alerts


def _seller_silent(case: _Case) -> list[Alert]:
    """The seller's turn: the date the buyer's request is executed if nothing happens."""
    detail, asked = case.detail, case.detail.buyer_solution
    deadline = deadline_of(detail, DeadlineKind.SELLER_RESPOND)
    if (detail.stage is not DisputeStage.WAIT_SELLER_RESPONSE or deadline is None or case.now >= deadline
            or pending_offers(detail) or (asked is not None and is_nothing(asked.refund))):
        return []
    ask = _money(asked.refund) if asked else "your request"
    return [case.alert(
        AlertKind.SELLER_SILENT, Severity.INFO, f"seller-silent:{case.id}:{_key_time(deadline)}",
        f"Order {case.order}: if the seller stays silent, you win ({ask}) on {case.policy.local(deadline)}",
        amount=asked.refund if asked else None, deadline=deadline,
        action=SuggestedAction(kind=ActionKind.NONE, text="Nothing to do; you will be told if the seller answers"))]


def _escalation(case: _Case) -> list[Alert]:
    if not escalation_possible(case.detail, case.now):
        return []
    return [case.alert(
        AlertKind.ESCALATION_POSSIBLE, Severity.INFO, f"escalation:{case.id}",
        f"You can now escalate the dispute on order {case.order}",
        action=SuggestedAction(kind=ActionKind.ESCALATE,
                               text="Escalate if talking to the seller leads nowhere (nothing can be changed after)"))]


def _mediator_deadline(detail: DisputeDetail) -> datetime | None:
    request = detail.mediator_request
    return (request.deadline if request else None) or deadline_of(detail, DeadlineKind.MEDIATOR_INFO)


def _mediator(case: _Case) -> list[Alert]:
    """A mediator's question: unanswered by its deadline, the case is lost (critical, like $0)."""
    request = case.detail.mediator_request
    if request is None:
        return []
    deadline = _mediator_deadline(case.detail)
    ref = _key_time(deadline)
    titles = (f"The mediator asks for information on order {case.order}: answer {case.by(deadline)}",
              f"Still unanswered: the mediator's request on order {case.order}, {case.by(deadline)}")
    return _timed(case, AlertKind.MEDIATOR_REQUEST, AlertKind.MEDIATOR_REQUEST, (Severity.CRITICAL, Severity.CRITICAL),
                  f"mediator:{case.id}:{ref}", titles, deadline, case.policy.zero_offer_reminders_hours,
                  lambda prev: prev.mediator_request is not None and _key_time(_mediator_deadline(prev)) == ref,
                  action=SuggestedAction(kind=ActionKind.ANSWER_MEDIATOR, not_after=deadline,
                                         text=f"Answer the mediator with photos or a video {case.by(deadline)}"),
                  facts={"request": request.text}, screenshot=True)


def _return_shipment(case: _Case) -> list[Alert]:
    """An agreed return: not shipped with tracking by the deadline, the money goes to the seller."""
    deadline = deadline_of(case.detail, DeadlineKind.RETURN_SHIPMENT)
    if case.detail.stage is not DisputeStage.WAIT_RETURN_SHIPMENT and deadline is None:
        return []
    ref = _key_time(deadline)
    titles = (f"Return the item of order {case.order} {case.by(deadline)}",
              f"Return not shipped yet for order {case.order}: the money goes to the seller {case.by(deadline)}")
    return _timed(case, AlertKind.RETURN_SHIPMENT, AlertKind.RETURN_SHIPMENT, (Severity.WARNING, Severity.CRITICAL),
                  f"return:{case.id}:{ref}", titles, deadline, case.policy.zero_offer_reminders_hours,
                  lambda prev: _key_time(deadline_of(prev, DeadlineKind.RETURN_SHIPMENT)) == ref,
                  action=SuggestedAction(kind=ActionKind.SHIP_RETURN, not_after=deadline,
                                         text=f"Ship the item back and enter the tracking number {case.by(deadline)}"))


def _closed(case: _Case) -> list[Alert]:
    """How the case ended; news only while it is news (within ``after_close_days``)."""
    finish = case.detail.finish
    result = finish.result if finish else DisputeResult.UNKNOWN
    refund = finish.refund if finish else None
    finished_at = finish.finished_at if finish else None
    if finished_at is not None and case.now - finished_at > case.policy.after_close:
        return []
    lost = result is DisputeResult.LOST and (refund is None or is_nothing(refund))
    outcome = {DisputeResult.WON: "won", DisputeResult.LOST: "lost", DisputeResult.CANCELLED: "cancelled"}
    money = "no refund" if is_nothing(refund) else f"refund {_money(refund)}"
    return [case.alert(
        AlertKind.DISPUTE_CLOSED, Severity.WARNING if lost else Severity.INFO, f"closed:{case.id}",
        f"Dispute on order {case.order} {outcome.get(result, 'closed')}: {money}", amount=refund,
        action=SuggestedAction(kind=ActionKind.CHECK_SITE, text="Read the decision; an appeal may be possible")
        if lost else None,
        facts={"result": result.value, "refund": _money(refund),
               "finished_local": case.policy.local(finished_at) if finished_at else None})]


# --- orders ----------------------------------------------------------------------------------

#: orders with nothing to protect (never paid) or already covered by a dispute
_UNPROTECTED = frozenset({OrderStatus.AWAITING_PAYMENT, OrderStatus.CANCELLED, OrderStatus.PAYMENT_EXPIRED,
                          OrderStatus.DISPUTE_IN_PROGRESS})


def _protection_severity(days: int) -> Severity:
    return Severity.CRITICAL if days <= 3 else Severity.WARNING if days <= 7 else Severity.INFO


def order_alerts(view: OrderView, now: datetime, policy: Policy) -> list[Alert]:
    """Protection ending (most recent threshold only), then the window to open a dispute after close."""
    order, timer = view.order, view.order.timer
    if view.has_dispute or timer is None or order.status in _UNPROTECTED:
        return []
    end = timer.ends_at
    facts: Facts = {"order_id": order.order_id, "store": order.store_name,
                    "item": order.lines[0].title if order.lines else None, "timer_source": timer.source.value,
                    "timer_text": timer.raw_text, "estimated": "yes" if timer.source is TimerSource.FALLBACK else None}

    def alert(kind: AlertKind, severity: Severity, key: str, title: str, deadline: datetime, text: str) -> Alert:
        return Alert(kind=kind, severity=severity, dedupe_key=key, title=title, order_id=order.order_id,
                     deadline=deadline, link=view.link, created_at=now,
                     action=SuggestedAction(kind=ActionKind.OPEN_DISPUTE, text=text, not_after=deadline),
                     facts=_clean({**facts, **_deadline_facts(deadline, now, policy)}))

    if now < end:
        due = [d for d in policy.protection_thresholds_days if end - timedelta(days=d) <= now]
        if not due:
            return []
        days = min(due)
        return [alert(AlertKind.PROTECTION_ENDING, _protection_severity(days),
                      f"protection:{order.order_id}:{_key_time(end)}:{days}d",
                      f"Buyer protection of order {order.order_id} ends {policy.local(end)} "
                      f"({time_left(end - now)} left)",
                      end, f"Open a dispute, or ask the seller to extend protection, before {policy.local(end)} "
                           "if anything is wrong")]
    closes = end + policy.after_close
    if now >= closes:
        return []
    return [alert(AlertKind.AFTER_CLOSE_WINDOW, Severity.WARNING, f"after-close:{order.order_id}:{_key_time(end)}",
                  f"Order {order.order_id} is closed; you can still open a dispute until {policy.local(closes)}",
                  closes, f"Open a dispute before {policy.local(closes)} if the order went wrong")]


# --- health ----------------------------------------------------------------------------------


def health_alerts(health: HealthView, now: datetime, policy: Policy) -> list[Alert]:
    """Login needed (at once), automation broken (after N failures), and the all-clear.

    Keys name the failure streak by the last success before it, so one streak is one
    message; the all-clear is keyed by the success that ended it. The caller clears
    ``previously_broken`` once the all-clear is stored.
    """
    streak = health.last_success_at.isoformat() if health.last_success_at else "never"
    facts = _clean({"failures": str(health.consecutive_failures), "failure_kind": health.last_failure_kind,
                    "message": (health.last_failure_message or "")[:300] or None,
                    "last_success_local": policy.local(health.last_success_at) if health.last_success_at else None})
    if health.consecutive_failures == 0:
        if not health.previously_broken:
            return []
        return [Alert(kind=AlertKind.ALL_CLEAR, severity=Severity.INFO, dedupe_key=f"all-clear:{streak}",
                      title="The agent works again: orders and disputes are watched", facts=facts, created_at=now)]
    if health.last_failure_kind == "login_needed":
        return [Alert(kind=AlertKind.LOGIN_NEEDED, severity=Severity.CRITICAL, dedupe_key=f"login-needed:{streak}",
                      title="Login needed: nothing is watched until you log in", facts=facts, created_at=now,
                      screenshot=health.last_screenshot,
                      action=SuggestedAction(kind=ActionKind.LOG_IN,
                                             text="Run `dispute-agent login` and finish the login in the browser"))]
    if health.consecutive_failures < policy.failures_before_alert:
        return []
    return [Alert(kind=AlertKind.AUTOMATION_BROKEN, severity=Severity.CRITICAL,
                  dedupe_key=f"automation-broken:{streak}",
                  title=f"The agent failed {health.consecutive_failures} polls in a row: deadlines are not watched",
                  facts=facts, screenshot=health.last_screenshot, created_at=now,
                  action=SuggestedAction(kind=ActionKind.CHECK_SITE,
                                         text="Look at the screenshot and the log, then retry: `dispute-agent poll`"))]
