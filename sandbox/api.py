"""The sandbox's "mtop" API answers, in the shapes of the real captures.

Each builder takes the world and returns the JSON body the page's script receives:
the real envelope (``api``, ``data``, ``ret``, ``traceId``, ``v``), the component
graphs ("Ultron": ``data.data`` keyed by ``<tag>_<id>``, order in
``data.hierarchy.structure``) with the real field names, and the server's time in
``data.global.curTime``. Fields the real site does not show in any capture are
marked "sandbox assumption" here and in ``sandbox/README.md``.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from decimal import Decimal
from typing import Any

from . import i18n
from .formats import (
    cent_money,
    format_countdown,
    format_money,
    format_price_info,
    format_stamp,
)
from .lifecycle import SOLUTION_CODE, SOLUTION_TEXT, STATUS_TEXT, Dispute, Proposal, reason_name
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
        buttons.append(_button("VIEW_DISPUTE", "View dispute",
                               href=_detail_url(mobile, dispute)))
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


def _detail_url(base: str, dispute: Dispute) -> str:
    return f"{base}/p/refund-dispute/detail.html?reverseOrderLineId={dispute.reverse_line_id}"


def refund_list(world: World, reverse_status: int, page: int, base: str) -> dict[str, Any]:
    """``queryreverseorderpagelistforbuyer``: 1 = all, 2 and 3 = in progress, 4 = finished."""
    now = world.advance()
    disputes = sorted(world.disputes.values(), key=lambda d: (d.created_at, d.reverse_line_id), reverse=True)
    if reverse_status in (2, 3):
        disputes = [d for d in disputes if d.reverse_status in (2, 3)]
    elif reverse_status == 4:
        disputes = [d for d in disputes if d.reverse_status == 4]
    size = 10
    chunk = disputes[(page - 1) * size: page * size]
    items = []
    for dispute in chunk:
        order = world.orders[dispute.order_id]
        line = next(line for line in order.lines if line.id == dispute.line_id)
        store = world.stores[order.store]
        items.append({"reverseOrderLines": [{
            "aeItemDTO": {
                "canApplyReverse": False, "itemCount": line.quantity,
                "itemDetailUrl": f"{base}/item/{line.product_id or line.id}.html",
                "itemId": int(line.product_id or line.id), "itemTitle": line.title,
                "itemUnitPrice": cent_money(line.price, order.currency),
                "skuDTOList": [{"skuId": i, "skuValue": v} for i, v in enumerate(line.sku.values())],
            },
            "buttonDTOList": [{"code": 1, "detailUrl": _detail_url(base, dispute), "role": "BUYER",
                               "type": "view_details"}],
            "gmtCreate": _ms(dispute.created_at), "gmtCreateFormat": format_stamp(dispute.created_at),
            "gmtModified": _ms(dispute.modified_at or dispute.created_at),
            "gmtModifiedFormat": format_stamp(dispute.modified_at or dispute.created_at),
            "reverseBizType": "4pl",
            "reverseOrderId": dispute.reverse_order_id,
            "reverseOrderLineId": dispute.reverse_line_id,
            "reverseStatus": dispute.reverse_status,
            "reverseType": "RETURN" if dispute.solution == "return_and_refund" else "REFUND",
            "seller": {"canContact": True, "storeId": 1000 + list(world.stores).index(order.store),
                       "storeUrl": f"{base}/store/{order.store}"},
            "solutionType": SOLUTION_CODE[dispute.solution],
            "tradeOrderId": dispute.order_id,
            "tradeOrderLineId": dispute.line_id,
        }], "shopName": store.name})
    return envelope(API_REFUND_LIST, {
        "module": {"curPagesize": 0, "firstPage": 0, "items": items, "lastPage": 0, "nextPage": 0,
                   "pageNum": page, "pageSize": size, "pages": 0, "prePage": 0, "total": len(disputes)},
        "global": _global(world, now),
        "notSuccess": False, "repeated": False, "retry": False,
    })


def _deadline(when: datetime, now: datetime, prefix: str) -> dict[str, Any]:
    return {"time": int(when.timestamp() * 1000), "timeFormat": format_stamp(when),
            "countdownText": f"{prefix}{format_countdown((when - now).total_seconds())}"}


def _proposal(p: Proposal, currency: str, now: datetime) -> dict[str, Any]:
    return {
        "proposalId": p.id, "proposer": p.proposer,
        "solutionType": SOLUTION_CODE[p.solution], "solutionTypeText": SOLUTION_TEXT[p.solution],
        "refundMoney": cent_money(p.amount, currency), "status": p.status,
        "gmtCreateFormat": format_stamp(p.created_at), "message": p.message,
        "respondDeadline": (_deadline(p.deadline, now, "Respond within: ")
                            if p.deadline is not None and p.status == "PENDING" else None),
    }


def dispute_buttons(world: World, dispute: Dispute, now: datetime) -> list[dict[str, str]]:
    if dispute.status == "FINISHED":
        return []
    buttons = []
    if dispute.pending is not None:
        buttons += [{"type": "ACCEPT", "text": "Accept"}, {"type": "REJECT", "text": "Reject"}]
    if dispute.status in ("WAIT_SELLER_RESPONSE", "WAIT_BUYER_RESPONSE") and \
            now >= dispute.escalation_available_at(world.rules):
        buttons.append({"type": "ESCALATE", "text": "Escalate dispute"})
    if dispute.status == "WAIT_BUYER_INFO":
        buttons.append({"type": "ANSWER_MEDIATOR", "text": "Answer"})
    if dispute.status == "WAIT_RETURN_SHIPMENT":
        buttons.append({"type": "SHIP_RETURN", "text": "Enter return tracking number"})
    buttons.append({"type": "ADD_EVIDENCE", "text": "Add evidence"})
    return buttons


def dispute_module(world: World, dispute: Dispute, now: datetime) -> dict[str, Any]:
    """The dispute page's data (shape is a sandbox assumption, documented in the README)."""
    order = world.orders[dispute.order_id]
    line = next(line for line in order.lines if line.id == dispute.line_id)
    rules = world.rules
    buyer = next(p for p in reversed(dispute.proposals) if p.proposer == "BUYER")
    latest = next((p for p in reversed(dispute.proposals) if p.proposer != "BUYER"), None)
    deadlines = []
    if dispute.pending is not None and dispute.pending.deadline is not None:
        deadlines.append({"type": "BUYER_RESPOND", "title": "Respond before",
                          **_deadline(dispute.pending.deadline, now, "Respond within: ")})
    if dispute.status == "WAIT_SELLER_RESPONSE" and dispute.seller_deadline is not None:
        deadlines.append({"type": "SELLER_RESPOND", "title": "The seller must respond before",
                          **_deadline(dispute.seller_deadline, now, "Seller responds within: ")})
    escalate_at = dispute.escalation_available_at(rules)
    if dispute.status in ("WAIT_SELLER_RESPONSE", "WAIT_BUYER_RESPONSE"):
        deadlines.append({"type": "ESCALATE_AVAILABLE", "title": "You can escalate from",
                          **_deadline(escalate_at, now, "Escalation available in: ")})
    if dispute.mediator_request:
        deadlines.append({"type": "MEDIATOR_INFO", "title": "Answer the mediator before",
                          **_deadline(dispute.mediator_request["deadline"], now, "Answer within: ")})
    if dispute.status == "WAIT_RETURN_SHIPMENT" and dispute.return_deadline is not None:
        deadlines.append({"type": "RETURN_SHIPMENT", "title": "Ship the return before",
                          **_deadline(dispute.return_deadline, now, "Ship within: ")})
    return {
        "reverseOrderId": dispute.reverse_order_id,
        "reverseOrderLineId": dispute.reverse_line_id,
        "tradeOrderId": dispute.order_id,
        "tradeOrderLineId": dispute.line_id,
        "reverseStatus": dispute.reverse_status,
        "reverseDetailStatus": dispute.status,
        "reverseDetailStatusText": STATUS_TEXT[dispute.status],
        "itemTitle": line.title,
        "paidAmount": cent_money(world.line_paid(order, line.id), order.currency),
        "applyReason": {"reasonKey": dispute.reason, "reasonName": reason_name(dispute.reason),
                        "received": dispute.received},
        "buyerSolution": {"solutionType": SOLUTION_CODE[buyer.solution],
                          "solutionTypeText": SOLUTION_TEXT[buyer.solution],
                          "refundMoney": cent_money(buyer.amount, order.currency),
                          "description": dispute.description,
                          "gmtCreateFormat": format_stamp(buyer.created_at)},
        "reachSolution": _proposal(latest, order.currency, now) if latest else None,
        "proposalHistory": [_proposal(p, order.currency, now) for p in dispute.proposals],
        "deadlines": deadlines,
        "mediatorRequest": ({"requestText": dispute.mediator_request["text"],
                             "deadline": _deadline(dispute.mediator_request["deadline"], now, "Answer within: ")}
                            if dispute.mediator_request else None),
        "evidence": [{"fileName": a.name, "size": a.size, "sha256": a.sha256} for a in dispute.attachments],
        "messages": list(dispute.messages),
        "buttons": dispute_buttons(world, dispute, now),
        "reverseFinishInfo": ({"result": dispute.result,
                               "refundInfo": cent_money(dispute.refund or Decimal("0"), order.currency),
                               "finishTimeFormat": format_stamp(dispute.finished_at)}
                              if dispute.status == "FINISHED" else None),
    }


def dispute_detail(world: World, reverse_line_id: str) -> dict[str, Any]:
    now = world.advance()
    dispute = world.dispute(reverse_line_id)
    return envelope(API_DISPUTE_DETAIL, {"module": dispute_module(world, dispute, now),
                                         "global": _global(world, now)})


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
    }, "global": _global(world, now)})


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
