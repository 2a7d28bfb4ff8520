"""The sandbox's dispute page in real Chromium: what it says, the disagree path with its
upload, accepting with a confirmation, and escalation in both worlds (the platform steps
in by itself; or, with ``[site] buyer_escalation``, the buyer's "Escalate" button)."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs

import pytest
from playwright.sync_api import Page, expect

from sandbox.scenario import SiteSpec, load_scenario
from tests.support.sandbox_pages import (
    DISPUTE,
    SILENT_ORDER,
    TRAP_ORDER,
    dispute_of,
    log_in,
    png,
    state,
    url,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("fresh_world")]

STATUS = '[class*="reminder--statusStr--"]'
AMOUNT = '[class*="newReverseRefundInfo--amount--"]'
DEADLINE = '[class*="deadline--text--"]'
DIALOG = ".comet-v2-modal"
DETAIL_API = re.compile(r"reverseorderlinerenderforbuyer", re.I)


def open_case(page: Page, server, order_id: str) -> dict:
    case = dispute_of(server, order_id)
    log_in(page, server, DISPUTE.format(case["line_id"]))
    expect(page.locator(STATUS)).to_be_visible()
    return case


def test_the_page_says_the_status_the_offer_and_its_deadline_in_words(page: Page, server):
    case = dispute_of(server, TRAP_ORDER)
    with page.expect_request(DETAIL_API) as sent:
        log_in(page, server, DISPUTE.format(case["line_id"]))
    assert sent.value.method == "POST"
    body = json.loads(parse_qs(sent.value.post_data)["data"][0])
    assert {k: body[k] for k in ("terminalType", "tradeOrderLineId", "shipTo", "_lang")} == {
        "terminalType": "PC", "tradeOrderLineId": case["line_id"], "shipTo": "US", "_lang": "en_US"}
    expect(page.locator(STATUS)).to_have_text("Waiting for your response")
    expect(page.locator(AMOUNT)).to_have_text("US $0.00")
    expect(page.locator(DEADLINE)).to_contain_text("Respond before 2026-11-21 09:00:00")
    expect(page.get_by_text("AliExpress will step in on 2026-11-24 09:00:00")).to_be_visible()
    expect(page.get_by_role("button", name="Escalate dispute")).to_have_count(0)
    history = page.locator('[class*="verticalSteps--item--"]')
    expect(history.first).to_contain_text("Seller's solution: US $0.00, Refund only")


def test_disagreeing_with_a_new_amount_and_a_photo_that_finished_uploading(page: Page, server):
    case = dispute_of(server, SILENT_ORDER)
    server.seller(case["reverse_line_id"], action="offer", amount="5.00", respond_days=2, message="Five is fair.")
    open_case(page, server, SILENT_ORDER)
    expect(page.locator(AMOUNT)).to_have_text("R$5.00")
    page.get_by_role("button", name="View possible solutions").click()
    expect(page.get_by_role("button", name="Upload more photos/videos")).to_be_hidden()
    page.locator('[class*="cco--checkTitle--"]', has_text="I don't agree with above solution(s)").click()
    page.get_by_role("button", name="Upload more photos/videos").click()
    dialog = page.locator(DIALOG)
    expect(dialog).to_be_visible()
    dialog.locator("input[name=refundAmount]").fill("40.00")
    dialog.locator('[class*="evidence--textarea--"]').fill("I can accept 40.00, not less.")
    photo = png()
    dialog.locator('input[type=file][accept*="image"]').set_input_files(
        files=[{"name": "parcel.png", "mimeType": "image/png", "buffer": photo}])
    expect(dialog.locator('[class*="upload--imageThumb--"][style*="background-image"]')).to_have_count(1)
    dialog.locator(".comet-v2-modal-footer button.comet-v2-btn-primary").click()
    expect(page.get_by_role("status")).to_contain_text("Submitted successfully")
    expect(dialog).to_have_count(0)
    expect(page.locator(STATUS)).to_have_text("Waiting for the seller's response")
    expect(page.locator(AMOUNT)).to_have_text("R$40.00")

    after = dispute_of(server, SILENT_ORDER)
    seller, counter = after["proposals"][-2:]
    assert (seller["proposer"], seller["amount"], seller["status"]) == ("SELLER", "5.00", "REJECTED")
    assert (counter["proposer"], counter["amount"], counter["status"]) == ("BUYER", "40.00", "PENDING")
    assert after["messages"][-1]["text"] == "I can accept 40.00, not less."
    assert [a["name"] for a in after["attachments"]] == ["parcel.png"]


def test_going_on_before_the_thumbnail_appears_loses_the_photo(page: Page, server):
    case = dispute_of(server, SILENT_ORDER)
    server.seller(case["reverse_line_id"], action="offer", amount="5.00")
    open_case(page, server, SILENT_ORDER)
    page.get_by_role("button", name="View possible solutions").click()
    page.locator('[class*="cco--checkTitle--"]').click()
    page.get_by_role("button", name="Upload more photos/videos").click()
    dialog = page.locator(DIALOG)
    dialog.locator('[class*="evidence--textarea--"]').fill("Nothing arrived.")
    dialog.locator('input[type=file][accept*="image"]').set_input_files(
        files=[{"name": "early.png", "mimeType": "image/png", "buffer": png()}])
    dialog.locator(".comet-v2-modal-footer button.comet-v2-btn-primary").click()
    expect(page.get_by_role("status")).to_contain_text("Submitted successfully")
    assert dispute_of(server, SILENT_ORDER)["attachments"] == []


def test_a_refused_counter_is_shown_in_the_dialog_and_changes_nothing(page: Page, server):
    case = dispute_of(server, SILENT_ORDER)
    server.seller(case["reverse_line_id"], action="offer", amount="5.00")
    before = dispute_of(server, SILENT_ORDER)
    open_case(page, server, SILENT_ORDER)
    page.get_by_role("button", name="View possible solutions").click()
    page.locator('[class*="cco--checkTitle--"]').click()
    page.get_by_role("button", name="Upload more photos/videos").click()
    dialog = page.locator(DIALOG)
    dialog.locator("input[name=refundAmount]").fill("999.00")
    dialog.locator(".comet-v2-modal-footer button.comet-v2-btn-primary").click()
    expect(dialog.get_by_role("alert")).to_have_text("The refund amount must be more than 0 and not more than you paid.")
    assert dispute_of(server, SILENT_ORDER) == before


def test_accept_asks_for_confirmation_before_anything_happens(page: Page, server):
    open_case(page, server, TRAP_ORDER)
    before = state(server)
    page.get_by_role("button", name="View possible solutions").click()
    card = page.locator('[class*="solution--card--"]', has_text="Seller's solution")
    expect(card.locator('[class*="solution--amount--"]')).to_have_text("US $0.00")
    card.get_by_role("button", name="Accept").click()
    dialog = page.get_by_role("dialog", name="Accept this solution?")
    expect(dialog).to_contain_text("You will get US $0.00")
    expect(dialog).to_contain_text("closes the dispute for good")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    assert state(server)["disputes"] == before["disputes"]

    card.get_by_role("button", name="Accept").click()
    page.get_by_role("dialog").get_by_role("button", name="Confirm").click()
    expect(page.locator(STATUS)).to_have_text("Request closed")
    closed = dispute_of(server, TRAP_ORDER)
    assert (closed["status"], closed["result"], closed["refund"]) == ("FINISHED", "LOST", "0.00")
    assert closed["proposals"][-1]["status"] == "ACCEPTED"


def test_where_buyers_may_escalate_the_page_offers_the_button(page: Page, server):
    scenario = load_scenario()
    server.load(scenario.model_copy(update={"site": SiteSpec(class_seed="esc", buyer_escalation=True)}))
    open_case(page, server, TRAP_ORDER)  # opened three days ago: escalation is open
    expect(page.get_by_text("AliExpress will step in on 2026-11-24 09:00:00")).to_be_visible()
    page.get_by_role("button", name="Escalate dispute").click()
    expect(page.locator(STATUS)).to_have_text("Waiting for AliExpress's feedback")
    assert dispute_of(server, TRAP_ORDER)["status"] == "ESCALATED"
    # a case opened two days ago: not yet, and the page says from when
    page.goto(url(server, DISPUTE.format(dispute_of(server, SILENT_ORDER)["line_id"])))
    expect(page.locator(STATUS)).to_have_text("Waiting for the seller's response")
    expect(page.get_by_role("button", name="Escalate dispute")).to_have_count(0)
    expect(page.get_by_text("You can escalate the dispute from 2026-11-21 12:00:00.")).to_be_visible()


def test_without_buyer_escalation_the_action_itself_is_refused_with_the_platform_date(page: Page, server):
    case = open_case(page, server, TRAP_ORDER)
    refused = page.evaluate("""(id) => {
        const form = new FormData(); form.set('reverseOrderLineId', id); form.set('action', 'escalate');
        return Site.mtop('mtop.aliexpress.reverse.buyer.action', {}, {form}).then((a) => a.ret[0]); }""",
                            case["reverse_line_id"])
    assert refused == ("FAIL_BIZ_PARAM::Only AliExpress can escalate this dispute: it steps in on "
                       "2026-11-24 09:00:00 if it is not solved.")
    assert dispute_of(server, TRAP_ORDER)["status"] == "WAIT_BUYER_RESPONSE"
