"""Which response a saved JSON file is, parsed into its model.

Why: ``dispute-agent parse FILE`` lets a user (or the runbook for "the site changed")
check a response saved from the browser without running a flow. The ``api`` field
names the response when present; a response saved without it is recognised by the
shape its parser needs, and anything else is refused by naming what was looked for.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timezone, tzinfo
from typing import Any

from agent.core.errors import PageChanged
from agent.core.models import (
    DisputeDetail,
    Order,
    OrderListPage,
    RefundListPage,
    TrackingInfo,
)
from flows import site
from flows.parsers.dispute_form import FormState, parse_form_state
from flows.parsers.disputes import parse_dispute_detail
from flows.parsers.fields import get_path
from flows.parsers.orders import parse_order_detail, parse_order_list
from flows.parsers.refunds import parse_refund_list
from flows.parsers.tracking import parse_tracking

__all__ = ["SUPPORTED", "Parsed", "detect_api", "detect_and_parse"]

Parsed = OrderListPage | Order | TrackingInfo | RefundListPage | DisputeDetail | FormState

#: every API whose answers the agent reads
SUPPORTED = (site.API_ORDER_LIST, site.API_ORDER_DETAIL, site.API_TRACKING, site.API_REFUND_LIST,
             site.API_DISPUTE_DETAIL, site.API_DISPUTE_FORM)
_REMEDY = "save the response of one of: " + ", ".join(SUPPORTED)


def _has_tag(obj: dict[str, Any], prefix: str) -> bool:
    components = get_path(obj, "data.data")
    if not isinstance(components, dict):
        return False
    return any(isinstance(c, dict) and str(c.get("tag", "")).startswith(prefix) for c in components.values())


def detect_api(obj: Any) -> str:
    """The API name of a saved response: its ``api`` field, else recognised by shape."""
    if not isinstance(obj, dict):
        raise PageChanged(f"parse: the file is not a JSON object — {_REMEDY}")
    api = obj.get("api")
    if isinstance(api, str) and api.strip():
        by_lower = {name.lower(): name for name in SUPPORTED}
        name = by_lower.get(api.strip().lower())
        if name is None:
            raise PageChanged(f"parse: no parser for api {api.strip()!r} — {_REMEDY}")
        return name
    if get_path(obj, "data.hierarchy.root") is not None:
        if _has_tag(obj, "pc_om_list_"):
            return site.API_ORDER_LIST
        if _has_tag(obj, "detail_"):
            return site.API_ORDER_DETAIL
    if isinstance(get_path(obj, "data.module.items"), list):
        return site.API_REFUND_LIST
    if get_path(obj, "data.module.reverseOrderLineId") is not None:
        return site.API_DISPUTE_DETAIL
    if isinstance(get_path(obj, "data.module.trackingDetailLineList"), list):
        return site.API_TRACKING
    if get_path(obj, "data.module.canApply") is not None:
        return site.API_DISPUTE_FORM
    raise PageChanged(
        "parse: unrecognised response: no 'api' field and none of data.hierarchy.root "
        f"(order list/detail), data.module.items (refund list), data.module.reverseOrderLineId "
        f"(dispute detail), data.module.trackingDetailLineList (tracking), data.module.canApply "
        f"(dispute form) — {_REMEDY}"
    )


def detect_and_parse(obj: Any, *, date_header: str | None = None, tz: tzinfo = timezone.utc) -> Parsed:
    """The parsed model of a saved response; PageChanged names what is missing."""
    api = detect_api(obj)
    parsers: dict[str, Callable[[], Parsed]] = {
        site.API_ORDER_LIST: lambda: parse_order_list(obj, date_header=date_header),
        site.API_ORDER_DETAIL: lambda: parse_order_detail(obj, date_header=date_header, tz=tz),
        site.API_REFUND_LIST: lambda: parse_refund_list(obj, tz=tz),
        site.API_DISPUTE_DETAIL: lambda: parse_dispute_detail(obj, date_header=date_header, tz=tz),
        site.API_TRACKING: lambda: parse_tracking(obj),
        site.API_DISPUTE_FORM: lambda: parse_form_state(obj),
    }
    return parsers[api]()
