"""Every sandbox fault kind, seen from real Chromium."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from flows.parsers.transport import decode_api_body
from tests.support.sandbox_pages import (
    DETAIL,
    ORDER_LIST_API,
    ORDERS,
    PROMISED_ORDER,
    assert_newest_first,
    log_in,
    state,
    url,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("fresh_world")]




def test_http500_fault_answers_500_on_its_path(page: Page, server):
    log_in(page, server)
    server.add_fault("http500", "/p/order/detail.html")
    response = page.goto(url(server, DETAIL.format(PROMISED_ORDER)))
    assert response.status == 500
    expect(page.locator("h1")).to_have_text("500 Internal Server Error")
    assert page.goto(url(server, ORDERS)).status == 200  # other paths are untouched


def test_slow_fault_delays_the_answer(page: Page, server):
    log_in(page, server)
    server.add_fault("slow", "/p/refund-dispute/list.html", delay_ms=800)
    started = time.monotonic()
    response = page.goto(url(server, "/p/refund-dispute/list.html"))
    elapsed = time.monotonic() - started
    assert response.status == 200
    assert elapsed >= 0.8, elapsed


def test_api_shape_fault_renames_the_fields_and_the_page_still_renders(page: Page, server):
    log_in(page, server, "/p/refund-dispute/list.html")
    server.add_fault("api_shape", "/h5/mtop.aliexpress.trade.buyer.order.list")
    with page.expect_response(lambda r: ORDER_LIST_API in r.url) as answer:
        page.goto(url(server, ORDERS))
    text = answer.value.text()
    assert re.match(r"mtopjsonp\d+\(", text), text[:40]  # a GET: answered as JSONP
    body = decode_api_body(text, "order.list")
    assert "traceIdV2" in body and "traceId" not in body
    assert body["ret"][0].startswith("SUCCESS::")
    assert "hierarchyV2" in body["data"] and "hierarchy" not in body["data"]
    components = list(body["data"]["data"].values())
    assert components and all("tagV2" in c and "tag" not in c for c in components)
    assert all("orderIdV2" in c["fieldsV2"] for c in components if c["tagV2"] == "pc_om_list_order")
    rows = page.locator("div.order-item")
    expect(rows).to_have_count(10)
    assert_newest_first([r.get_attribute("data-order-id") for r in rows.all()], state(server)["orders"],
                        first_rows=True)


def test_dom_layout_fault_renames_the_classes_and_the_page_still_shows_the_orders(page: Page, server):
    server.add_fault("dom_layout", ORDERS)
    log_in(page, server)
    expect(page.locator("div.ord-card")).to_have_count(10)
    expect(page.locator("div.order-item")).to_have_count(0)
    expect(page.locator("body")).to_have_attribute("data-layout", "v2")
    orders = state(server)["orders"]
    shown = [card.get_attribute("data-order-id") for card in page.locator("div.ord-card").all()]
    assert_newest_first(shown, orders, first_rows=True)
    titles = {order["id"]: order["lines"][0]["title"] for order in orders}
    for order_id in shown:
        expect(page.locator(f"div.ord-card[data-order-id='{order_id}']")).to_contain_text(titles[order_id])
    expect(page.locator(".ord-load-more button")).to_have_text("View orders")
