"""Sentences and labelled values the site shows, read into values.

Why a module of its own: these are the texts most likely to change wording, and each
one protects money — "Refund if no delivery before Sep 4, 2026" is a deadline, the
completed-order reminder carries the dispute window. Everything here is English as
the reference captures show it; an unmatched text gives None so the caller can fall
back or raise, never a guessed value.
"""

from __future__ import annotations

import re
from datetime import date
from typing import NamedTuple

from agent.core.money import Money
from flows.parsers.dates import parse_date
from flows.parsers.money import parse_money

__all__ = [
    "ReminderWindows",
    "parse_delivery_promise",
    "parse_labelled_date",
    "parse_order_id_text",
    "parse_price_quantity",
    "parse_quantity_text",
    "parse_reminder_windows",
    "parse_total_text",
    "split_service_content",
]

_SERVICE_SEPARATOR = re.compile(r"\s*[·•]\s*")
_DELIVERY_PROMISE = re.compile(
    r"^\s*refund\s+if\s+no\s+delivery\s+(?:before|by)\s+(?P<date>.+?)\s*\.?\s*$", re.IGNORECASE
)
_RETURN_WINDOW = re.compile(
    r"within\s+(?P<days>\d+)\s+days?\s+(?:of|after)\s+(?:confirming\s+receipt|delivery|receiving)", re.IGNORECASE
)
_DISPUTE_WINDOW = re.compile(
    r"open\s+a\s+dispute\s+within\s+(?P<days>\d+)\s+days?\s+(?:after|of|from)\s+"
    r"(?:the\s+)?order\s+(?:was\s+)?placed",
    re.IGNORECASE,
)
_LABEL = re.compile(r"^\s*[^:：]{1,40}[:：]\s*")
# "Order ID: 8212313961591322Copy" — the copy button's label sticks to the digits
_ORDER_ID = re.compile(r"[:：]\s*(?P<id>\d{8,})(?:\s*(?:copy|copiar|copier))?\s*$", re.IGNORECASE)
_PRICE_QTY = re.compile(r"^(?P<price>.+?)\s*[x×X]\s*(?P<qty>\d+)\s*$")
_QUANTITY = re.compile(r"^\s*[x×X]\s*(?P<qty>\d+)\s*$")


class ReminderWindows(NamedTuple):
    """Days granted by the completed-order reminder; None where the sentence is absent."""

    #: "apply for a return/refund within 7 days of confirming receipt"
    return_days: int | None
    #: "open a dispute within 90 days after order was placed"
    dispute_days: int | None


def split_service_content(content: str | None) -> list[str]:
    """The promises of one service line, split on the "·" the page shows between them."""
    if not isinstance(content, str):
        return []
    return [part for part in (p.strip() for p in _SERVICE_SEPARATOR.split(content)) if part]


def parse_delivery_promise(text: str | None) -> date | None:
    """The date in "Refund if no delivery before Sep 4, 2026", searched among "·" parts."""
    for part in split_service_content(text):
        match = _DELIVERY_PROMISE.match(part)
        if match:
            found = parse_date(match["date"])
            if found is not None:
                return found
    return None


def parse_reminder_windows(text: str | None) -> ReminderWindows:
    """The 7-day return and 90-day dispute windows of "Order complete.If there are …"."""
    if not isinstance(text, str):
        return ReminderWindows(None, None)
    ret = _RETURN_WINDOW.search(text)
    dispute = _DISPUTE_WINDOW.search(text)
    return ReminderWindows(
        int(ret["days"]) if ret else None,
        int(dispute["days"]) if dispute else None,
    )


def parse_labelled_date(text: str | None) -> date | None:
    """"Order date: Feb 21, 2026" → 2026-02-21 (any label before a colon)."""
    if not isinstance(text, str) or not _LABEL.match(text):
        return None
    return parse_date(_LABEL.sub("", text, count=1))


def parse_order_id_text(text: str | None) -> str | None:
    """"Order ID: 8212313961591322Copy" → "8212313961591322"; a shortened "8212…" is None."""
    if not isinstance(text, str):
        return None
    match = _ORDER_ID.search(text.strip())
    return match["id"] if match else None


def parse_price_quantity(text: str | None, currency_hint: str | None = None) -> tuple[Money, int] | None:
    """"US $26.70x1" → (26.70 USD, 1); None unless both the price and the count are read."""
    if not isinstance(text, str):
        return None
    match = _PRICE_QTY.match(text.strip())
    if not match:
        return None
    price = parse_money(match["price"], currency_hint)
    if price is None:
        return None
    return price, int(match["qty"])


def parse_quantity_text(text: str | None) -> int | None:
    """"x2" (the list's quantity element, apart from the price) → 2; anything else None."""
    if not isinstance(text, str):
        return None
    match = _QUANTITY.match(text)
    return int(match["qty"]) if match else None


def parse_total_text(text: str | None, currency_hint: str | None = None) -> Money | None:
    """"Total:US $1.99" → 1.99 USD (the label is dropped; the rest must be one amount)."""
    if not isinstance(text, str):
        return None
    return parse_money(_LABEL.sub("", text, count=1), currency_hint)
