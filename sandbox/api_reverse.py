"""The sandbox's answers about disputes ("reverse orders"): the refund list and the
dispute page's data, in the shapes public tools show of the live site.

The refund list keeps the real capture's shape (``tests/fixtures/refund-list.json``),
its ``buttonDTOList`` links included. The dispute page's answer keeps what [EM] reads
from live answers — a numeric ``reverseDetailStatus``, ``applyReason{reasonId,
reasonName}``, ``reachSolution{…, refundMoney{cent, currency, unit, formatMoney}}``,
``reverseFinishInfo.refundInfo`` as an object — and adds, each marked so below, the
parts the agent needs that nobody has published (deadlines, the proposal history, the
mediator's request, evidence, messages, the actions offered).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from .api import API_DISPUTE_DETAIL, API_REFUND_LIST, _global, _ms, envelope
from .formats import cent_money, format_countdown, format_stamp
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
from .world import World


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
    listed = [d for d in world.disputes.values() if d.created_at <= now - world.list_lag]  # a lagging index
    disputes = sorted(listed, key=lambda d: (d.created_at, d.reverse_line_id), reverse=True)
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
