"""The sandbox site in real Chromium: login and its obstacles, the order pages, the dispute
form's refusals, the dispute page's actions, an expired session, and every fault kind.

One SandboxServer for the module on a free port; before each test the world goes back to
the demo's start through the control API, and pytest-playwright's ``page`` starts logged
out. The world's state (``/__sandbox__/state``) is the judge of what the pages did.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import time
from datetime import datetime
from urllib.parse import quote

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from sandbox.scenario import load_scenario

pytestmark = pytest.mark.browser

LOGIN = "buyer@example.com"
PASSWORD = "sandbox-pass"
ORDERS = "/p/order/index.html"
DETAIL = "/p/order/detail.html?orderId={}"
START_FORM = "/p/reverse-pages/start.html?tradeOrderLineId={}&received={}"
DISPUTE = "/p/refund-dispute/detail.html?reverseOrderLineId={}"
ORDER_LIST_API = "/h5/mtop.aliexpress.trade.buyer.order.list/1.0/"

#: awaiting delivery with a delivery promise (EUR 23.40), its line can be disputed
PROMISED_ORDER = "8215000000000002"
#: awaiting delivery, USD 59.00, store "nova" (a silent seller): free for a new dispute
FREE_ORDER, FREE_LINE = "8215000000000020", "8215100000020001"
#: the demo's disputes: a silent seller (waiting for it) and the pending 0.00 offer
SILENT_ORDER = "8215000000000014"
TRAP_ORDER = "8215000000000013"
DESCRIPTION = "The package never arrived and tracking has not moved for weeks."
STATUS_TEXT = {"unpaid": "Awaiting payment", "awaiting_shipment": "Awaiting shipment",
               "awaiting_delivery": "Awaiting delivery", "completed": "Completed", "closed": "Closed",
               "cancelled": "Cancelled"}


@pytest.fixture(autouse=True)
def fresh_world(server):
    server.control("POST", "reset")
    yield


def url(server, path: str) -> str:
    return server.url + path


def state(server) -> dict:
    return server.control("GET", "state")


def dispute_of(server, order_id: str) -> dict:
    return next(d for d in state(server)["disputes"] if d["order_id"] == order_id)


def login_redirect(path: str) -> re.Pattern:
    return re.compile(re.escape("/login?return_url=" + quote(path, safe="")) + "$")


def submit_password(page: Page, password: str = PASSWORD) -> None:
    page.fill("#fm-login-id", LOGIN)
    page.fill("#fm-login-password", password)
    page.click("button[type=submit]")


def log_in(page: Page, server, path: str = ORDERS) -> None:
    """Ask for ``path`` logged out, pass the login form, land back on ``path``."""
    page.goto(url(server, path))
    expect(page).to_have_url(login_redirect(path))
    submit_password(page)
    page.wait_for_url(url(server, path))


def session_cookies(page: Page) -> list[dict]:
    return [c for c in page.context.cookies() if c["name"] == "xman_t"]


def png(color: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), color).save(buffer, format="PNG")
    return buffer.getvalue()


# --- login -----------------------------------------------------------------------------------


def test_login_through_the_form_lands_back_on_the_page_asked_for(page: Page, server):
    wanted = DETAIL.format(PROMISED_ORDER)
    log_in(page, server, wanted)
    expect(page.locator(".order-detail-status-title")).to_have_text("Awaiting delivery")
    [cookie] = session_cookies(page)
    assert cookie["httpOnly"] is True
    assert state(server)["account"]["logins"] == 1


@pytest.mark.parametrize("path", [
    ORDERS, DETAIL.format(PROMISED_ORDER), START_FORM.format(FREE_LINE, "no"),
    "/p/refund-dispute/list.html", DISPUTE.format("6400000000000001"),
    f"/p/tracking/index.html?tradeOrderId={PROMISED_ORDER}",
])
def test_logged_out_visit_to_a_protected_page_redirects_to_login(page: Page, server, path):
    page.goto(url(server, path))
    expect(page).to_have_url(login_redirect(path))
    expect(page.locator("#fm-login-id")).to_be_visible()


def test_wrong_password_shows_the_error_and_sets_no_session(page: Page, server):
    page.goto(url(server, ORDERS))
    submit_password(page, "not-the-password")
    expect(page.locator(".login-error")).to_have_text("Your account name or password is incorrect.")
    expect(page).to_have_url(re.compile(r"/login$"))
    assert session_cookies(page) == []
    account = state(server)["account"]
    assert (account["sessions"], account["logins"]) == (0, 0)


def test_captcha_after_the_password_is_passed_by_dragging_the_knob(page: Page, server):
    server.set_captcha(True)
    page.goto(url(server, ORDERS))
    submit_password(page)
    expect(page).to_have_url(re.compile(r"/login/verify$"))
    wrapper = page.locator("#nc_1_wrapper")
    knob = wrapper.locator("#nc_1_n1z")
    expect(wrapper).to_be_visible()
    expect(knob).to_be_visible()
    expect(wrapper).to_contain_text(re.compile("slide to verify", re.I))
    assert session_cookies(page) == [] and state(server)["account"]["logins"] == 0

    grip = knob.bounding_box()
    track = page.locator("#nc_1_n1t").bounding_box()
    y = grip["y"] + grip["height"] / 2
    page.mouse.move(grip["x"] + grip["width"] / 2, y)
    page.mouse.down()
    page.mouse.move(track["x"] + track["width"] + 30, y, steps=20)
    page.mouse.up()
    page.wait_for_url(url(server, ORDERS))
    expect(page.locator("div.order-item").first).to_be_visible()
    assert state(server)["account"]["logins"] == 1


def test_email_code_step_asks_for_the_code_and_refuses_a_wrong_one(page: Page, server):
    demo = load_scenario()
    server.load(demo.model_copy(update={"account": demo.account.model_copy(update={"email_code": "246810"})}))
    page.goto(url(server, ORDERS))
    submit_password(page)
    expect(page).to_have_url(re.compile(r"/login/verify$"))
    expect(page.locator(".login-hint")).to_contain_text("b***@example.com")
    code = page.locator("#fm-email-code")
    expect(code).to_be_visible()
    code.fill("000000")
    page.click("button[type=submit]")
    expect(page.locator(".login-error")).to_contain_text("verification code is incorrect")
    assert session_cookies(page) == [] and state(server)["account"]["sessions"] == 0
    page.fill("#fm-email-code", "246810")
    page.click("button[type=submit]")
    page.wait_for_url(url(server, ORDERS))
    assert len(session_cookies(page)) == 1


# --- order pages ---------------------------------------------------------------------------------

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
    button = page.locator("button[data-type=OPEN_DISPUTE]")
    expect(button).to_have_text("Returns/refunds")
    button.click()
    dialog = page.locator("#dispute-received-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Have you received your package?")
    page.click("#dispute-received-no")
    page.wait_for_url(re.compile(r"/p/reverse-pages/start\.html\?tradeOrderLineId=8215100000002001&received=no$"))
    expect(page.locator("#reverse-form")).to_be_visible()


# --- the dispute form ------------------------------------------------------------------------------


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
    page.wait_for_url(re.compile(r"/p/refund-dispute/detail\.html\?reverseOrderLineId=\d+$"))
    expect(page.locator(".reverse-status-text")).to_have_text("Waiting for the seller to respond")
    expect(page.locator(f".reverse-evidence-item[data-sha256='{digest}']")).to_contain_text("tracking.png")

    filed = next(d for d in state(server)["disputes"] if d["line_id"] == FREE_LINE)
    assert page.url.endswith(f"reverseOrderLineId={filed['reverse_line_id']}")
    assert (filed["reason"], filed["solution"], filed["amount"], filed["description"]) == (
        "not_arrived", "refund_only", "30.00", DESCRIPTION)
    assert [(a["name"], a["size"], a["sha256"], a["kind"]) for a in filed["attachments"]] == [
        ("tracking.png", size, digest, "image")]


# --- the dispute page ------------------------------------------------------------------------------


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


# --- the session -----------------------------------------------------------------------------------


def test_expired_session_fails_the_api_and_sends_pages_to_login(page: Page, server):
    log_in(page, server)
    expect(page.locator("div.order-item")).to_have_count(10)
    server.expire_sessions()
    answer = page.request.get(url(server, ORDER_LIST_API), params={"data": json.dumps({"pageIndex": 1})})
    assert answer.json()["ret"][0].startswith("FAIL_SYS_SESSION_EXPIRED::")
    # the open page's next API call (page 2) takes the buyer to the login
    page.click(".order-more button")
    expect(page).to_have_url(login_redirect(ORDERS))
    page.goto(url(server, DETAIL.format(PROMISED_ORDER)))
    expect(page).to_have_url(login_redirect(DETAIL.format(PROMISED_ORDER)))


# --- faults --------------------------------------------------------------------------------------


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
    body = answer.value.json()
    assert "traceIdV2" in body and "traceId" not in body
    assert body["ret"][0].startswith("SUCCESS::")
    assert "hierarchyV2" in body["data"] and "hierarchy" not in body["data"]
    components = list(body["data"]["data"].values())
    assert components and all("tagV2" in c and "tag" not in c for c in components)
    assert all("orderIdV2" in c["fieldsV2"] for c in components if c["tagV2"] == "pc_om_list_order")
    rows = page.locator("div.order-item")
    expect(rows).to_have_count(10)
    newest = sorted(state(server)["orders"], key=lambda o: (o["placed"], o["id"]), reverse=True)[:10]
    assert [r.get_attribute("data-order-id") for r in rows.all()] == [o["id"] for o in newest]


def test_dom_layout_fault_renames_the_classes_and_the_page_still_shows_the_orders(page: Page, server):
    server.add_fault("dom_layout", ORDERS)
    log_in(page, server)
    expect(page.locator("div.ord-card")).to_have_count(10)
    expect(page.locator("div.order-item")).to_have_count(0)
    expect(page.locator("body")).to_have_attribute("data-layout", "v2")
    newest = sorted(state(server)["orders"], key=lambda o: (o["placed"], o["id"]), reverse=True)
    for order in newest[:10]:
        expect(page.locator(f"div.ord-card[data-order-id='{order['id']}']")).to_contain_text(order["lines"][0]["title"])
    expect(page.locator(".ord-load-more button")).to_have_text("View orders")
