"""The sandbox's order list and order pages in real Chromium."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from playwright.sync_api import Page, expect

from tests.support.sandbox_pages import (
    DETAIL,
    PROMISED_ORDER,
    STATUS_TEXT,
    log_in,
    state,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("fresh_world")]



ROWS_JS = """() => Array.from(document.querySelectorAll('div.order-item')).map(row => {
  const text = sel => { const n = row.querySelector(sel); return n ? n.textContent : null; };
  return {
    id: row.dataset.orderId,
    status: text('.order-item-header-status-text'),
    info: text('.order-item-header-right-info'),
    store: text('.order-item-store-name a span'),
    titles: Array.from(row.querySelectorAll('.order-item-content-body .order-item-content-info-name a span[title]'))
      .map(s => s.getAttribute('title')),
    prices: Array.from(row.querySelectorAll('.order-item-content-body .order-item-content-info-number'))
      .map(n => n.textContent),
    total: text('.order-item-content-opt-price-total'),
    buttons: row.querySelectorAll('.order-item-btns button').length,
    reminder: text('.order-item-reminder-text'),
  };
})"""


def countdown_seconds(text: str) -> int:
    match = re.search(r"(?:(\d+) days? )?(\d{2}):(\d{2}):(\d{2})", text)
    assert match, text
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds


def test_order_list_renders_every_order_through_view_orders(page: Page, server):
    world = state(server)
    log_in(page, server)
    rows = page.locator("div.order-item")
    more = page.locator(".order-more button")
    expect(rows).to_have_count(10)
    expect(more).to_have_text("View orders")
    more.click()
    expect(rows).to_have_count(20)
    more.click()
    expect(rows).to_have_count(len(world["orders"]))
    expect(page.locator(".order-more")).to_have_count(0)

    truth = {o["id"]: o for o in world["orders"]}
    rendered = page.evaluate(ROWS_JS)
    newest_first = sorted(world["orders"], key=lambda o: (o["placed"], o["id"]), reverse=True)
    assert [r["id"] for r in rendered] == [o["id"] for o in newest_first]
    now = datetime.fromisoformat(world["clock"]["now"])
    reminders = 0
    for row in rendered:
        order = truth[row["id"]]
        assert row["status"] == STATUS_TEXT[order["status"]], row
        assert "Order date: " in row["info"] and f"Order ID: {order['id']}" in row["info"]
        assert row["store"] == order["store"]
        assert row["titles"] == [line["title"] for line in order["lines"]]
        assert all(re.search(rf"x{line['quantity']}$", price) for price, line in zip(row["prices"], order["lines"]))
        assert row["total"].startswith("Total:") and row["buttons"] >= 1
        if order["status"] == "awaiting_delivery":
            assert row["reminder"].startswith("Your order will be closed in: "), row
            left = (datetime.fromisoformat(order["timer_ends_at"]) - now).total_seconds()
            assert abs(countdown_seconds(row["reminder"]) - left) < 120, (row, order["timer_ends_at"])
            reminders += 1
        else:
            assert row["reminder"] is None, row
    assert reminders == 16


def test_order_detail_shows_the_countdown_and_the_returns_button_asks_about_the_package(page: Page, server):
    log_in(page, server, DETAIL.format(PROMISED_ORDER))
    reminder = page.locator(".order-detail-status-reminder")
    expect(reminder).to_contain_text("Your order will be closed in: ")
    countdown = reminder.locator(".order-detail-status-countdown")
    expect(countdown).to_have_text(re.compile(r"^(\d+ days? )?\d\d:\d\d:\d\d$"))
    expect(page.locator(".order-detail-services")).to_contain_text("Refund if no delivery before Nov 25, 2026")
    page.get_by_role("button", name="Returns/refunds").click()
    dialog = page.locator(".comet-modal").filter(has_text="Have you received your package?")
    expect(dialog.get_by_role("button", name="No", exact=True)).to_be_visible()
    expect(dialog.get_by_role("button", name="Yes", exact=True)).to_be_visible()
    # what the answer opens (a new tab with the form): tests/browser/test_sandbox_dispute_form.py
