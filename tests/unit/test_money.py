"""Money: the exact type, and reading the site's money texts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from agent.core.money import Money
from flows.parsers.money import (
    currency_from_symbol,
    parse_cent_money,
    parse_format_price_info,
    parse_money,
)


def m(amount: str, currency: str) -> Money:
    return Money(amount=Decimal(amount), currency=currency)


# --- the type ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "amount, currency",
    [
        (1.5, "EUR"),  # float: cents already lost
        (True, "EUR"),
        ("NaN", "EUR"),
        ("Infinity", "EUR"),
        ("1", "eur"),
        ("1", "EU"),
        ("1", "EURO"),
        ("1", "R$"),
        ("abc", "EUR"),
    ],
)
def test_money_refuses_invalid_values(amount: object, currency: str) -> None:
    with pytest.raises(ValidationError):
        Money(amount=amount, currency=currency)


@pytest.mark.parametrize(
    "money, text",
    [
        (m("12.5", "EUR"), "12.50 EUR"),
        (m("0", "BRL"), "0.00 BRL"),
        (m("-0.00", "BRL"), "0.00 BRL"),  # "-R$0,00" is a zero, not a negative
        (m("-5.66", "BRL"), "-5.66 BRL"),
        (m("1234567.8", "USD"), "1234567.80 USD"),
        (m("100", "JPY"), "100 JPY"),
        (m("1.5", "KWD"), "1.500 KWD"),
        (m("0.005", "USD"), "0.005 USD"),  # finer than a cent: shown, not rounded away
    ],
)
def test_str(money: Money, text: str) -> None:
    assert str(money) == text


def test_arithmetic_same_currency() -> None:
    assert m("1.10", "BRL") + m("2.20", "BRL") == m("3.30", "BRL")
    assert m("5", "BRL") - m("7.5", "BRL") == m("-2.5", "BRL")
    assert -m("5.66", "BRL") == m("-5.66", "BRL")
    assert abs(m("-5.66", "BRL")) == m("5.66", "BRL")
    assert m("13.90", "BRL") * 2 == m("27.80", "BRL")
    assert 3 * m("0.10", "BRL") == m("0.30", "BRL")


@pytest.mark.parametrize(
    "op",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a < b,
        lambda a, b: a <= b,
        lambda a, b: a > b,
        lambda a, b: a >= b,
    ],
)
def test_mixed_currencies_refused(op) -> None:
    with pytest.raises(ValueError, match="BRL and USD"):
        op(m("1", "BRL"), m("1", "USD"))


def test_multiply_by_float_refused() -> None:
    with pytest.raises(TypeError):
        m("1", "BRL") * 1.5


def test_comparisons() -> None:
    assert m("0.99", "EUR") < m("1", "EUR") <= m("1.00", "EUR")
    assert m("2", "EUR") > m("1.99", "EUR") >= m("1.99", "EUR")


def test_equal_amounts_with_different_scale_are_equal_and_hash_alike() -> None:
    assert m("1.0", "BRL") == m("1.00", "BRL")
    assert len({m("1.0", "BRL"), m("1.00", "BRL")}) == 1
    assert m("1", "BRL") != m("1", "USD")


def test_frozen() -> None:
    money = m("1", "BRL")
    with pytest.raises(ValidationError):
        money.amount = Decimal(2)  # type: ignore[misc]


@pytest.mark.parametrize(
    "units, currency, expected",
    [(6125, "BRL", m("61.25", "BRL")), (0, "BRL", m("0", "BRL")), (500, "JPY", m("500", "JPY")), (-566, "BRL", m("-5.66", "BRL"))],
)
def test_minor_units_round_trip(units: int, currency: str, expected: Money) -> None:
    assert Money.from_minor(units, currency) == expected
    assert expected.to_minor() == units


def test_to_minor_refuses_fractions_of_a_cent() -> None:
    with pytest.raises(ValueError):
        m("0.005", "USD").to_minor()


def test_is_zero_and_negative() -> None:
    assert m("0.00", "BRL").is_zero() and not m("0.01", "BRL").is_zero()
    assert m("-0.01", "BRL").is_negative() and not m("0", "BRL").is_negative()


# --- parsing texts --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, hint, expected",
    [
        # formats listed in the reference notes
        ("US $120.95", None, m("120.95", "USD")),
        ("R$126,59", None, m("126.59", "BRL")),
        ("129,46zł", None, m("129.46", "PLN")),
        ("15,00 €", None, m("15.00", "EUR")),
        ("CN￥ 235.87", None, m("235.87", "CNY")),
        ("-R$5,66", None, m("-5.66", "BRL")),
        ("−R$5,66", None, m("-5.66", "BRL")),  # U+2212 minus
        ("R$ -5,66", None, m("-5.66", "BRL")),
        # the refund list writes a dot where the order list writes a comma
        ("R$61.25", None, m("61.25", "BRL")),
        ("R$61,25", None, m("61.25", "BRL")),
        ("R$1.234,56", None, m("1234.56", "BRL")),
        ("R$12.345.678,90", None, m("12345678.90", "BRL")),
        ("US $1,234.56", None, m("1234.56", "USD")),
        ("1 234,56 zł", None, m("1234.56", "PLN")),
        ("CN¥12", None, m("12", "CNY")),
        ("£3.50", None, m("3.50", "GBP")),
        ("C$4.00", None, m("4.00", "CAD")),
        ("A$5", None, m("5", "AUD")),
        ("€7,10", None, m("7.10", "EUR")),
        ("12.50 EUR", None, m("12.50", "EUR")),
        ("BRL 12,50", None, m("12.50", "BRL")),
        # "$" alone needs a hint that is a dollar currency
        ("$5", None, None),
        ("$5", "USD", m("5", "USD")),
        ("$5", "CAD", m("5", "CAD")),
        ("$5", "BRL", None),
        ("¥100", "JPY", m("100", "JPY")),
        ("¥100", None, None),
        # a symbol that names its currency wins over a contradicting hint
        ("R$10,00", "USD", m("10.00", "BRL")),
        # a bare number takes the hint, or is unknown
        ("12,50", "EUR", m("12.50", "EUR")),
        ("12,50", None, None),
        # not money: None, never 0
        ("", "BRL", None),
        ("abc", "BRL", None),
        ("R$", "BRL", None),
        ("R$5 coupon if delayed", None, None),
        ("5,66 €-", None, None),
        (None, "BRL", None),
    ],
)
def test_parse_money(text: str | None, hint: str | None, expected: Money | None) -> None:
    assert parse_money(text, hint) == expected


@pytest.mark.parametrize("text", ["US $0.00", "0,00 €", "R$0", "CN￥ 0", "€0", "R$0,00", "0 zł", "-R$0,00"])
def test_zero_written_any_way_is_a_zero_money(text: str) -> None:
    parsed = parse_money(text)
    assert parsed is not None
    assert parsed.is_zero()


@pytest.mark.parametrize(
    "text, hint, expected",
    [
        ("Free shipping", "BRL", m("0", "BRL")),
        ("free shipping ", "USD", m("0", "USD")),
        ("Frete grátis", "BRL", m("0", "BRL")),
        ("Free shipping", None, None),  # no currency: no fake zero
        ("Free returns", "BRL", None),  # not an amount at all
        ("Shipping", "BRL", None),
    ],
)
def test_free_shipping(text: str, hint: str | None, expected: Money | None) -> None:
    assert parse_money(text, hint) == expected


@pytest.mark.parametrize(
    "symbol, hint, expected",
    [("R$", None, "BRL"), ("US $", None, "USD"), ("CN￥", None, "CNY"), ("zł", None, "PLN"), ("$", None, None),
     ("$", "usd", "USD"), ("kr", "SEK", "SEK"), ("kr", "EUR", None), (None, "BRL", "BRL"), ("XYZ?", None, None)],
)
def test_currency_from_symbol(symbol: str | None, hint: str | None, expected: str | None) -> None:
    assert currency_from_symbol(symbol, hint) == expected


@pytest.mark.parametrize(
    "info, hint, expected",
    [
        ("R$132,74|132|74", None, m("132.74", "BRL")),
        ("R$335,07|335|07", None, m("335.07", "BRL")),
        ("R$61.25|61|25", None, m("61.25", "BRL")),
        ("R$1.234,56|1.234|56", None, m("1234.56", "BRL")),
        ("US $0,00|0|00", None, m("0", "USD")),
        ("-R$5,66|5|66", None, m("-5.66", "BRL")),
        ("?|132|74", "BRL", m("132.74", "BRL")),
        ("?|132|74", None, None),
        ("R$132,74", None, m("132.74", "BRL")),  # not the triple form: read as text
        ("R$abc|x|y", None, None),
        (None, "BRL", None),
    ],
)
def test_parse_format_price_info(info: str | None, hint: str | None, expected: Money | None) -> None:
    assert parse_format_price_info(info, hint) == expected


@pytest.mark.parametrize(
    "obj, expected",
    [
        ({"cent": 6125, "currency": "BRL", "formatMoney": "R$61.25"}, m("61.25", "BRL")),
        ({"cent": "5273", "currency": "BRL"}, m("52.73", "BRL")),
        ({"cent": 0, "currency": "BRL", "formatMoney": "R$0.00"}, m("0", "BRL")),
        ({"currency": "BRL", "formatMoney": "R$61.25"}, m("61.25", "BRL")),
        ({"cent": 6125, "formatMoney": "R$61.25"}, m("61.25", "BRL")),  # no currency: text decides
        ({"cent": 6125}, None),
        ({"currency": "BRL", "formatMoney": "—"}, None),
        ({}, None),
        (None, None),
    ],
)
def test_parse_cent_money(obj: object, expected: Money | None) -> None:
    assert parse_cent_money(obj) == expected


# --- round trip through the formats of several locales -----------------------------------

# (symbol, ISO code, symbol first?, space between, decimal mark, thousands separator)
_STYLES = [
    ("R$", "BRL", True, False, ",", "."),
    ("R$", "BRL", True, False, ".", ","),
    ("US $", "USD", True, False, ".", ","),
    ("€", "EUR", False, True, ",", "."),
    ("€", "EUR", True, False, ".", ","),
    ("zł", "PLN", False, False, ",", " "),
    ("CN￥", "CNY", True, True, ".", ","),
    ("£", "GBP", True, False, ".", ","),
    ("C$", "CAD", True, False, ".", ","),
]


def _format(amount: Decimal, style: tuple) -> str:
    symbol, _, first, space, mark, sep = style
    whole, cents = f"{abs(amount):.2f}".split(".")
    groups = []
    while len(whole) > 3:
        whole, groups = whole[:-3], [whole[-3:], *groups]
    number = sep.join([whole, *groups]) + mark + cents
    gap = " " if space else ""
    body = f"{symbol}{gap}{number}" if first else f"{number}{gap}{symbol}"
    return f"-{body}" if amount < 0 else body


@given(
    amount=st.decimals(min_value=-9_999_999, max_value=9_999_999, places=2, allow_nan=False, allow_infinity=False),
    style=st.sampled_from(_STYLES),
)
def test_round_trip_in_several_locales(amount: Decimal, style: tuple) -> None:
    text = _format(amount, style)
    assert parse_money(text) == Money(amount=amount, currency=style[1]), text
