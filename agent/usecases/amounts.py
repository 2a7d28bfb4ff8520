"""Amounts a person types on the command line (``open --amount``, ``reject --counter``): one rule.

Why strict: the number goes into the site's form as typed. A value the form would
round (5.555 becomes 5.56, 0.004 becomes a counter-offer of zero) or a number Python
reads but nobody means (NaN, inf, 1e999) is refused before anything reaches the site,
in one line naming the option. Nothing is rounded on the person's behalf: money the
buyer did not write is money asked for by mistake.
"""

from __future__ import annotations

import re
from decimal import Decimal

from agent.core.errors import UserInputError
from agent.core.money import minor_unit_exponent

__all__ = ["check_places", "parse_amount"]

#: "12", "12.50", "12,50", "-3": a plain number, no exponent, no words
_PLAIN = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
_NUMBER = re.compile(r"\d[\d.,]*")
#: no refund on the site comes near a trillion; beyond that the text is a typing slip
_MAX_INTEGER_DIGITS = 12


def parse_amount(text: str, option: str) -> tuple[Decimal, str | None]:
    """"12.50", "12,50", "12.50 EUR" or "€12.50" → (amount, currency if named); refused unless > 0.

    A named currency is held to its own decimals at once; without one, the caller
    checks them (``check_places``) once it knows the order's or the dispute's currency.
    """
    cleaned = text.strip()
    currency = None
    if _PLAIN.match(cleaned):
        amount = Decimal(cleaned.replace(",", "."))
    else:
        from flows.parsers.money import parse_money

        # the currency from the site's money reader; the number by the plain rule above,
        # because that reader takes "12.505 EUR" for twelve thousand (a thousands point)
        money = parse_money(cleaned) if len(cleaned) <= 40 else None
        numbers = _NUMBER.findall(cleaned)
        if money is None or len(numbers) != 1 or not _PLAIN.match(numbers[0]):
            raise UserInputError(f"{option} {text!r} is not an amount; write it like 12.50")
        amount = Decimal(numbers[0].replace(",", "."))
        amount, currency = -amount if money.amount < 0 else amount, money.currency
    if not amount.is_finite() or amount.adjusted() >= _MAX_INTEGER_DIGITS:
        raise UserInputError(f"{option} {text!r} is not an amount; write it like 12.50")
    if amount <= 0:
        raise UserInputError(f"{option} must be more than zero: asking for nothing gives the refund away")
    if currency is not None:
        check_places(amount, currency, option)
    return amount, currency


def check_places(amount: Decimal, currency: str | None, option: str) -> None:
    """Refuse more decimals than ``currency`` has (two when the currency is unknown)."""
    places = minor_unit_exponent(currency) if currency else 2
    if amount == amount.quantize(Decimal(1).scaleb(-places)):
        return
    unit = f"{currency} amounts have" if currency else "an amount has"
    allowed = f"at most {places} decimal{'s' if places != 1 else ''}" if places else "no decimals"
    raise UserInputError(f"{option} {amount}: {unit} {allowed}; nothing is rounded for you, write the exact amount")
