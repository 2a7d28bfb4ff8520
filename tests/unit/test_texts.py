"""Sentences and labelled values from the order pages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from agent.core.money import Money
from flows.parsers.texts import (
    ReminderWindows,
    parse_delivery_promise,
    parse_labelled_date,
    parse_order_id_text,
    parse_price_quantity,
    parse_reminder_windows,
    parse_total_text,
    split_service_content,
)

# verbatim from order-detail.json (detail_order_services, detail_order_status_block)
SERVICE = (
    "Apply for R$5,00 coupon code if delayed by Aug 3, 2026 · Refund if no delivery before Sep 4, 2026 "
    "· Refund if items damaged · Refund if package lost"
)
REMINDER = (
    "Order complete.If there are any problems, you can apply for a return/refund within 7 days of "
    "confirming receipt.If the item you received is defective or not as described, you can open a "
    "dispute within 90 days after order was placed."
)


def m(amount: str, currency: str) -> Money:
    return Money(amount=Decimal(amount), currency=currency)


def test_split_service_content() -> None:
    assert split_service_content(SERVICE) == [
        "Apply for R$5,00 coupon code if delayed by Aug 3, 2026",
        "Refund if no delivery before Sep 4, 2026",
        "Refund if items damaged",
        "Refund if package lost",
    ]
    assert split_service_content(None) == []


@pytest.mark.parametrize(
    "text, expected",
    [
        (SERVICE, date(2026, 9, 4)),
        ("Refund if no delivery before Sep 4, 2026", date(2026, 9, 4)),
        # same order, logistics API (logistics-querydetail.json): one day earlier
        ("Apply for R$5.00 coupon code if delayed by Aug 3, 2026 · Refund if no delivery before Sep 3, 2026", date(2026, 9, 3)),
        ("refund if no delivery by Oct 1, 2026.", date(2026, 10, 1)),
        # the coupon promise is not a refund deadline
        ("Apply for R$5,00 coupon code if delayed by Aug 3, 2026", None),
        ("Refund if no delivery before soon", None),
        ("Refund if items damaged", None),
        (None, None),
    ],
)
def test_parse_delivery_promise(text: str | None, expected: date | None) -> None:
    assert parse_delivery_promise(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        (REMINDER, ReminderWindows(return_days=7, dispute_days=90)),
        ("You can open a dispute within 60 days after the order was placed.", ReminderWindows(None, 60)),
        ("Apply for a return/refund within 15 days of confirming receipt.", ReminderWindows(15, None)),
        ("Order complete.", ReminderWindows(None, None)),
        (None, ReminderWindows(None, None)),
    ],
)
def test_parse_reminder_windows(text: str | None, expected: ReminderWindows) -> None:
    assert parse_reminder_windows(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Order date: Feb 21, 2026", date(2026, 2, 21)),
        ("Order date:Feb 21, 2026", date(2026, 2, 21)),
        ("Date: Jul 15, 2026", date(2026, 7, 15)),
        ("Order date: soon", None),
        ("Feb 21, 2026", None),  # no label: not the labelled form
        (None, None),
    ],
)
def test_parse_labelled_date(text: str | None, expected: date | None) -> None:
    assert parse_labelled_date(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Order ID: 8212313961591322Copy", "8212313961591322"),
        ("Order ID: 8212313961591322 Copy", "8212313961591322"),
        ("Order ID: 8212313961591322", "8212313961591322"),
        ("Ref. Number: 8212313961591322Copy", "8212313961591322"),
        ("Order ID: 8212…Copy", None),  # shortened on screen: not an id
        ("Order ID: 8212...", None),
        ("8212313961591322", None),
        (None, None),
    ],
)
def test_parse_order_id_text(text: str | None, expected: str | None) -> None:
    assert parse_order_id_text(text) == expected


@pytest.mark.parametrize(
    "text, hint, expected",
    [
        ("US $26.70x1", None, (m("26.70", "USD"), 1)),
        ("R$126,59 x 2", None, (m("126.59", "BRL"), 2)),
        ("15,00 €×3", None, (m("15.00", "EUR"), 3)),
        ("$4.99x10", "USD", (m("4.99", "USD"), 10)),
        ("$4.99x10", None, None),  # the price is unreadable without a hint
        ("US $26.70", None, None),  # no quantity
        ("x1", None, None),
        (None, None, None),
    ],
)
def test_parse_price_quantity(text: str | None, hint: str | None, expected: tuple | None) -> None:
    assert parse_price_quantity(text, hint) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Total:US $1.99", m("1.99", "USD")),
        ("Total: R$132,74", m("132.74", "BRL")),
        ("Total:US $0.00", m("0", "USD")),
        ("Total:", None),
        ("Total: pending", None),
        (None, None),
    ],
)
def test_parse_total_text(text: str | None, expected: Money | None) -> None:
    assert parse_total_text(text) == expected
