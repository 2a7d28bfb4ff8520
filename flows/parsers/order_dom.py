"""Order-list rows read from the page's DOM, for when no API answer can be read.

The flow extracts plain texts per row (``flows.orders.ROW_SCRIPT``); this module
turns them into models. It is strict on purpose: a row without an order id, a
status or an item's quantity raises ``PageChanged`` — a half-read page must never
pass for a whole one. Today's list shows an item's price and quantity as separate
elements ("US $7.89" and "x2") [KG, GG]; the older layout's single text
("US $26.70x1") is still understood.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from agent.core.models import Order, OrderLine, ProtectionTimer, TimerSource
from agent.core.money import Money
from flows.parsers.countdown import find_countdown
from flows.parsers.fields import missing
from flows.parsers.money import parse_money
from flows.parsers.status import resolve_order_status
from flows.parsers.texts import (
    parse_labelled_date,
    parse_order_id_text,
    parse_price_quantity,
    parse_quantity_text,
    parse_total_text,
)

WHERE = "order list (page)"


def parse_order_rows(rows: list[dict[str, Any]], site_time: datetime) -> list[Order]:
    return [_row(index, row, site_time) for index, row in enumerate(rows)]


def _price_and_quantity(item: dict[str, Any], currency: str | None) -> tuple[Money | None, int | None]:
    """The separate price and quantity elements; else the older single "US $26.70x1"."""
    price = parse_money(item.get("price"), currency)
    quantity = parse_quantity_text(item.get("quantity"))
    if quantity is None:
        both = parse_price_quantity(item.get("number"), currency)
        if both is not None:
            return both
    return price, quantity


def _row(index: int, row: dict[str, Any], now: datetime) -> Order:
    where = f"row {index + 1}"
    info = [text for text in row.get("info") or [] if text]
    order_id = next((oid for text in info if (oid := parse_order_id_text(text))), None)
    if order_id is None:
        raise missing(WHERE, f"{where}: 'Order ID: …' text")
    status_text = (row.get("status") or "").strip()
    if not status_text:
        raise missing(WHERE, f"{where}: status text")
    placed = next((day for text in info if "date" in text.lower() and (day := parse_labelled_date(text))), None)
    total = parse_total_text(row.get("total"))
    lines = []
    for number, item in enumerate(row.get("items") or []):
        title = (item.get("title") or "").strip()
        if not title:
            raise missing(WHERE, f"{where}: title of item {number + 1}")
        price, quantity = _price_and_quantity(item, total.currency if total else None)
        if quantity is None:
            raise missing(WHERE, f"{where}: quantity of item {number + 1} ('x2')")
        lines.append(OrderLine(
            line_id=f"{order_id}-{number + 1}",  # the DOM shows no line id
            title=title,
            sku=(item.get("sku") or "").strip() or None,
            unit_price=price,
            quantity=quantity,
        ))
    if not lines:
        raise missing(WHERE, f"{where}: items")
    timer = None
    reminder = (row.get("reminder") or "").strip()
    left = find_countdown(reminder) if reminder else None
    if left is not None:
        timer = ProtectionTimer(ends_at=now + left, source=TimerSource.COUNTDOWN, read_at=now, raw_text=reminder)
    return Order(
        order_id=order_id,
        store_name=(row.get("store") or "").strip() or None,
        status=resolve_order_status(text=status_text),
        status_text=status_text,
        placed_on=placed,
        total=total,
        lines=lines,
        timer=timer,
        timers=[timer] if timer else [],
        reminder=reminder or None,
        site_time=now,
        detail_loaded=False,
    )
