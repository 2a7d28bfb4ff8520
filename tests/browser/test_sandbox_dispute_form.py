"""The sandbox's dispute form in real Chromium: its refusals and a valid filing."""

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
    log_in,
    png,
    state,
    url,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("fresh_world")]




def fill_dispute_form(page: Page, *, reason: str = "not_arrived", description: str = DESCRIPTION,
                      amount: str | None = None, files: list[dict] | None = None) -> None:
    page.select_option("#reverse-reason", reason)
    if amount is not None:
        page.check("#reverse-refund-partial")
        page.fill("#reverse-amount", amount)
    page.fill("#reverse-description", description)
    if files:
        page.set_input_files("#reverse-files", files)
    page.click("#reverse-submit")


def image(name: str, color=(200, 40, 40)) -> dict:
    return {"name": name, "mimeType": "image/png", "buffer": png(color)}


@pytest.mark.parametrize("bad, message", [
    ({"description": ""}, "Please describe the problem"),
    ({"amount": "59.01"}, "can't be more than you paid"),
    ({"files": [{"name": "invoice.exe", "mimeType": "application/octet-stream", "buffer": b"MZ\x90\x00" * 64}]},
     "invoice.exe: file type not supported"),
    ({"files": [image(f"photo{i}.png", (40 * i, 80, 80)) for i in range(4)]}, "You can upload up to 3 images."),
    ({"reason": ""}, "Please select a reason"),
], ids=["no-description", "amount-above-paid", "exe-file", "four-images", "no-reason"])
def test_dispute_form_refuses_bad_input_on_the_page_and_creates_nothing(page: Page, server, bad, message):
    before = state(server)
    form = START_FORM.format(FREE_LINE, "no")
    log_in(page, server, form)
    fill_dispute_form(page, **bad)
    error = page.locator(".reverse-form-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text(message)
    expect(page).to_have_url(url(server, form))
    after = state(server)
    assert after["disputes"] == before["disputes"]
    assert not any(a["action"] == "open_dispute" for a in after["actions"])
    assert not any(d["line_id"] == FREE_LINE for d in after["disputes"])


def test_valid_dispute_with_a_file_lands_on_the_dispute_page(page: Page, server):
    photo = png((10, 120, 200))
    size, digest = len(photo), hashlib.sha256(photo).hexdigest()
    log_in(page, server, DETAIL.format(FREE_ORDER))
    page.click("button[data-type=OPEN_DISPUTE]")
    page.click("#dispute-received-no")
    page.wait_for_url(re.compile(r"/p/reverse-pages/start\.html"))
    fill_dispute_form(page, amount="30.00", files=[{"name": "tracking.png", "mimeType": "image/png", "buffer": photo}])
    page.wait_for_url(re.compile(r"/p/refund-amount/detail\.html\?pha_manifest=refund-amount&tradeOrderLineId=\d+$"))
    expect(page.locator('[class*="reminder--statusStr--"]')).to_have_text("Waiting for the seller's response")
    expect(page.get_by_text("tracking.png (1 KB)")).to_be_visible()

    filed = next(d for d in state(server)["disputes"] if d["line_id"] == FREE_LINE)
    assert page.url.endswith(f"tradeOrderLineId={FREE_LINE}")
    assert (filed["reason"], filed["solution"], filed["amount"], filed["description"]) == (
        "not_arrived", "refund_only", "30.00", DESCRIPTION)
    assert [(a["name"], a["size"], a["sha256"], a["kind"]) for a in filed["attachments"]] == [
        ("tracking.png", size, digest, "image")]
