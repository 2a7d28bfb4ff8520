"""The sandbox's sign-in host in real Chromium: each step of the form, its obstacles, the
cookie-sync hop and the session it leaves on the parent domain."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest
from playwright.sync_api import FrameLocator, Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from sandbox.scenario import load_scenario
from tests.support.sandbox_pages import (
    ACCOUNT_FIELD,
    DETAIL,
    DISPUTE,
    DISPUTE_LIST,
    FREE_LINE,
    LOGIN,
    ORDER_LIST_API,
    ORDERS,
    PROMISED_ORDER,
    START_FORM,
    continue_with,
    log_in,
    login_redirect,
    session_cookies,
    state,
    submit_password,
    url,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("fresh_world")]

WRONG = "Your account name or password is incorrect."


def with_account(server, **changes) -> None:
    demo = load_scenario()
    server.load(demo.model_copy(update={"account": demo.account.model_copy(update=changes)}))


def continue_button(page: Page) -> Locator:
    return page.get_by_role("button", name="Continue")


def sign_in_button(page: Page) -> Locator:
    return page.get_by_role("button", name="Sign in", exact=True)


def drag(page: Page, where: Page | FrameLocator, share: float = 1.0) -> None:
    """Drag the slider's knob over ``share`` of its track with real mouse events."""
    grip = where.locator("#nc_1_n1z").bounding_box()
    track = where.locator("#nc_1_n1t").bounding_box()
    y = grip["y"] + grip["height"] / 2
    page.mouse.move(grip["x"] + grip["width"] / 2, y)
    page.mouse.down()
    page.mouse.move(track["x"] + track["width"] * share + (30 if share >= 1 else 0), y, steps=20)
    page.mouse.up()


# --- the way in and out ----------------------------------------------------------------------


def test_both_steps_lead_back_through_the_sync_hop_with_cookies_on_the_parent_domain(page: Page, server):
    wanted = DETAIL.format(PROMISED_ORDER)
    hops: list[tuple[str, int]] = []
    page.on("response", lambda r: hops.append((r.url, r.status)) if "sync_cookie_write" in r.url else None)
    log_in(page, server, wanted)
    expect(page.locator(".order-detail-status-title")).to_have_text("Awaiting delivery")
    assert hops == [(f"{server.login_url}/sync_cookie_write.htm?xman_goto=" + quote(url(server, wanted), safe=""),
                     302)]
    [cookie] = session_cookies(page)
    assert cookie["httpOnly"] is True and cookie["domain"] == ".aliexpress.localhost"
    token = next(c for c in page.context.cookies() if c["name"] == "_m_h5_tk")
    assert token["httpOnly"] is False and token["domain"] == ".aliexpress.localhost"
    assert state(server)["account"]["logins"] == 1
    # the same session on the mobile host, without another login
    page.goto(url(server, DISPUTE_LIST))
    expect(page).to_have_url(url(server, DISPUTE_LIST))
    assert state(server)["account"]["logins"] == 1


@pytest.mark.parametrize("path", [
    ORDERS, DETAIL.format(PROMISED_ORDER), START_FORM.format(FREE_LINE, "no"),
    DISPUTE_LIST, DISPUTE.format("6400000000000001"),
    f"/p/tracking/index.html?tradeOrderId={PROMISED_ORDER}",
])
def test_logged_out_visit_to_a_protected_page_goes_to_the_login_hosts_root(page: Page, server, path):
    page.goto(url(server, path))
    expect(page).to_have_url(login_redirect(server, path))
    expect(page.locator(ACCOUNT_FIELD)).to_be_visible()


def test_login_returns_to_a_mobile_page_and_the_old_address_still_answers(page: Page, server):
    page.goto(f"{server.login_url}/login?return_url=" + quote(url(server, DISPUTE_LIST), safe=""))
    expect(page.locator(ACCOUNT_FIELD)).to_be_visible()
    submit_password(page)
    page.wait_for_url(url(server, DISPUTE_LIST))
    expect(page.get_by_role("button", name="Details").first).to_be_visible()


def test_the_sync_hop_alone_opens_no_session(page: Page, server):
    goto = url(server, ORDERS)
    page.goto(f"{server.login_url}/sync_cookie_write.htm?xman_goto=" + quote(goto, safe=""))
    expect(page).to_have_url(login_redirect(server, ORDERS))
    assert session_cookies(page) == [] and state(server)["account"]["logins"] == 0


# --- step one ---------------------------------------------------------------------------------


def test_continue_stays_disabled_until_the_field_has_a_value_and_has_lost_focus(page: Page, server):
    page.goto(url(server, ORDERS))
    field = page.locator(ACCOUNT_FIELD)
    expect(continue_button(page)).to_be_disabled()
    field.fill(LOGIN)
    expect(continue_button(page)).to_be_disabled()  # still typing
    field.blur()
    expect(continue_button(page)).to_be_enabled()
    field.fill("")
    field.blur()
    expect(continue_button(page)).to_be_disabled()


def test_the_email_prompt_covers_continue_until_it_is_closed(page: Page, server):
    page.goto(url(server, ORDERS))
    field = page.locator(ACCOUNT_FIELD)
    prompt = page.locator("div.nfm-multiple-email-prompt").filter(visible=True)
    field.fill(LOGIN)
    field.blur()
    field.fill(LOGIN)  # typing again: the prompt is back, over the enabled button
    expect(prompt.locator("span.nfm-multiple-email-prefix").first).to_have_text("buyer")
    expect(continue_button(page)).to_be_enabled()
    with pytest.raises(PlaywrightTimeoutError, match="intercepts pointer events"):
        continue_button(page).click(timeout=1500)
    field.press("Escape")
    expect(prompt).to_have_count(0)
    # picking a suggestion fills the field and closes the prompt too
    field.fill("buyer@gm")
    prompt.get_by_text("buyer@gmail.com").click()
    expect(field).to_have_value("buyer@gmail.com")
    expect(prompt).to_have_count(0)


def test_an_unknown_account_is_refused_at_the_first_step(page: Page, server):
    page.goto(url(server, ORDERS))
    continue_with(page, "nobody@example.com")
    expect(page.locator(".nfm-login-input-error-text").filter(visible=True)).to_contain_text("couldn't find")
    expect(page.locator("#fm-login-password")).to_be_hidden()


# --- step two ---------------------------------------------------------------------------------


def test_wrong_password_shows_the_error_and_stays_on_the_password_step(page: Page, server):
    server.add_fault("slow", path="/newlogin/login.do", remaining=1, delay_ms=1500)
    page.goto(url(server, ORDERS))
    address = page.url
    continue_with(page)
    expect(page.locator("#fm-login-password")).to_be_visible()
    assert page.url == address  # one page: no address change between the steps
    page.locator("#fm-login-password").fill("not-the-password")
    sign_in_button(page).click()
    expect(sign_in_button(page)).to_have_class(re.compile(r"\bcosmos-btn-loading\b"))
    expect(sign_in_button(page).locator("span.comet-icon-loading")).to_be_visible()
    expect(page.locator(".nfm-login-input-error-text").filter(visible=True)).to_have_text(WRONG)
    expect(sign_in_button(page)).not_to_have_class(re.compile(r"\bcosmos-btn-loading\b"))
    expect(page.locator("#fm-login-password")).to_be_visible()
    assert page.url == address and session_cookies(page) == []
    account = state(server)["account"]
    assert (account["sessions"], account["logins"]) == (0, 0)


def test_the_2025_label_and_the_older_one_page_form(page: Page, server):
    with_account(server, login_form="two_step_email")
    page.goto(url(server, ORDERS))
    expect(page.locator("input[label='Email']")).to_be_visible()
    expect(page.locator(ACCOUNT_FIELD)).to_have_count(0)

    with_account(server, login_form="one_page")
    page.goto(url(server, ORDERS))
    expect(page.locator("#fm-login-id")).to_be_visible()
    expect(page.locator("#fm-login-password")).to_be_visible()
    page.fill("#fm-login-id", LOGIN)
    page.fill("#fm-login-password", "wrong")
    page.click("button[type=submit]")
    expect(page.locator(".nfm-login-input-error-text").filter(visible=True)).to_have_text(WRONG)
    page.fill("#fm-login-password", "sandbox-pass")
    page.click("button[type=submit]")
    page.wait_for_url(url(server, ORDERS))


# --- what may come in between ------------------------------------------------------------------


def test_the_email_code_page_refuses_a_wrong_code_and_survives_a_reload(page: Page, server):
    with_account(server, email_code="246810")
    page.goto(url(server, ORDERS))
    submit_password(page)
    expect(page.get_by_text("Email verification code")).to_be_visible()
    expect(page.locator("div.subTitle_field_item")).to_contain_text("b***@example.com")
    boxes = page.locator("input[data-id]")
    expect(boxes).to_have_count(6)
    for index, digit in enumerate("000000"):
        page.locator(f"input[data-id='{index}']").fill(digit)
    page.click("button#j-test")
    expect(page.locator(".nfm-login-input-error-text").filter(visible=True)).to_contain_text("incorrect")
    assert session_cookies(page) == [] and state(server)["account"]["sessions"] == 0
    page.reload()  # the step lives on the server: a reload shows it again, nothing skipped
    expect(page.get_by_text("Email verification code")).to_be_visible()
    for index, digit in enumerate("246810"):
        page.locator(f"input[data-id='{index}']").fill(digit)
    page.click("button#j-test")
    page.wait_for_url(url(server, ORDERS))
    assert len(session_cookies(page)) == 1


def test_the_account_chooser_continues_with_the_remembered_account_or_switches(page: Page, server):
    with_account(server, remembered=True)
    page.goto(url(server, ORDERS))
    prompt = page.locator("div.nfm-multiple-email-prompt").filter(visible=True)
    expect(prompt).to_have_text(LOGIN)
    expect(page.locator(ACCOUNT_FIELD)).to_be_hidden()
    page.get_by_text("Switch account", exact=True).click()
    expect(page.locator(ACCOUNT_FIELD)).to_be_visible()
    page.reload()
    continue_button(page).click()
    expect(page.locator(".nfm-login-account-name")).to_have_text(LOGIN)
    page.locator("#fm-login-password").fill("sandbox-pass")
    sign_in_button(page).click()
    page.wait_for_url(url(server, ORDERS))


def test_the_dialog_captcha_after_sign_in_lets_the_login_go_on_once_solved(page: Page, server):
    assert server.set_captcha(True) == {"captcha": True, "kind": "dialog"}
    page.goto(url(server, ORDERS))
    submit_password(page)
    dialog = page.locator(".baxia-dialog")
    expect(dialog).to_be_visible()
    frame = page.frame_locator("iframe#baxia-dialog-content")
    expect(frame.locator("#nc_1_wrapper")).to_be_visible()
    expect(frame.locator(".nc-lang-cnt")).to_have_text("Please slide to verify")
    drag(page, frame, share=0.5)  # not far enough: the knob goes back
    expect(dialog).to_be_visible()
    assert session_cookies(page) == [] and state(server)["account"]["logins"] == 0
    drag(page, frame)
    page.wait_for_url(url(server, ORDERS))
    expect(page.locator("div.order-item").first).to_be_visible()
    assert state(server)["account"]["logins"] == 1


def test_the_punish_page_stands_in_front_of_every_page_until_solved(page: Page, server):
    log_in(page, server)
    server.set_captcha(True, "punish")
    page.goto(url(server, DISPUTE_LIST))
    expect(page).to_have_url(re.compile(re.escape(url(server, DISPUTE_LIST) + "/_____tmd_____/punish?x5secdata=")
                                        + r"[\w-]+&x5step=1$"))
    expect(page.locator(".nc-lang-cnt")).to_have_text("Please slide to verify")
    page.evaluate("""() => {  // a script's events are not a person's
        const knob = document.querySelector('#nc_1_n1z');
        knob.dispatchEvent(new MouseEvent('mousedown', {bubbles: true, clientX: 0}));
        document.dispatchEvent(new MouseEvent('mousemove', {clientX: 5000}));
        document.dispatchEvent(new MouseEvent('mouseup', {}))}""")
    expect(page.locator(".nc-lang-cnt")).to_have_text("Please slide to verify")
    drag(page, page)
    page.wait_for_url(url(server, DISPUTE_LIST))
    expect(page.get_by_role("button", name="Details").first).to_be_visible()
    page.goto(url(server, ORDERS))  # the pass is on the parent domain: www. lets it through too
    expect(page).to_have_url(url(server, ORDERS))


# --- the session afterwards --------------------------------------------------------------------


def test_expired_session_fails_the_api_and_sends_pages_to_login(page: Page, server):
    log_in(page, server)
    expect(page.locator("div.order-item")).to_have_count(10)
    server.expire_sessions()
    answer = page.evaluate("async (u) => (await fetch(u, {credentials: 'include'})).json()",
                           url(server, ORDER_LIST_API) + "?data=" + json.dumps({"pageIndex": 1}))
    assert answer["ret"][0].startswith("FAIL_SYS_SESSION_EXPIRED::")
    # the open page's next API call (page 2) takes the buyer to the login
    page.click(".order-more button")
    expect(page).to_have_url(login_redirect(server, ORDERS))
    page.goto(url(server, DETAIL.format(PROMISED_ORDER)))
    expect(page).to_have_url(login_redirect(server, DETAIL.format(PROMISED_ORDER)))


def test_sign_out_ends_the_session_and_shows_the_sign_in(page: Page, server):
    log_in(page, server)
    page.get_by_text("Sign out").click()
    expect(page).to_have_url(f"{server.login_url}/")
    expect(page.locator(ACCOUNT_FIELD)).to_be_visible()
    assert session_cookies(page) == [] and state(server)["account"]["sessions"] == 0
