"""The dispute page (``reverseOrderLineRenderForBuyer``): offers, deadlines, buttons.

Why this shape: the real response of this API has never been captured publicly; the
fields below (``data.module`` …) are the shape the project's sandbox serves, built
from the few names a public extension reads (``reachSolution.refundMoney``,
``reverseDetailStatusText``, …). Keep every field name in this one module so a real
capture is one place to adjust.

Why the time rules: a deadline is taken from the absolute ``time`` (epoch ms) when the
site gives one; else from ``countdownText`` added to the SITE's clock; else from the
zone-less ``timeFormat`` read in ``tz``. A deadline entry with none of them readable
raises PageChanged — an unknown deadline must become an "automation broken" alert,
not a missing row. An offer whose amount cannot be read keeps ``refund=None``: never 0.
"""

from __future__ import annotations

from datetime import datetime, timezone, tzinfo
from enum import StrEnum
from typing import Any, TypeVar

from agent.models import (
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
from flows.parsers.countdown import parse_countdown
from flows.parsers.dates import parse_datetime
from flows.parsers.envelope import check_envelope
from flows.parsers.fields import as_id, as_int, as_text, missing, require, require_id
from flows.parsers.money import parse_cent_money
from flows.parsers.sitetime import epoch_ms_to_utc, site_now

__all__ = ["parse_dispute_detail"]

WHERE = "dispute.detail"
E = TypeVar("E", bound=StrEnum)


def _enum(kind: type[E], value: Any, unknown: E) -> E:
    """A site code as our enum; a code we have never seen becomes UNKNOWN, not an error."""
    try:
        return kind(value.strip().upper()) if isinstance(value, str) else unknown
    except ValueError:
        return unknown


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
        refund=parse_cent_money(raw.get("refundMoney")),
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

    status = as_int(module.get("reverseStatus"))
    if status is None:
        raise missing(WHERE, "data.module.reverseStatus")
    reason = module.get("applyReason") if isinstance(module.get("applyReason"), dict) else {}
    received = reason.get("received")
    buyer = module.get("buyerSolution")
    latest = module.get("reachSolution")
    mediator = module.get("mediatorRequest")
    finish = module.get("reverseFinishInfo")
    stage_code = as_text(module.get("reverseDetailStatus"))
    history = _list(module, "proposalHistory")
    buttons = [b["type"] for b in _list(module, "buttons") if isinstance(b, dict) and isinstance(b.get("type"), str)]

    return DisputeDetail(
        reverse_order_id=ident("reverseOrderId"),
        reverse_line_id=ident("reverseOrderLineId"),
        trade_order_id=ident("tradeOrderId"),
        trade_line_id=ident("tradeOrderLineId"),
        reverse_status=status,
        stage=_enum(DisputeStage, stage_code, DisputeStage.UNKNOWN),
        stage_code=stage_code,
        stage_text=as_text(module.get("reverseDetailStatusText")),
        item_title=as_text(module.get("itemTitle")),
        paid_amount=parse_cent_money(module.get("paidAmount")),
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
    if not isinstance(raw, dict):
        raise missing(WHERE, "data.module.reverseFinishInfo", "is not an object")
    return FinishInfo(
        result=_enum(DisputeResult, raw.get("result"), DisputeResult.UNKNOWN),
        refund=parse_cent_money(raw.get("refundInfo")),
        finished_at=parse_datetime(raw.get("finishTimeFormat"), tz),
    )
