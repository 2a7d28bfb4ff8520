"""The sandbox's "mtop" API answers, in the shapes of the real captures.

Each builder takes the world and returns the JSON body the page's script receives:
the real envelope (``api``, ``data``, ``ret``, ``traceId``, ``v``), the component
graphs ("Ultron": ``data.data`` keyed by ``<tag>_<id>``, order in
``data.hierarchy.structure``) with the real field names, and the server's time in
``data.global.curTime``. Fields the real site does not show in any capture are
marked "sandbox assumption" here and in ``sandbox/README.md``.
"""

from __future__ import annotations

import html
import secrets
from datetime import datetime
from decimal import Decimal
from typing import Any

from . import i18n
from .formats import format_money, format_price_info
from .scenario import Order
from .world import World

API_ORDER_LIST = "mtop.aliexpress.trade.buyer.order.list"
API_ORDER_DETAIL = "mtop.aliexpress.trade.buyer.order.detail"
API_ORDER_COUNT = "mtop.aliexpress.trade.buyer.order.count"
API_REFUND_LIST = "mtop.aliexpress.buyer.reverse.queryreverseorderpagelistforbuyer"
API_DISPUTE_DETAIL = "mtop.aliexpress.buyer.reverse.reverseOrderLineRenderForBuyer"
API_TRACKING = "mtop.ae.ld.querydetail"
# sandbox assumptions: the real names of the write calls are not captured anywhere
API_DISPUTE_APPLY = "mtop.aliexpress.reverse.buyer.apply"
API_DISPUTE_ACTION = "mtop.aliexpress.reverse.buyer.action"
#: the dispute form's data and its photo upload: sandbox assumptions too (``reverse_form.py``)
API_DISPUTE_FORM = "mtop.aliexpress.reverse.buyer.render"
API_DISPUTE_UPLOAD = "mtop.aliexpress.reverse.buyer.upload"

READ_APIS = (API_ORDER_LIST, API_ORDER_DETAIL, API_ORDER_COUNT, API_REFUND_LIST,
             API_DISPUTE_DETAIL, API_TRACKING)

#: ``global.orderStatus`` of the detail and ``utParams.args.orderStatus`` of a list order:
#: 8 = awaiting delivery (with CONFIRM_GOODS) and 9 = completed are seen live [EM, MM];
#: the other numbers are sandbox assumptions
STATUS_CODES = {"unpaid": 1, "awaiting_shipment": 2, "awaiting_delivery": 8,
                "completed": 9, "closed": 15, "cancelled": 11}
#: the English status texts (every language: ``i18n.text("status.<status>", locale)``)
STATUS_TEXTS = {status: i18n.text(f"status.{status}") for status in STATUS_CODES}


def envelope(api: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"api": api, "data": data, "ret": ["SUCCESS::调用成功"],
            "traceId": secrets.token_hex(15), "v": "1.0"}


def failure(api: str, code: str, message: str) -> dict[str, Any]:
    return {"api": api, "data": {}, "ret": [f"{code}::{message}"],
            "traceId": secrets.token_hex(15), "v": "1.0"}


def session_expired(api: str) -> dict[str, Any]:
    return failure(api, "FAIL_SYS_SESSION_EXPIRED", "Session expired")


def _global(world: World, now: datetime, **extra: Any) -> dict[str, Any]:
    return {"curTime": int(now.timestamp() * 1000), "response": {}, "refreshPage": True, **extra}


def _graph(root: str, children: dict[str, list[str]], components: dict[str, dict]) -> dict[str, Any]:
    return {
        "component": sorted({c["tag"] for c in components.values()}),
        "root": root,
        "structure": children,
    }


def _component(tag: str, ident: str, fields: dict[str, Any], position: str = "body") -> tuple[str, dict]:
    key = f"{tag}_{ident}"
    return key, {"fields": fields, "id": ident, "position": position,
                 "scriptKey": f"{tag[:1].upper()}{tag[1:]}_{ident}", "status": "normal",
                 "tag": tag, "type": tag}


def _button(kind: str, text: str, **extra: Any) -> dict[str, Any]:
    return {"displayType": "default", "size": "default", "text": text, "type": kind, **extra}


def _list_buttons(status: str, locale: str = i18n.DEFAULT) -> list[dict[str, Any]]:
    def button(kind: str, **extra: Any) -> dict[str, Any]:
        return _button(kind, i18n.text(f"button.{kind}", locale), **extra)

    if status == "unpaid":
        return [button("PAY_NOW"), button("CANCEL_ORDER")]
    if status == "awaiting_shipment":
        return [button("CANCEL_ORDER")]
    if status == "awaiting_delivery":
        return [button("CONFIRM_GOODS", displayType="primary"), button("TRACKING")]
    return [button("REPURCHASE", displayType="primary"), button("DELETE", border=True)]


def _sku_attrs(sku: dict[str, str]) -> list[dict[str, Any]]:
    return [{"id": index + 14, "name": name, "text": text, "vid": 190 + index}
            for index, (name, text) in enumerate(sku.items())]


def _line_fields(world: World, order: Order, line, base: str) -> dict[str, Any]:
    return {
        "currencyCode": order.currency,
        "formatPriceInfo": format_price_info(line.price, order.currency),
        "itemDetailUrl": f"{base}/item/{line.product_id or line.id}.html",
        "itemImgUrl": f"{base}/static/item.png",
        "itemPriceText": format_money(line.price, order.currency),
        "itemTitle": line.title,
        "orderLineId": line.id,
        "productId": line.product_id or line.id,
        "quantity": line.quantity,
        "skuAttrs": _sku_attrs(line.sku),
        "skuId": f"12{line.id[-14:]}",
    }


def protection_countdown(world: World, order: Order, now: datetime, locale: str = i18n.DEFAULT) -> str | None:
    """"Your order will be closed in: 12 days 03:04:05" while the order awaits delivery."""
    if world.status(order, now) != "awaiting_delivery":
        return None
    end = world.protection_end(order)
    return i18n.text("reminder.countdown", locale, countdown=i18n.countdown((end - now).total_seconds(), locale))


def order_fields(world: World, order: Order, now: datetime, base: str, locale: str = i18n.DEFAULT) -> dict[str, Any]:
    status = world.status(order, now)
    fields = {
        "baseCurrency": "CNY",
        "buttons": _list_buttons(status, locale),
        "currencyCode": order.currency,
        "formatPriceInfo": format_price_info(world.order_total(order), order.currency),
        "hiddenOrderId": False,
        "intentionCurrency": order.currency,
        "orderDateText": i18n.day(order.placed, locale),
        "orderDateTitle": i18n.text("list.date_title", locale),
        "orderDetailText": i18n.text("list.details", locale),
        "orderDetailUrl": f"{base}/p/order/detail.html",
        "orderId": order.id,
        "orderLineSize": len(order.lines),
        "orderLines": [_line_fields(world, order, line, base) for line in order.lines],
        "paymentOutId": f"1299{order.id}",
        "sellerConnectUrl": f"{base}/msgDetail.htm",
        "showSelectBox": False,
        "statusText": i18n.text(f"status.{status}", locale),
        "statusTitle": i18n.text("list.status_title", locale),
        "storeName": world.stores[order.store].name,
        "storePageUrl": f"{base}/store/{order.store}",
        "totalPriceText": format_money(world.order_total(order), order.currency),
        "totalPriceTitle": i18n.text("list.total_title", locale),
        # the live shape [EM]: the status code travels with each list order, as a string
        "utParams": {"args": {"orderId": order.id, "orderStatus": str(STATUS_CODES[status])}},
    }
    if len(order.lines) > 1:
        fields["moreItemText"] = i18n.text("list.items", locale)
    countdown = protection_countdown(world, order, now, locale)
    if countdown:
        # sandbox assumption: the list's countdown text is not in any capture
        fields["orderReminderText"] = countdown
    return fields


def order_list(world: World, page_index: int, base: str, locale: str = i18n.DEFAULT) -> dict[str, Any]:
    """One page of ``order.list``, newest placing day first.

    Page 1 is the whole graph (page, header, body, orders, footer). A later page (the
    page's script POSTs ``pageIndex``) carries only what changed: the body component
    with its new ``pageIndex``/``hasMore`` and the new order components, which the
    page appends. Orders placed the same day come in a new order on every call
    (``World.listed_orders``), so paging can skip an order or show one twice.
    """
    now = world.advance()
    size = world.rules.page_size
    orders = world.listed_orders()
    page_index = max(1, page_index)
    chunk = orders[(page_index - 1) * size: page_index * size]
    has_more = page_index * size < len(orders)
    later = page_index > 1
    components: dict[str, dict] = {}

    def add(tag: str, ident: str, fields: dict, position: str = "body") -> str:
        key, comp = _component(tag, ident, fields, position)
        components[key] = comp
        return key

    def text(key: str) -> str:
        return i18n.text(key, locale)

    page = _component("pc_om_list_page", "109694", {})[0]
    body = add("pc_om_list_body", "109702", {"hasMore": has_more, "hasMoreText": text("list.more"),
                                            "mergePayLimit": 20, "pageIndex": page_index, "pageSize": size})
    order_keys = [add("pc_om_list_order", order.id, order_fields(world, order, now, base, locale))
                  for order in chunk]
    structure: dict[str, list[str]] = {body: order_keys}
    if not later:
        add("pc_om_list_page", "109694", {"i18n": {"copy": text("list.copy"), "order_ID": text("list.ref_number")}})
        header = add("pc_om_list_header", "110551", {"pageTitle": text("list.title"), "statusTabList": [
            {"code": "all", "title": text("list.tab.all")}, {"code": "unpaid", "title": text("list.tab.unpaid")},
            {"code": "processing", "title": text("list.tab.processing")},
            {"code": "shipped", "title": text("list.tab.shipped")},
            {"code": "completed", "title": text("list.tab.completed")}]}, "header")
        action = add("pc_om_list_header_action", "110846",
                     {"searchInput": "", "searchOption": "order", "statusTab": "all", "timeOption": "all"}, "header")
        footer = add("pc_om_list_footer_recommend", "116745", {"recommendScenario": "pcOrderListRecommend"},
                     "footer")
        structure = {page: [header, body, footer], header: [action], body: order_keys}
    # the map is unordered in the real answer: shuffle the keys so nobody relies on it
    shuffled = dict(sorted(components.items(), key=lambda item: hash(item[0]) % 9973))
    return envelope(API_ORDER_LIST, {
        "container": {"data": []},
        "data": shuffled,
        "endpoint": {"mode": "pc", "protocolVersion": "3.0", "ultronage": True},
        "global": _global(world, now),
        "hierarchy": _graph(page, structure, components),
        "linkage": {"common": {}, "input": [], "request": [], "signature": {"stub": True}},
        "reload": not later,
    })


def _status_reminder(world: World, order: Order, now: datetime, locale: str = i18n.DEFAULT) -> str:
    status = world.status(order, now)
    if status == "awaiting_delivery":
        return i18n.text("reminder.awaiting_delivery", locale,
                         countdown=protection_countdown(world, order, now, locale))
    if status == "completed":
        return i18n.text("reminder.completed", locale, return_days=world.rules.return_after_receipt_days,
                         dispute_days=world.rules.completed_dispute_days)
    if status in ("unpaid", "awaiting_shipment"):
        return i18n.text(f"reminder.{status}", locale)
    return ""


def _product_buttons(world: World, order: Order, line, now: datetime, base: str,
                     mobile: str) -> list[dict[str, Any]]:
    buttons = [_button("REPURCHASE_LINE", "Add to cart", border=True)]
    allowed, _ = world.can_open_dispute(order, line.id, now)
    start = f"{base}/p/reverse-pages/start.html"
    if allowed:
        buttons.append({
            "actionType": "ASYNC_CONFIRM", "border": True, "displayType": "default",
            "extMap": {"actionType": "REFUND_RETURN",
                       "okButton": {"actionType": "OPEN_URL", "href": start, "text": "Yes"},
                       "cancelButton": {"actionType": "OPEN_URL", "href": start, "text": "No"},
                       "title": "Have you received your package?"},
            "size": "large", "text": "Returns/refunds", "type": "OPEN_DISPUTE",
        })
    dispute = world.open_dispute_for_line(line.id)
    if dispute is not None:
        # sandbox assumption: how the real page links an item to its dispute is not captured
        from .api_reverse import dispute_page_url

        buttons.append(_button("VIEW_DISPUTE", "View dispute",
                               href=dispute_page_url(mobile, dispute)))
    return buttons


def order_detail(world: World, order_id: str, base: str, mobile: str | None = None,
                 locale: str = i18n.DEFAULT) -> dict[str, Any]:
    now = world.advance()
    order = world.order(order_id)
    status = world.status(order, now)
    components: dict[str, dict] = {}

    def add(tag: str, ident: str, fields: dict, position: str = "body") -> str:
        key, comp = _component(tag, ident, fields, position)
        components[key] = comp
        return key

    root = add("detail_root_container", "109716", {"canAddCart": True}, "root")
    status_block = add("detail_order_status_block", "111818", {
        "baseCurrency": "CNY",
        "buttonVOList": [_button(b["type"], b["text"], size="large") for b in _list_buttons(status, locale)],
        "intentionCurrency": order.currency,
        "orderId": int(order.id),
        "reminder": _status_reminder(world, order, now, locale),
        "title": i18n.text(f"status.{status}", locale),
    })
    children = [status_block]
    if order.delivery_promise is not None:
        children.append(add("detail_order_services", f"sv3-{order.id}", {
            "data": [{"content": i18n.text("services.content", locale,
                                           date=i18n.day(order.delivery_promise, locale)),
                      "title": i18n.text("services.guarantee", locale)}],
            "styleType": "US", "title": i18n.text("services.title", locale)}))
    completed = world.completed_at(order, now)
    info = {
        "orderCreatTime": i18n.day(order.placed, locale), "orderCreatTimeTile": "Order placed on",
        "orderIdTitle": "Ref. Number", "tradeOrderId": int(order.id),
        "paymentMethod": "Credit/Debit card", "paymentMethodTitle": "Payment method",
    }
    if order.paid and order.paid <= now:
        info.update(payTime=i18n.day(order.paid, locale), payTimeTitle="Paid on")
    if order.shipped and order.shipped <= now:
        info.update(orderShipTime=i18n.day(order.shipped, locale), orderShipTimeTile="Shipment completed on")
    if completed is not None:
        info.update(orderEndTime=i18n.day(completed, locale), orderEndTimeTile="Order completed on")
    address = world.scenario.account.address
    info["addressVO"] = {  # the real capture's fields
        "contactName": address.contact_name, "countryCode": address.country_code,
        "detailAddress": address.street, "detailAddress2": address.street2,
        "fullPhoneNo": f"{address.phone_country} {address.phone}", "postCode": address.zip_code,
        "regionAddress": f"{address.city}, {address.province}, {address.country}",
    }
    children.append(add("detail_simple_order_info_component", "111820", info))
    base_store = world.stores[order.store]
    children.append(add("detail_product_block", "111822", {
        "productVOList": [
            {**_line_fields(world, order, line, base),
             "buttonVOS": _product_buttons(world, order, line, now, base, mobile or base)}
            for line in order.lines
        ],
        "sellerVO": {"sellerName": base_store.name, "storeUrl": f"{base}/store/{order.store}"},
    }))
    subtotal = sum((line.price * line.quantity for line in order.lines), Decimal("0"))
    shipping_text = "Free shipping" if order.shipping == 0 else format_money(order.shipping, order.currency)
    total = world.order_total(order)
    children.append(add("detail_order_price_block", "111823", {
        "priceDetails": [{"title": "Subtotal", "value": format_money(subtotal, order.currency)},
                         {"title": "Shipping", "value": shipping_text}],
        "totalPrice": {"currencyCode": order.currency, "formatPriceInfo": format_price_info(total, order.currency),
                       "title": "Total", "value": format_money(total, order.currency)},
    }))
    shuffled = dict(sorted(components.items(), key=lambda item: hash(item[0]) % 9973))
    return envelope(API_ORDER_DETAIL, {
        "container": {"data": []},
        "data": shuffled,
        "endpoint": {"mode": "pc", "protocolVersion": "3.0", "ultronage": True},
        "global": _global(world, now, pageTitle="Order Detail", orderStatus=STATUS_CODES[status]),
        "hierarchy": _graph(root, {root: children}, components),
        "linkage": {"common": {}, "input": [], "request": [], "signature": {"stub": True}},
        "reload": True,
    })


def order_count(world: World) -> dict[str, Any]:
    now = world.advance()
    statuses = [world.status(order, now) for order in world.orders.values()]
    return envelope(API_ORDER_COUNT, {
        "module": {"shipped": str(statuses.count("awaiting_delivery")),
                   "processing": str(statuses.count("awaiting_shipment")),
                   "unpaid": str(statuses.count("unpaid"))},
        "notSuccess": False, "repeated": False, "retry": False,
    })


def _ms(value: datetime) -> str:
    return str(int(value.timestamp() * 1000))


def tracking(world: World, order_id: str) -> dict[str, Any]:
    now = world.advance()
    order = world.order(order_id)
    events = sorted((e for e in order.tracking if e.at <= now), key=lambda e: e.at, reverse=True)
    return envelope(API_TRACKING, {"module": {
        "isTrackingV2": True,
        "trackingDetailLineList": [{
            "blockMailNo": False,
            "detailList": [{"fulfillStage": "1700", "time": int(e.at.timestamp() * 1000),
                            "timeText": f"{e.at:%a} | {e.at:%b}. {e.at.day} {e.at:%H:%M}",
                            "trackingDetailDesc": e.desc, "trackingName": e.name,
                            "trackingPrimaryCode": e.code, "trackingSecondCode": e.code,
                            **({"detailedLocation": e.location} if e.location else {})}
                           for e in events],
            "logisticsCarrierName": "AliExpress standard shipping",
            "mailNo": order.tracking_number,
        }],
        "logisticsReceiverInfo": _receiver(world.scenario.account.address),
    }, "global": _global(world, now)})


def _receiver(address) -> dict[str, Any]:
    """Who the parcel goes to, in the real capture's fields."""
    return {"address": address.street, "address2": address.street2, "city": address.city,
            "contactName": address.contact_name, "country": address.country,
            "phoneCountry": address.phone_country, "phoneNumber": address.phone,
            "province": address.province, "zipCode": address.zip_code,
            "receiverInfoIcon": "/static/item.png",
            "receiverInfoRichText": f"<span>{html.escape(address.contact_name)}</span>"}


def mangle(body: dict[str, Any]) -> dict[str, Any]:
    """The ``api_shape`` fault: the answer keeps its envelope but its fields are renamed,
    as after a redesign of the site; the agent must notice, never read wrong data."""

    def rename(value: Any) -> Any:
        if isinstance(value, dict):
            return {f"{k}V2" if k not in ("api", "ret", "v", "data", "global", "curTime") else k: rename(v)
                    for k, v in value.items()}
        if isinstance(value, list):
            return [rename(v) for v in value]
        return value

    return rename(body)
