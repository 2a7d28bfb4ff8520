"""Use case: log in once and keep the browser session.

Automatic login uses the configured credentials exactly once; a captcha or a code
stops it (``CaptchaRequired`` with a screenshot). ``headed`` opens a visible browser
for a person instead and waits for them to reach the order list. Either way, a
login-needed streak then ends and the daemon is asked for a poll (``note_login``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from agent.config.secrets import Credentials, get_credentials
from agent.config.settings import Settings
from agent.core.display import has_display, no_display_for_headed
from agent.core.errors import UserInputError


def login(settings: Settings, *, headed: bool = False, timeout_s: float = 600,
          credentials: Callable[[], Credentials] | None = None) -> Path:
    from flows import site
    from flows.browser import BrowserSession
    from flows.login import open_page, wait_for_person

    if headed and not settings.browser.cdp_url and not has_display():
        raise UserInputError(no_display_for_headed())  # before any browser starts: it would fail obscurely
    if headed:
        settings = settings.model_copy(update={"browser": settings.browser.model_copy(update={"headless": False})})
    landing = site.order_list_url(settings.site.base_url)
    with BrowserSession(settings) as session:
        page = session.new_page()
        # untraced either way: a trace would keep the typed password and the form's request
        with session.evidence(page, "login", trace=False):
            if headed:
                wait_for_person(page, landing, timeout_s)
            else:
                # asked for by the user: missing credentials are a set-up error here, not "login needed"
                open_page(session, page, landing, credentials or (lambda: get_credentials(settings)))
        path = session.save_storage_state()
    from agent.usecases.remote_login import note_login

    note_login(settings)  # a login-needed streak ends; the daemon polls within a minute
    return path
