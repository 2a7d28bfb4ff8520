"""The rules a dispute lives by, on the virtual clock.

Windows come from the scenario's ``rules`` (defaults from the reference notes):
a seller who stays silent past ``seller_response_days`` lets the buyer's request be
executed; a proposal left unanswered past its deadline closes the case **with that
proposal** (the loss the agent exists to prevent); the platform steps in by itself
``platform_escalation_days`` after opening if the two sides are still talking (and,
only where the scenario's ``[site] buyer_escalation`` says so, the buyer may escalate
after ``escalation_after_days``); a mediator may ask for information with a deadline and
decides after ``mediator_decision_days``; an agreed return must be shipped within
``return_ship_days`` or the money goes to the seller.

``Dispute.next_event_time`` and ``advance_dispute`` are all the world needs to
replay any stretch of time in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable

from .dispute_words import (  # re-exported: the site's words live there
    PAGE_STATUS_CLOSED,
    PAGE_STATUS_REFUNDED,
    PAGE_STATUS_TEXT,
    REASONS,
    SOLUTION_CODE,
    SOLUTION_TEXT,
    STATUS_CODE,
    STATUS_TEXT,
    Received,
    reason_name,
    reason_names,
)
from .formats import format_stamp
from .scenario import MediatorStep, Rules, Script, SellerStep

ZERO = Decimal("0.00")

NEGOTIATING = ("WAIT_SELLER_RESPONSE", "WAIT_BUYER_RESPONSE")
ESCALATED_STATES = ("ESCALATED", "WAIT_BUYER_INFO")

__all__ = ["PAGE_STATUS_CLOSED", "PAGE_STATUS_REFUNDED", "PAGE_STATUS_TEXT", "REASONS", "SOLUTION_CODE",
           "SOLUTION_TEXT", "STATUS_CODE", "STATUS_TEXT", "BuyerError", "Dispute", "Proposal", "Received",
           "advance_dispute", "reason_name", "reason_names"]


class BuyerError(Exception):
    """A buyer's request the site refuses; ``field`` says where the page shows it."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


@dataclass
class Proposal:
    id: str
    proposer: str  # SELLER | BUYER | PLATFORM
    solution: str
    amount: Decimal
    created_at: datetime
    deadline: datetime | None
    status: str = "PENDING"  # PENDING | ACCEPTED | REJECTED | WITHDRAWN | EXPIRED
    message: str = ""

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id, "proposer": self.proposer, "solution": self.solution,
            "amount": str(self.amount), "created_at": self.created_at.isoformat(),
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "status": self.status, "message": self.message,
        }


@dataclass
class Dispute:
    reverse_order_id: str
    reverse_line_id: str
    order_id: str
    line_id: str
    currency: str
    received: bool
    reason: str
    solution: str
    amount: Decimal
    description: str
    created_at: datetime
    script: Script
    status: str = "WAIT_SELLER_RESPONSE"
    modified_at: datetime | None = None
    seller_deadline: datetime | None = None
    escalated_at: datetime | None = None
    mediator_request: dict[str, Any] | None = None
    return_deadline: datetime | None = None
    return_tracking: str = ""
    result: str | None = None  # WON | LOST
    refund: Decimal | None = None
    finished_at: datetime | None = None
    proposals: list[Proposal] = field(default_factory=list)
    attachments: list = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    seller_step: int = 0
    mediator_step: int = 0

    # --- derived -------------------------------------------------------------------

    @property
    def pending(self) -> Proposal | None:
        for proposal in reversed(self.proposals):
            if proposal.status == "PENDING" and proposal.proposer != "BUYER":
                return proposal
        return None

    @property
    def reverse_status(self) -> int:
        if self.status == "FINISHED":
            return 4
        if self.status in ESCALATED_STATES:
            return 3
        return 2

    def escalation_available_at(self, rules: Rules) -> datetime:
        """From when a buyer may escalate, where the site lets buyers escalate at all."""
        return self.created_at + timedelta(days=rules.escalation_after_days)

    def platform_escalation_at(self, rules: Rules) -> datetime | None:
        """When the platform steps in by itself, while the two sides are still talking."""
        if rules.platform_escalation_days is None or self.status not in NEGOTIATING:
            return None
        return self.created_at + timedelta(days=rules.platform_escalation_days)

    @property
    def page_status_text(self) -> str:
        if self.status == "FINISHED":
            return PAGE_STATUS_REFUNDED if self.refund and self.refund > 0 else PAGE_STATUS_CLOSED
        return PAGE_STATUS_TEXT[self.status]

    def mediator_decision_at(self, rules: Rules) -> datetime | None:
        if self.escalated_at is None:
            return None
        if any(step.action == "decide" for step in self.script.mediator):
            return None  # the script decides
        return self.escalated_at + timedelta(days=rules.mediator_decision_days)

    def next_event_time(self, rules: Rules) -> datetime | None:
        if self.status == "FINISHED":
            return None
        times: list[datetime] = []
        if self.status != "WAIT_RETURN_SHIPMENT" and self.seller_step < len(self.script.seller):
            times.append(self.created_at + timedelta(days=self.script.seller[self.seller_step].day))
        if self.escalated_at is not None and self.mediator_step < len(self.script.mediator):
            times.append(self.escalated_at + timedelta(days=self.script.mediator[self.mediator_step].day))
        if (decision := self.mediator_decision_at(rules)) is not None and self.status in ESCALATED_STATES:
            times.append(decision)
        if self.pending is not None and self.pending.deadline is not None:
            times.append(self.pending.deadline)
        if self.status == "WAIT_SELLER_RESPONSE" and self.seller_deadline is not None:
            times.append(self.seller_deadline)
        if self.status == "WAIT_BUYER_INFO" and self.mediator_request:
            times.append(self.mediator_request["deadline"])
        if self.status == "WAIT_RETURN_SHIPMENT" and self.return_deadline is not None:
            times.append(self.return_deadline)
        if (platform := self.platform_escalation_at(rules)) is not None:
            times.append(platform)
        return min(times) if times else None

    # --- transitions ---------------------------------------------------------------

    def start(self, rules: Rules, now: datetime, next_id: Callable[[], int]) -> None:
        self.modified_at = now
        self.seller_deadline = now + timedelta(days=rules.seller_response_days)
        self.proposals.append(Proposal(
            id=f"P{next_id()}", proposer="BUYER", solution=self.solution, amount=self.amount,
            created_at=now, deadline=None, status="PENDING", message=self.description,
        ))

    def escalate(self, now: datetime, rules: Rules) -> None:
        self.escalated_at = now
        self.status = "ESCALATED"
        self.seller_deadline = None
        self.modified_at = now

    def finish(self, result: str, refund: Decimal, now: datetime) -> None:
        self.status = "FINISHED"
        self.result = result
        self.refund = refund
        self.finished_at = now
        self.modified_at = now
        self.seller_deadline = None
        self.mediator_request = None
        for proposal in self.proposals:
            if proposal.status != "PENDING":
                continue
            if proposal.proposer == "BUYER":
                proposal.status = "ACCEPTED" if result == "WON" and refund == proposal.amount else "REJECTED"
            else:
                proposal.status = "EXPIRED"

    def _execute(self, solution: str, amount: Decimal, now: datetime, rules: Rules) -> str:
        """A solution is agreed (by anyone, or by the clock): refund now or after the return."""
        if solution == "return_and_refund" and amount > 0:
            self.status = "WAIT_RETURN_SHIPMENT"
            self.return_deadline = now + timedelta(days=rules.return_ship_days)
            self.refund = amount
            self.modified_at = now
            return f"return agreed, ship it before {format_stamp(self.return_deadline)}"
        self.finish("WON" if amount > 0 else "LOST", amount, now)
        return f"closed {self.result}, refund {amount} {self.currency}"

    def _offer_amount(self, step: SellerStep) -> Decimal:
        if step.amount is not None:
            return step.amount
        if step.percent is not None:
            return (self.amount * step.percent / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        return self.amount

    def seller_move(self, step: SellerStep, now: datetime, rules: Rules, next_id: Callable[[], int]) -> str:
        if self.status in ("FINISHED", "WAIT_RETURN_SHIPMENT"):
            return "ignored: the case is no longer open"
        self.modified_at = now
        if step.action == "agree":
            buyer = self._buyer_request()
            return "seller agreed; " + self._execute(buyer.solution, buyer.amount, now, rules)
        if step.action == "reject":
            self.messages.append({"at": now.isoformat(), "from": "SELLER", "text": step.message or "The seller rejected your request."})
            return "seller rejected the request"
        if step.action == "withdraw":
            pending = self.pending
            if pending is None:
                return "nothing to withdraw"
            pending.status = "WITHDRAWN"
            if self.status == "WAIT_BUYER_RESPONSE":
                self.status = "WAIT_SELLER_RESPONSE"
                self.seller_deadline = now + timedelta(days=rules.seller_response_days)
            return f"seller withdrew proposal {pending.id}"
        # offer / change_solution: a new proposal that replaces any pending one
        solution = "return_and_refund" if step.action == "change_solution" else step.solution
        amount = self._offer_amount(step)
        for proposal in self.proposals:
            if proposal.status == "PENDING" and proposal.proposer != "BUYER":
                proposal.status = "WITHDRAWN"
        respond = step.respond_days if step.respond_days is not None else rules.buyer_response_days
        proposal = Proposal(
            id=f"P{next_id()}", proposer="SELLER", solution=solution, amount=amount,
            created_at=now, deadline=now + timedelta(days=respond), message=step.message,
        )
        self.proposals.append(proposal)
        if self.status in NEGOTIATING:
            self.status = "WAIT_BUYER_RESPONSE"
            self.seller_deadline = None
        return f"seller proposed {SOLUTION_TEXT[solution].lower()} of {amount} {self.currency}, answer by {format_stamp(proposal.deadline)}"

    def mediator_move(self, step: MediatorStep, now: datetime, rules: Rules, next_id: Callable[[], int]) -> str:
        if self.status == "FINISHED":
            return "ignored: the case is closed"
        if self.escalated_at is None:
            self.escalate(now, rules)
        self.modified_at = now
        if step.action == "request_info":
            days = step.respond_days if step.respond_days is not None else rules.mediator_info_days
            self.mediator_request = {
                "text": step.message or "Please provide photos or a video that show the problem.",
                "created_at": now, "deadline": now + timedelta(days=days),
            }
            self.status = "WAIT_BUYER_INFO"
            return f"mediator asked for information by {format_stamp(self.mediator_request['deadline'])}"
        amount = step.amount if step.amount is not None else self._buyer_request().amount
        if step.result == "lost":
            amount = ZERO
        self.finish(step.result.upper(), amount, now)
        return f"mediator decided: {self.result}, refund {amount} {self.currency}"

    def _buyer_request(self) -> Proposal:
        for proposal in reversed(self.proposals):
            if proposal.proposer == "BUYER":
                return proposal
        raise AssertionError("a dispute always has the buyer's request")

    def buyer_action(self, action: str, now: datetime, rules: Rules, next_id: Callable[[], int], *,
                     amount: Decimal | None, message: str, paid: Decimal, has_files: bool,
                     tracking_number: str, proposal_id: str = "", buyer_escalation: bool = True) -> str:
        """Apply a buyer's move; a refused move (``BuyerError``) changes nothing.

        ``proposal_id`` (accept) names the solution the buyer chose: a stale page that
        accepts a proposal no longer on the table is refused. ``buyer_escalation`` is the
        site's switch: without it only the platform escalates."""
        if action == "escalate" and not buyer_escalation:
            when = self.platform_escalation_at(rules)
            raise BuyerError("action", "Only AliExpress can escalate this dispute"
                             + (f": it steps in on {format_stamp(when)} if it is not solved." if when else "."))
        if action == "accept" and proposal_id and (self.pending is None or self.pending.id != proposal_id):
            raise BuyerError("action", "This solution is no longer available. Please refresh the page.")
        detail = self._buyer_move(action, now, rules, next_id, amount=amount, message=message,
                                  paid=paid, has_files=has_files, tracking_number=tracking_number)
        self.modified_at = now
        if message:
            self.messages.append({"at": now.isoformat(), "from": "BUYER", "text": message})
        return detail

    def _buyer_move(self, action: str, now: datetime, rules: Rules, next_id: Callable[[], int], *,
                    amount: Decimal | None, message: str, paid: Decimal, has_files: bool,
                    tracking_number: str) -> str:
        if self.status == "FINISHED":
            raise BuyerError("action", "This dispute is closed.")
        if action == "accept":
            pending = self.pending
            if pending is None:
                raise BuyerError("action", "There is no proposal to accept.")
            pending.status = "ACCEPTED"
            return f"accepted proposal {pending.id}; " + self._execute(pending.solution, pending.amount, now, rules)
        if action == "reject":
            pending = self.pending
            if pending is None:
                raise BuyerError("action", "There is no proposal to reject.")
            if amount is not None and (amount <= 0 or amount > paid):
                raise BuyerError("amount", "The refund amount must be more than 0 and not more than you paid.")
            pending.status = "REJECTED"
            detail = f"rejected proposal {pending.id}"
            if amount is not None:
                self._buyer_request().status = "REJECTED"
                self.proposals.append(Proposal(
                    id=f"P{next_id()}", proposer="BUYER", solution=self.solution, amount=amount,
                    created_at=now, deadline=None, message=message,
                ))
                self.amount = amount
                detail += f", counter-proposal {amount} {self.currency}"
            if self.status in NEGOTIATING:
                self.status = "WAIT_SELLER_RESPONSE"
                self.seller_deadline = now + timedelta(days=rules.seller_response_days)
            return detail
        if action == "escalate":
            if self.status in ESCALATED_STATES:
                raise BuyerError("action", "This dispute is already escalated.")
            if self.status not in NEGOTIATING:
                raise BuyerError("action", "This dispute can't be escalated now.")
            available = self.escalation_available_at(rules)
            if now < available:
                raise BuyerError("action", f"You can escalate this dispute from {format_stamp(available)}.")
            pending = self.pending
            if pending is not None:
                pending.status = "REJECTED"
            self.escalate(now, rules)
            return "escalated"
        if action == "evidence":
            if not has_files and not message:
                raise BuyerError("files", "Add a file or a message.")
            return "evidence added"
        if action == "answer":
            if self.status != "WAIT_BUYER_INFO":
                raise BuyerError("action", "The mediator has not asked for information.")
            if not has_files and not message:
                raise BuyerError("files", "Add a file or a message for the mediator.")
            self.mediator_request = None
            self.status = "ESCALATED"
            return "answered the mediator"
        if action == "ship_return":
            if self.status != "WAIT_RETURN_SHIPMENT":
                raise BuyerError("action", "No return is expected for this dispute.")
            if not tracking_number.strip():
                raise BuyerError("tracking", "Enter the return tracking number.")
            self.return_tracking = tracking_number.strip()
            refund = self.refund if self.refund is not None else self.amount
            self.finish("WON", refund, now)
            return f"return shipped ({self.return_tracking}); refund {refund} {self.currency}"
        raise BuyerError("action", f"Unknown action {action!r}.")

    def public(self, rules: Rules) -> dict[str, Any]:
        return {
            "reverse_order_id": self.reverse_order_id,
            "reverse_line_id": self.reverse_line_id,
            "order_id": self.order_id,
            "line_id": self.line_id,
            "currency": self.currency,
            "received": self.received,
            "reason": self.reason,
            "solution": self.solution,
            "amount": str(self.amount),
            "description": self.description,
            "status": self.status,
            "reverse_status": self.reverse_status,
            "created_at": self.created_at.isoformat(),
            "modified_at": self.modified_at.isoformat() if self.modified_at else None,
            "seller_deadline": self.seller_deadline.isoformat() if self.seller_deadline else None,
            "escalation_available_at": self.escalation_available_at(rules).isoformat(),
            "platform_escalation_at": (p.isoformat() if (p := self.platform_escalation_at(rules)) else None),
            "escalated_at": self.escalated_at.isoformat() if self.escalated_at else None,
            "mediator_request": (
                {"text": self.mediator_request["text"],
                 "deadline": self.mediator_request["deadline"].isoformat()}
                if self.mediator_request else None
            ),
            "return_deadline": self.return_deadline.isoformat() if self.return_deadline else None,
            "result": self.result,
            "refund": str(self.refund) if self.refund is not None else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "proposals": [p.public() for p in self.proposals],
            "attachments": [a.public() for a in self.attachments],
            "messages": list(self.messages),
        }


def advance_dispute(dispute: Dispute, when: datetime, rules: Rules,
                    next_id: Callable[[], int]) -> list[dict[str, Any]]:
    """Apply every event of ``dispute`` due exactly at ``when``; return log entries."""
    log: list[dict[str, Any]] = []
    script = dispute.script
    if (dispute.status != "WAIT_RETURN_SHIPMENT" and dispute.seller_step < len(script.seller)
            and dispute.created_at + timedelta(days=script.seller[dispute.seller_step].day) <= when):
        step = script.seller[dispute.seller_step]
        dispute.seller_step += 1
        log.append({"actor": "seller", "action": step.action,
                    "detail": dispute.seller_move(step, when, rules, next_id)})
        return log
    if (dispute.escalated_at is not None and dispute.mediator_step < len(script.mediator)
            and dispute.escalated_at + timedelta(days=script.mediator[dispute.mediator_step].day) <= when):
        step = script.mediator[dispute.mediator_step]
        dispute.mediator_step += 1
        log.append({"actor": "mediator", "action": step.action,
                    "detail": dispute.mediator_move(step, when, rules, next_id)})
        return log
    decision = dispute.mediator_decision_at(rules)
    if decision is not None and dispute.status in ESCALATED_STATES and decision <= when:
        buyer = dispute._buyer_request()
        dispute.finish("WON", buyer.amount, when)
        log.append({"actor": "mediator", "action": "decide",
                    "detail": f"mediator decided for the buyer: refund {buyer.amount} {dispute.currency}"})
        return log
    pending = dispute.pending
    if pending is not None and pending.deadline is not None and pending.deadline <= when:
        if dispute.status in ESCALATED_STATES:
            pending.status = "EXPIRED"
            log.append({"actor": "platform", "action": "proposal_expired",
                        "detail": f"proposal {pending.id} expired during mediation"})
            return log
        pending.status = "ACCEPTED"
        detail = dispute._execute(pending.solution, pending.amount, when, rules)
        log.append({"actor": "platform", "action": "closed_with_last_proposal",
                    "detail": f"no answer to proposal {pending.id} in time; {detail}"})
        return log
    if (dispute.status == "WAIT_SELLER_RESPONSE" and dispute.seller_deadline is not None
            and dispute.seller_deadline <= when):
        buyer = dispute._buyer_request()
        detail = dispute._execute(buyer.solution, buyer.amount, when, rules)
        log.append({"actor": "platform", "action": "seller_silent",
                    "detail": f"the seller did not answer in time; {detail}"})
        return log
    platform = dispute.platform_escalation_at(rules)
    if platform is not None and platform <= when:
        dispute.escalate(when, rules)
        log.append({"actor": "platform", "action": "escalated",
                    "detail": "the two sides did not agree in time: AliExpress steps in"})
        return log
    if dispute.status == "WAIT_BUYER_INFO" and dispute.mediator_request and dispute.mediator_request["deadline"] <= when:
        dispute.finish("LOST", ZERO, when)
        log.append({"actor": "mediator", "action": "decide",
                    "detail": "no answer to the mediator's request in time: closed for the seller"})
        return log
    if dispute.status == "WAIT_RETURN_SHIPMENT" and dispute.return_deadline is not None and dispute.return_deadline <= when:
        dispute.finish("LOST", ZERO, when)
        log.append({"actor": "platform", "action": "return_not_shipped",
                    "detail": "the return was not shipped in time: the payment goes to the seller"})
        return log
    raise AssertionError(f"no event due for dispute {dispute.reverse_line_id} at {when}")
