"""The sandbox's order list and order pages in real Chromium."""

from __future__ import annotations

import json
import re
from datetime import datetime

import pytest
from playwright.sync_api import Page, expect

from tests.support.sandbox_pages import (
    DETAIL,
    ORDER_LIST_API,
    ORDERS,
    PROMISED_ORDER,
    STATUS_TEXT,
    assert_newest_first,
    log_in,
    state,
    url,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("fresh_world")]


ROWS_JS = """() => Array.from(document.querySelectorAll('div.order-item')).map(row => {
  const text = sel => { const n = row.querySelector(sel); return n ? n.textContent : null; };
  const all = sel => Array.from(row.querySelectorAll('.order-item-content-body ' + sel)).map(n => n.textContent);
  return {
    id: row.dataset.orderId,
    status: text('.order-item-header-status-text'),
    info: text('.order-item-header-right-info'),
    store: text('.order-item-store-name a span'),
    titles: Array.from(row.querySelectorAll('.order-item-content-body .order-item-content-info-name a span[title]'))
      .map(s => s.getAttribute('title')),
    prices: all('.order-item-content-info-number div:first-child'),
    quantities: all('.order-item-content-info-number-quantity'),
    total: text('.order-item-content-opt-price-total'),
    buttons: Array.from(row.querySelectorAll('.order-item-btns button')).map(b => b.dataset.type),
    reminder: text('.order-item-reminder-text'),
  };
})"""


def countdown_seconds(text: str) -> int:
    match = re.search(r"(?:(\d+) days? )?(\d{2}):(\d{2}):(\d{2})", text)
    assert match, text
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds


def click_through(page: Page) -> list[str]:
    """Show every page of the list ("View orders" until it goes) and return the row ids."""
    rows = page.locator("div.order-item")
    expect(rows).to_have_count(10)
    for shown in (20, 26):
        page.locator(".order-more button").click()
        expect(rows).to_have_count(shown)
    expect(page.locator(".order-more")).to_have_count(0)
    return [row.get_attribute("data-order-id") for row in rows.all()]


def test_later_pages_answer_only_what_changed_and_the_page_appends_them(page: Page, server):
    world = state(server)
    log_in(page, server)
    expect(page.locator("div.order-item")).to_have_count(10)
    with page.expect_response(lambda r: ORDER_LIST_API in r.url) as answer:
        page.locator(".order-more button").click()
    assert answer.value.request.method == "POST"
    later = answer.value.json()  # a POST: plain JSON
    tags = {c["tag"] for c in later["data"]["data"].values()}
    assert tags == {"pc_om_list_body", "pc_om_list_order"}  # no page, header or footer again
    body = next(c for c in later["data"]["data"].values() if c["tag"] == "pc_om_list_body")["fields"]
    assert (body["pageIndex"], body["hasMore"]) == (2, True)
    expect(page.locator("div.order-item")).to_have_count(20)
    expect(page.locator(".order-item-header-status-text").first).to_be_visible()
    page.locator(".order-more button").click()
    expect(page.locator("div.order-item")).to_have_count(len(world["orders"]))
    expect(page.locator(".order-more")).to_have_count(0)

    truth = {o["id"]: o for o in world["orders"]}
    rendered = page.evaluate(ROWS_JS)
    assert_newest_first([r["id"] for r in rendered], world["orders"])
    now = datetime.fromisoformat(world["clock"]["now"])
    reminders = set()
    for row in rendered:
        order = truth[row["id"]]
        assert row["status"] == STATUS_TEXT[order["status"]], row
        assert "Order date: " in row["info"] and f"Order ID: {order['id']}" in row["info"]
        assert row["store"] == order["store"]
        assert row["titles"] == [line["title"] for line in order["lines"]]
        # price and quantity are separate elements: "US $7.89" and "x2"
        assert all(re.search(r"\d", price) and "x" not in price for price in row["prices"]), row
        assert row["quantities"] == [f"x{line['quantity']}" for line in order["lines"]]
        assert row["total"].startswith("Total:") and row["buttons"]
        if order["status"] == "awaiting_delivery":
            assert row["buttons"] == ["CONFIRM_GOODS", "TRACKING"]
            assert row["reminder"].startswith("Your order will be closed in: "), row
            left = (datetime.fromisoformat(order["timer_ends_at"]) - now).total_seconds()
            assert abs(countdown_seconds(row["reminder"]) - left) < 120, (row, order["timer_ends_at"])
            reminders.add(row["id"])
        else:
            assert row["reminder"] is None, row
    assert reminders <= {o["id"] for o in world["orders"] if o["status"] == "awaiting_delivery"}


def test_orders_of_one_day_move_between_calls_so_paging_skips_and_repeats(page: Page, server):
    world = state(server)
    log_in(page, server)
    passes = [click_through(page)]
    for _ in range(2):
        page.reload()
        passes.append(click_through(page))
    for ids in passes:
        assert len(ids) == 26  # a pass shows as many rows as there are orders…
        assert_newest_first(ids, world["orders"])
    broken = [ids for ids in passes if len(set(ids)) < len(ids)]
    assert broken, "the demo world must skip and repeat an order at a page boundary"
    for ids in broken:  # …so an order shown twice means another was not shown at all
        assert len(set(ids)) < len({o["id"] for o in world["orders"]})
    assert len({tuple(ids) for ids in passes}) > 1


def test_status_code_8_is_awaiting_delivery_with_a_confirm_button(page: Page, server):
    log_in(page, server, DETAIL.format(PROMISED_ORDER))
    with page.expect_response(lambda r: ORDER_LIST_API in r.url) as answer:
        page.goto(url(server, ORDERS))
    body = json.loads(re.fullmatch(r"mtopjsonp\d+\((.*)\)", answer.value.text(), re.DOTALL)[1])
    orders = {c["fields"]["orderId"]: c["fields"] for c in body["data"]["data"].values()
              if c["tag"] == "pc_om_list_order"}
    codes = {fields["statusText"]: fields["utParams"]["args"]["orderStatus"] for fields in orders.values()}
    assert codes["Awaiting delivery"] == "8" and codes.get("Completed", "9") == "9"
    awaiting = next(f for f in orders.values() if f["statusText"] == "Awaiting delivery")
    assert awaiting["utParams"]["args"]["orderId"] == awaiting["orderId"]
    row = page.locator(f"div.order-item[data-order-id='{awaiting['orderId']}']")
    expect(row.locator("button[data-type=CONFIRM_GOODS]")).to_have_text("Confirm received")


def test_the_detail_page_shows_the_countdown_and_the_returns_button_asks_about_the_package(page: Page, server):
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


def set_locale(page: Page, server, locale: str) -> None:
    """The site's locale cookie, on the parent domain as the live site keeps it."""
    domain = "." + server.url.split("://", 1)[1].split(":", 1)[0].split(".", 1)[1]
    page.context.add_cookies([{"name": "aep_usuc_f", "value": f"region=BR&site=bra&b_locale={locale}&c_tp=BRL",
                               "domain": domain, "path": "/"}])


def expect_portuguese(page: Page) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "pt-BR")
    expect(page.locator(".order-header-title")).to_have_text("Pedidos")
    first = page.locator("div.order-item").first
    expect(first.locator(".order-item-header-right-info")).to_contain_text("Data do pedido: ")
    statuses = page.locator(".order-item-header-status-text").all_text_contents()
    assert "Aguardando entrega " in statuses and "Awaiting delivery" not in statuses
    expect(page.locator(".order-more button")).to_have_text("Ver pedidos")


def test_the_cookie_turns_the_pages_portuguese(page: Page, server):
    set_locale(page, server, "pt_BR")
    log_in(page, server)
    expect_portuguese(page)
    page.goto(url(server, DETAIL.format(PROMISED_ORDER)))
    expect(page.locator(".order-detail-status-title")).to_have_text("Aguardando entrega ")
    expect(page.locator(".order-detail-status-reminder")).to_contain_text("Seu pedido será encerrado em: ")
    expect(page.locator(".order-detail-services")).to_contain_text("Reembolso se não houver entrega até 25 de nov.")
    set_locale(page, server, "en_US")
    page.goto(url(server, ORDERS))
    expect(page.locator("html")).to_have_attribute("lang", "en-US")
    expect(page.locator(".order-header-title")).to_have_text("Orders")


def test_a_site_told_to_ignore_the_cookie_shows_the_accounts_language(page: Page, server):
    server.control("POST", "language", json={"account": "pt_BR", "ignore_cookie": True})
    set_locale(page, server, "en_US")
    log_in(page, server)
    expect_portuguese(page)
    server.control("POST", "language", json={"ignore_cookie": False})
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "en-US")
    expect(page.locator(".order-item-header-status-text").first).not_to_have_text(re.compile("Aguardando"))
