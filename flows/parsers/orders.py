"""Orders from the order list and order detail responses (Ultron component graphs).

Why the protection timer is chosen this way (``_choose_timer``): a countdown shown for
the order ("Your order will be closed in: …") is the site's own running clock for
this very order — it already includes any extension the seller granted — so it wins
whenever present. The other two are static texts: a service promise ("Refund if no
delivery before Sep 4, 2026") and a policy ("open a dispute within 90 days after
order was placed"); neither knows about extensions, so between them the EARLIER is
kept: warning a little early costs a message, warning late costs the money. Every
candidate is kept in ``Order.timers`` so rules can see what was skipped.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any

from agent.core.models import (
    Order,
    OrderLine,
    OrderListPage,
    OrderStatus,
    ProtectionTimer,
    TimerSource,
)
from flows import site
from flows.assumptions import unconfirmed
from flows.parsers.countdown import find_countdown
from flows.parsers.dates import parse_date, start_of_day
from flows.parsers.envelope import check_envelope
from flows.parsers.fields import (
    as_id,
    as_int,
    as_text,
    get_path,
    missing,
    require,
    site_id,
)
from flows.parsers.money import parse_format_price_info, parse_money
from flows.parsers.sitetime import site_now
from flows.parsers.status import resolve_order_status
from flows.parsers.texts import (
    parse_delivery_promise,
    parse_reminder_windows,
    split_service_content,
)
from flows.parsers.ultron import components_by_tag, one_by_tag, ordered_components

__all__ = ["parse_order_detail", "parse_order_list"]

#: the words of a running protection clock ("Your order will be closed in: …")
_CLOSING = re.compile(r"\b(?:be\s+closed|closes|will\s+close)\s+in\b", re.IGNORECASE)

WHERE_LIST = "order.list"
WHERE_DETAIL = "order.detail"
OPEN_DISPUTE = "OPEN_DISPUTE"
#: an item's link to its case. A guess (the sandbox serves it; how the live page links an
#: item to its case is not captured): only ever read as "a case exists", so a page without
#: it makes an interrupted filing wait for the dispute list, never file again
VIEW_DISPUTE = "VIEW_DISPUTE"


def _fields(key: str, component: dict[str, Any], where: str) -> dict[str, Any]:
    fields = component.get("fields")
    if not isinstance(fields, dict):
        raise missing(where, f"data.data.{key}.fields")
    return fields


def _id(obj: dict[str, Any], name: str, path: str, where: str) -> str:
    value = site_id(require(obj, name, where, shown_as=f"{path}.{name}"), where, f"{path}.{name}")
    if value is None:
        raise missing(where, f"{path}.{name}", "is not an id")
    return value


def _button_types(buttons: Any) -> list[str]:
    if not isinstance(buttons, list):
        return []
    return [b["type"] for b in buttons if isinstance(b, dict) and isinstance(b.get("type"), str)]


def _sku_text(attrs: Any) -> str | None:
    """skuAttrs → "Color: HDMI-compatible 2.1; Length: 2m" as the page shows it."""
    if not isinstance(attrs, list):
        return None
    parts = []
    for attr in attrs:
        if not isinstance(attr, dict):
            continue
        name, text = as_text(attr.get("name")), as_text(attr.get("text"))
        if text:
            parts.append(f"{name}: {text}" if name else text)
    return "; ".join(parts) or None


def _price(fields: dict[str, Any], info_key: str, text_key: str, currency: str | None) -> Any:
    """The structured "text|units|cents" first (no decimal-mark guessing), the text second."""
    return parse_format_price_info(fields.get(info_key), currency) or parse_money(fields.get(text_key), currency)


def _line(raw: Any, path: str, where: str, currency: str | None, *, detail: bool) -> OrderLine:
    if not isinstance(raw, dict):
        raise missing(where, path, "is not an object")
    quantity = as_int(raw.get("quantity"))
    if quantity is None:
        raise missing(where, f"{path}.quantity")
    line_currency = as_text(raw.get("currencyCode")) or currency
    return OrderLine(
        line_id=_id(raw, "orderLineId", path, where),
        product_id=as_id(raw.get("productId")),
        title=require(raw, "itemTitle", where, shown_as=f"{path}.itemTitle", kind=str).strip(),
        sku=_sku_text(raw.get("skuAttrs")),
        unit_price=_price(raw, "formatPriceInfo", "itemPriceText", line_currency),
        quantity=quantity,
        can_open_dispute=(OPEN_DISPUTE in _button_types(raw.get("buttonVOS"))) if detail else None,
        has_dispute=(VIEW_DISPUTE in _button_types(raw.get("buttonVOS"))) if detail else None,
    )


# --- list -------------------------------------------------------------------------------


def parse_order_list(envelope: dict[str, Any], *, date_header: str | None = None) -> OrderListPage:
    """One page of ``mtop.aliexpress.trade.buyer.order.list``, orders in page order."""
    data = check_envelope(envelope, WHERE_LIST)
    now = site_now(envelope, date_header, where=WHERE_LIST)
    components = ordered_components(data, WHERE_LIST)
    body_key, body = one_by_tag(components, site.TAG_LIST_BODY, WHERE_LIST)
    body_fields = _fields(body_key, body, WHERE_LIST)
    body_path = f"data.data.{body_key}.fields"
    has_more = require(body_fields, "hasMore", WHERE_LIST, shown_as=f"{body_path}.hasMore", kind=bool)
    page_index = as_int(body_fields.get("pageIndex"))
    page_size = as_int(body_fields.get("pageSize"))
    if page_index is None:
        raise missing(WHERE_LIST, f"{body_path}.pageIndex")
    if page_size is None:
        raise missing(WHERE_LIST, f"{body_path}.pageSize")
    orders = [_list_order(key, comp, now) for key, comp in components_by_tag(components, site.TAG_LIST_ORDER)]
    return OrderListPage(orders=orders, has_more=has_more, page_index=page_index, page_size=page_size, site_time=now)


def _list_order(key: str, component: dict[str, Any], now: datetime) -> Order:
    fields = _fields(key, component, WHERE_LIST)
    path = f"data.data.{key}.fields"
    currency = as_text(fields.get("currencyCode"))
    raw_lines = require(fields, "orderLines", WHERE_LIST, shown_as=f"{path}.orderLines", kind=list)
    buttons = _button_types(fields.get("buttons"))
    status_text = as_text(fields.get("statusText"))
    return Order(
        order_id=_id(fields, "orderId", path, WHERE_LIST),
        store_name=as_text(fields.get("storeName")),
        # the live list carries the code in utParams.args [EM]; the capture of 2026-09 does not
        status=resolve_order_status(order_status_code=get_path(fields, "utParams.args.orderStatus"),
                                    button_types=buttons, text=status_text),
        status_text=status_text,
        placed_on=parse_date(fields.get("orderDateText")),
        total=_price(fields, "formatPriceInfo", "totalPriceText", currency),
        lines=[
            _line(raw, f"{path}.orderLines.{i}", WHERE_LIST, currency, detail=False)
            for i, raw in enumerate(raw_lines)
        ],
        buttons=buttons,
        site_time=now,
        detail_loaded=False,
    )


# --- detail -----------------------------------------------------------------------------


def parse_order_detail(
    envelope: dict[str, Any], *, date_header: str | None = None, tz: tzinfo = timezone.utc
) -> Order:
    """``mtop.aliexpress.trade.buyer.order.detail``; ``tz`` is the zone the site's dates are in."""
    where = WHERE_DETAIL
    data = check_envelope(envelope, where)
    now = site_now(envelope, date_header, where=where)
    components = ordered_components(data, where)

    status_key, status_block = one_by_tag(components, site.TAG_DETAIL_STATUS, where)
    status = _fields(status_key, status_block, where)
    info_key, info_block = one_by_tag(components, site.TAG_DETAIL_INFO, where)
    info = _fields(info_key, info_block, where)
    products = components_by_tag(components, site.TAG_DETAIL_PRODUCT)
    if not products:
        raise missing(where, f"component with tag {site.TAG_DETAIL_PRODUCT!r}")
    price_comp = one_by_tag(components, site.TAG_DETAIL_PRICE, where, required=False)
    price = _fields(*price_comp, where) if price_comp else {}

    order_id = _detail_order_id(status, info, status_key, info_key)
    currency = as_text(status.get("intentionCurrency")) or as_text(get_path(price, "totalPrice.currencyCode"))

    lines: list[OrderLine] = []
    store_name = None
    for key, comp in products:
        fields = _fields(key, comp, where)
        store_name = store_name or as_text(get_path(fields, "sellerVO.sellerName"))
        raw_lines = require(fields, "productVOList", where, shown_as=f"data.data.{key}.fields.productVOList", kind=list)
        for i, raw in enumerate(raw_lines):
            path = f"data.data.{key}.fields.productVOList.{i}"
            lines.append(_line(raw, path, where, currency, detail=True))

    services: list[str] = []
    for key, comp in components_by_tag(components, site.TAG_DETAIL_SERVICES):
        for entry in get_path(comp, "fields.data") or []:
            if isinstance(entry, dict):
                services.extend(split_service_content(entry.get("content")))

    buttons = _button_types(status.get("buttonVOList"))
    title = as_text(status.get("title"))
    reminder = as_text(status.get("reminder"))
    placed_on = parse_date(info.get("orderCreatTime"))
    total_obj = price.get("totalPrice") if isinstance(price.get("totalPrice"), dict) else {}
    timers = _timer_candidates(reminder, services, placed_on, now, tz)
    status_value = resolve_order_status(
        order_status_code=get_path(data, "global.orderStatus"), button_types=buttons, text=title
    )
    delivered = status_value is OrderStatus.COMPLETED or info.get("orderEndTime") is not None

    return Order(
        order_id=order_id,
        store_name=store_name,
        status=status_value,
        status_text=title,
        placed_on=placed_on,
        paid_on=parse_date(info.get("payTime")),
        shipped_on=parse_date(info.get("orderShipTime")),
        completed_on=parse_date(info.get("orderEndTime")),
        total=_price(total_obj, "formatPriceInfo", "value", as_text(total_obj.get("currencyCode")) or currency),
        lines=lines,
        buttons=buttons,
        timer=_choose_timer(timers, delivered),
        timers=sorted(timers, key=lambda t: t.ends_at),
        services=services,
        reminder=reminder,
        site_time=now,
        detail_loaded=True,
        can_open_dispute=any(line.can_open_dispute for line in lines),
    )


def _detail_order_id(status: dict[str, Any], info: dict[str, Any], status_key: str, info_key: str) -> str:
    from_info = site_id(info.get("tradeOrderId"), WHERE_DETAIL, f"data.data.{info_key}.fields.tradeOrderId")
    from_status = site_id(status.get("orderId"), WHERE_DETAIL, f"data.data.{status_key}.fields.orderId")
    if from_info and from_status and from_info != from_status:
        raise missing(
            WHERE_DETAIL,
            f"data.data.{info_key}.fields.tradeOrderId ({from_info}) vs "
            f"data.data.{status_key}.fields.orderId ({from_status})",
            "disagree",
        )
    order_id = from_info or from_status
    if order_id is None:
        raise missing(WHERE_DETAIL, f"data.data.{info_key}.fields.tradeOrderId")
    return order_id


def _timer_candidates(
    reminder: str | None, services: list[str], placed_on: date | None, now: datetime, tz: tzinfo
) -> list[ProtectionTimer]:
    timers = []
    countdown = find_countdown(reminder)
    if countdown is None and reminder and _CLOSING.search(reminder):
        # the site says a clock runs but its words are not the ones the agent knows: the
        # static fallbacks may end LATER than the real clock, so this must not pass quietly
        raise unconfirmed("order-countdown-text", WHERE_DETAIL,
                          f"the status block's reminder announces a running clock the agent cannot read ({reminder!r})")
    if countdown is not None:
        timers.append(
            ProtectionTimer(ends_at=now + countdown, source=TimerSource.COUNTDOWN, read_at=now, raw_text=reminder)
        )
    for text in services:
        promised = parse_delivery_promise(text)
        if promised is not None:
            ends_at = start_of_day(promised, tz)
            timers.append(
                ProtectionTimer(ends_at=ends_at, source=TimerSource.DELIVERY_PROMISE, read_at=now, raw_text=text)
            )
    days = parse_reminder_windows(reminder).dispute_days
    if days is not None and placed_on is not None:
        timers.append(
            ProtectionTimer(
                ends_at=start_of_day(placed_on + timedelta(days=days), tz),
                source=TimerSource.DISPUTE_WINDOW,
                read_at=now,
                raw_text=reminder,
            )
        )
    return timers


def _choose_timer(timers: list[ProtectionTimer], delivered: bool = False) -> ProtectionTimer | None:
    """The countdown if any (see the module docstring), else the earliest deadline.

    Once the order is delivered (completed), a "refund if no delivery before …"
    promise is spent: the dispute window is what still protects the buyer.
    """
    countdowns = [t for t in timers if t.source is TimerSource.COUNTDOWN]
    pool = countdowns or timers
    if delivered and not countdowns:
        pool = [t for t in pool if t.source is not TimerSource.DELIVERY_PROMISE] or pool
    return min(pool, key=lambda t: t.ends_at) if pool else None
