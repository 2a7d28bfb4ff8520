"""Site text on screen is printed as written: no Rich markup read in it, no terminal codes let through.

Stored data as a sync and a poll leave it, with a seller's store named ``Acme [/] Store``
(a Rich closing tag: it crashed ``orders``), a title saying ``[new version]`` (it
vanished, also from the plan confirmed before filing) and an escape sequence.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

import agent.cli.views
from agent.cli.commands import app
from agent.core.models import (
    DisputeDetail,
    DisputeStage,
    Order,
    OrderLine,
    OrderStatus,
    ProtectionTimer,
    TimerSource,
)
from agent.core.money import Money
from agent.core.reasons import Branch, get_reason
from agent.core.site_text import plain
from agent.storage.dispute_records import DisputeRecords
from agent.storage.store import Store
from agent.usecases.attachments import PreparedAttachments
from agent.usecases.describe import (
    DescriptionContext,
    render_description,
    template_dirs,
)
from agent.usecases.filing import Plan
from tests.support.isolation import isolate_environment

ESC = "\x1b[31m"
STORE = f"Acme [/] Store{ESC}"
TITLE = "USB cable [new version] [bold]2m"
ORDER = "8300000000000001"
runner = CliRunner()


@pytest.fixture
def home(tmp_path, monkeypatch):
    isolate_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("DISPUTE_AGENT_STATE__DIR", str(tmp_path / "state"))
    monkeypatch.setattr(agent.cli.views, "console", Console(width=200))
    now = datetime.now(UTC)
    timer = ProtectionTimer(ends_at=now + timedelta(days=5), source=TimerSource.COUNTDOWN, read_at=now,
                            raw_text=f"closes in 5 days{ESC}")
    order = Order(order_id=ORDER, status=OrderStatus.AWAITING_DELIVERY, status_text=f"Awaiting [i]delivery{ESC}",
                  store_name=STORE, total=Money(amount=Decimal("9.99"), currency="USD"), site_time=now,
                  lines=[OrderLine(line_id=ORDER + "1", title=TITLE, sku=f"Color: [red]{ESC}", quantity=1,
                                   unit_price=Money(amount=Decimal("9.99"), currency="USD"))],
                  timer=timer, timers=[timer], detail_loaded=True, can_open_dispute=True)
    store = Store(tmp_path / "state" / "agent.db")
    store.save_orders([order])
    records = DisputeRecords(store)
    records.save_dispute(DisputeDetail(
        reverse_order_id="6300000000000001", reverse_line_id="6400000000000001", trade_order_id=ORDER,
        trade_line_id=ORDER + "1", reverse_status=2, stage=DisputeStage.WAIT_SELLER_RESPONSE,
        page_status_text=f"Waiting for [/] the seller{ESC}", item_title=TITLE, site_time=now))
    records.audit("reject", "ok", order_id=ORDER, dispute_id="6400000000000001",
                  detail=f"reject, message: the seller [/] wrote {ESC}")
    store.close()
    return tmp_path


def printed(*args: str) -> str:
    with agent.cli.views.console.capture() as captured:
        result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return captured.get() + result.output


def test_orders_show_the_store_as_written_and_no_escape_code(home):
    out = printed("orders")
    assert "Acme [/] Store\\x1b[31m" in out
    assert "Awaiting [i]delivery" in out
    assert "\x1b" not in out


def test_one_order_shows_every_bracket_of_the_title(home):
    out = printed("order", ORDER)
    assert f"• {TITLE} (Color: [red]\\x1b[31m)" in out
    assert "Store:      Acme [/] Store" in out
    assert "\x1b" not in out


def test_disputes_and_the_log_show_site_text_as_written(home):
    out = printed("disputes")
    assert "Waiting for [/] the seller\\x1b[31m" in " ".join(out.split())
    assert "\x1b" not in out
    log = printed("log")
    assert "the seller [/] wrote \\x1b[31m" in " ".join(log.split())
    assert "\x1b" not in log


def test_the_plan_confirmed_before_filing_shows_the_title_and_store_as_written():
    line = OrderLine(line_id=ORDER + "1", title=TITLE, sku=f"v2 [/]{ESC}", quantity=1,
                     unit_price=Money(amount=Decimal("9.99"), currency="USD"))
    order = Order(order_id=ORDER, status=OrderStatus.AWAITING_DELIVERY, store_name=STORE, lines=[line],
                  site_time=datetime(2026, 11, 20, tzinfo=UTC))
    asked = Money(amount=Decimal("9.99"), currency="USD")
    context = DescriptionContext(
        order_id=ORDER, placed_on=None, store_name=STORE, item_title=TITLE, sku=line.sku, quantity=1, paid=asked,
        asked=asked, solution="refund_only", received=False, protection_ends_at=None, delivery_promise=None,
        tracking_state=f"In transit{ESC}", tracking_last_event=None, tracking_last_event_at=None,
        today=order.site_time.date())
    description = render_description("not_arrived", context, dirs=template_dirs(None))
    assert "\x1b" not in description  # the text typed into the site carries no control character
    assert TITLE in description
    plan = Plan(order=order, line=line, reason=get_reason("not_arrived", Branch.NOT_RECEIVED), solution="refund_only",
                amount=asked, full=True, description=description, attachments=PreparedAttachments(),
                warnings=[f"the store says [/] {ESC}"])
    console = Console(width=200)
    agent.cli.views.console, saved = console, agent.cli.views.console
    try:
        with console.capture() as captured:
            agent.cli.views.print_plan(plan, dry_run=False)
    finally:
        agent.cli.views.console = saved
    out = captured.get()
    assert f"Item:        {TITLE} (v2 [/]\\x1b[31m) x1" in out
    assert "Warning: the store says [/] \\x1b[31m" in out
    assert "\x1b" not in out


def test_an_error_line_quoting_the_site_lets_no_terminal_code_through(home):
    result = runner.invoke(app, ["parse", str(Path(home) / f"answer{ESC}.json")])
    assert result.exit_code == 2
    assert "\x1b" not in result.output and "answer\\x1b[31m.json" in result.output


@pytest.mark.parametrize(("text", "expected"), [
    ("plain", "plain"), ("tab\tand\nline", "tab\tand\nline"), ("\x1b]8;;http://x\x07link", "\\x1b]8;;http://x\\x07link"),
    ("back\rover", "back\\x0dover"), ("\x9b31m", "\\x9b31m"), ("abc\u202edcba", "abc\\u202edcba"), (None, ""),
])
def test_control_characters_are_written_out(text, expected):
    assert plain(text) == expected


def test_progress_lines_of_poll_open_and_the_actions_write_control_characters_out(capsys):
    from agent.cli.commands import echo_plain

    echo_plain("could not reject the zero offer: the site refused: \x1b[2JCleared \u202eevil")
    shown = capsys.readouterr().out
    assert "\x1b" not in shown and "\u202e" not in shown
    assert shown == "could not reject the zero offer: the site refused: \\x1b[2JCleared \\u202eevil\n"
