"""The sandbox's sign-in host in real Chromium: the form, its obstacles and the session it leaves."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

from sandbox.scenario import load_scenario
from tests.support.sandbox_pages import (
    DETAIL,
    DISPUTE,
    FREE_LINE,
    ORDER_LIST_API,
    ORDERS,
    PROMISED_ORDER,
    START_FORM,
    log_in,
    login_redirect,
    session_cookies,
    state,
    submit_password,
    url,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("fresh_world")]




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
    expect(page).to_have_url(login_redirect(server, path))
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
