"""The sandbox's dispute page in real Chromium: answering a proposal, accepting with a confirmation."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.support.sandbox_pages import (
    DISPUTE,
    SILENT_ORDER,
    TRAP_ORDER,
    dispute_of,
    log_in,
    state,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("fresh_world")]




def test_rejecting_a_seller_offer_with_a_counter_amount(page: Page, server):
    dispute = dispute_of(server, SILENT_ORDER)
    case = dispute["reverse_line_id"]
    server.seller(case, action="offer", amount="5.00", respond_days=2, message="Five is fair.")
    log_in(page, server, DISPUTE.format(case))
    expect(page.locator(".reverse-proposal-amount")).to_have_text("R$5.00")
    expect(page.locator(".reverse-proposal-deadline")).to_contain_text("Respond before 2026-11-22 09:00:00")
    page.click("#reverse-reject")
    panel = page.locator("#reverse-reject-panel")
    expect(panel).to_be_visible()
    panel.locator("#reverse-reject-amount").fill("40.00")
    panel.locator("#reverse-reject-message").fill("I can accept 40.00, not less.")
    panel.locator("#reverse-reject-submit").click()
    expect(page.locator("#reverse-action-notice")).to_contain_text("The dispute has been updated")
    expect(page.locator(".reverse-request-amount")).to_have_text("R$40.00")

    after = dispute_of(server, SILENT_ORDER)
    seller, counter = after["proposals"][-2:]
    assert (seller["proposer"], seller["amount"], seller["status"]) == ("SELLER", "5.00", "REJECTED")
    assert (counter["proposer"], counter["amount"], counter["status"]) == ("BUYER", "40.00", "PENDING")
    assert (after["status"], after["amount"]) == ("WAIT_SELLER_RESPONSE", "40.00")
    assert after["messages"][-1] == {"at": after["modified_at"], "from": "BUYER",
                                     "text": "I can accept 40.00, not less."}


def test_accept_asks_for_confirmation_before_anything_happens(page: Page, server):
    case = dispute_of(server, TRAP_ORDER)["reverse_line_id"]
    log_in(page, server, DISPUTE.format(case))
    expect(page.locator(".reverse-proposal-amount")).to_have_text("US $0.00")
    before = state(server)

    page.click("#reverse-accept")
    dialog = page.locator("#reverse-accept-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Accept this proposal?")
    expect(dialog).to_contain_text("closes the dispute for good")
    assert state(server)["disputes"] == before["disputes"]
    page.click("#reverse-accept-cancel")
    expect(dialog).to_have_count(0)
    assert state(server)["disputes"] == before["disputes"]
    assert dispute_of(server, TRAP_ORDER)["status"] == "WAIT_BUYER_RESPONSE"

    page.click("#reverse-accept")
    page.click("#reverse-accept-confirm")
    expect(page.locator(".reverse-result")).to_have_attribute("data-result", "LOST")
    closed = dispute_of(server, TRAP_ORDER)
    assert (closed["status"], closed["result"], closed["refund"]) == ("FINISHED", "LOST", "0.00")
    assert closed["proposals"][-1]["status"] == "ACCEPTED"
