"""Order-list rows read from the page (the fallback when no API answer can be read)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from agent.core.errors import PageChanged
from agent.core.money import Money
from flows.parsers.order_dom import parse_order_rows

NOW = datetime(2026, 11, 20, 9, tzinfo=UTC)


def row(**item: str) -> dict:
    return {"status": "Awaiting delivery", "info": ["Order date: Nov 3, 2026", "Order ID: 8215000000000026Copy"],
            "store": "Nova Electronics", "reminder": "", "total": "Total:US $15.78",
            "items": [{"title": "USB-C Cable", "sku": "Black", **item}]}


def test_price_and_quantity_from_their_own_elements() -> None:
    [order] = parse_order_rows([row(price="US $7.89", quantity="x2", number="US $7.89x2")], NOW)
    [line] = order.lines
    assert (line.unit_price, line.quantity) == (Money(amount=Decimal("7.89"), currency="USD"), 2)
    assert order.total == Money(amount=Decimal("15.78"), currency="USD")


def test_the_older_single_text_is_still_read() -> None:
    [order] = parse_order_rows([row(price="", quantity="", number="US $26.70x1")], NOW)
    assert (order.lines[0].unit_price.amount, order.lines[0].quantity) == (Decimal("26.70"), 1)


def test_an_unreadable_price_is_none_but_the_quantity_is_kept() -> None:
    [order] = parse_order_rows([row(price="see offer", quantity="x3", number="see offerx3")], NOW)
    assert (order.lines[0].unit_price, order.lines[0].quantity) == (None, 3)


def test_a_missing_quantity_is_a_changed_page_not_a_guess() -> None:
    with pytest.raises(PageChanged, match="row 1: quantity of item 1"):
        parse_order_rows([row(price="US $7.89", quantity="", number="US $7.89")], NOW)
