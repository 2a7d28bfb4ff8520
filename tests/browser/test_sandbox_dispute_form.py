"""The sandbox's way into a dispute, in real Chromium: the order page's "Returns/refunds",
its question, the form in a new tab, the custom reason dropdown, the delayed upload
thumbnail, the two-step submit, the server's refusals, and the case ids that only the
filing call's answer carries."""

from __future__ import annotations

import hashlib
import re

import pytest
from playwright.sync_api import Page, expect

from tests.support.sandbox_pages import (
    DESCRIPTION,
    DETAIL,
    FREE_LINE,
    FREE_ORDER,
    START_FORM,
    demo_scenario,
    log_in,
    png,
    state,
    url,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("fresh_world")]

RECEIVED_LINE, RECEIVED_PAID = "8215100000010001", "61.25"  # completed, BRL: the "received" branch
HAS_CASE_ORDER, HAS_CASE_LINE = "8215000000000014", "8215100000014001"
TOO_FRESH_ORDER, TOO_FRESH_LINE = "8215000000000006", "8215100000006001"
APPLY = re.compile(r"/h5/mtop\.aliexpress\.reverse\.buyer\.apply/")
THUMB_DONE = '[class*="upload--imageThumb--"][style*="background-image"]'


def filed_for(server, line_id: str) -> list[dict]:
    return [d for d in state(server)["disputes"] if d["line_id"] == line_id]


def image(name: str, color=(200, 40, 40)) -> dict:
    return {"name": name, "mimeType": "image/png", "buffer": png(color)}


def choose_reason(page: Page, text: str) -> None:
    page.locator(".comet-v2-select-show-arrow").click()
    page.locator(".comet-v2-menu-item").filter(has_text=text).click()
    expect(page.locator(".comet-v2-select-show-arrow")).to_contain_text(text)


def fill(page: Page, *, reason: str | None = "Package did not arrive in time", description: str = DESCRIPTION,
         amount: str | None = None, files: list[dict] | None = None, wait_thumbs: bool = True) -> None:
    if reason:
        choose_reason(page, reason)
    if amount is not None:
        page.get_by_role("textbox", name="Refund amount").fill(amount)
    page.locator('textarea[class*="commet--textarea--"]').fill(description)
    if files:
        page.locator("input[type=file]").set_input_files(files)
        if wait_thumbs:
            expect(page.locator(THUMB_DONE)).to_have_count(len(files))


def submit(page: Page, *, next_step: bool = True) -> dict:
    """(Next step →) Submit → Confirm; the filing call's answer."""
    if next_step:
        page.get_by_role("button", name="Next step").click()
    page.locator('button[data-pl="buyersubmit_btn_submit"]').click()
    with page.expect_response(APPLY) as answer:
        page.locator(".comet-v2-modal-footer").get_by_role("button", name="Confirm").click()
    return answer.value.json()


def test_returns_button_asks_about_the_package_and_opens_the_form_in_a_new_tab(page: Page, server):
    log_in(page, server, DETAIL.format(FREE_ORDER))
    button = page.get_by_role("button", name="Returns/refunds")
    expect(button).to_have_count(1)
    assert "comet-btn" in button.get_attribute("class")
    assert not button.evaluate("b => b.getAttributeNames().filter(n => n.startsWith('data-'))")
    button.click()
    dialog = page.locator(".comet-modal").filter(has_text="Have you received your package?")
    expect(dialog).to_be_visible()
    expect(dialog.locator("button.comet-btn.comet-btn-primary")).to_have_text("Yes")
    expect(dialog.locator("button.comet-btn:not(.comet-btn-primary)").filter(has_text="No")).to_have_count(1)
    with page.context.expect_page() as opened:
        dialog.get_by_role("button", name="No", exact=True).click()
    tab = opened.value
    tab.wait_for_load_state()
    assert tab.url == url(server, START_FORM.format(FREE_LINE, "no"))
    expect(tab.locator(".comet-v2-select-show-arrow")).to_be_visible()
    expect(page).to_have_url(url(server, DETAIL.format(FREE_ORDER)))  # the order page stays
    expect(dialog).to_have_count(0)


def test_reasons_are_a_custom_dropdown_per_branch(page: Page, server):
    log_in(page, server, START_FORM.format(FREE_LINE, "no"))
    assert page.locator("select").count() == 0
    page.locator(".comet-v2-select-show-arrow").click()
    expect(page.locator(".comet-v2-menu-item")).to_have_count(5)
    expect(page.locator(".comet-v2-menu-item").filter(has_text="Tracked as returned/canceled/lost")).to_be_visible()
    expect(page.get_by_role("radio", name="Return and refund")).to_be_disabled()
    expect(page.get_by_role("textbox", name="Refund amount")).to_have_value("59.00")
    expect(page.get_by_role("textbox", name="Refund amount")).not_to_be_editable()
    page.goto(url(server, START_FORM.format(RECEIVED_LINE, "yes")))
    page.locator(".comet-v2-select-show-arrow").click()
    expect(page.locator(".comet-v2-menu-item")).to_have_count(9)
    expect(page.get_by_role("radio", name="Return and refund")).to_be_enabled()
    expect(page.get_by_role("textbox", name="Refund amount")).to_be_editable()


@pytest.mark.parametrize("line, received, bad, field_text", [
    (FREE_LINE, "no", {"description": "short"}, "Please describe the problem (at least 10 characters)."),
    (RECEIVED_LINE, "yes", {"reason": "Item damaged or broken", "amount": "61.26"},
     "The refund amount can't be more than you paid for this item."),
    (RECEIVED_LINE, "yes", {"reason": "Item damaged or broken", "amount": "0"},
     "The refund amount must be greater than 0."),
    (FREE_LINE, "no", {"files": [image(f"photo{i}.png", (40 * i, 80, 80)) for i in range(4)]},
     "You can upload up to 3 images."),
], ids=["short-description", "amount-above-paid", "zero-amount", "four-images"])
def test_the_server_refuses_bad_input_on_the_page_and_creates_nothing(page: Page, server, line, received, bad,
                                                                      field_text):
    before = state(server)
    form = START_FORM.format(line, received)
    log_in(page, server, form)
    fill(page, **bad)
    body = submit(page)
    assert body["ret"][0] == f"FAIL_BIZ_PARAM::{field_text}" and body["data"]["field"]
    alert = page.locator('[class*="reverseForm--error--"]')
    expect(alert).to_have_text(field_text)
    expect(page.locator('[class*="reverseForm--fieldError--"]').filter(has_text=field_text)).to_have_count(1)
    expect(page.get_by_role("button", name="Next step")).to_be_visible()  # back on the first step
    expect(page).to_have_url(url(server, form))
    after = state(server)
    assert after["disputes"] == before["disputes"]
    assert not any(a["action"] == "open_dispute" for a in after["actions"])


def test_a_missing_reason_stops_at_next_step_and_a_program_file_is_refused_at_upload(page: Page, server):
    log_in(page, server, START_FORM.format(FREE_LINE, "no"))
    fill(page, reason=None, files=[{"name": "invoice.exe", "mimeType": "application/octet-stream",
                                    "buffer": b"MZ\x90\x00" * 64}], wait_thumbs=False)
    expect(page.get_by_text("invoice.exe: file type not supported")).to_be_visible()
    expect(page.locator('[class*="upload--imageContainer--"]')).to_have_count(0)
    page.get_by_role("button", name="Next step").click()
    expect(page.locator('[class*="reverseForm--error--"]')).to_have_text("Please select a reason.")
    expect(page.locator('button[data-pl="buyersubmit_btn_submit"]')).to_have_count(0)
    assert filed_for(server, FREE_LINE) == []


def test_going_on_before_the_thumbnail_shows_loses_the_photo(page: Page, server):
    server.load(demo_scenario(rules={"upload_thumbnail_ms": 8000}))
    log_in(page, server, START_FORM.format(FREE_LINE, "no"))
    fill(page, files=[image("label.png")], wait_thumbs=False)
    expect(page.locator('[class*="upload--imageContainer--"]')).to_have_count(1)
    assert page.locator(THUMB_DONE).count() == 0  # still uploading
    page.get_by_role("button", name="Next step").click()
    expect(page.locator('[class*="reverseForm--summaryRow--"]').filter(has_text="Photos and videos")).to_contain_text("0")
    body = submit(page, next_step=False)
    assert body["ret"][0].startswith("SUCCESS")
    (case,) = filed_for(server, FREE_LINE)
    assert case["attachments"] == []  # chosen, never sent


def test_waiting_for_the_thumbnail_keeps_the_photo_byte_for_byte(page: Page, server):
    photo = png((10, 120, 200))
    log_in(page, server, START_FORM.format(FREE_LINE, "no"))
    fill(page, files=[{"name": "tracking.png", "mimeType": "image/png", "buffer": photo}])
    thumb = page.locator(THUMB_DONE)
    shown = page.evaluate("url => fetch(url).then(r => r.arrayBuffer()).then(b => b.byteLength)",
                          re.search(r'url\("?([^")]+)', thumb.get_attribute("style")).group(1))
    assert shown == len(photo)
    assert submit(page)["ret"][0].startswith("SUCCESS")
    (case,) = filed_for(server, FREE_LINE)
    assert [(a["name"], a["size"], a["sha256"]) for a in case["attachments"]] == [
        ("tracking.png", len(photo), hashlib.sha256(photo).hexdigest())]


def test_filing_shows_the_submitted_state_and_the_ids_are_only_in_the_answer(page: Page, server):
    form = START_FORM.format(RECEIVED_LINE, "yes")
    log_in(page, server, form)
    fill(page, reason="Item damaged or broken", amount="20,50")
    page.get_by_role("radio", name="Return and refund").check()
    page.get_by_role("button", name="Next step").click()
    summary = page.locator('[class*="reverseForm--summary--"]')
    expect(summary).to_contain_text("Return and refund")
    expect(summary).to_contain_text("20,50 BRL")
    page.get_by_role("button", name="Back").click()  # back and forth keeps what was typed
    expect(page.get_by_role("textbox", name="Refund amount")).to_have_value("20,50")
    body = submit(page)
    module = body["data"]["module"]
    (case,) = filed_for(server, RECEIVED_LINE)
    assert (module["reverseOrderLineId"], module["reverseOrderId"], module["tradeOrderLineId"]) == (
        case["reverse_line_id"], case["reverse_order_id"], RECEIVED_LINE)
    assert (case["received"], case["reason"], case["solution"], case["amount"]) == (
        True, "damaged", "return_and_refund", "20.50")
    expect(page.get_by_role("status")).to_contain_text("Your request has been submitted")
    expect(page).to_have_url(url(server, form))
    assert case["reverse_line_id"] not in page.content()


@pytest.mark.parametrize("line, words, links", [
    (HAS_CASE_LINE, "You can't open a dispute for this item: a dispute already exists for this item.", True),
    (TOO_FRESH_LINE, "You can't open a dispute for this item: disputes can be opened 5 days after shipment.", False),
], ids=["has-a-case", "too-fresh"])
def test_a_line_that_cannot_be_disputed_says_why(page: Page, server, line, words, links):
    log_in(page, server, START_FORM.format(line, "no"))
    expect(page.get_by_role("alert").filter(has_text=words)).to_have_count(1)
    expect(page.locator(".comet-v2-select-show-arrow")).to_have_count(0)
    link = page.get_by_role("link", name="View dispute")
    if links:
        assert filed_for(server, line)  # the line's case, shown on the m. host by its order line
        expect(link).to_have_attribute(
            "href", f"{server.mobile_url}/p/refund-amount/detail.html?pha_manifest=refund-amount&tradeOrderLineId={line}")
    else:
        expect(link).to_have_count(0)


def test_no_returns_button_where_the_answer_offers_none(page: Page, server):
    log_in(page, server, DETAIL.format(TOO_FRESH_ORDER))
    expect(page.get_by_text("LED Desk Lamp with Wireless Charger", exact=False).first).to_be_visible()
    expect(page.get_by_role("button", name="Returns/refunds")).to_have_count(0)
    page.goto(url(server, "/p/reverse-pages/start.html?tradeOrderLineId=42&received=no"))
    expect(page.locator(".comet-error")).to_contain_text("This item was not found in your orders.")


def test_class_seed_and_redesign_change_the_generated_names(page: Page, server):
    server.load(demo_scenario(site={"class_seed": "alpha"}))
    log_in(page, server, START_FORM.format(FREE_LINE, "no"))
    alpha = page.locator("textarea").get_attribute("class")
    server.load(demo_scenario(site={"class_seed": "beta"}))
    log_in(page, server, START_FORM.format(FREE_LINE, "no"))
    beta = page.locator("textarea").get_attribute("class")
    assert re.fullmatch(r"commet--textarea--\w{7}", alpha) and re.fullmatch(r"commet--textarea--\w{7}", beta)
    assert alpha != beta
    server.add_fault("dom_layout", "/p/reverse-pages/")
    page.reload()
    expect(page.locator("textarea")).to_have_attribute("class", re.compile(r"^inputArea--textarea--"))
    expect(page.locator(".comet-v2-select-show-arrow")).to_have_count(0)
    expect(page.locator(".cmt-v2-select-show-arrow")).to_be_visible()  # still a working page for a person
