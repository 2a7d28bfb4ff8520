"""Sandbox pages in real Chromium: unknown ids on the pages, the dispute list (its rows,
filters, paging with the "next" control), the mediator's request answered with a file,
an agreed return shipped from the dispute page, and the faults on the dispute page.

Uses the session's demo sandbox (``tests/browser/conftest.py``), reset before each test;
the login goes through the sign-in host's form, as a person's would.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from urllib.parse import parse_qs

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

from tests.support.sandbox_pages import DISPUTE, log_in, url

#: the demo's disputes: silent seller (BRL 47.30), mediator asking for information (EUR 27.60)
SILENT_ORDER, MEDIATOR_ORDER = "8215000000000014", "8215000000000015"


@pytest.fixture(autouse=True)
def fresh_world(server):
    server.reset()


@pytest.fixture
def buyer(page: Page, server) -> Page:
    log_in(page, server)
    return page


def dispute_of(server, order_id: str) -> dict:
    return next(d for d in server.state()["disputes"] if d["order_id"] == order_id)


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 160, 90)).save(buffer, format="JPEG")
    return buffer.getvalue()


ROW = '[class*="orderItem--orderItem--"]'
STATUS = '[class*="reminder--statusStr--"]'
DIALOG = ".comet-v2-modal"


def line_of(case: dict) -> str:
    return case["line_id"]


def test_unknown_ids_give_a_clear_error_on_the_pages(buyer: Page, server):
    buyer.goto(url(server, "/p/order/detail.html?orderId=1234567"))
    expect(buyer.locator(".comet-error")).to_contain_text("Order not found: unknown order id '1234567'")
    buyer.goto(url(server, DISPUTE.format("8299999999999999")))
    expect(buyer.locator(".comet-error")).to_contain_text(
        "Dispute not found: unknown dispute for order line '8299999999999999'")
    expect(buyer.get_by_role("button", name="View possible solutions")).to_have_count(0)
    buyer.goto(url(server, "/p/reverse-pages/start.html?tradeOrderLineId=42&received=no"))
    expect(buyer.locator(".comet-error")).to_contain_text("This item was not found in your orders.")
    expect(buyer.locator(".comet-v2-select-show-arrow")).to_have_count(0)


def test_dispute_list_rows_filters_and_details(buyer: Page, server):
    disputes = server.state()["disputes"]
    with buyer.expect_request(re.compile(r"queryreverseorderpagelistforbuyer")) as first:
        buyer.goto(url(server, "/p/refund-dispute/list.html"))
    assert first.value.method == "POST"
    body = json.loads(parse_qs(first.value.post_data)["data"][0])
    assert {k: body[k] for k in ("reverseStatus", "pageNo", "size", "shipTo", "_lang")} == {
        "reverseStatus": 1, "pageNo": 1, "size": 10, "shipTo": "US", "_lang": "en_US"}
    rows = buyer.locator(ROW)
    expect(rows).to_have_count(len(disputes))
    silent = dispute_of(server, SILENT_ORDER)
    row = rows.filter(has=buyer.locator('[class*="orderItem--orderSKUId--"]', has_text=SILENT_ORDER))
    expect(row.locator('[class*="orderItem--orderStore--"]')).to_have_text("Nova Electronics")
    expect(row.locator('[class*="orderItem--orderStatusDesc--"]')).to_have_text(re.compile(r"^In progress \d{4}-\d{2}-\d{2}$"))
    expect(buyer.locator(".next-pagination .next-next")).to_have_attribute("aria-disabled", "true")
    expect(buyer.locator(".next-pagination-item.next-current")).to_have_text("1")

    buyer.get_by_role("tab", name="Finished").click()
    expect(rows).to_have_count(sum(d["status"] == "FINISHED" for d in disputes))
    expect(rows.locator('[class*="orderItem--orderStatusDesc--"]')).to_have_text(
        [re.compile("^Finished ")] * rows.count())

    buyer.get_by_role("tab", name="All").click()
    row.locator('[class*="orderItem--orderStatusAction--"] > div:first-child button').click()
    buyer.wait_for_url(url(server, DISPUTE.format(line_of(silent))))
    expect(buyer.locator(STATUS)).to_have_text("Waiting for the seller's response")


def test_dispute_list_pages_with_the_next_control_until_it_is_disabled(page: Page, server):
    server.load(many_disputes(12))
    log_in(page, server, "/p/refund-dispute/list.html")
    rows = page.locator(ROW)
    expect(rows).to_have_count(10)
    prev, nxt = page.locator(".next-pagination .next-prev"), page.locator(".next-pagination .next-next")
    expect(prev).to_be_disabled()
    expect(prev).to_have_attribute("aria-disabled", "true")
    first_page = rows.locator('[class*="orderItem--orderSKUId--"]').all_inner_texts()
    with page.expect_request(re.compile(r"queryreverseorderpagelistforbuyer")) as second:
        nxt.click()
    assert json.loads(parse_qs(second.value.post_data)["data"][0])["pageNo"] == 2
    expect(rows).to_have_count(2)
    expect(page.locator(".next-pagination-item.next-current")).to_have_text("2")
    expect(nxt).to_be_disabled()
    expect(nxt).to_have_attribute("aria-disabled", "true")
    second_page = rows.locator('[class*="orderItem--orderSKUId--"]').all_inner_texts()
    assert len(set(first_page + second_page)) == 12
    prev.click()
    expect(rows).to_have_count(10)


def many_disputes(count: int):
    from sandbox.scenario import parse_scenario

    return parse_scenario({
        "name": "many", "clock": {"start": "2026-11-20T09:00:00Z"},
        "account": {"login": "buyer@example.com", "password": "sandbox-pass"},
        "stores": [{"id": "s", "name": "Store"}],
        "orders": [{"id": f"87500000000000{n:02d}", "store": "s", "currency": "USD",
                    "placed": "2026-10-01T09:00:00Z", "paid": "2026-10-01T09:00:00Z",
                    "shipped": "2026-10-03T09:00:00Z",
                    "lines": [{"id": f"87510000000000{n:02d}", "title": f"Item {n}", "price": "10.00"}],
                    "disputes": [{"line": f"87510000000000{n:02d}", "opened": f"2026-11-{n + 1:02d}T09:00:00Z",
                                  "finished": "won"}]}
                   for n in range(count)],
    })


def test_answering_the_mediator_with_a_file(buyer: Page, server):
    case = dispute_of(server, MEDIATOR_ORDER)
    photo = jpeg()
    buyer.goto(url(server, DISPUTE.format(line_of(case))))
    expect(buyer.locator(STATUS)).to_have_text("AliExpress needs more information from you")
    expect(buyer.get_by_text(case["mediator_request"]["text"])).to_be_visible()
    expect(buyer.locator('[class*="deadline--text--"]')).to_contain_text("Answer before 2026-11-22 09:00:00")
    expect(buyer.locator('[class*="deadline--countdown--"]')).to_have_text("2 days 00:00:00")
    buyer.get_by_role("button", name="Provide information").click()
    dialog = buyer.locator(DIALOG)
    dialog.locator('input[type=file][accept*="image"]').set_input_files(
        files=[{"name": "label.jpg", "mimeType": "image/jpeg", "buffer": photo}])
    expect(dialog.locator('[class*="upload--imageThumb--"][style*="background-image"]')).to_have_count(1)
    dialog.locator('[class*="evidence--textarea--"]').fill("Here is the label: the parcel never left the depot.")
    with buyer.expect_request(re.compile(r"mtop\.aliexpress\.reverse\.buyer\.action")) as sent:
        dialog.locator(".comet-v2-modal-footer button.comet-v2-btn-primary").click()
    # Chromium does not hand a body holding files to Playwright: the headers, then the state
    assert sent.value.method == "POST"
    assert sent.value.headers["content-type"].startswith("multipart/form-data; boundary=")
    expect(buyer.get_by_role("status")).to_contain_text("The dispute has been updated")
    expect(buyer.locator(STATUS)).to_have_text("Waiting for AliExpress's feedback")
    expect(buyer.get_by_role("button", name="Provide information")).to_have_count(0)

    after = dispute_of(server, MEDIATOR_ORDER)
    assert (after["status"], after["mediator_request"]) == ("ESCALATED", None)
    assert [(a["name"], a["size"], a["sha256"]) for a in after["attachments"]] == [
        ("label.jpg", len(photo), hashlib.sha256(photo).hexdigest())]
    assert server.control("GET", f"files/{after['attachments'][0]['sha256']}") == photo


def test_an_agreed_return_is_shipped_from_the_dispute_page(buyer: Page, server):
    case = dispute_of(server, SILENT_ORDER)
    server.seller(case["reverse_line_id"], action="change_solution", amount="47.30")
    buyer.goto(url(server, DISPUTE.format(line_of(case))))
    expect(buyer.locator('[class*="newReverseRefundInfo--solution--"]')).to_have_text("Return and refund")
    buyer.get_by_role("button", name="View possible solutions").click()
    buyer.locator('[class*="solution--card--"]', has_text="Seller's solution").get_by_role("button", name="Accept").click()
    buyer.get_by_role("dialog").get_by_role("button", name="Confirm").click()
    expect(buyer.locator(STATUS)).to_have_text("Please return the item")
    expect(buyer.locator('[class*="deadline--text--"]')).to_contain_text("Ship the item back before 2026-11-30 09:00:00")
    buyer.get_by_role("button", name="Enter tracking number").click()
    buyer.locator(DIALOG).locator("input[name=trackingNumber]").fill("RR123456789CN")
    buyer.locator(DIALOG).get_by_role("button", name="Submit").click()
    expect(buyer.locator(STATUS)).to_have_text("Refund complete")
    expect(buyer.locator('[class*="newReverseRefundInfo--amount--"]')).to_have_text("R$47.30")
    expect(buyer.get_by_role("button", name="Add photos/videos")).to_have_count(0)
    after = dispute_of(server, SILENT_ORDER)
    assert (after["status"], after["result"], after["refund"]) == ("FINISHED", "WON", "47.30")


def test_the_faults_on_the_dispute_page_rename_classes_and_fields_but_keep_the_page(buyer: Page, server):
    case = dispute_of(server, SILENT_ORDER)
    server.add_fault("dom_layout", "/p/refund-amount/", remaining=1)
    server.add_fault("api_shape", "/h5/", remaining=1)
    buyer.goto(url(server, DISPUTE.format(line_of(case))))
    expect(buyer.locator('[class*="statusBanner--statusStr--"]')).to_have_text("Waiting for the seller's response")
    expect(buyer.locator(STATUS)).to_have_count(0)
    expect(buyer.locator('[class*="refundSummary--amount--"]')).to_have_text("R$47.30")


def test_the_page_script_names_module_classes_as_the_server_does(buyer: Page, server):
    from sandbox.classnames import ClassNames

    seed = buyer.locator("body").get_attribute("data-cm-seed")
    assert seed
    pairs = [["reminder", "statusStr"], ["orderItem", "orderItem"], ["commet", "textarea"],
             ["newReverseRefundInfo", "amount"], ["a", "b"]]
    assert buyer.evaluate("(pairs) => pairs.map(([b, e]) => Site.cm(b, e))", pairs) == \
        [ClassNames(seed)(b, e) for b, e in pairs]
    server.add_fault("dom_layout", "/p/order/")
    buyer.goto(url(server, "/p/order/index.html"))
    redesigned = buyer.locator("body").get_attribute("data-cm-seed")
    assert redesigned != seed
    assert buyer.evaluate("(pairs) => pairs.map(([b, e]) => Site.cm(b, e))", pairs) == \
        [ClassNames.redesigned(seed)(b, e) for b, e in pairs]
