"""The values the flows return and the store, rules and CLI consume.

Why plain frozen pydantic models: they are the contract between the browser side
(``flows``) and everything else, so they hold data only — no site knowledge (labels,
field names) and no behaviour that needs I/O. Unknown is ``None``, never a made-up
default: a missing amount is not zero and a missing deadline is not "far away".
Every datetime is timezone-aware UTC; dates without a time stay ``date``.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict

from agent.core.money import Money

__all__ = [
    "DeadlineKind",
    "DisputeDeadline",
    "DisputeDetail",
    "DisputeResult",
    "DisputeStage",
    "DisputeSummary",
    "EvidenceFile",
    "FinishInfo",
    "MediatorRequest",
    "Order",
    "OrderLine",
    "OrderListPage",
    "OrderStatus",
    "Proposal",
    "ProposalStatus",
    "Proposer",
    "ProtectionTimer",
    "RefundListPage",
    "TimerSource",
    "UtcDatetime",
]


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(timezone.utc)


#: an aware datetime, normalised to UTC so values compare and serialise the same way
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- orders ---------------------------------------------------------------------------


class OrderStatus(StrEnum):
    AWAITING_PAYMENT = "awaiting_payment"
    AWAITING_SHIPMENT = "awaiting_shipment"
    PROCESSING = "processing"
    AWAITING_DELIVERY = "awaiting_delivery"
    COMPLETED = "completed"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    PAYMENT_EXPIRED = "payment_expired"
    DISPUTE_IN_PROGRESS = "dispute_in_progress"
    #: the site showed something we do not recognise: rules treat it as "still open"
    UNKNOWN = "unknown"


class TimerSource(StrEnum):
    """Where a protection deadline was read; rules trust them in this order."""

    #: "Your order will be closed in: …" — the site's own running clock for this order
    COUNTDOWN = "countdown"
    #: "Refund if no delivery before Sep 4, 2026" (a service promise)
    DELIVERY_PROMISE = "delivery_promise"
    #: "…open a dispute within 90 days after order was placed" → placed date + 90 days
    DISPUTE_WINDOW = "dispute_window"
    #: nothing on the page: a configured number of days (set by the rules, not parsers)
    FALLBACK = "fallback"


class ProtectionTimer(_Model):
    """The moment after which the buyer can no longer get their money back."""

    ends_at: UtcDatetime
    source: TimerSource
    #: the SITE's clock when the page was read (a countdown is relative to it)
    read_at: UtcDatetime
    #: the text the deadline was read from, for the audit log and for humans
    raw_text: str | None = None


class OrderLine(_Model):
    line_id: str
    product_id: str | None = None
    title: str
    #: variant as shown, e.g. "Color: Black; Length: 2m"
    sku: str | None = None
    unit_price: Money | None = None
    quantity: int
    #: only known on the detail page (an OPEN_DISPUTE button on this line)
    can_open_dispute: bool | None = None
    #: only known on the detail page: True when it links this line to its dispute
    has_dispute: bool | None = None


class Order(_Model):
    order_id: str
    store_name: str | None = None
    status: OrderStatus
    status_text: str | None = None
    placed_on: date | None = None
    paid_on: date | None = None
    shipped_on: date | None = None
    completed_on: date | None = None
    total: Money | None = None
    lines: list[OrderLine]
    #: button type codes as the site names them (CONFIRM_GOODS, TRACKING, …)
    buttons: list[str] = []
    #: the deadline to watch (see ``timers`` for every candidate that was found)
    timer: ProtectionTimer | None = None
    #: every deadline found on the page, earliest first; ``timer`` is chosen from these
    timers: list[ProtectionTimer] = []
    #: service promises, one per item ("Refund if no delivery before Sep 4, 2026", …)
    services: list[str] = []
    reminder: str | None = None
    site_time: UtcDatetime
    #: False for a row of the order list, True once the detail page was read
    detail_loaded: bool = False
    #: None until the detail page says (any line with an OPEN_DISPUTE button)
    can_open_dispute: bool | None = None


class OrderListPage(_Model):
    orders: list[Order]
    has_more: bool
    page_index: int
    page_size: int
    site_time: UtcDatetime


# --- disputes ("reverse orders" on the site) --------------------------------------------


class DisputeSummary(_Model):
    """One line of the refund/dispute list."""

    reverse_order_id: str
    reverse_line_id: str
    trade_order_id: str
    trade_line_id: str
    #: the site's filter code: 2 and 3 in progress, 4 finished
    reverse_status: int
    reverse_type: str | None = None
    #: 1 refund only, 2 return and refund
    solution_type: int | None = None
    item_title: str | None = None
    item_count: int | None = None
    sku: str | None = None
    unit_price: Money | None = None
    created_at: UtcDatetime | None = None
    modified_at: UtcDatetime | None = None
    detail_url: str | None = None
    shop_name: str | None = None
    buttons: list[str] = []


class RefundListPage(_Model):
    items: list[DisputeSummary]
    #: number of cases; never below the items actually present (``pages`` can say 0)
    total: int
    page_index: int
    page_size: int
    has_more: bool


class DisputeStage(StrEnum):
    WAIT_SELLER_RESPONSE = "WAIT_SELLER_RESPONSE"
    WAIT_BUYER_RESPONSE = "WAIT_BUYER_RESPONSE"
    ESCALATED = "ESCALATED"
    WAIT_BUYER_INFO = "WAIT_BUYER_INFO"
    WAIT_RETURN_SHIPMENT = "WAIT_RETURN_SHIPMENT"
    FINISHED = "FINISHED"
    UNKNOWN = "UNKNOWN"


class Proposer(StrEnum):
    SELLER = "SELLER"
    BUYER = "BUYER"
    PLATFORM = "PLATFORM"
    UNKNOWN = "UNKNOWN"


class ProposalStatus(StrEnum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    WITHDRAWN = "WITHDRAWN"
    EXPIRED = "EXPIRED"
    UNKNOWN = "UNKNOWN"


class DeadlineKind(StrEnum):
    BUYER_RESPOND = "BUYER_RESPOND"
    SELLER_RESPOND = "SELLER_RESPOND"
    #: where the site lets buyers escalate: from when
    ESCALATE_AVAILABLE = "ESCALATE_AVAILABLE"
    #: when the platform is expected to step in by itself (no buyer escalation needed)
    PLATFORM_ESCALATION = "PLATFORM_ESCALATION"
    MEDIATOR_INFO = "MEDIATOR_INFO"
    RETURN_SHIPMENT = "RETURN_SHIPMENT"
    UNKNOWN = "UNKNOWN"


class DisputeResult(StrEnum):
    WON = "WON"
    LOST = "LOST"
    CANCELLED = "CANCELLED"
    UNKNOWN = "UNKNOWN"


class Proposal(_Model):
    """A solution on the table: the buyer's request, a seller's or the platform's offer."""

    proposal_id: str | None = None
    proposer: Proposer
    #: 1 refund only, 2 return and refund
    solution_type: int | None = None
    solution_type_text: str | None = None
    #: None when unreadable; a Money that ``is_zero()`` is a real zero offer
    refund: Money | None = None
    #: None for the buyer's own request, which has no accept/reject state
    status: ProposalStatus | None = None
    description: str | None = None
    created_at: UtcDatetime | None = None
    respond_by: UtcDatetime | None = None
    respond_by_text: str | None = None


class DisputeDeadline(_Model):
    kind: DeadlineKind
    title: str | None = None
    ends_at: UtcDatetime
    raw_text: str | None = None


class MediatorRequest(_Model):
    text: str | None = None
    deadline: UtcDatetime | None = None
    raw_text: str | None = None


class EvidenceFile(_Model):
    file_name: str
    size: int | None = None
    sha256: str | None = None


class FinishInfo(_Model):
    result: DisputeResult
    refund: Money | None = None
    finished_at: UtcDatetime | None = None


class DisputeDetail(_Model):
    reverse_order_id: str
    reverse_line_id: str
    trade_order_id: str
    trade_line_id: str
    #: 2 negotiating, 3 escalated, 4 finished (the list's codes; None when the page omits it)
    reverse_status: int | None = None
    stage: DisputeStage
    #: the site's own code, kept when ``stage`` is UNKNOWN so a new code is visible
    stage_code: str | None = None
    #: the answer's status text
    stage_text: str | None = None
    #: the status line the page itself shows (read from the page, not from the answer)
    page_status_text: str | None = None
    item_title: str | None = None
    paid_amount: Money | None = None
    reason_key: str | None = None
    reason_name: str | None = None
    #: did the buyer say the goods arrived
    received: bool | None = None
    buyer_solution: Proposal | None = None
    #: the latest proposal (the site's ``reachSolution``); what the case closes with
    latest_proposal: Proposal | None = None
    #: every proposal, oldest first
    proposals: list[Proposal] = []
    deadlines: list[DisputeDeadline] = []
    mediator_request: MediatorRequest | None = None
    evidence: list[EvidenceFile] = []
    #: what the page offers the buyer (ACCEPT, REJECT, ESCALATE, ADD_EVIDENCE, ANSWER_MEDIATOR,
    #: SHIP_RETURN); ESCALATE only where the page shows an escalation button
    buttons: list[str] = []
    finish: FinishInfo | None = None
    site_time: UtcDatetime


# --- tracking -----------------------------------------------------------------------------


class TrackingEvent(_Model):
    at: UtcDatetime | None = None
    name: str | None = None
    description: str
    location: str | None = None
    code: str | None = None


class TrackingInfo(_Model):
    """A parcel's tracking, newest event first (as the tracking page lists them)."""

    tracking_number: str | None = None
    carrier: str | None = None
    events: list[TrackingEvent] = []
    delivered: bool = False
    #: the newest event that says the parcel was handed over, when it carries a time
    delivered_at: UtcDatetime | None = None


# --- checking the site ('dispute-agent check-site') ---------------------------------------


class Verdict(StrEnum):
    HOLDS = "holds"
    DIFFERS = "differs"
    UNREACHABLE = "unreachable"


class CheckLine(_Model):
    """One assumption about the live site and what the site showed of it."""

    #: a stable name for scripts ("api:order.list", "selector:order-rows", …)
    check: str
    #: what the agent assumes, in words
    what: str
    #: the key of the guess in flows/assumptions.py, when the assumption is one
    assumption: str | None = None
    verdict: Verdict
    #: where it held; what was seen instead; why it could not be reached now
    detail: str
