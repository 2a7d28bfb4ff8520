"""Which addresses are the sign-in, which are the anti-bot layer's captcha, and which are
neither: the agent decides "log in", "hand over to a person" or "go on" by them."""

from __future__ import annotations

import pytest

from flows import site
from flows.assumptions import ASSUMPTIONS


@pytest.mark.parametrize("url", [
    "https://login.aliexpress.com/?return_url=https%3A%2F%2Fwww.aliexpress.com%2Fp%2Forder%2Findex.html",
    "https://login.aliexpress.com/",
    "https://login.aliexpress.us/?return_url=x",
    "https://passport.aliexpress.com/newlogin/login.htm",
    "https://LOGIN.aliexpress.com/",
    "http://login.aliexpress.localhost:8701/login?return_url=x",
    "https://www.aliexpress.us/p/account/login",
    "https://www.aliexpress.com/member/login.htm",
])
def test_sign_in_pages_are_login(url):
    assert site.is_login_url(url) is True
    assert site.is_challenge_url(url) is False


@pytest.mark.parametrize("url", [
    # the cookie-sync hops on the way back from a login
    "https://login.aliexpress.com/sync_cookie_read.htm?xman_goto=https%3A%2F%2Fwww.aliexpress.com%2F",
    "https://login.aliexpress.com/sync_cookie_write.htm?xman_goto=https%3A%2F%2Fwww.aliexpress.com%2F",
    "https://login.aliexpress.us/sync_cookie_write.htm?xman_goto=x",
    # ordinary pages, whose address may even mention a login
    "https://www.aliexpress.com/p/order/index.html",
    "https://m.aliexpress.com/p/refund-dispute/list.html",
    "https://www.aliexpress.com/p/tracking/index.html?_addShare=no&_login=yes&tradeOrderId=1",
    "https://www.aliexpress.com/p/order/detail.html?orderId=1&from=login.aliexpress.com",
])
def test_hops_and_ordinary_pages_are_not_login(url):
    assert site.is_login_url(url) is False
    assert site.is_challenge_url(url) is False


@pytest.mark.parametrize("url", [
    "https://www.aliexpress.com/p/order/index.html/_____tmd_____/punish?x5secdata=abc&x5step=1",
    "https://www.aliexpress.us//item/1005001.html/_____tmd_____/punish?x5secdata=abc&x5step=2",
    "https://m.aliexpress.com/p/refund-dispute/list.html/_____tmd_____/punish?x5secdata=abc",
    "https://login.aliexpress.com//_____tmd_____/punish?x5secdata=abc&x5step=2&pureCaptcha=true",
    "https://www.aliexpress.com/punish?x5secdata=abc",
    "https://www.aliexpress.com/p/order/index.html?foo=1&x5secdata=abc",
])
def test_punish_pages_are_a_captcha_not_a_login(url):
    assert site.is_challenge_url(url) is True
    assert site.is_login_url(url) is False


def test_the_login_guesses_are_registered():
    for key in ("login-unknown-account", "login-chooser"):
        entry = ASSUMPTIONS[key]
        assert entry.what and entry.basis
