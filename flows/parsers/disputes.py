"""The dispute page (``reverseOrderLineRenderForBuyer``): offers, deadlines, buttons.

Why this shape: no whole answer of this API was ever published. A public extension
that reads live answers [EM] shows a numeric ``reverseDetailStatus`` (100 with "Request
complete"), ``applyReason``, ``reachSolution`` with ``refundMoney{cent, currency, unit,
formatMoney}`` and ``reverseFinishInfo.refundInfo`` as an object; everything else read
here (the buyer's request, the history, the deadlines, the mediator's request, the
offered actions) is the shape the sandbox serves, listed in ``flows/assumptions.py``
("dispute-detail-shape"). Keep every field name in this one module so a real capture
is one place to adjust.

Why the stage comes from the code, then the text: only code 100 is known; for the rest
the English status text says it (``flows/site.py``), and a text nobody listed is an
UNKNOWN stage — the rules treat that as still open, the safe side.

Why the refund of a closed case is read in that order: ``refundInfo.refundDetails
.cashMoney``, then ``totalMoney``, then the sum of ``refundChannelDetails[].money``, as
the public extension reads it; none readable is ``None``, never 0.

Why the time rules: a deadline is taken from the absolute ``time`` (epoch ms) when the
site gives one; else from ``countdownText`` added to the SITE's clock; else from the
zone-less ``timeFormat`` read in ``tz``. A deadline entry with none of them readable
raises PageChanged — an unknown deadline must become an "automation broken" alert,
not a missing row. An offer whose amount cannot be read keeps ``refund=None``: never 0.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone, tzinfo
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from agent.core.models import (
    DeadlineKind,
    DisputeDeadline,
    DisputeDetail,
    DisputeResult,
    DisputeStage,
    EvidenceFile,
    FinishInfo,
    MediatorRequest,
    Proposal,
    ProposalStatus,
    Proposer,
)
from agent.core.money import Money
from flows import site
from flows.parsers.countdown import parse_countdown
from flows.parsers.dates import parse_datetime
from flows.parsers.envelope import check_envelope
from flows.parsers.fields import as_id, as_int, as_text, missing, require, require_id
from flows.parsers.money import parse_cent_money
from flows.parsers.sitetime import epoch_ms_to_utc, site_now

__all__ = ["parse_dispute_detail", "refund_of", "stage_of_code", "stage_of_text"]

WHERE = "dispute.detail"
_UNIT = re.compile(r"-?\d{1,12}(\.\d{1,4})?")
E = TypeVar("E", bound=StrEnum)


def _enum(kind: type[E], value: Any, unknown: E) -> E:
    """A site code as our enum; a code we have never seen becomes UNKNOWN, not an error."""
    try:
        return kind(value.strip().upper()) if isinstance(value, str) else unknown
    except ValueError:
        return unknown


def stage_of_code(code: int | None) -> DisputeStage:
    """The stage a ``reverseDetailStatus`` number names, UNKNOWN when nobody knows it."""
    name = site.DISPUTE_STAGE_BY_CODE.get(code) if code is not None else None
    return DisputeStage(name) if name else DisputeStage.UNKNOWN


def stage_of_text(text: str | None) -> DisputeStage:
    """The stage an English status text names (the answer's or the page's), else UNKNOWN."""
    if not text:
        return DisputeStage.UNKNOWN
    name = site.DISPUTE_STAGE_BY_TEXT.get(" ".join(text.split()).casefold().replace("\u2019", "'"))
    return DisputeStage(name) if name else DisputeStage.UNKNOWN


def _money(obj: Any) -> Money | None:
    """``{cent, currency, unit, formatMoney}``: the cents, else ``unit`` ("19.99"), else the text."""
    found = parse_cent_money(obj)
    if found is not None or not isinstance(obj, dict):
        return found
    currency = as_text(obj.get("currency"))
    unit = obj.get("unit")
    if currency and isinstance(unit, str) and _UNIT.fullmatch(unit.strip()):
        return Money(amount=Decimal(unit.strip()), currency=currency.upper())
    return None


def refund_of(info: Any) -> Money | None:
    """A closed case's refund from ``refundInfo``: cashMoney → totalMoney → the channels' sum."""
    if not isinstance(info, dict):
        return None
    details = info.get("refundDetails") if isinstance(info.get("refundDetails"), dict) else {}
    for name in ("cashMoney", "totalMoney"):
        found = _money(details.get(name))
        if found is not None:
            return found
    channels = info.get("refundChannelDetails")
    if not isinstance(channels, list) or not channels:
        return None
    amounts = [_money(line.get("money")) if isinstance(line, dict) else None for line in channels]
    if any(a is None for a in amounts) or len({a.currency for a in amounts}) != 1:
        return None  # one unreadable or mixed channel: the sum would be a guess
    total = amounts[0]
    for amount in amounts[1:]:
        total = total + amount
    return total


def _moment(obj: Any, now: datetime, tz: tzinfo) -> datetime | None:
    """When a {time, countdownText, timeFormat} object ends; None if no part is readable."""
    if not isinstance(obj, dict):
        return None
    absolute = epoch_ms_to_utc(obj.get("time"))
    if absolute is not None:
        return absolute
    remaining = parse_countdown(obj.get("countdownText"))
    if remaining is not None:
        return now + remaining
    return parse_datetime(obj.get("timeFormat"), tz)


def _required_moment(obj: Any, path: str, now: datetime, tz: tzinfo) -> datetime:
    moment = _moment(obj, now, tz)
    if moment is None:
        raise missing(WHERE, path, "has no readable time (time, countdownText or timeFormat)")
    return moment


def _raw_time_text(obj: Any) -> str | None:
    if not isinstance(obj, dict):
        return None
    return as_text(obj.get("countdownText")) or as_text(obj.get("timeFormat"))


def _proposal(raw: Any, path: str, now: datetime, tz: tzinfo, *, buyer_request: bool = False) -> Proposal:
    if not isinstance(raw, dict):
        raise missing(WHERE, path, "is not an object")
    deadline = raw.get("respondDeadline")
    return Proposal(
        proposal_id=as_id(raw.get("proposalId")),
        proposer=Proposer.BUYER if buyer_request else _enum(Proposer, raw.get("proposer"), Proposer.UNKNOWN),
        solution_type=as_int(raw.get("solutionType")),
        solution_type_text=as_text(raw.get("solutionTypeText")),
        refund=_money(raw.get("refundMoney")),
        status=None if buyer_request else _enum(ProposalStatus, raw.get("status"), ProposalStatus.UNKNOWN),
        description=as_text(raw.get("description")),
        created_at=parse_datetime(raw.get("gmtCreateFormat"), tz),
        respond_by=_required_moment(deadline, f"{path}.respondDeadline", now, tz) if deadline else None,
        respond_by_text=_raw_time_text(deadline),
    )


def _list(module: dict[str, Any], name: str) -> list[Any]:
    value = module.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise missing(WHERE, f"data.module.{name}", "is not a list")
    return value


def parse_dispute_detail(
    envelope: dict[str, Any], *, date_header: str | None = None, tz: tzinfo = timezone.utc
) -> DisputeDetail:
    """The dispute page's data; ``tz`` is the zone of the site's zone-less time texts."""
    data = check_envelope(envelope, WHERE)
    now = site_now(envelope, date_header, where=WHERE)
    module = data.get("module")
    if not isinstance(module, dict):
        raise missing(WHERE, "data.module")

    def ident(name: str) -> str:
        return require_id(module, name, WHERE, f"data.module.{name}")

    reason = module.get("applyReason") if isinstance(module.get("applyReason"), dict) else {}
    received = reason.get("received")
    buyer = module.get("buyerSolution")
    latest = module.get("reachSolution")
    mediator = module.get("mediatorRequest")
    finish = module.get("reverseFinishInfo")
    code = as_int(module.get("reverseDetailStatus"))
    text = as_text(module.get("reverseDetailStatusText"))
    stage = stage_of_code(code)
    if stage is DisputeStage.UNKNOWN:
        stage = stage_of_text(text)
    history = _list(module, "proposalHistory")
    buttons = [b["type"] for b in _list(module, "buttons") if isinstance(b, dict) and isinstance(b.get("type"), str)]
    item = module.get("aeItemDTO") if isinstance(module.get("aeItemDTO"), dict) else (
        module.get("item") if isinstance(module.get("item"), dict) else {})

    return DisputeDetail(
        reverse_order_id=ident("reverseOrderId"),
        reverse_line_id=ident("reverseOrderLineId"),
        trade_order_id=ident("tradeOrderId"),
        trade_line_id=ident("tradeOrderLineId"),
        reverse_status=as_int(module.get("reverseStatus")),
        stage=stage,
        stage_code=str(code) if code is not None else as_text(module.get("reverseDetailStatus")),
        stage_text=text,
        item_title=as_text(item.get("itemTitle")) or as_text(module.get("itemTitle")),
        paid_amount=_money(module.get("paidAmount")),
        reason_key=as_text(reason.get("reasonKey")),
        reason_name=as_text(reason.get("reasonName")),
        received=received if isinstance(received, bool) else None,
        buyer_solution=(
            _proposal(buyer, "data.module.buyerSolution", now, tz, buyer_request=True) if buyer else None
        ),
        latest_proposal=_proposal(latest, "data.module.reachSolution", now, tz) if latest else None,
        proposals=[_proposal(raw, f"data.module.proposalHistory.{i}", now, tz) for i, raw in enumerate(history)],
        deadlines=[
            _deadline(raw, f"data.module.deadlines.{i}", now, tz) for i, raw in enumerate(_list(module, "deadlines"))
        ],
        mediator_request=_mediator(mediator, now, tz) if mediator else None,
        evidence=[_evidence(raw, f"data.module.evidence.{i}") for i, raw in enumerate(_list(module, "evidence"))],
        buttons=buttons,
        finish=_finish(finish, tz) if finish else None,
        site_time=now,
    )


def _deadline(raw: Any, path: str, now: datetime, tz: tzinfo) -> DisputeDeadline:
    if not isinstance(raw, dict):
        raise missing(WHERE, path, "is not an object")
    return DisputeDeadline(
        kind=_enum(DeadlineKind, raw.get("type"), DeadlineKind.UNKNOWN),
        title=as_text(raw.get("title")),
        ends_at=_required_moment(raw, path, now, tz),
        raw_text=_raw_time_text(raw),
    )


def _mediator(raw: Any, now: datetime, tz: tzinfo) -> MediatorRequest:
    path = "data.module.mediatorRequest"
    if not isinstance(raw, dict):
        raise missing(WHERE, path, "is not an object")
    deadline = raw.get("deadline")
    return MediatorRequest(
        text=as_text(raw.get("requestText")),
        deadline=_required_moment(deadline, f"{path}.deadline", now, tz) if deadline else None,
        raw_text=_raw_time_text(deadline),
    )


def _evidence(raw: Any, path: str) -> EvidenceFile:
    if not isinstance(raw, dict):
        raise missing(WHERE, path, "is not an object")
    return EvidenceFile(
        file_name=require(raw, "fileName", WHERE, shown_as=f"{path}.fileName", kind=str),
        size=as_int(raw.get("size")),
        sha256=as_text(raw.get("sha256")),
    )


def _finish(raw: Any, tz: tzinfo) -> FinishInfo:
    """How the case ended: its refund from ``refundInfo``; a refund above 0 is a win, exactly
    0 a loss, an unreadable one UNKNOWN (never taken for either)."""
    if not isinstance(raw, dict):
        raise missing(WHERE, "data.module.reverseFinishInfo", "is not an object")
    info = raw.get("refundInfo")
    if info is not None and not isinstance(info, dict):
        raise missing(WHERE, "data.module.reverseFinishInfo.refundInfo", "is not an object")
    refund = refund_of(info)
    if refund is None:
        result = DisputeResult.UNKNOWN
    else:
        result = DisputeResult.WON if refund.amount > 0 else DisputeResult.LOST
    finished = epoch_ms_to_utc(info.get("refundNewestTime")) if info else None
    return FinishInfo(result=result, refund=refund, finished_at=finished or parse_datetime(raw.get("finishTimeFormat"), tz))
