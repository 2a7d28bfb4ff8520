"""Money as the site writes it: "R$126,59", "US $120.95", "15,00 €", "-R$5,66".

Why a wrapper around ``price_parser`` and not a parser of our own: the library already
knows decimal marks and thousands separators in every order ("R$61.25" and "R$61,25"
both occur for the same currency). What it does not do, and this module adds:
the minus sign (it reads "-R$5,66" as 5.66), ISO codes for symbols ("US $" → USD,
"CN￥" → CNY), refusing ambiguous symbols without a hint ("$", "¥", "kr"), and
refusing "Free shipping" as a zero unless we know the currency — a zero that was
never written would look like a seller offering nothing.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from price_parser import Price

from agent.core.money import Money
from flows.parsers.fields import as_int

__all__ = ["currency_from_symbol", "parse_cent_money", "parse_format_price_info", "parse_money"]

# Symbols that name exactly one currency (after NFKC: "￥" becomes "¥").
_SYMBOLS = {
    "US$": "USD", "R$": "BRL", "€": "EUR", "EUR": "EUR", "CN¥": "CNY", "RMB": "CNY",
    "zł": "PLN", "ZŁ": "PLN", "£": "GBP", "C$": "CAD", "CA$": "CAD", "A$": "AUD", "AU$": "AUD",
    "NZ$": "NZD", "HK$": "HKD", "MX$": "MXN", "S$": "SGD", "₽": "RUB", "руб.": "RUB",
    "руб": "RUB", "₴": "UAH", "₩": "KRW", "₹": "INR", "₺": "TRY", "TL": "TRY", "Kč": "CZK",
    "Ft": "HUF", "lei": "RON", "₪": "ILS", "CHF": "CHF", "₫": "VND", "฿": "THB", "₱": "PHP",
    "JP¥": "JPY", "円": "JPY", "元": "CNY",
}
# Symbols shared by several currencies: only the caller's hint can decide.
_AMBIGUOUS = {
    "$": {"USD", "CAD", "AUD", "NZD", "HKD", "MXN", "SGD", "ARS", "CLP", "COP", "TWD", "UYU"},
    "¥": {"CNY", "JPY"},
    "kr": {"SEK", "NOK", "DKK", "ISK"},
    "kr.": {"DKK", "ISK"},
}
_ISO = re.compile(r"^[A-Z]{3}$")

#: texts that mean an amount of zero without writing a number (lower-case, trimmed)
FREE_PHRASES = frozenset({
    "free shipping", "free", "free delivery", "frete grátis", "frete gratis", "grátis",
    "envío gratis", "envio gratis", "gratis", "livraison gratuite", "gratuit", "бесплатная доставка",
})

_MINUS = re.compile(r"[\u2212\u2012\u2013\u2014\ufe63\uff0d]")
# "US $12" / "CN ¥ 3": a country prefix separated from its sign by a space.
_SPLIT_PREFIX = re.compile(r"\b(US|CN|CA|AU|NZ|HK|MX|JP|C|A|S|R)\s+(?=[$¥])")


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)  # "￥"→"¥", no-break spaces → spaces
    text = _MINUS.sub("-", text)
    return _SPLIT_PREFIX.sub(r"\1", text).strip()


def currency_from_symbol(symbol: str | None, currency_hint: str | None = None) -> str | None:
    """The ISO code for ``symbol``; the hint decides only symbols shared by several currencies."""
    hint = currency_hint.upper() if currency_hint and _ISO.match(currency_hint.upper()) else None
    if not symbol:
        return hint
    token = _normalise(symbol).replace(" ", "")
    for candidate in (token, token.upper()):
        if candidate in _SYMBOLS:
            return _SYMBOLS[candidate]
    if token in _AMBIGUOUS or token.lower() in _AMBIGUOUS:
        choices = _AMBIGUOUS.get(token) or _AMBIGUOUS[token.lower()]
        return hint if hint in choices else None
    if _ISO.match(token.upper()) and token.isalpha():
        return token.upper()
    return None


def parse_money(text: str | None, currency_hint: str | None = None) -> Money | None:
    """The amount and currency in ``text``, or None if it is not plainly one amount.

    The whole text must be the amount (plus sign and currency): labels such as
    "Total:" belong to ``texts``; prose is refused rather than mined for a number.
    """
    if not isinstance(text, str):
        return None
    clean = _normalise(text)
    if not clean:
        return None
    hint = currency_hint.upper() if currency_hint and _ISO.match(currency_hint.upper()) else None
    if clean.casefold() in FREE_PHRASES:
        return Money.zero(hint) if hint else None

    price = Price.fromstring(clean)
    if price.amount is None or not price.amount_text:
        return None
    at = clean.find(price.amount_text)
    if at < 0:
        return None
    before, after = clean[:at], clean[at + len(price.amount_text):]
    if price.currency:
        if price.currency in before:
            before = before.replace(price.currency, "", 1)
        elif price.currency in after:
            after = after.replace(price.currency, "", 1)
    sign = before.strip()
    if sign not in ("", "-", "+") or after.strip():
        return None  # words or a second sign around the number: not a plain amount

    currency = currency_from_symbol(price.currency, hint)
    if currency is None:
        return None
    amount = -price.amount if sign == "-" else price.amount
    return Money(amount=amount, currency=currency)


def parse_format_price_info(info: str | None, currency_hint: str | None = None) -> Money | None:
    """"R$132,74|132|74" (text|units|fraction): the units and fraction are unambiguous,
    the text gives the currency and the sign."""
    if not isinstance(info, str) or info.count("|") != 2:
        return parse_money(info, currency_hint)
    text, units, fraction = (part.strip() for part in info.split("|"))
    from_text = parse_money(text, currency_hint)
    digits = re.sub(r"[\s.,'\u00a0]", "", units)
    if not digits.isdigit() or (fraction and not fraction.isdigit()):
        return from_text
    currency = from_text.currency if from_text else currency_from_symbol(None, currency_hint)
    if currency is None:
        return None
    try:
        amount = Decimal(f"{digits}.{fraction}" if fraction else digits)
    except InvalidOperation:
        return from_text
    if from_text is not None and from_text.is_negative():
        amount = -amount
    return Money(amount=amount, currency=currency)


def parse_cent_money(obj: Any) -> Money | None:
    """{"cent": 6125, "currency": "BRL", "formatMoney": "R$61.25"} → 61.25 BRL.

    The integer ``cent`` wins: it cannot be misread; ``formatMoney`` is the fallback.
    """
    if not isinstance(obj, dict):
        return None
    currency = obj.get("currency") or obj.get("currencyCode")
    currency = currency.strip().upper() if isinstance(currency, str) else None
    if currency and not _ISO.match(currency):
        currency = None
    cent = as_int(obj.get("cent"))
    if cent is not None and currency:
        return Money.from_minor(cent, currency)
    text = obj.get("formatMoney")
    return parse_money(text, currency) if isinstance(text, str) else None
