"""Sandbox pages in real Chromium, beyond ``test_sandbox_site.py``: unknown ids on the pages,
the dispute list, the mediator's request answered with a file, a refused action shown on
the page with nothing changed, and an agreed return shipped from the dispute page.

Uses the session's demo sandbox (``tests/browser/conftest.py``), reset before each test;
the login goes through the sign-in host's form, as a person's would.
"""

from __future__ import annotations

import hashlib
import io
import re

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


def test_unknown_ids_give_a_clear_error_on_the_pages(buyer: Page, server):
    buyer.goto(url(server, "/p/order/detail.html?orderId=1234567"))
    expect(buyer.locator(".comet-error")).to_contain_text("Order not found: unknown order id '1234567'")
    buyer.goto(url(server, DISPUTE.format("6499999999999999")))
    expect(buyer.locator(".comet-error")).to_contain_text("Dispute not found: unknown dispute id '6499999999999999'")
    expect(buyer.locator("#reverse-actions")).to_be_hidden()
    buyer.goto(url(server, "/p/reverse-pages/start.html?tradeOrderLineId=42&received=no"))
    expect(buyer.locator(".comet-error")).to_contain_text("This item was not found in your orders.")
    expect(buyer.locator(".comet-v2-select-show-arrow")).to_have_count(0)


def test_dispute_list_shows_every_case_and_filters_finished_ones(buyer: Page, server):
    disputes = server.state()["disputes"]
    with buyer.expect_response(re.compile(r"queryreverseorderpagelistforbuyer")) as first:
        buyer.goto(url(server, "/p/refund-dispute/list.html"))
    assert '"reverseStatus":1' in first.value.url.replace("%22", '"').replace("%3A", ":")
    items = buyer.locator(".reverse-list-item")
    expect(items).to_have_count(len(disputes))
    silent = dispute_of(server, SILENT_ORDER)
    row = buyer.locator(f".reverse-list-item[data-reverse-line-id='{silent['reverse_line_id']}']")
    expect(row.locator(".reverse-list-item-status")).to_have_text("In progress")
    expect(row.locator(".reverse-list-item-order")).to_have_text(f"Order ID: {SILENT_ORDER}")

    buyer.click(".reverse-list-tab[data-status='4']")
    expect(items).to_have_count(sum(d["status"] == "FINISHED" for d in disputes))
    expect(items.locator(".reverse-list-item-status")).to_have_text(["Finished"] * items.count())

    buyer.click(".reverse-list-tab[data-status='1']")
    row.locator(".reverse-list-item-detail").click()
    buyer.wait_for_url(re.compile(re.escape(DISPUTE.format(silent["reverse_line_id"])) + "$"))
    expect(buyer.locator(".reverse-status-text")).to_have_text("Waiting for the seller to respond")


def test_answering_the_mediator_with_a_file(buyer: Page, server):
    case = dispute_of(server, MEDIATOR_ORDER)
    photo = jpeg()
    buyer.goto(url(server, DISPUTE.format(case["reverse_line_id"])))
    expect(buyer.locator(".reverse-mediator-text")).to_have_text(case["mediator_request"]["text"])
    expect(buyer.locator(".reverse-mediator-deadline")).to_have_text("Answer before 2026-11-22 09:00:00")
    expect(buyer.locator(".reverse-mediator-countdown .reverse-countdown-time")).to_have_text("2 days 00:00:00")
    buyer.click("#reverse-answer")
    buyer.set_input_files("#reverse-answer-files", files=[
        {"name": "label.jpg", "mimeType": "image/jpeg", "buffer": photo}])
    buyer.fill("#reverse-answer-message", "Here is the label: the parcel never left the depot.")
    with buyer.expect_request(re.compile(r"mtop\.aliexpress\.reverse\.buyer\.action")) as sent:
        buyer.click("#reverse-answer-submit")
    # Chromium does not hand a body holding files to Playwright: the headers, then the state
    assert sent.value.method == "POST"
    assert sent.value.headers["content-type"].startswith("multipart/form-data; boundary=")
    expect(buyer.locator("#reverse-action-notice")).to_contain_text("The dispute has been updated")
    expect(buyer.locator(".reverse-status-text")).to_have_text("Dispute Escalated - Processing")
    expect(buyer.locator(".reverse-mediator-request")).to_have_count(0)
    expect(buyer.locator("#reverse-answer")).to_be_hidden()

    after = dispute_of(server, MEDIATOR_ORDER)
    assert (after["status"], after["mediator_request"]) == ("ESCALATED", None)
    assert [(a["name"], a["size"], a["sha256"]) for a in after["attachments"]] == [
        ("label.jpg", len(photo), hashlib.sha256(photo).hexdigest())]
    assert server.control("GET", f"files/{after['attachments'][0]['sha256']}") == photo


def test_a_refused_action_is_shown_on_the_page_and_changes_nothing(buyer: Page, server):
    case = dispute_of(server, SILENT_ORDER)["reverse_line_id"]
    server.seller(case, action="offer", amount="5.00")
    before = dispute_of(server, SILENT_ORDER)
    buyer.goto(url(server, DISPUTE.format(case)))
    buyer.click("#reverse-reject")
    buyer.fill("#reverse-reject-amount", "999.00")
    buyer.fill("#reverse-reject-message", "Everything back, please.")
    buyer.click("#reverse-reject-submit")
    expect(buyer.locator("#reverse-action-error")).to_have_text(
        "The refund amount must be more than 0 and not more than you paid.")
    expect(buyer.locator("#reverse-reject-panel")).to_be_visible()
    assert dispute_of(server, SILENT_ORDER) == before


def test_an_agreed_return_is_shipped_from_the_dispute_page(buyer: Page, server):
    case = dispute_of(server, SILENT_ORDER)["reverse_line_id"]
    server.seller(case, action="change_solution", amount="47.30")
    buyer.goto(url(server, DISPUTE.format(case)))
    expect(buyer.locator(".reverse-proposal-solution")).to_have_text("Return and refund")
    buyer.click("#reverse-accept")
    buyer.click("#reverse-accept-confirm")
    expect(buyer.locator(".reverse-status-text")).to_have_text("Please return the item and enter the tracking number")
    expect(buyer.locator(".reverse-deadline[data-type=RETURN_SHIPMENT] .reverse-deadline-time")).to_have_text(
        "2026-11-30 09:00:00")
    buyer.click("#reverse-ship-return")
    buyer.fill("#reverse-tracking-number", "RR123456789CN")
    buyer.click("#reverse-return-submit")
    expect(buyer.locator(".reverse-result[data-result=WON] .reverse-result-refund")).to_have_text("R$47.30")
    expect(buyer.locator("#reverse-actions")).to_be_hidden()
    after = dispute_of(server, SILENT_ORDER)
    assert (after["status"], after["result"], after["refund"]) == ("FINISHED", "WON", "47.30")


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
