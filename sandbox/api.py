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

from .formats import (
    cent_money,
    format_countdown,
    format_day,
    format_money,
    format_price_info,
    format_stamp,
)
from .lifecycle import (
    REASONS,
    SOLUTION_CODE,
    SOLUTION_TEXT,
    STATUS_CODE,
    STATUS_TEXT,
    Dispute,
    Proposal,
    reason_name,
)
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

STATUS_TEXTS = {
    "unpaid": "Awaiting payment",
    "awaiting_shipment": "Awaiting shipment",
    "awaiting_delivery": "Awaiting delivery",
    "completed": "Completed",
    "closed": "Closed",
    "cancelled": "Cancelled",
}
#: ``global.orderStatus`` of the detail: 8 and 9 mean completed in the captures;
#: the other numbers are sandbox assumptions
STATUS_CODES = {"unpaid": 1, "awaiting_shipment": 2, "awaiting_delivery": 5,
                "completed": 9, "closed": 15, "cancelled": 11}

COUNTDOWN_PREFIX = "Your order will be closed in: "


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


def _list_buttons(status: str) -> list[dict[str, Any]]:
    if status == "unpaid":
        return [_button("PAY_NOW", "Pay now"), _button("CANCEL_ORDER", "Cancel order")]
    if status == "awaiting_shipment":
        return [_button("CANCEL_ORDER", "Cancel order")]
    if status == "awaiting_delivery":
        return [_button("CONFIRM_GOODS", "Confirm received", displayType="primary"),
                _button("TRACKING", "Track order")]
    return [_button("REPURCHASE", "Add to cart", displayType="primary"),
            _button("DELETE", "Remove", border=True)]


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


def protection_countdown(world: World, order: Order, now: datetime) -> str | None:
    """"Your order will be closed in: 12 days 03:04:05" while the order awaits delivery."""
    if world.status(order, now) != "awaiting_delivery":
        return None
    end = world.protection_end(order)
    return COUNTDOWN_PREFIX + format_countdown((end - now).total_seconds())


def order_fields(world: World, order: Order, now: datetime, base: str) -> dict[str, Any]:
    status = world.status(order, now)
    fields = {
        "baseCurrency": "CNY",
        "buttons": _list_buttons(status),
        "currencyCode": order.currency,
        "formatPriceInfo": format_price_info(world.order_total(order), order.currency),
        "hiddenOrderId": False,
        "intentionCurrency": order.currency,
        "orderDateText": format_day(order.placed),
        "orderDateTitle": "Date",
        "orderDetailText": "Details",
        "orderDetailUrl": f"{base}/p/order/detail.html",
        "orderId": order.id,
        "orderLineSize": len(order.lines),
        "orderLines": [_line_fields(world, order, line, base) for line in order.lines],
        "paymentOutId": f"1299{order.id}",
        "sellerConnectUrl": f"{base}/msgDetail.htm",
        "showSelectBox": False,
        "statusText": STATUS_TEXTS[status],
        "statusTitle": "Status",
        "storeName": world.stores[order.store].name,
        "storePageUrl": f"{base}/store/{order.store}",
        "totalPriceText": format_money(world.order_total(order), order.currency),
        "totalPriceTitle": "Total",
    }
    if len(order.lines) > 1:
        fields["moreItemText"] = "items"
    countdown = protection_countdown(world, order, now)
    if countdown:
        # sandbox assumption: the list's countdown text is not in any capture
        fields["orderReminderText"] = countdown
    return fields


def sorted_orders(world: World) -> list[Order]:
    return sorted(world.orders.values(), key=lambda o: (o.placed, o.id), reverse=True)


def order_list(world: World, page_index: int, base: str) -> dict[str, Any]:
    """One page of ``order.list``, newest first, with ``hasMore`` in the body component."""
    now = world.advance()
    size = world.rules.page_size
    orders = sorted_orders(world)
    if page_index < 1:
        page_index = 1
    chunk = orders[(page_index - 1) * size: page_index * size]
    has_more = page_index * size < len(orders)
    components: dict[str, dict] = {}

    def add(tag: str, ident: str, fields: dict, position: str = "body") -> str:
        key, comp = _component(tag, ident, fields, position)
        components[key] = comp
        return key

    page = add("pc_om_list_page", "109694", {"i18n": {"copy": "Copy", "order_ID": "Ref. Number"}})
    header = add("pc_om_list_header", "110551", {"pageTitle": "Orders", "statusTabList": [
        {"code": "all", "title": "View all"}, {"code": "unpaid", "title": "To pay"},
        {"code": "processing", "title": "Processing"}, {"code": "shipped", "title": "Processed"},
        {"code": "completed", "title": "Completed"}]}, "header")
    action = add("pc_om_list_header_action", "110846",
                 {"searchInput": "", "searchOption": "order", "statusTab": "all", "timeOption": "all"}, "header")
    body = add("pc_om_list_body", "109702", {"hasMore": has_more, "hasMoreText": "View orders",
                                            "mergePayLimit": 20, "pageIndex": page_index, "pageSize": size})
    footer = add("pc_om_list_footer_recommend", "116745", {"recommendScenario": "pcOrderListRecommend"}, "footer")
    order_keys = [add("pc_om_list_order", order.id, order_fields(world, order, now, base)) for order in chunk]
    # the map is unordered in the real answer: shuffle the keys so nobody relies on it
    shuffled = dict(sorted(components.items(), key=lambda item: hash(item[0]) % 9973))
    return envelope(API_ORDER_LIST, {
        "container": {"data": []},
        "data": shuffled,
        "endpoint": {"mode": "pc", "protocolVersion": "3.0", "ultronage": True},
        "global": _global(world, now),
        "hierarchy": _graph(page, {page: [header, body, footer], header: [action], body: order_keys},
                            components),
        "linkage": {"common": {}, "input": [], "request": [], "signature": {"stub": True}},
        "reload": True,
    })


def _status_reminder(world: World, order: Order, now: datetime) -> str:
    status = world.status(order, now)
    if status == "awaiting_delivery":
        return (protection_countdown(world, order, now)
                + ". If you haven't received your order, you can open a dispute before then.")
    if status == "completed":
        rules = world.rules
        return ("Order complete.If there are any problems, you can apply for a return/refund within "
                f"{rules.return_after_receipt_days} days of confirming receipt.If the item you received "
                "is defective or not as described, you can open a dispute within "
                f"{rules.completed_dispute_days} days after order was placed.")
    if status == "unpaid":
        return "Please pay for your order."
    if status == "awaiting_shipment":
        return "The seller is preparing your order."
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
                               href=dispute_page_url(mobile, dispute)))
    return buttons


def order_detail(world: World, order_id: str, base: str, mobile: str | None = None) -> dict[str, Any]:
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
        "buttonVOList": [_button(b["type"], b["text"], size="large") for b in _list_buttons(status)],
        "intentionCurrency": order.currency,
        "orderId": int(order.id),
        "reminder": _status_reminder(world, order, now),
        "title": STATUS_TEXTS[status],
    })
    children = [status_block]
    if order.delivery_promise is not None:
        children.append(add("detail_order_services", f"sv3-{order.id}", {
            "data": [{"content": f"Refund if no delivery before {format_day(order.delivery_promise)} · "
                                 "Refund if items damaged · Refund if package lost",
                      "title": "Delivery guarantee"}],
            "styleType": "US", "title": "Service Commitment"}))
    completed = world.completed_at(order, now)
    info = {
        "orderCreatTime": format_day(order.placed), "orderCreatTimeTile": "Order placed on",
        "orderIdTitle": "Ref. Number", "tradeOrderId": int(order.id),
        "paymentMethod": "Credit/Debit card", "paymentMethodTitle": "Payment method",
    }
    if order.paid and order.paid <= now:
        info.update(payTime=format_day(order.paid), payTimeTitle="Paid on")
    if order.shipped and order.shipped <= now:
        info.update(orderShipTime=format_day(order.shipped), orderShipTimeTile="Shipment completed on")
    if completed is not None:
        info.update(orderEndTime=format_day(completed), orderEndTimeTile="Order completed on")
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


def dispute_page_url(mobile: str, dispute: Dispute) -> str:
    """The dispute page, as the refund list's ``refund_details`` button links it (real shape)."""
    return (f"{mobile}/p/refund-amount/detail.html?pha_manifest=refund-amount"
            f"&tradeOrderLineId={dispute.line_id}")


def _issue_url(base: str, dispute: Dispute) -> str:
    """The older issue page the ``view_details`` button links (real shape; the sandbox
    does not serve it, as it lives on another host of the real site)."""
    return (f"{base}/issue/fastissue/Detail.htm?tradeOrderLineId={dispute.line_id}"
            f"&reverseOrderLineId={dispute.reverse_line_id}&from=1")


#: the list's row text per ``reverseStatus`` (sandbox assumption: no capture of the row)
LIST_STATUS_TEXT = {2: "In progress", 3: "AliExpress is reviewing", 4: "Finished"}


def refund_list(world: World, reverse_status: int, page: int, base: str, mobile: str,
                size: int = 10) -> dict[str, Any]:
    """``queryreverseorderpagelistforbuyer``: 1 = all, 2 and 3 = in progress, 4 = finished."""
    now = world.advance()
    disputes = sorted(world.disputes.values(), key=lambda d: (d.created_at, d.reverse_line_id), reverse=True)
    if reverse_status in (2, 3):
        disputes = [d for d in disputes if d.reverse_status in (2, 3)]
    elif reverse_status == 4:
        disputes = [d for d in disputes if d.reverse_status == 4]
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
                "itemId": int(line.product_id or line.id),
                "itemPicUrl": f"{base}/static/item.png", "itemTitle": line.title,
                "itemUnitPrice": cent_money(line.price, order.currency),
                "skuDTOList": [{"skuId": i, "skuValue": v} for i, v in enumerate(line.sku.values())],
                "supportPersonalReason": True,
            },
            "buttonDTOList": [
                {"code": 7, "detailUrl": dispute_page_url(mobile, dispute), "type": "refund_details"},
                {"code": 1, "detailUrl": _issue_url(base, dispute), "role": "BUYER", "type": "view_details"},
            ],
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
        "notSuccess": False, "repeated": False, "retry": False,
    })


def reverse_money(amount: Decimal, currency: str) -> dict[str, Any]:
    """``{cent, currency, unit, formatMoney}``, the money of the dispute page's answer [EM]."""
    money = cent_money(amount, currency)
    return {"cent": money["cent"], "currency": currency, "unit": f"{amount:.2f}",
            "formatMoney": money["formatMoney"]}


def _deadline(when: datetime, now: datetime, prefix: str) -> dict[str, Any]:
    return {"time": int(when.timestamp() * 1000), "timeFormat": format_stamp(when),
            "countdownText": f"{prefix}{format_countdown((when - now).total_seconds())}"}


def _proposal(p: Proposal, currency: str, now: datetime) -> dict[str, Any]:
    """A solution: the real ``reachSolution`` fields plus the sandbox's own
    (``proposalId``, ``proposer``, ``status``, ``message``, ``respondDeadline``)."""
    return {
        "proposalId": p.id, "proposer": p.proposer,
        "solutionType": SOLUTION_CODE[p.solution], "solutionTypeText": SOLUTION_TEXT[p.solution],
        "refundMoney": reverse_money(p.amount, currency), "status": p.status,
        "gmtCreateFormat": format_stamp(p.created_at), "message": p.message,
        "respondDeadline": (_deadline(p.deadline, now, "Respond within: ")
                            if p.deadline is not None and p.status == "PENDING" else None),
    }


def dispute_buttons(world: World, dispute: Dispute, now: datetime) -> list[dict[str, str]]:
    """What the page offers the buyer now (sandbox assumption: a list of action types)."""
    if dispute.status == "FINISHED":
        return []
    buttons = []
    if dispute.pending is not None:
        buttons += [{"type": "ACCEPT", "text": "Accept"}, {"type": "REJECT", "text": "I don't agree"}]
    if (world.scenario.site.buyer_escalation and dispute.status in ("WAIT_SELLER_RESPONSE", "WAIT_BUYER_RESPONSE")
            and now >= dispute.escalation_available_at(world.rules)):
        buttons.append({"type": "ESCALATE", "text": "Escalate dispute"})
    if dispute.status == "WAIT_BUYER_INFO":
        buttons.append({"type": "ANSWER_MEDIATOR", "text": "Provide information"})
    if dispute.status == "WAIT_RETURN_SHIPMENT":
        buttons.append({"type": "SHIP_RETURN", "text": "Enter tracking number"})
    buttons.append({"type": "ADD_EVIDENCE", "text": "Add photos/videos"})
    return buttons


def _reason_id(key: str) -> int:
    """A number per reason, like ``applyReason.reasonId`` 17003 [EM] (the numbers are the sandbox's)."""
    keys = [k for names in REASONS.values() for k in names]
    return 17001 + keys.index(key) if key in keys else 17000


def _reached(dispute: Dispute) -> Proposal | None:
    """``reachSolution``: the proposal waiting for the buyer's answer; once the case is
    closed, the solution it closed with (sandbox assumption, from the field's name)."""
    if dispute.pending is not None:
        return dispute.pending
    if dispute.status == "FINISHED":
        return next((p for p in reversed(dispute.proposals) if p.status == "ACCEPTED"), None)
    return None


def _refund_info(dispute: Dispute, currency: str) -> dict[str, Any]:
    """``reverseFinishInfo.refundInfo``, the object [EM] reads: the refund's status, its
    money (``refundDetails.cashMoney``/``totalMoney``) and one line per payment channel."""
    refund = dispute.refund or Decimal("0")
    finished = int(dispute.finished_at.timestamp() * 1000) if dispute.finished_at else None
    money = reverse_money(refund, currency)
    if refund <= 0:  # sandbox assumption: a case closed without money still has the object
        return {"refundNewestStatus": "CLOSED", "refundNewestTime": finished, "refundChannel": "",
                "refundDetails": {"cashMoney": money, "totalMoney": money}, "refundChannelDetails": []}
    return {
        "refundNewestStatus": "FINISHED", "refundNewestTime": finished,
        "refundChannel": "Original payment method",
        "refundDetails": {"cashMoney": money, "totalMoney": money},
        "refundChannelDetails": [{"refundStatus": "FINISHED", "refundFinished": True,
                                  "aeRefundFinishTime": finished, "money": money}],
    }


def dispute_module(world: World, dispute: Dispute, now: datetime) -> dict[str, Any]:
    """The dispute page's data: the fields [EM] reads from the real answer, plus the
    parts the sandbox invents (documented in the README), each named so below."""
    order = world.orders[dispute.order_id]
    line = next(line for line in order.lines if line.id == dispute.line_id)
    rules = world.rules
    buyer = next(p for p in reversed(dispute.proposals) if p.proposer == "BUYER")
    reached = _reached(dispute)
    deadlines = []
    if dispute.pending is not None and dispute.pending.deadline is not None:
        deadlines.append({"type": "BUYER_RESPOND", "title": "Respond before",
                          **_deadline(dispute.pending.deadline, now, "Respond within: ")})
    if dispute.status == "WAIT_SELLER_RESPONSE" and dispute.seller_deadline is not None:
        deadlines.append({"type": "SELLER_RESPOND", "title": "The seller must respond before",
                          **_deadline(dispute.seller_deadline, now, "Seller responds within: ")})
    if world.scenario.site.buyer_escalation and dispute.status in ("WAIT_SELLER_RESPONSE", "WAIT_BUYER_RESPONSE"):
        deadlines.append({"type": "ESCALATE_AVAILABLE", "title": "You can escalate from",
                          **_deadline(dispute.escalation_available_at(rules), now, "Escalation available in: ")})
    if (platform := dispute.platform_escalation_at(rules)) is not None:
        deadlines.append({"type": "PLATFORM_ESCALATION", "title": "AliExpress steps in on",
                          **_deadline(platform, now, "AliExpress steps in within: ")})
    if dispute.mediator_request:
        deadlines.append({"type": "MEDIATOR_INFO", "title": "Answer the mediator before",
                          **_deadline(dispute.mediator_request["deadline"], now, "Answer within: ")})
    if dispute.status == "WAIT_RETURN_SHIPMENT" and dispute.return_deadline is not None:
        deadlines.append({"type": "RETURN_SHIPMENT", "title": "Ship the return before",
                          **_deadline(dispute.return_deadline, now, "Ship within: ")})
    module = {
        # --- seen in the real answer [EM] ---
        "reverseOrderId": dispute.reverse_order_id,
        "reverseOrderLineId": dispute.reverse_line_id,
        "tradeOrderId": dispute.order_id,
        "tradeOrderLineId": dispute.line_id,
        "reverseDetailStatus": STATUS_CODE[dispute.status],
        "reverseDetailStatusText": STATUS_TEXT[dispute.status],
        "gmtCreate": _ms(dispute.created_at),
        "gmtCreateFormat": format_stamp(dispute.created_at),
        "applyReason": {"reasonId": _reason_id(dispute.reason), "reasonName": reason_name(dispute.reason),
                        # sandbox assumption: the reason's key and the "received?" answer
                        "reasonKey": dispute.reason, "received": dispute.received},
        "aeItemDTO": {"itemTitle": line.title, "itemCount": line.quantity,
                      "itemUnitPrice": reverse_money(line.price, order.currency),
                      "itemPicUrl": "/static/item.png"},
        "reachSolution": _proposal(reached, order.currency, now) if reached else None,
        "reverseFinishInfo": ({"refundInfo": _refund_info(dispute, order.currency)}
                              if dispute.status == "FINISHED" else None),
        # --- sandbox assumptions: nothing public shows these parts of the answer ---
        "reverseStatus": dispute.reverse_status,
        "paidAmount": reverse_money(world.line_paid(order, line.id), order.currency),
        "buyerSolution": {"proposalId": buyer.id, "solutionType": SOLUTION_CODE[buyer.solution],
                          "solutionTypeText": SOLUTION_TEXT[buyer.solution],
                          "refundMoney": reverse_money(buyer.amount, order.currency),
                          "description": dispute.description,
                          "gmtCreateFormat": format_stamp(buyer.created_at)},
        "proposalHistory": [_proposal(p, order.currency, now) for p in dispute.proposals],
        "deadlines": deadlines,
        "mediatorRequest": ({"requestText": dispute.mediator_request["text"],
                             "deadline": _deadline(dispute.mediator_request["deadline"], now, "Answer within: ")}
                            if dispute.mediator_request else None),
        "evidence": [{"fileName": a.name, "size": a.size, "sha256": a.sha256} for a in dispute.attachments],
        "messages": list(dispute.messages),
        "buttons": dispute_buttons(world, dispute, now),
    }
    return module


def dispute_detail(world: World, trade_line_id: str, reverse_line_id: str = "") -> dict[str, Any]:
    now = world.advance()
    dispute = world.dispute_for_line(trade_line_id, reverse_line_id)
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
