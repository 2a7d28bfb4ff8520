"""What the rules look at: one plain snapshot of everything the agent watches.

Why a snapshot of plain values: ``agent.judge.rules.judge`` must run without a database or a
browser (tests, the scheduler's sweep, the simulation), so the caller loads what the
store knows into these models and hands them over. Nothing here knows where the data
came from; unknown stays ``None``.

The queries below (which offers are pending, when a case is finished, …) read a
``DisputeDetail`` the same way for every rule, so a reading that proves wrong is one
place to fix.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.core.models import (
    DeadlineKind,
    DisputeDetail,
    DisputeStage,
    Order,
    Proposal,
    ProposalStatus,
    Proposer,
    UtcDatetime,
)
from agent.core.money import Money

__all__ = [
    "DisputeView",
    "FailureKind",
    "HealthView",
    "OrderView",
    "TrackingView",
    "WatchState",
    "counter_offers",
    "deadline_of",
    "escalation_possible",
    "is_finished",
    "is_nothing",
    "is_pending",
    "offer_deadline",
    "pending_offers",
    "platform_escalation",
    "proposal_ref",
]

#: why the last poll failed, as the error tree names it (``other`` for the agent's other
#: errors, ``unexpected`` for a library's raw error or a bug)
FailureKind = Literal["login_needed", "page_changed", "site_unavailable", "rate_limited", "other", "unexpected"]


class _View(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DisputeView(_View):
    """One dispute as last read, with the reading before it.

    ``previous`` is what lets a pure function see change: an offer that was pending and
    is gone (withdrawn, replaced), and since when an offer has been known (reminders
    for thresholds that passed before the agent first saw an offer are not sent).
    """

    latest: DisputeDetail
    previous: DisputeDetail | None = None
    order: Order | None = None
    #: the dispute page, for the message
    link: str | None = None
    #: a screenshot of the latest poll, attached to offer alerts
    screenshot: Path | None = None


class TrackingView(_View):
    """An order's parcel as its tracking page last showed it (``agent.storage.tracking_store``)."""

    #: the site's clock when the tracking was read
    read_at: UtcDatetime
    tracking_number: str | None = None
    carrier: str | None = None
    events: int = Field(default=0, ge=0)
    #: the newest event: when, and its words ("Arrived at destination country")
    last_event_at: UtcDatetime | None = None
    last_event: str | None = None
    delivered: bool = False
    #: the newest "delivered" event, when the tracking shows one
    delivered_at: UtcDatetime | None = None


class OrderView(_View):
    """An order and whether a dispute already covers it (then its timer is moot), or ended.

    ``tracking`` is the parcel as last read (orders awaiting delivery only);
    ``previous_end`` the protection end observed before the current one, while the order
    awaited delivery and from the same kind of timer (``agent.judge.tracking_rules``), so a
    pure rule can tell that the seller moved it.
    """

    order: Order
    #: a case of it is still open
    has_dispute: bool = False
    #: None when it never had a case; when all of its cases are over, whether a page of it
    #: was read since the last one ended (only then do its OPEN_DISPUTE buttons say whether
    #: the site lets another dispute be opened)
    after_dispute: bool | None = None
    link: str | None = None
    tracking: TrackingView | None = None
    previous_end: UtcDatetime | None = None


class HealthView(_View):
    """How the last polls went: the rules turn it into login / broken / all-clear alerts."""

    consecutive_failures: int = Field(default=0, ge=0)
    last_failure_kind: FailureKind | None = None
    last_failure_message: str | None = None
    last_screenshot: Path | None = None
    #: the last poll that worked; it also names the failure streak that followed it
    last_success_at: UtcDatetime | None = None
    #: an automation-broken (or login-needed) alert was raised and not yet cleared
    previously_broken: bool = False


class WatchState(_View):
    disputes: list[DisputeView] = []
    orders: list[OrderView] = []
    health: HealthView = HealthView()


# --- reading a dispute -------------------------------------------------------------------

#: an offer from anyone but the buyer; UNKNOWN counts, so a proposer we cannot read can
#: still raise a zero-offer alert (a false alarm is cheaper than a missed $0)
_COUNTERPARTY = frozenset({Proposer.SELLER, Proposer.PLATFORM, Proposer.UNKNOWN})
#: stages in which an escalation button is taken at its word (UNKNOWN: the button decides)
_MAY_ESCALATE = frozenset({DisputeStage.WAIT_SELLER_RESPONSE, DisputeStage.WAIT_BUYER_RESPONSE,
                           DisputeStage.UNKNOWN})
#: the site's ``reverseStatus`` of a finished case
_FINISHED_STATUS = 4


def proposal_ref(proposal: Proposal) -> str:
    """A proposal's identity for dedupe keys: its id, else its creation time.

    Without either, every such proposal of a dispute shares one key: a second
    unidentifiable zero offer would not alert again (the first one already did).
    """
    if proposal.proposal_id:
        return proposal.proposal_id
    if proposal.created_at is not None:
        return proposal.created_at.strftime("%Y%m%dT%H%M%SZ")
    return "unidentified"


def is_pending(proposal: Proposal) -> bool:
    """Pending, or of unreadable status but still carrying a response deadline."""
    if proposal.status is ProposalStatus.PENDING:
        return True
    return proposal.status in (None, ProposalStatus.UNKNOWN) and proposal.respond_by is not None


def is_nothing(refund: Money | None) -> bool:
    """A known refund of zero (or less): the buyer gets nothing. Unknown is NOT nothing."""
    return refund is not None and refund.amount <= 0


def is_finished(detail: DisputeDetail) -> bool:
    """Whether the case is over: the one reading of it for the rules, the poll, the daemon and the flows.

    Any of the three signs counts (the page's stage, a finish block, the list's code 4):
    a case read as over stops being polled often and gets no more offer alerts.
    """
    return (
        detail.stage is DisputeStage.FINISHED
        or detail.finish is not None
        or detail.reverse_status == _FINISHED_STATUS
    )


def counter_offers(detail: DisputeDetail) -> dict[str, Proposal]:
    """Every seller/platform proposal by ref; the page's ``latest_proposal`` has the last word."""
    found: dict[str, Proposal] = {}
    for proposal in (*detail.proposals, *([detail.latest_proposal] if detail.latest_proposal else [])):
        if proposal.proposer in _COUNTERPARTY:
            found[proposal_ref(proposal)] = proposal
    return found


def pending_offers(detail: DisputeDetail) -> list[Proposal]:
    """Offers awaiting the buyer's answer, oldest first; none once the case closed."""
    if is_finished(detail):
        return []
    return [p for p in counter_offers(detail).values() if is_pending(p)]


def deadline_of(detail: DisputeDetail, kind: DeadlineKind) -> datetime | None:
    """The earliest deadline of ``kind`` the page shows (the safer one if several)."""
    ends = [d.ends_at for d in detail.deadlines if d.kind is kind]
    return min(ends) if ends else None


def offer_deadline(detail: DisputeDetail, offer: Proposal) -> datetime | None:
    return offer.respond_by or deadline_of(detail, DeadlineKind.BUYER_RESPOND)


def escalation_possible(detail: DisputeDetail, now: datetime) -> bool:
    """The page offers the buyer an escalation button (both readings saw it).

    Only what the page offers counts: today's page usually offers none (the platform
    steps in by itself), and suggesting a button that is not there sends a person
    looking for it while the real deadline runs.
    """
    if is_finished(detail) or detail.stage not in _MAY_ESCALATE:
        return False  # a button on a case already escalated or settling is not believed
    return "ESCALATE" in detail.buttons


def platform_escalation(detail: DisputeDetail) -> datetime | None:
    """When AliExpress is expected to step in by itself, if the page says."""
    return None if is_finished(detail) else deadline_of(detail, DeadlineKind.PLATFORM_ESCALATION)
