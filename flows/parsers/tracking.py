"""The tracking page's answer (``mtop.ae.ld.querydetail``) read into a model.

Only what a dispute text needs: the newest event, whether the parcel was delivered,
the tracking number and the carrier. Epoch times are used when present (the real
capture's were scrambled by its anonymiser, so tests check texts, not instants).
"""

from __future__ import annotations

from typing import Any

from agent.core.models import TrackingEvent, TrackingInfo
from flows import site
from flows.parsers.envelope import check_envelope
from flows.parsers.fields import as_text, missing
from flows.parsers.sitetime import epoch_ms_to_utc

WHERE = "tracking"


def parse_tracking(envelope: dict[str, Any]) -> TrackingInfo:
    data = check_envelope(envelope, WHERE)
    module = data.get("module")
    if not isinstance(module, dict):
        raise missing(WHERE, "data.module")
    lines = module.get("trackingDetailLineList")
    if not isinstance(lines, list):
        raise missing(WHERE, "data.module.trackingDetailLineList")
    if not lines:
        return TrackingInfo()
    first = lines[0] if isinstance(lines[0], dict) else {}
    events = []
    for raw in first.get("detailList") or []:
        if not isinstance(raw, dict):
            continue
        description = as_text(raw.get("trackingDetailDesc"))
        if not description:
            continue
        events.append(TrackingEvent(
            at=epoch_ms_to_utc(raw.get("time")),
            name=as_text(raw.get("trackingName")),
            description=description,
            location=as_text(raw.get("detailedLocation")),
            code=as_text(raw.get("trackingPrimaryCode")),
        ))
    handed_over = [event for event in events if event.code in site.TRACKING_DELIVERED_CODES]
    return TrackingInfo(
        tracking_number=as_text(first.get("mailNo")),
        carrier=as_text(first.get("logisticsCarrierName")),
        events=events,
        delivered=bool(handed_over),
        delivered_at=max((event.at for event in handed_over if event.at is not None), default=None),
    )
