"""The refund/dispute list (``queryreverseorderpagelistforbuyer``).

Why count items instead of trusting the paging fields: a real capture says
``pages: 0`` next to three items. Why the ``…Format`` texts instead of the epoch
fields: the epochs are unreliable in the captures (a case "modified" before it was
created); the texts are what the user sees. They carry no zone, so ``tz`` says which
one the site writes them in.
"""

from __future__ import annotations

from datetime import timezone, tzinfo
from typing import Any

from agent.core.errors import SiteUnavailable
from agent.core.models import DisputeSummary, RefundListPage
from flows.parsers.dates import parse_datetime
from flows.parsers.envelope import check_envelope
from flows.parsers.fields import as_int, as_text, get_path, missing, require, require_id
from flows.parsers.money import parse_cent_money

__all__ = ["parse_refund_list"]

WHERE = "refund.list"
#: the button whose link opens the case's page: ``refund_details`` (the m. host's dispute
#: page, what the list's "Details" opens), else the older issue page of ``view_details``
_DETAIL_BUTTONS = ("refund_details", "view_details")


def parse_refund_list(envelope: dict[str, Any], *, tz: tzinfo = timezone.utc) -> RefundListPage:
    """Every case line of one page, in the order the site lists them."""
    data = check_envelope(envelope, WHERE)
    if data.get("notSuccess") is True:
        raise SiteUnavailable(f"{WHERE}: the site answered SUCCESS but flagged notSuccess; try again later")
    module = data.get("module")
    if not isinstance(module, dict):
        raise missing(WHERE, "data.module")
    items = require(module, "items", WHERE, shown_as="data.module.items", kind=list)

    summaries: list[DisputeSummary] = []
    for i, item in enumerate(items):
        path = f"data.module.items.{i}"
        if not isinstance(item, dict):
            raise missing(WHERE, path, "is not an object")
        lines = require(item, "reverseOrderLines", WHERE, shown_as=f"{path}.reverseOrderLines", kind=list)
        shop = as_text(item.get("shopName"))
        for j, line in enumerate(lines):
            summaries.append(_summary(line, f"{path}.reverseOrderLines.{j}", shop, tz))

    page_index = as_int(module.get("pageNum")) or 1
    page_size = as_int(module.get("pageSize")) or len(summaries)
    reported = as_int(module.get("total"))
    total = max(reported or 0, len(summaries))
    if reported is not None:
        has_more = page_index * page_size < total
    else:  # no total: a full page may be followed by another
        has_more = page_size > 0 and len(items) >= page_size
    return RefundListPage(items=summaries, total=total, page_index=page_index, page_size=page_size, has_more=has_more)


def _summary(line: Any, path: str, shop: str | None, tz: tzinfo) -> DisputeSummary:
    if not isinstance(line, dict):
        raise missing(WHERE, path, "is not an object")

    def ident(name: str) -> str:
        return require_id(line, name, WHERE, f"{path}.{name}")

    status = as_int(line.get("reverseStatus"))
    if status is None:
        raise missing(WHERE, f"{path}.reverseStatus")
    item = line.get("aeItemDTO") if isinstance(line.get("aeItemDTO"), dict) else {}
    buttons = [b for b in line.get("buttonDTOList") or [] if isinstance(b, dict)]
    return DisputeSummary(
        reverse_order_id=ident("reverseOrderId"),
        reverse_line_id=ident("reverseOrderLineId"),
        trade_order_id=ident("tradeOrderId"),
        trade_line_id=ident("tradeOrderLineId"),
        reverse_status=status,
        reverse_type=as_text(line.get("reverseType")),
        solution_type=as_int(line.get("solutionType")),
        item_title=as_text(item.get("itemTitle")),
        item_count=as_int(item.get("itemCount")),
        sku=_sku(item.get("skuDTOList")),
        unit_price=parse_cent_money(item.get("itemUnitPrice")),
        created_at=parse_datetime(line.get("gmtCreateFormat"), tz),
        modified_at=parse_datetime(line.get("gmtModifiedFormat"), tz),
        detail_url=_detail_url(buttons),
        shop_name=shop,
        buttons=[b["type"] for b in buttons if isinstance(b.get("type"), str)],
    )


def _sku(values: Any) -> str | None:
    if not isinstance(values, list):
        return None
    texts = [as_text(get_path(v, "skuValue")) for v in values]
    return "; ".join(t for t in texts if t) or None


def _detail_url(buttons: list[dict[str, Any]]) -> str | None:
    for wanted in _DETAIL_BUTTONS:
        for button in buttons:
            url = as_text(button.get("detailUrl"))
            if button.get("type") == wanted and url:
                return url
    return None
