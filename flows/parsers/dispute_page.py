"""The dispute page read a second time, from what it shows, and held against its answer.

Why two readings: the answer of ``reverseOrderLineRenderForBuyer`` is mostly a guess
(``flows/assumptions.py``), and the one thing the agent must never get wrong is the
amount on the table — above all a zero. So the page is also read as a person reads it:
its status line, the amount with its currency, the deadline in words. Both readings
are made independently, then compared here, by pure functions:

- a zero seen by either reading is a zero (``zero_seen``), and a zero that only one
  reading sees is a disagreement like any other, never a pass;
- when the readings disagree — the stage, the amount, its currency, the deadline beyond
  a small tolerance, whether the page offers escalation — the result is
  ``ReadingsDisagree`` (a ``PageChanged``) naming each difference: never a silent pass
  and never a guess at which reading is right;
- where the answer's stage is unknown, the page's status line may say it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo

from agent.core.errors import PageChanged
from agent.core.models import DeadlineKind, DisputeDetail, DisputeStage
from agent.core.money import Money
from flows import site
from flows.parsers.dates import parse_datetime
from flows.parsers.disputes import stage_of_text
from flows.parsers.money import parse_money

__all__ = [
    "Disagreement",
    "PageReading",
    "PageTexts",
    "ReadingsDisagree",
    "api_amount",
    "api_deadline",
    "check_readings",
    "compare_readings",
    "read_page",
    "zero_seen",
]

_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2})?")
TOLERANCE = timedelta(seconds=site.DEADLINE_TOLERANCE_SECONDS)


@dataclass(frozen=True)
class PageTexts:
    """What the page shows, as read from it (None: the element is not there)."""

    status: str | None
    amount: str | None
    deadline: str | None
    #: the page shows a button to escalate
    escalation_button: bool = False


@dataclass(frozen=True)
class PageReading:
    """The page's texts, understood: what a person would take from them."""

    texts: PageTexts
    stage: DisputeStage
    #: None when no amount is shown or its text is not plainly one amount
    amount: Money | None
    #: None when no deadline is shown or its text holds no date and time
    deadline: datetime | None


def read_page(texts: PageTexts, tz: tzinfo = timezone.utc, currency_hint: str | None = None) -> PageReading:
    """Understand the page's texts; ``tz`` is the zone the site writes times in.

    ``currency_hint`` only settles a symbol several currencies share ("$" is USD, CAD,
    AUD, …); an amount written with its own symbol ("US $", "R$", "€") is read alone.
    """
    deadline = None
    if texts.deadline:
        found = _STAMP.search(texts.deadline)
        deadline = parse_datetime(found.group(0).replace("T", " "), tz) if found else None
    return PageReading(texts=texts, stage=stage_of_text(texts.status),
                       amount=parse_money(texts.amount, currency_hint) if texts.amount else None,
                       deadline=deadline)


@dataclass(frozen=True)
class Disagreement:
    """One thing the two readings say differently."""

    what: str
    api: str
    page: str

    def __str__(self) -> str:
        return f"{self.what}: the answer says {self.api}, the page shows {self.page}"


class ReadingsDisagree(PageChanged):
    """The page and its answer disagree; ``zero_seen`` names the readings that show a zero."""

    def __init__(self, message: str, disagreements: list[Disagreement], zero_seen_by: tuple[str, ...],
                 detail: DisputeDetail) -> None:
        super().__init__(message)
        self.disagreements = disagreements
        self.zero_seen = zero_seen_by
        self.detail = detail


def api_amount(detail: DisputeDetail) -> Money | None:
    """The amount the page should show, by the answer: the final refund of a closed case,
    else the proposal waiting for the buyer, else the buyer's own request."""
    if detail.finish is not None:
        return detail.finish.refund
    if detail.latest_proposal is not None:
        return detail.latest_proposal.refund
    return detail.buyer_solution.refund if detail.buyer_solution else None


def _earliest(detail: DisputeDetail, kind: DeadlineKind) -> datetime | None:
    ends = [d.ends_at for d in detail.deadlines if d.kind is kind]
    return min(ends) if ends else None


def api_deadline(detail: DisputeDetail, stage: DisputeStage) -> datetime | None:
    """The deadline the page should write for ``stage``, by the answer."""
    if stage is DisputeStage.WAIT_BUYER_RESPONSE:
        offer = detail.latest_proposal
        return (offer.respond_by if offer else None) or _earliest(detail, DeadlineKind.BUYER_RESPOND)
    if stage is DisputeStage.WAIT_SELLER_RESPONSE:
        return _earliest(detail, DeadlineKind.SELLER_RESPOND)
    if stage is DisputeStage.WAIT_BUYER_INFO:
        request = detail.mediator_request
        return (request.deadline if request else None) or _earliest(detail, DeadlineKind.MEDIATOR_INFO)
    if stage is DisputeStage.WAIT_RETURN_SHIPMENT:
        return _earliest(detail, DeadlineKind.RETURN_SHIPMENT)
    return None


def _all_deadlines(detail: DisputeDetail) -> list[datetime]:
    found = [d.ends_at for d in detail.deadlines]
    found += [p.respond_by for p in (detail.latest_proposal, *detail.proposals) if p is not None and p.respond_by]
    if detail.mediator_request is not None and detail.mediator_request.deadline is not None:
        found.append(detail.mediator_request.deadline)
    return found


def _is_zero(amount: Money | None) -> bool:
    return amount is not None and amount.amount <= 0


def zero_seen(detail: DisputeDetail, page: PageReading) -> tuple[str, ...]:
    """Which readings show an amount of zero: ("answer",), ("page",), both, or none."""
    seen = []
    if _is_zero(api_amount(detail)):
        seen.append("answer")
    if _is_zero(page.amount):
        seen.append("page")
    return tuple(seen)


def _shown(value: object, raw: str | None = None) -> str:
    if value is None:
        return f"nothing readable ({raw!r})" if raw else "nothing"
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    return str(value)


def compare_readings(detail: DisputeDetail, page: PageReading,
                     tolerance: timedelta = TOLERANCE) -> list[Disagreement]:
    """Every difference between the answer's reading and the page's; empty when they agree."""
    found: list[Disagreement] = []
    stage = detail.stage
    if stage is not DisputeStage.UNKNOWN and page.stage is not DisputeStage.UNKNOWN and stage is not page.stage:
        found.append(Disagreement("stage", f"{stage.value} ({detail.stage_text or detail.stage_code})",
                                  f"{page.stage.value} ({page.texts.status})"))
    expected = api_amount(detail)
    if expected != page.amount:
        what = "currency" if expected and page.amount and expected.currency != page.amount.currency else "amount"
        found.append(Disagreement(what, _shown(expected), _shown(page.amount, page.texts.amount)))
    known = stage if stage is not DisputeStage.UNKNOWN else page.stage
    if known is DisputeStage.UNKNOWN:  # which deadline the page writes is unknown: any the data has
        due = min(_all_deadlines(detail), key=lambda d: abs(d - page.deadline), default=None) if page.deadline else None
        if page.texts.deadline is not None and (due is None or abs(due - page.deadline) > tolerance):
            found.append(Disagreement("deadline", _shown(due), _shown(page.deadline, page.texts.deadline)))
    else:
        due = api_deadline(detail, known)
        if due is None and page.texts.deadline is not None or due is not None and (
                page.deadline is None or abs(due - page.deadline) > tolerance):
            found.append(Disagreement("deadline", _shown(due), _shown(page.deadline, page.texts.deadline)))
    offered = "ESCALATE" in detail.buttons
    if offered != page.texts.escalation_button:
        found.append(Disagreement("escalation", "offered" if offered else "not offered",
                                  "an escalation button" if page.texts.escalation_button else "no escalation button"))
    return found


def check_readings(detail: DisputeDetail, page: PageReading, tolerance: timedelta = TOLERANCE) -> DisputeDetail:
    """The case as both readings agree on it, or ``ReadingsDisagree`` naming every difference.

    Where the answer's stage is unknown and the page's status line names one, the
    stage is the page's (one reading knows, the other does not contradict it).
    """
    problems = compare_readings(detail, page, tolerance)
    if problems:
        zeros = zero_seen(detail, page)
        warning = f" — only the {zeros[0]} shows a refund of zero" if len(zeros) == 1 else ""
        raise ReadingsDisagree(
            f"dispute {detail.reverse_line_id}: the page and its data disagree ({'; '.join(map(str, problems))})"
            f"{warning}; nothing was decided on it: look at the dispute page and keep the evidence",
            problems, zeros, detail)
    updates: dict[str, object] = {"page_status_text": page.texts.status}
    if detail.stage is DisputeStage.UNKNOWN and page.stage is not DisputeStage.UNKNOWN:
        updates["stage"] = page.stage
    return detail.model_copy(update=updates)
