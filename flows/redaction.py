"""Keeping a typed secret (the password) out of errors and evidence.

A failing step leaves a screenshot, the page's HTML and an error text behind, and the
login types a password into a page that may keep it: in the field, in an attribute a
script copies it to, anywhere in the DOM. Playwright's own error messages repeat what
``fill()`` typed. These helpers clean each of those places; ``flows.browser`` calls them
before any evidence is written. Traces cannot be cleaned: the browser session stops
tracing instead (``BrowserSession.evidence(trace=False)``).
"""

from __future__ import annotations

import html
import re
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

__all__ = ["empty_fields_holding", "empty_password_fields", "redacted", "scrub_typed_text"]

#: Playwright's call log repeats what fill()/type() typed, i.e. the password
_TYPED_TEXT = re.compile(
    r"(?m)\b(fill|type|press|pressSequentially|press_sequentially|insertText)\(.*$"
)
MASK = "<redacted>"


def scrub_typed_text(exc: BaseException) -> None:
    """Remove typed text from a Playwright error in place, before it reaches any log."""
    if not isinstance(exc, PlaywrightError):
        return

    def scrub(text: Any) -> Any:
        return _TYPED_TEXT.sub(rf"\1({MASK})", text) if isinstance(text, str) else text

    exc.args = tuple(scrub(arg) for arg in exc.args)
    for name in ("_message", "_stack"):  # what .message and .stack return
        if hasattr(exc, name):
            setattr(exc, name, scrub(getattr(exc, name)))
    if isinstance(getattr(exc, "_log", None), list):
        exc._log = [scrub(line) for line in exc._log]


def redacted(text: str, secrets: list[str]) -> str:
    """``text`` with every secret replaced, also as HTML writes it: in text (``&amp;``,
    ``&lt;``) and in attributes (also ``&quot;``, and ``&#x27;`` by some writers)."""
    for secret in secrets:
        in_text = html.escape(secret, quote=False)
        forms = {secret, in_text, in_text.replace('"', "&quot;"), html.escape(secret)}
        for form in sorted(forms, key=len, reverse=True):
            text = text.replace(form, MASK)
    return text


def empty_password_fields(page: Page) -> None:
    """Best effort: a page that navigated away has nothing left to empty."""
    for frame in page.frames:
        try:
            # the attribute too: a page's script may have copied the value there
            frame.evaluate("() => document.querySelectorAll('input[type=password]')"
                           ".forEach((field) => { field.value = ''; field.removeAttribute('value'); })")
        except PlaywrightError:
            continue


def empty_fields_holding(page: Page, secrets: list[str]) -> None:
    """Best effort: empty every field whose value holds a secret, whatever its type (a
    hidden field a script filled, a password shown as text)."""
    for frame in page.frames:
        try:
            frame.evaluate("(secrets) => document.querySelectorAll('input, textarea').forEach((field) => {"
                           " if (secrets.some((s) => field.value.includes(s))) {"
                           " field.value = ''; field.removeAttribute('value'); } })", secrets)
        except PlaywrightError:
            continue
