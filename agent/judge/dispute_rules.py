"""The rules of one dispute: offers (zero ones above all), requests, silence, escalation,
the mediator, a return to ship, and how a case ended.

Part of the judge (agent.judge.rules); pure, no I/O. Every timed incident goes through
``agent.judge.reminders.schedule``: its first alert, then the reminder due now, nothing once
its deadline has passed. An unreadable amount (``None``) is never taken for zero.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from agent.core.models import (
    DeadlineKind,
    DisputeDetail,
    DisputeResult,
    DisputeStage,
    Proposal,
    ProposalStatus,
    Proposer,
)
from agent.core.money import Money
from agent.judge.alerts import ActionKind, Alert, AlertKind, Severity, SuggestedAction
from agent.judge.policy import Policy
from agent.judge.reminders import (
    Facts,
    clean_facts,
    deadline_facts,
    key_time,
    money_text,
    schedule,
)
from agent.judge.watch_state import (
    DisputeView,
    counter_offers,
    deadline_of,
    escalation_possible,
    is_finished,
    is_nothing,
    offer_deadline,
    pending_offers,
    platform_escalation,
    proposal_ref,
)

#: ``Proposal.solution_type`` codes (see agent.core.models)
_REFUND_ONLY, _RETURN_AND_REFUND = 1, 2


def _first_known(view: DisputeView, shows: Callable[[DisputeDetail], bool]) -> datetime:
    """Since when the agent has known an incident: the previous reading if it showed it."""
    if view.previous is not None and shows(view.previous):
        return min(view.previous.site_time, view.latest.site_time)
    return view.latest.site_time


def _who(proposer: Proposer) -> str:
    return {Proposer.SELLER: "Seller", Proposer.PLATFORM: "AliExpress"}.get(proposer, "The other side")


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
        platform = None if escalation_possible(detail, self.now) else platform_escalation(detail)
        base: Facts = {"dispute_id": self.id, "order_id": self.order, "item": detail.item_title,
                       "store": self.view.order.store_name if self.view.order else None,
                       "stage": detail.page_status_text or detail.stage_text or detail.stage.value,
                       "platform_steps_in": self.policy.local(platform) if platform else None,
                       **deadline_facts(deadline, self.now, self.policy), **(facts or {})}
        return Alert(kind=kind, severity=severity, dedupe_key=key, title=title, order_id=self.order,
                     dispute_id=self.id, amount=amount, deadline=deadline, action=action, facts=clean_facts(base),
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
        # a reminder comes from the last reading, perhaps hours old (a sweep between two
        # polls): it says when that reading was, so "still unanswered" is never claimed of now
        return case.alert(reminder_kind, severities[1], f"{key}:reminder:{hours}h", titles[1], deadline=deadline,
                          facts={**facts, "reminder": f"{hours}h",
                                 "last_read": case.policy.local(case.detail.site_time)}, **common)

    return schedule(first, reminder, deadline, thresholds, _first_known(case.view, shows), case.now)


def _zero_action(case: _Case, amount: Money | None, deadline: datetime | None) -> SuggestedAction:
    """Reject (escalating where the page offers it); automatic only by policy and before the deadline.

    Where the page offers no escalation, policy "escalate" rejects through the page's
    "I don't agree" path instead: the offer must be answered before its deadline, and
    AliExpress steps in by itself later, which the text says when the page tells when.
    """
    mode = case.policy.on_zero_offer
    escalate = mode != "reject" and escalation_possible(case.detail, case.now)
    automatic = mode != "notify" and deadline is not None and case.now < deadline
    verb = "escalate the dispute (this rejects the offer)" if escalate else "reject the offer"
    text = f"{verb.capitalize()} of {money_text(amount)} {case.by(deadline)}, or the case closes with nothing"
    if automatic:
        text = f"The agent will {verb} of {money_text(amount)} by itself {case.by(deadline)} (policy: {mode})"
    if not escalate and mode == "escalate":
        platform = platform_escalation(case.detail)
        text += ("; the page offers no escalation" + (f": AliExpress is expected to step in on "
                                                      f"{case.policy.local(platform)}" if platform else ""))
    return SuggestedAction(kind=ActionKind.ESCALATE if escalate else ActionKind.REJECT, text=text,
                           not_after=deadline, automatic=automatic)


def _offer_facts(case: _Case, offer: Proposal) -> Facts:
    asked = case.detail.buyer_solution
    return {"proposer": offer.proposer.value, "proposal_id": offer.proposal_id, "amount": money_text(offer.refund),
            "solution": offer.solution_type_text, "asked": money_text(asked.refund) if asked else None}


def _zero_offer(case: _Case, offer: Proposal) -> list[Alert]:
    """A seller's or the platform's offer of nothing: critical at once, then reminders."""
    ref, amount = proposal_ref(offer), money_text(offer.refund)
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
    who, amount, by = _who(offer.proposer), money_text(offer.refund), case.by(deadline)
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
    reminder = f"Offer of {money_text(offer.refund)} on order {case.order} still unanswered: decide {case.by(deadline)}"
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
        AlertKind.OFFER_AWAITING, Severity.WARNING, f"offer:{case.id}:unread:{key_time(deadline)}",
        f"Order {case.order}: the site waits for your answer to an offer that could not be read",
        deadline=deadline, facts={"amount": "unreadable"}, screenshot=True,
        action=SuggestedAction(kind=ActionKind.CHECK_SITE, not_after=deadline,
                               text=f"Open the dispute page and answer the offer {case.by(deadline)}"))]


def _zero_request(case: _Case) -> list[Alert]:
    """The buyer's own request now says nothing: executed as is if the seller stays silent."""
    asked = case.detail.buyer_solution
    if asked is None or not is_nothing(asked.refund):
        return []
    ref, amount = proposal_ref(asked), money_text(asked.refund)
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
        replaced_by = money_text(new[-1].refund) if new else None
        what = f"replaced the offer of {money_text(old.refund)} with {replaced_by}" if new else \
            f"withdrew the offer of {money_text(old.refund)}"
        alerts.append(case.alert(
            AlertKind.PROPOSAL_WITHDRAWN, Severity.WARNING, f"withdrawn:{case.id}:{ref}",
            f"{_who(old.proposer)} {what} on order {case.order}", amount=old.refund,
            facts={"proposal_id": old.proposal_id, "amount": money_text(old.refund), "replaced_by": replaced_by},
            action=SuggestedAction(kind=ActionKind.NONE, text="Look at the dispute page: the offer changed")))
    return alerts


def _seller_silent(case: _Case) -> list[Alert]:
    """The seller's turn: the date the buyer's request is executed if nothing happens."""
    detail, asked = case.detail, case.detail.buyer_solution
    deadline = deadline_of(detail, DeadlineKind.SELLER_RESPOND)
    if (detail.stage is not DisputeStage.WAIT_SELLER_RESPONSE or deadline is None or case.now >= deadline
            or pending_offers(detail) or (asked is not None and is_nothing(asked.refund))):
        return []
    ask = money_text(asked.refund) if asked else "your request"
    return [case.alert(
        AlertKind.SELLER_SILENT, Severity.INFO, f"seller-silent:{case.id}:{key_time(deadline)}",
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
    ref = key_time(deadline)
    titles = (f"The mediator asks for information on order {case.order}: answer {case.by(deadline)}",
              f"Still unanswered: the mediator's request on order {case.order}, {case.by(deadline)}")
    return _timed(case, AlertKind.MEDIATOR_REQUEST, AlertKind.MEDIATOR_REQUEST, (Severity.CRITICAL, Severity.CRITICAL),
                  f"mediator:{case.id}:{ref}", titles, deadline, case.policy.zero_offer_reminders_hours,
                  lambda prev: prev.mediator_request is not None and key_time(_mediator_deadline(prev)) == ref,
                  action=SuggestedAction(kind=ActionKind.ANSWER_MEDIATOR, not_after=deadline,
                                         text=f"Answer the mediator with photos or a video {case.by(deadline)}"),
                  facts={"request": request.text}, screenshot=True)


def _return_shipment(case: _Case) -> list[Alert]:
    """An agreed return: not shipped with tracking by the deadline, the money goes to the seller."""
    deadline = deadline_of(case.detail, DeadlineKind.RETURN_SHIPMENT)
    if case.detail.stage is not DisputeStage.WAIT_RETURN_SHIPMENT and deadline is None:
        return []
    ref = key_time(deadline)
    titles = (f"Return the item of order {case.order} {case.by(deadline)}",
              f"Return not shipped yet for order {case.order}: the money goes to the seller {case.by(deadline)}")
    return _timed(case, AlertKind.RETURN_SHIPMENT, AlertKind.RETURN_SHIPMENT, (Severity.WARNING, Severity.CRITICAL),
                  f"return:{case.id}:{ref}", titles, deadline, case.policy.zero_offer_reminders_hours,
                  lambda prev: key_time(deadline_of(prev, DeadlineKind.RETURN_SHIPMENT)) == ref,
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
    money = "no refund" if is_nothing(refund) else f"refund {money_text(refund)}"
    return [case.alert(
        AlertKind.DISPUTE_CLOSED, Severity.WARNING if lost else Severity.INFO, f"closed:{case.id}",
        f"Dispute on order {case.order} {outcome.get(result, 'closed')}: {money}", amount=refund,
        action=SuggestedAction(kind=ActionKind.CHECK_SITE, text="Read the decision; an appeal may be possible")
        if lost else None,
        facts={"result": result.value, "refund": money_text(refund),
               "finished_local": case.policy.local(finished_at) if finished_at else None})]


def unconfirmed_zero_alert(detail: DisputeDetail, seen_by: tuple[str, ...], now: datetime, policy: Policy, *,
                           link: str | None = None, screenshot=None) -> Alert:
    """The page and its data disagree, and one of them shows a refund of zero.

    The agent then decides nothing on the case (its reading is not trustworthy), but a
    zero seen by either reading is never left unsaid: critical at once, pointing at the
    page. The key holds while the same reading shows the zero, so one message per incident.
    """
    view = DisputeView(latest=detail, link=link, screenshot=screenshot)
    case = _Case(view, now, policy)
    offer = detail.latest_proposal
    deadline = offer_deadline(detail, offer) if offer is not None else None
    if len(seen_by) == 1:
        title = (f"Order {case.order}: only the {'dispute page' if seen_by == ('page',) else 'dispute data'} "
                 "shows a refund of nothing, the other reading disagrees — check it now")
        facts = {"seen_by": "page" if seen_by == ("page",) else "data behind the page", "amount": "0"}
    else:
        title = f"Order {case.order}: a refund of nothing is on the table, and the page disagrees with its data — check it now"
        facts = {"amount": "0", "disagree": "yes"}
    return case.alert(
        AlertKind.ZERO_OFFER, Severity.CRITICAL, f"zero-unconfirmed:{case.id}:{'+'.join(seen_by)}", title,
        deadline=deadline, facts=facts, screenshot=screenshot is not None,
        action=SuggestedAction(kind=ActionKind.CHECK_SITE, not_after=deadline,
                               text=f"Open the dispute page and answer any offer of nothing yourself {case.by(deadline)}; "
                                    "the agent cannot read this case reliably and does nothing on it"))
