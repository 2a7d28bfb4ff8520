"""What both interfaces show of the agent's knowledge: the same rows for the command line's
tables and JSON and for the page, so nothing a person reads is computed twice."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from agent.core.models import DeadlineKind, Order, OrderStatus
from agent.core.money import Money

OPEN = {OrderStatus.AWAITING_DELIVERY, OrderStatus.AWAITING_SHIPMENT, OrderStatus.PROCESSING,
        OrderStatus.COMPLETED, OrderStatus.DISPUTE_IN_PROGRESS, OrderStatus.UNKNOWN}


def money_json(money: Money | None) -> dict[str, str] | None:
    return None if money is None else {"amount": str(money.amount), "currency": money.currency}


def left(order: Order, now: datetime) -> timedelta | None:
    return order.timer.ends_at - now if order.timer else None


def dispute_brief(tracked) -> dict[str, Any]:
    """A dispute as an order's table and JSON name it: id, stage, what the page says, over or not."""
    detail = tracked.detail
    return {"dispute_id": tracked.reverse_line_id, "line_id": tracked.line_id,
            "stage": detail.stage.value if detail else tracked.stage,
            "status_text": (detail.page_status_text or detail.stage_text) if detail else None,
            "finished": tracked.finished,
            "result": detail.finish.result.value if detail and detail.finish and detail.finish.result else None}


def order_json(order: Order, now: datetime, disputes: list | None = None) -> dict[str, Any]:
    remaining = left(order, now)
    return {
        "order_id": order.order_id,
        "status": order.status.value,
        "status_text": order.status_text,
        "store": order.store_name,
        "item": order.lines[0].title if order.lines else None,
        "total": money_json(order.total),
        "placed_on": order.placed_on.isoformat() if order.placed_on else None,
        "shipped_on": order.shipped_on.isoformat() if order.shipped_on else None,
        "completed_on": order.completed_on.isoformat() if order.completed_on else None,
        "protection_ends_at": order.timer.ends_at.isoformat() if order.timer else None,
        "timer_source": order.timer.source.value if order.timer else None,
        "seconds_left": int(remaining.total_seconds()) if remaining is not None else None,
        "can_open_dispute": order.can_open_dispute,
        "lines": [
            {"line_id": line.line_id, "title": line.title, "sku": line.sku, "quantity": line.quantity,
             "unit_price": money_json(line.unit_price), "can_open_dispute": line.can_open_dispute}
            for line in order.lines
        ],
        "disputes": [dispute_brief(tracked) for tracked in disputes or []],
    }


def visible(order: Order, now: datetime, show_all: bool, disputed: bool = False) -> bool:
    if show_all:
        return True
    return disputed or (order.status in OPEN and order.timer is not None and order.timer.ends_at > now)


def iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def dispute_rows(state, now: datetime, policy) -> list[dict[str, Any]]:
    """One row per dispute, soonest buyer deadline first (the agenda's reading of each case)."""
    from agent.judge.agenda import AgendaItem, build_agenda, buyer_deadline
    from agent.judge.rules import judge
    from agent.judge.watch_state import deadline_of, is_finished, platform_escalation

    alerts = judge(state, now, policy)
    open_items = {item.dispute_id: item for item in build_agenda(state, now, policy, alerts) if item.dispute_id}
    rows = []
    for view in state.disputes:
        detail = view.latest
        item: AgendaItem | None = open_items.get(detail.reverse_line_id)
        due = buyer_deadline(detail, now)
        offer = shown_offer(detail)
        rows.append({
            "dispute_id": detail.reverse_line_id,
            "order_id": detail.trade_order_id,
            "item": detail.item_title,
            "stage": detail.stage.value,
            "status_text": detail.page_status_text or detail.stage_text,
            "asked": money_json(detail.buyer_solution.refund if detail.buyer_solution else None),
            "offer": money_json(offer.refund if offer else None),
            "offer_status": offer.status.value if offer and offer.status else None,
            "offer_is_zero": bool(item and item.offer_is_zero),
            "seller_said": item.seller_said if item else None,
            "next_deadline": iso(due[0]) if due else None,
            "next_deadline_what": due[1] if due else None,
            "escalation_from": iso(deadline_of(detail, DeadlineKind.ESCALATE_AVAILABLE)),
            "platform_steps_in": iso(platform_escalation(detail)),
            "suggested_action": item.what_to_do if item else None,
            "command": item.command if item else None,
            "result": detail.finish.result.value if detail.finish and detail.finish.result else None,
            "finished": is_finished(detail),
            "link": view.link,
        })
    return sorted(rows, key=lambda r: (r["next_deadline"] is None, r["next_deadline"] or "", r["finished"],
                                       r["escalation_from"] is None, r["escalation_from"] or "", r["dispute_id"]))


def shown_offer(detail):
    """The offer a person last saw from the other side (pending first), never their own ask."""
    from agent.core.models import Proposer
    from agent.judge.watch_state import pending_offers

    offers = pending_offers(detail)
    offer = offers[-1] if offers else detail.latest_proposal
    return None if offer is None or offer.proposer is Proposer.BUYER else offer


def agenda_json(items, now: datetime) -> dict[str, Any]:
    return {"now": now.isoformat(), "items": [{
        "order_id": item.order_id, "dispute_id": item.dispute_id, "item": item.item, "store": item.store,
        "status_text": item.status, "amount": money_json(item.amount), "offer": money_json(item.offer),
        "offer_is_zero": item.offer_is_zero, "seller_said": item.seller_said,
        "deadline": iso(item.deadline), "deadline_what": item.deadline_what,
        "escalation_from": iso(item.escalation_from), "platform_steps_in": iso(item.platform_steps_in),
        "what_to_do": item.what_to_do, "command": item.command,
        "severity": item.severity.value if item.severity else None, "link": item.link,
    } for item in items]}
