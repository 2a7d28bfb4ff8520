"""Logging in, or handing the login to a person.

A saved session is always tried first (the flows simply open the page they need; a
redirect to the login host means the session is gone). The agent then signs in once
with the configured credentials, the way a person does: the e-mail, "Continue", the
password, "Sign in" (or the older one-page form, or the account chooser first). A
captcha, the anti-bot layer's punish page or a one-time code stops it with
``CaptchaRequired`` and evidence: the agent never solves them, never guesses and never
loops; a person finishes with ``dispute-agent login --headed`` or imports a session
saved elsewhere.

Nothing here waits a fixed time for the site: each step polls the page for the few
outcomes it can have and names what it waited for when none comes.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, Response

from agent.config.secrets import Credentials
from agent.core.display import login_by_hand
from agent.core.errors import (
    CaptchaRequired,
    LoginRequired,
    PageChanged,
    SiteUnavailable,
)
from flows import site
from flows.assumptions import unconfirmed
from flows.browser import BrowserSession
from flows.capture import server_error

#: how long the site may take to show a step or to answer "Continue" / "Sign in"
STEP_TIMEOUT_MS = 30_000
POLL_MS = 150
_ANY_TEXT = re.compile(r"\S")


# --- what the page shows ------------------------------------------------------------------

def _visible(locator: Locator) -> Locator:
    return locator.filter(visible=True)


def _shown(locator: Locator) -> bool:
    """True when a visible element matches; False while the page is between documents."""
    try:
        return _visible(locator).count() > 0
    except PlaywrightError:
        return False


def challenge_on_page(page: Page) -> str | None:
    """Describe the captcha shown on ``page`` (its address or a visible marker), if any."""
    if site.is_challenge_url(page.url):
        return "a slider captcha (the site's anti-bot page)"
    markers = page.locator(", ".join(site.SEL_CAPTCHA)).or_(page.get_by_text(site.TEXT_CAPTCHA))
    return "a slider captcha" if _shown(markers) else None


def code_on_page(page: Page) -> str | None:
    """A one-time code page (checked on the login host only: ``data-id`` is common elsewhere)."""
    if _shown(page.locator(site.SEL_LOGIN_CODE)) or _shown(page.get_by_text(site.TEXT_LOGIN_CODE)):
        return "a one-time code (e-mail or SMS)"
    return None


def _error_text(page: Page) -> str | None:
    error = _visible(page.locator(site.SEL_LOGIN_ERROR)).filter(has_text=_ANY_TEXT)
    try:
        return error.first.inner_text(timeout=1_000).strip() if error.count() else None
    except PlaywrightError:
        return None


def _wait_for(page: Page, outcomes: dict[str, Callable[[], bool]], timeout_ms: float,
              on_timeout: Callable[[], Exception]) -> str:
    """The first outcome that holds; a captcha (or code page) at any moment stops the login."""
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        for name, holds in outcomes.items():
            if holds():
                return name
        found = challenge_on_page(page) or (code_on_page(page) if site.is_login_url(page.url) else None)
        if found:
            raise CaptchaRequired(f"the site asks for {found} to log in; {login_by_hand()}")
        if time.monotonic() > deadline:
            raise on_timeout()
        page.wait_for_timeout(POLL_MS)


# --- the use case ---------------------------------------------------------------------------

def open_page(session: BrowserSession, page: Page, url: str,
              credentials: Callable[[], Credentials] | None) -> bool:
    """Go to ``url`` logged in; log in first if the site asks. True when a login happened.

    ``credentials`` is only called when a login is needed, so a valid saved session
    never touches the secret store. ``None`` means: do not try, raise LoginRequired.
    """
    _answered(page.goto(url, wait_until="domcontentloaded"), url)
    if not site.is_login_url(page.url):
        _refuse_challenge(page)
        return False
    if credentials is None:
        raise LoginRequired(f"the saved session has expired; {login_by_hand()}")
    account = credentials()
    # untraced: a trace records typed text verbatim, and the requests that carry it;
    # and whatever the page does with the password, evidence files never show it
    session.redact(account.password.get_secret_value())
    with session.evidence(page, "login", trace=False):
        submit_login(page, account)
    session.save_storage_state()
    if page.url.split("?", 1)[0] != url.split("?", 1)[0]:
        _answered(page.goto(url, wait_until="domcontentloaded"), url)
    if site.is_login_url(page.url):
        raise LoginRequired(f"the site still asks for a login after a successful one; {login_by_hand()}")
    _refuse_challenge(page)
    return True


def _answered(response: Response | None, url: str) -> None:
    """A server error on the page itself is the site being down, not a changed page."""
    if response is not None and response.status >= 500:
        path = urlsplit(url).path
        raise SiteUnavailable(server_error(response.status, f"the page {path}"),
                              trouble=f"HTTP {response.status} to the page {path}")


def _refuse_challenge(page: Page) -> None:
    found = challenge_on_page(page)
    if found:
        raise CaptchaRequired(f"the site shows {found} instead of the page; {login_by_hand()}")


def submit_login(page: Page, credentials: Credentials, timeout_ms: float = STEP_TIMEOUT_MS) -> None:
    """Sign in once on the login host; raise if the site refuses or wants a person."""
    login_field = page.locator(site.SEL_LOGIN_ID)
    password_field = page.locator(site.SEL_LOGIN_PASSWORD)
    switch = page.get_by_text(site.TEXT_LOGIN_SWITCH_ACCOUNT, exact=True)
    arrived = _wait_for(page, {
        "left": lambda: not site.is_login_url(page.url),
        "form": lambda: _shown(login_field),
        "chooser": lambda: _shown(switch),
    }, timeout_ms, lambda: PageChanged(
        "login: the sign-in page showed neither the e-mail field nor the account chooser; "
        "compare the evidence with flows/site.py"))
    if arrived == "left":
        return
    if arrived == "chooser" and _chooser_continue(page, credentials.login, timeout_ms):
        _sign_in(page, credentials, timeout_ms)
        return
    if arrived == "chooser":
        _visible(switch).first.click()
        _wait_for(page, {"form": lambda: _shown(login_field)}, timeout_ms, lambda: unconfirmed(
            "login-chooser", "login", "'Switch account' did not lead to the e-mail field"))
    field = _visible(login_field).first
    field.fill(credentials.login)
    if _shown(password_field):  # the older one-page form: both fields at once
        _sign_in(page, credentials, timeout_ms)
        return
    _continue(page, field, credentials.login, timeout_ms)
    _sign_in(page, credentials, timeout_ms)


def _chooser_continue(page: Page, login: str, timeout_ms: float) -> bool:
    """The remembered account is ours: "Continue" to its password. False: not ours."""
    box = _visible(page.locator(site.SEL_LOGIN_EMAIL_PROMPT))
    shown = box.first.inner_text().strip() if box.count() else ""
    if login.casefold() not in shown.casefold():
        return False
    _visible(page.get_by_role("button", name=site.TEXT_LOGIN_CONTINUE, exact=True)).first.click()
    _wait_for(page, {"password": lambda: _shown(page.locator(site.SEL_LOGIN_PASSWORD))}, timeout_ms,
              lambda: unconfirmed("login-chooser", "login",
                                  "'Continue' on the remembered account did not lead to the password"))
    return True


def _continue(page: Page, field: Locator, login: str, timeout_ms: float) -> None:
    """Step one: leave the field (the button stays disabled until then), get the
    suggestion menu out of the way of "Continue", press it, wait for the password."""
    field.press("Escape")
    field.blur()
    prompt = _visible(page.locator(site.SEL_LOGIN_EMAIL_PROMPT))
    if prompt.count():  # still over the button: pick the suggestion that is exactly our login
        prompt.get_by_text(login, exact=True).first.click()
    _visible(page.get_by_role("button", name=site.TEXT_LOGIN_CONTINUE, exact=True)).first.click()
    outcome = _wait_for(page, {
        "password": lambda: _shown(page.locator(site.SEL_LOGIN_PASSWORD)),
        "error": lambda: _error_text(page) is not None,
        "left": lambda: not site.is_login_url(page.url),
    }, timeout_ms, lambda: unconfirmed(
        "login-unknown-account", "login", "after 'Continue' neither the password field nor a message appeared"))
    if outcome == "error":
        raise LoginRequired(f"the site refused the account ({_error_text(page)}); "
                            f"check the login in the settings, or {login_by_hand()}")
    if outcome == "left":
        raise PageChanged("login: the page left the login host after 'Continue', before the password; "
                          "compare the evidence with flows/site.py")


def _sign_in(page: Page, credentials: Credentials, timeout_ms: float) -> None:
    """Step two: the password and "Sign in", then wait until the browser leaves the
    login host (through the cookie-sync hop), the page says why not, or a person is needed."""
    _visible(page.locator(site.SEL_LOGIN_PASSWORD)).first.fill(credentials.password.get_secret_value())
    _visible(page.get_by_role("button", name=site.TEXT_LOGIN_SUBMIT, exact=True)).first.click()
    outcome = _wait_for(page, {
        "left": lambda: not site.is_login_url(page.url),
        "error": lambda: _error_text(page) is not None,
    }, timeout_ms, lambda: PageChanged(
        "login: after 'Sign in' the page neither left the login host nor said why; "
        "compare the evidence with flows/site.py"))
    if outcome == "error":
        raise LoginRequired(f"the site refused the login ({_error_text(page)}); "
                            f"check the login and password, or {login_by_hand()}")
    page.wait_for_load_state("domcontentloaded")
    _refuse_challenge(page)


def landed(page: Page) -> bool:
    """The browser shows an ordinary page of the site: past the login host and any captcha."""
    return not site.is_login_url(page.url) and not challenge_on_page(page)


def sign_in_shown(page: Page) -> bool:
    """The login host shows its sign-in (the e-mail field or the account chooser), nothing else."""
    return (site.is_login_url(page.url) and not challenge_on_page(page) and not code_on_page(page)
            and (_shown(page.locator(site.SEL_LOGIN_ID))
                 or _shown(page.get_by_text(site.TEXT_LOGIN_SWITCH_ACCOUNT, exact=True))))


def wait_for_person(page: Page, landing_url: str, timeout_s: float = 600,
                    sleep: Callable[[float], None] | None = None) -> None:
    """Let a person log in in a visible browser (across the login host, the sync hop and
    any captcha); return once the browser shows an ordinary page of the site."""
    page.goto(landing_url, wait_until="domcontentloaded")
    deadline = time.monotonic() + timeout_s
    while not landed(page):
        if time.monotonic() > deadline:
            from datetime import timedelta

            from agent.core.readable import duration

            raise LoginRequired(f"nobody finished the login within {duration(timedelta(seconds=round(timeout_s)))}; "
                                "try again")
        if sleep is not None:
            sleep(0.5)
        else:
            page.wait_for_timeout(500)
    page.wait_for_load_state("domcontentloaded")
