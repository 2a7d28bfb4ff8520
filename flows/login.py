"""Logging in, or handing the login to a person.

A saved session is always tried first (the flows simply open the page they need; a
redirect to the login page means the session is gone). The agent then tries the
login form once with the configured credentials. A captcha or a one-time code stops
it with ``CaptchaRequired`` and a screenshot: the agent never guesses and never
loops; a person finishes with ``dispute-agent login --headed`` or imports a session
saved elsewhere.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from playwright.sync_api import Page

from agent.errors import CaptchaRequired, LoginRequired
from agent.secrets import Credentials
from flows import site
from flows.browser import BrowserSession

HANDOFF = "log in by hand with 'dispute-agent login --headed' or 'dispute-agent session import FILE'"


def challenge_on_page(page: Page) -> str | None:
    """Describe the human challenge shown on ``page`` (captcha, code), if any."""
    for selector in site.SEL_CAPTCHA:
        if page.locator(selector).count() > 0:
            return "a slider captcha"
    if page.get_by_text(site.TEXT_CAPTCHA, exact=False).count() > 0:
        return "a slider captcha"
    if page.locator(site.SEL_LOGIN_CODE).count() > 0:
        return "a one-time code (e-mail or SMS)"
    return None


def open_page(session: BrowserSession, page: Page, url: str,
              credentials: Callable[[], Credentials] | None) -> bool:
    """Go to ``url`` logged in; log in first if the site asks. True when a login happened.

    ``credentials`` is only called when a login is needed, so a valid saved session
    never touches the secret store. ``None`` means: do not try, raise LoginRequired.
    """
    page.goto(url, wait_until="domcontentloaded")
    if not site.is_login_url(page.url):
        found = challenge_on_page(page)
        if found:
            raise CaptchaRequired(f"the site shows {found} instead of the page; {HANDOFF}")
        return False
    if credentials is None:
        raise LoginRequired(f"the saved session has expired; {HANDOFF}")
    # untraced: a trace records typed text verbatim, and evidence folders are kept
    with session.evidence(page, "login", trace=False):
        submit_login(page, credentials())
    session.save_storage_state()
    if page.url.split("?", 1)[0] != url.split("?", 1)[0]:
        page.goto(url, wait_until="domcontentloaded")
    if site.is_login_url(page.url):
        raise LoginRequired(f"the site still asks for a login after a successful one; {HANDOFF}")
    return True


def submit_login(page: Page, credentials: Credentials) -> None:
    """Fill the login form once; raise if the site refuses or wants a person."""
    page.locator(site.SEL_LOGIN_ID).wait_for(state="visible")
    page.fill(site.SEL_LOGIN_ID, credentials.login)
    page.fill(site.SEL_LOGIN_PASSWORD, credentials.password.get_secret_value())
    page.click(site.SEL_LOGIN_SUBMIT)
    page.wait_for_load_state("domcontentloaded")
    found = challenge_on_page(page)
    if found:
        raise CaptchaRequired(f"the site asks for {found} to log in; {HANDOFF}")
    if site.is_login_url(page.url):
        error = page.locator(site.SEL_LOGIN_ERROR)
        said = error.first.inner_text().strip() if error.count() else "no reason shown"
        raise LoginRequired(f"the site refused the login ({said}); check the login and password, or {HANDOFF}")


def wait_for_person(page: Page, landing_url: str, timeout_s: float = 600,
                    sleep: Callable[[float], None] | None = None) -> None:
    """Let a person log in in a visible browser; return once they are past the login."""
    page.goto(landing_url, wait_until="domcontentloaded")
    deadline = time.monotonic() + timeout_s
    while site.is_login_url(page.url) or challenge_on_page(page):
        if time.monotonic() > deadline:
            raise LoginRequired(f"nobody finished the login within {timeout_s / 60:.0f} minutes; try again")
        if sleep is not None:
            sleep(0.5)
        else:
            page.wait_for_timeout(500)
