"""Helpers for the tests that drive the sandbox's own pages in pytest-playwright's ``page``.

The sandbox is three hosts (``www.``, ``m.`` and ``login.`` under ``aliexpress.localhost``,
see ``sandbox/origins.py``); the browser reaches them by name, the control API is
reached by address. The world's state (``/__sandbox__/state``) is the judge of what
the pages did.
"""

from __future__ import annotations

import io
import re
from urllib.parse import quote

from PIL import Image
from playwright.sync_api import Page, expect

LOGIN = "buyer@example.com"
PASSWORD = "sandbox-pass"
ORDERS = "/p/order/index.html"
DETAIL = "/p/order/detail.html?orderId={}"
START_FORM = "/p/reverse-pages/start.html?tradeOrderLineId={}&received={}"
DISPUTE_LIST = "/p/refund-dispute/list.html"
#: the dispute page, by the order line's id (as the refund list's ``refund_details`` link)
DISPUTE = "/p/refund-amount/detail.html?pha_manifest=refund-amount&tradeOrderLineId={}"

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
ORDER_LIST_API = "/h5/mtop.aliexpress.trade.buyer.order.list/1.0/"

#: which host serves a page path (sandbox/origins.py keeps the same table)
_MOBILE_PREFIXES = ("/p/refund-dispute/", "/p/refund-amount/")


def url(server, path: str) -> str:
    """The page's full address on the host that serves it."""
    base = server.mobile_url if path.startswith(_MOBILE_PREFIXES) else server.url
    return base + path


def assert_newest_first(ids: list[str], orders: list[dict], *, first_rows: bool = False) -> None:
    """The rows come newest placing day first, the list's only sort key: orders of one
    day come in any order, and a page boundary inside a day may skip or repeat one.

    ``first_rows``: the rows are the list's first page(s), so every order placed on a
    later day than the last row's is among them.
    """
    placed = {order["id"]: order["placed"][:10] for order in orders}
    days = [placed[i] for i in ids]
    assert days == sorted(days, reverse=True), ids
    if first_rows and ids:
        newer = {i for i, day in placed.items() if day > days[-1]}
        assert newer <= set(ids), sorted(newer - set(ids))


def state(server) -> dict:
    return server.control("GET", "state")


def dispute_of(server, order_id: str) -> dict:
    return next(d for d in state(server)["disputes"] if d["order_id"] == order_id)


def login_redirect(server, path: str) -> re.Pattern:
    """The login host's address a logged-out visit to ``path`` is sent to."""
    return re.compile(re.escape(f"{server.login_url}/?return_url=" + quote(url(server, path), safe="")) + "$")


#: the sign-in page's e-mail/phone field (today's label; the 2025 one is "Email")
ACCOUNT_FIELD = "input[label='Email or phone number']"


def continue_with(page: Page, login: str = LOGIN) -> None:
    """Step one of the sign-in: type the address, leave the field, "Continue"."""
    field = page.locator(ACCOUNT_FIELD)
    field.fill(login)
    field.blur()  # "Continue" stays disabled until the field loses focus; the prompt closes
    page.get_by_role("button", name="Continue").click()


def submit_password(page: Page, password: str = PASSWORD) -> None:
    """Both steps of the sign-in form, ending with "Sign in"."""
    continue_with(page)
    page.locator("#fm-login-password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def log_in(page: Page, server, path: str = ORDERS) -> None:
    """Ask for ``path`` logged out, pass the sign-in on the login host, land back on ``path``."""
    page.goto(url(server, path))
    expect(page).to_have_url(login_redirect(server, path))
    submit_password(page)
    page.wait_for_url(url(server, path))


def session_cookies(page: Page) -> list[dict]:
    return [c for c in page.context.cookies() if c["name"] == "xman_t"]


def png(color: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), color).save(buffer, format="PNG")
    return buffer.getvalue()


def demo_scenario(*, rules: dict | None = None, site: dict | None = None):
    """The demo world with some of its rules or site switches changed (``server.load`` it)."""
    import tomllib

    from sandbox.scenario import DEFAULT_SCENARIO, parse_scenario

    data = tomllib.loads(DEFAULT_SCENARIO.read_text(encoding="utf-8"))
    data.setdefault("rules", {}).update(rules or {})
    data.setdefault("site", {}).update(site or {})
    return parse_scenario(data, "demo (changed)")
