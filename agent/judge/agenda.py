"""What needs the user, by when: one list of orders and disputes, soonest deadline first.

The CLI's agenda (``dispute-agent`` with no arguments), the ``disputes`` table and the
daily digest read this one model, so a deadline is never the right moment in one place
and another moment elsewhere. Pure: (state, now, policy) in, items out.

"Deadline" here is the next moment the buyer must act or lose something: answer an
offer, answer the mediator, ship a return, open a dispute before protection ends. The
moment from which the buyer may escalate, or AliExpress steps in, is not one: it is told
apart (``escalation_from``, ``platform_steps_in``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from agent.core.models import (
    DeadlineKind,
    DisputeDetail,
    OrderStatus,
    ProposalStatus,
    Proposer,
)
from agent.core.money import Money
from agent.judge.alerts import ActionKind, Alert, AlertKind, Severity
from agent.judge.policy import Policy
from agent.judge.rules import judge
from agent.judge.watch_state import (
    WatchState,
    deadline_of,
    is_finished,
    offer_deadline,
    pending_offers,
    platform_escalation,
)

#: what the buyer loses by letting each kind of page deadline pass
BUYER_DEADLINES = {
    DeadlineKind.BUYER_RESPOND: "answer the offer",
    DeadlineKind.MEDIATOR_INFO: "answer the mediator",
    DeadlineKind.RETURN_SHIPMENT: "ship the return",
    # a deadline the page words in a way not known yet: counted as the buyer's, the safe side
    DeadlineKind.UNKNOWN: "act on the case",
}
_ORDER_KINDS = {AlertKind.PROTECTION_ENDING: "open a dispute before protection ends",
                AlertKind.AFTER_CLOSE_WINDOW: "open a dispute before the window closes"}
_RANK = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True)
class AgendaItem:
    order_id: str
    dispute_id: str | None
    item: str | None
    store: str | None
    #: the dispute's status text, or the order's
    status: str | None
    #: what the buyer paid (the order's total, the dispute's paid amount)
    amount: Money | None
    #: the last offer on the table and the seller's words with it
    offer: Money | None
    offer_is_zero: bool
    seller_said: str | None
    #: the next moment the buyer must act or lose something, and what to do by then
    deadline: datetime | None
    deadline_what: str | None
    #: from when the buyer may escalate (the page offers it), and when AliExpress steps in
    escalation_from: datetime | None
    platform_steps_in: datetime | None
    #: one line for a person, and the command that does it (None: nothing to run)
    what_to_do: str | None
    command: str | None
    severity: Severity | None
    link: str | None

    @property
    def sort_key(self) -> tuple:
        return (self.deadline is None, self.deadline or datetime.max, _RANK.get(self.severity, 3),
                self.order_id, self.dispute_id or "")


def command_for(kind: ActionKind, order_id: str | None, dispute_id: str | None, received: bool = True) -> str | None:
    """The command line that does what an alert suggests (placeholders in <angle brackets>);
    an order still awaiting delivery is suggested ``--not-received``."""
    case = dispute_id or "<dispute>"
    return {
        ActionKind.REJECT: f"dispute-agent reject {case} --counter <amount> --message <why>",
        ActionKind.ESCALATE: f"dispute-agent escalate {case}",
        ActionKind.ACCEPT: f"dispute-agent accept {case}",
        ActionKind.ADD_EVIDENCE: f"dispute-agent evidence {case} --attach <photo> --message <text>",
        ActionKind.ANSWER_MEDIATOR: f"dispute-agent evidence {case} --attach <photo> --message <answer>",
        ActionKind.SHIP_RETURN: f"dispute-agent ship-return {case} --tracking <number>",
        ActionKind.OPEN_DISPUTE: (f"dispute-agent open {order_id or '<order>'} --reason <reason> "
                                  f"{'--received' if received else '--not-received'}"),
        ActionKind.LOG_IN: "dispute-agent login",
        ActionKind.CHECK_SITE: "dispute-agent doctor",
    }.get(kind)


def buyer_deadlines(detail: DisputeDetail, now: datetime) -> dict[DeadlineKind, datetime]:
    """Every kind of thing the buyer must still do on this case, each by its earliest moment.

    A pending offer's ``respond_by`` counts as ``BUYER_RESPOND``: answering it is the same
    act whether the page words the deadline on the offer or on the case. The calendar
    feed shows one event per kind; the agenda the soonest of them.
    """
    if is_finished(detail):
        return {}
    found = [(d.kind, d.ends_at) for d in detail.deadlines if d.kind in BUYER_DEADLINES and d.ends_at > now]
    for offer in pending_offers(detail):
        due = offer_deadline(detail, offer)
        if due is not None and due > now:
            found.append((DeadlineKind.BUYER_RESPOND, due))
    earliest: dict[DeadlineKind, datetime] = {}
    for kind, when in found:
        if kind not in earliest or when < earliest[kind]:
            earliest[kind] = when
    return earliest


def buyer_deadline(detail: DisputeDetail, now: datetime) -> tuple[datetime, str] | None:
    """The next moment the buyer must act on this case, and what to do by then."""
    found = buyer_deadlines(detail, now)
    if not found:
        return None
    kind = min(found, key=lambda each: found[each])
    return found[kind], BUYER_DEADLINES[kind]


def build_agenda(state: WatchState, now: datetime, policy: Policy, alerts: list[Alert] | None = None) -> list[AgendaItem]:
    """Every open dispute, and every order whose time to open one is running out."""
    alerts = judge(state, now, policy) if alerts is None else alerts
    open_cases = [view for view in state.disputes if not is_finished(view.latest)]
    items = [_dispute_item(view, now, alerts) for view in open_cases]
    disputed = {view.latest.trade_order_id for view in open_cases}  # an ended one no longer covers its order
    for view in state.orders:
        found = [a for a in alerts if a.order_id == view.order.order_id and a.kind in _ORDER_KINDS
                 and view.order.order_id not in disputed]
        if found:
            items.append(_order_item(view, found[0]))
    return sorted(items, key=lambda item: item.sort_key)


def _most_urgent(alerts: list[Alert]) -> Alert | None:
    acting = sorted((a for a in alerts if a.action is not None and a.action.kind is not ActionKind.NONE),
                    key=lambda a: (_RANK[a.severity], a.deadline is None, a.deadline or datetime.max))
    return acting[0] if acting else None


def _dispute_item(view, now: datetime, alerts: list[Alert]) -> AgendaItem:
    detail = view.latest
    offers = pending_offers(detail)
    offer = offers[-1] if offers else detail.latest_proposal
    if offer is not None and offer.proposer is Proposer.BUYER:
        offer = None
    due = buyer_deadline(detail, now)
    top = _most_urgent([a for a in alerts if a.dispute_id == detail.reverse_line_id])
    order = view.order
    return AgendaItem(
        order_id=detail.trade_order_id, dispute_id=detail.reverse_line_id,
        item=detail.item_title or (order.lines[0].title if order and order.lines else None),
        store=order.store_name if order else None,
        status=detail.page_status_text or detail.stage_text or detail.stage.value,
        amount=detail.paid_amount or (order.total if order else None),
        offer=offer.refund if offer else None,
        offer_is_zero=bool(offer and offer.refund is not None and offer.refund.amount <= 0
                           and offer.status in (None, ProposalStatus.PENDING, ProposalStatus.UNKNOWN)),
        seller_said=(offer.description or None) if offer else None,
        deadline=due[0] if due else None, deadline_what=due[1] if due else None,
        escalation_from=deadline_of(detail, DeadlineKind.ESCALATE_AVAILABLE),
        platform_steps_in=platform_escalation(detail),
        what_to_do=top.action.text if top else ("nothing now: the seller has the next move" if due is None else None),
        command=command_for(top.action.kind, detail.trade_order_id, detail.reverse_line_id) if top else None,
        severity=top.severity if top else None,
        link=view.link,
    )


def _order_item(view, alert: Alert) -> AgendaItem:
    order = view.order
    return AgendaItem(
        order_id=order.order_id, dispute_id=None, item=order.lines[0].title if order.lines else None,
        store=order.store_name, status=order.status_text or order.status.value, amount=order.total,
        offer=None, offer_is_zero=False, seller_said=None,
        deadline=alert.deadline, deadline_what=_ORDER_KINDS[alert.kind],
        escalation_from=None, platform_steps_in=None,
        what_to_do=alert.action.text if alert.action else None,
        command=command_for(ActionKind.OPEN_DISPUTE, order.order_id, None,
                            received=order.status is not OrderStatus.AWAITING_DELIVERY),
        severity=alert.severity, link=view.link,
    )


def freshness(health, zone, anything_stored: bool) -> str | None:
    """One line when what is stored may be out of date: the last polls failed, or nothing was read
    (the command line's agenda and the page say the same)."""
    from agent.core.readable import short_moment

    if health.last_success_at is None:
        return None if anything_stored else ("The site has not been read yet: run 'dispute-agent sync' (orders "
                                             "and disputes) or 'dispute-agent poll' (the same, then alerts).")
    if health.consecutive_failures:
        return (f"The last {health.consecutive_failures} read(s) of the site failed; this is as of "
                f"{short_moment(health.last_success_at, zone)}: see 'dispute-agent status'.")
    return None
