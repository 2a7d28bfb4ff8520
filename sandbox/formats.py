"""How the site writes money and dates, per currency, as seen in the real captures.

The order list writes "R$61,25" where the refund list writes "R$61.25": the
``style`` argument reproduces both so the agent's parsers meet the same variety.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

# currency -> (prefix, suffix, decimal mark, thousands mark) for the order pages
_LOCAL = {
    "USD": ("US $", "", ".", ","),
    "EUR": ("", " €", ",", "."),
    "BRL": ("R$", "", ",", "."),
    "PLN": ("", "zł", ",", " "),
    "CNY": ("CN￥ ", "", ".", ","),
    "GBP": ("£", "", ".", ","),
}


def cents(amount: Decimal) -> int:
    return int((amount * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def _digits(amount: Decimal, decimal_mark: str, thousands: str) -> tuple[str, str, str]:
    value = abs(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    units, frac = f"{value:.2f}".split(".")
    grouped = f"{int(units):,}".replace(",", thousands)
    return grouped, frac, units


def format_money(amount: Decimal, currency: str, style: str = "page") -> str:
    """Text as the site shows it; ``style="refund"`` uses a dot for every currency."""
    prefix, suffix, mark, thousands = _LOCAL[currency]
    if style == "refund":
        mark, thousands = ".", ","
    grouped, frac, _ = _digits(amount, mark, thousands)
    sign = "-" if amount < 0 else ""
    return f"{sign}{prefix}{grouped}{mark}{frac}{suffix}"


def format_price_info(amount: Decimal, currency: str) -> str:
    """``formatPriceInfo``: "R$132,74|132|74" (text|units|cents)."""
    _, frac, units = _digits(amount, ".", ",")
    return f"{format_money(amount, currency)}|{units}|{frac}"


def cent_money(amount: Decimal, currency: str) -> dict:
    """The ``{cent, currency, formatMoney}`` object of the reverse (dispute) APIs."""
    text = format_money(amount, currency, style="refund")
    _, frac, units = _digits(amount, ".", ",")
    return {
        "cent": cents(amount),
        "currency": currency,
        "formatMoney": text,
        "formatPrice": {"formatSimplePrice": text, "priceInfo": f"{text}|{units}|{frac}"},
    }


def format_day(value: date | datetime) -> str:
    """"Jul 15, 2026" (no leading zero on the day)."""
    return f"{value:%b} {value.day}, {value.year}"


def format_stamp(value: datetime) -> str:
    """"2022-03-23 21:19:58" as the refund list writes it."""
    return value.strftime("%Y-%m-%d %H:%M:%S")


def format_countdown(seconds: float) -> str:
    """"12 days 03:04:05" (what the page prints after "…closed in:")."""
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    if days == 0:
        return clock
    return f"{days} day{'s' if days != 1 else ''} {clock}"
