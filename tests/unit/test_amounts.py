"""Amounts typed on the command line: refused unless exact, never rounded into the site's form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from agent.cli.commands import app
from agent.core.errors import UserInputError
from agent.core.models import DisputeDetail, DisputeStage, Order, OrderLine, OrderStatus
from agent.core.money import Money
from agent.usecases.acting import check_counter
from agent.usecases.amounts import parse_amount
from agent.usecases.filing import eligibility
from flows.dispute_actions import typed_amount
from tests.support.isolation import isolate_environment

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def case(paid: str | None, currency: str = "EUR") -> DisputeDetail:
    return DisputeDetail(reverse_order_id="RO1", reverse_line_id="6400000000000001", trade_order_id="8215000000000001",
                         trade_line_id="82150000000000011", stage=DisputeStage.WAIT_BUYER_RESPONSE, site_time=NOW,
                         paid_amount=Money(amount=Decimal(paid), currency=currency) if paid else None)


@pytest.mark.parametrize("text", ["NaN", "nan", "sNaN", "inf", "-Infinity", "1e999", "5e2", "abc", "", "12.50.3",
                                  "1" * 40, "€1e999", "1,234.50 USD"])
def test_what_is_not_a_plain_amount_is_refused_naming_the_option(text):
    with pytest.raises(UserInputError, match=r"^--counter .* is not an amount; write it like 12\.50$"):
        parse_amount(text, "--counter")


@pytest.mark.parametrize(("text", "expected"), [
    ("12.50", (Decimal("12.50"), None)), ("12,50", (Decimal("12.50"), None)), ("5 USD", (Decimal(5), "USD")),
    ("€12.50", (Decimal("12.50"), "EUR")), ("5,00 €", (Decimal("5.00"), "EUR")), ("1.234 KWD", (Decimal("1.234"), "KWD")),
    ("500 JPY", (Decimal(500), "JPY")),
])
def test_plain_amounts_with_or_without_a_currency(text, expected):
    assert parse_amount(text, "--amount") == expected


@pytest.mark.parametrize("text", ["0", "0.00", "-5", "-€5"])
def test_nothing_or_less_is_refused(text):
    with pytest.raises(UserInputError, match="^--amount must be more than zero"):
        parse_amount(text, "--amount")


@pytest.mark.parametrize("text", ["12.505 EUR", "500.5 JPY", "1.2345 KWD"])
def test_a_named_currency_holds_the_amount_to_its_decimals_at_once(text):
    with pytest.raises(UserInputError, match="nothing is rounded"):
        parse_amount(text, "--amount")


@pytest.mark.parametrize("text", ["NaN", "inf", "1e999", "abc"])
def test_reject_refuses_a_counter_that_is_no_amount_in_one_line(text, tmp_path, monkeypatch):
    isolate_environment(monkeypatch, tmp_path)
    result = CliRunner().invoke(app, ["reject", "6400000000000001", "--counter", text])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [f"error: --counter {text!r} is not an amount; write it like 12.50"]


@pytest.mark.parametrize(("amount", "currency", "paid", "paid_in", "refused"), [
    ("5.555", None, "20.00", "EUR", "EUR amounts have at most 2 decimals"),
    ("0.004", None, "20.00", "EUR", "EUR amounts have at most 2 decimals"),  # else typed as a zero counter-offer
    ("0.001", None, None, "EUR", "an amount has at most 2 decimals"),  # the case's currency unreadable
    ("12.5", None, "2000", "JPY", "JPY amounts have no decimals"),
    ("5", "USD", "20.00", "EUR", "--counter is in USD but dispute 6400000000000001 is in EUR: give the amount in EUR"),
    ("5", "USD", None, "EUR", "the dispute's currency could not be read"),
    ("20.01", "EUR", "20.00", "EUR", "more than what was paid"),
])
def test_a_counter_offer_is_refused_unless_exact_and_in_the_disputes_currency(amount, currency, paid, paid_in, refused):
    with pytest.raises(UserInputError, match=refused):
        check_counter(case(paid, paid_in), Decimal(amount), currency)


@pytest.mark.parametrize(("amount", "currency", "paid", "paid_in"), [
    ("5.55", None, "20.00", "EUR"), ("5", "EUR", "20.00", "EUR"), ("1.234", None, "5.000", "KWD"),
    ("1500", "JPY", "2000", "JPY"),
])
def test_a_counter_offer_in_the_disputes_currency_goes_through(amount, currency, paid, paid_in):
    check_counter(case(paid, paid_in), Decimal(amount), currency)


def order(price: str, currency: str) -> Order:
    line = OrderLine(line_id="82150000000000011", title="Cable", quantity=1,
                     unit_price=Money(amount=Decimal(price), currency=currency))
    return Order(order_id="8215000000000001", status=OrderStatus.AWAITING_DELIVERY, site_time=NOW, lines=[line],
                 total=line.unit_price)


@pytest.mark.parametrize(("amount", "currency", "refused"), [
    ("12.555", "USD", "USD amounts have at most 2 decimals"), ("12.5", "JPY", "JPY amounts have no decimals"),
])
def test_open_holds_a_partial_amount_to_the_orders_currency_by_the_same_rule(amount, currency, refused):
    item = order("100", currency)
    with pytest.raises(UserInputError, match=f"^--amount {amount}: {refused}"):
        eligibility(item, item.lines[0], [], NOW, timedelta(days=15), Decimal(amount), False)


def test_open_takes_three_decimals_where_the_currency_has_them():
    item = order("10.000", "KWD")
    asked, _ = eligibility(item, item.lines[0], [], NOW, timedelta(days=15), Decimal("1.234"), False)
    assert asked == Money(amount=Decimal("1.234"), currency="KWD")


@given(st.decimals(min_value=Decimal("0.001"), max_value=Decimal(99999999), places=3))
def test_the_amount_typed_into_the_form_is_the_amount_confirmed(amount):
    typed = typed_amount(amount)
    assert Decimal(typed) == amount
    if amount == amount.quantize(Decimal("0.01")):
        assert typed == f"{amount:.2f}"
