"""A read-only pass over the site: the pages the agent reads, each handed to an observer.

Why a pass of its own: ``check-site`` judges what the pages and their API answers look
like today, and a recording of the same visit must hold the same pages and answers; so
the visiting is here once and what is made of each page is the observer's. The pass
reads the order list (page 1 and one more), an order's page and its tracking, the
dispute list and each open dispute's page.

Why it cannot change anything: it only opens addresses and presses the two paging
controls ("View orders", the dispute list's "next"); it types nothing and never logs
in. A session that is gone ends the pass with ``LoginRequired``: a diagnosis must not
sign in where the user did not ask for it.

Why it never stops at an unreadable answer: a changed site is what it is there to
describe. An answer that does not come or cannot be read is handed over as it is
(``Visit.answer`` None, or a ``Captured`` with its error), and the ids the next pages
need are taken from the page when the answer has none, else that step is skipped with
the reason.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from typing import Any, Protocol, TypeVar
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page

from agent.core.errors import CaptchaRequired, LoginRequired, PageChanged
from agent.core.models import DisputeSummary, Order, OrderStatus
from flows import site
from flows.browser import BrowserSession
from flows.capture import ApiCapture, Captured, pause
from flows.disputes import control_disabled
from flows.login import challenge_on_page
from flows.parsers.orders import parse_order_detail, parse_order_list
from flows.parsers.refunds import parse_refund_list

__all__ = ["STEPS", "Observer", "Visit", "read_only_pass"]

STEP_ORDER_LIST = "order list"
STEP_ORDER_LIST_MORE = "order list's next page"
STEP_ORDER_PAGE = "order page"
STEP_TRACKING = "tracking page"
STEP_DISPUTE_LIST = "dispute list"
STEP_DISPUTE_PAGE = "dispute page"
STEPS = (STEP_ORDER_LIST, STEP_ORDER_LIST_MORE, STEP_ORDER_PAGE, STEP_TRACKING, STEP_DISPUTE_LIST,
         STEP_DISPUTE_PAGE)
#: order pages read at most to find one that offers a dispute (its button is checked too)
ORDER_PAGES = 3
#: the dispute list's open cases: negotiating, escalated
OPEN_STATUSES = (2, 3)
def login_hint() -> str:
    """How to get a session for the pass, the way that works on this machine."""
    from agent.core.display import login_by_hand

    return f"run 'dispute-agent login' (with the password stored), or {login_by_hand()}; then check again"

T = TypeVar("T")


@dataclass
class Visit:
    """One page as the pass left it: loaded, with the answer it was expected to load."""

    step: str
    page: Page
    api: str
    #: None when the page did not load ``api`` in time
    answer: Captured | None
    #: the order or case the page is about, when it is about one
    subject: str | None = None
    #: every answer of the site's API the page received for this visit, in arrival order
    answers: list[Captured] = field(default_factory=list)


class Observer(Protocol):
    """What the pass reports to; called while the page is still open."""

    def visited(self, visit: Visit) -> None: ...

    def skipped(self, step: str, reason: str) -> None: ...


def read_only_pass(session: BrowserSession, base_url: str, observer: Observer, *, mobile_url: str | None = None,
                   tz: tzinfo = UTC, timeout_ms: float = 30_000) -> None:
    """Visit every page the agent reads, without changing anything (see the module docstring)."""
    page = session.new_page()
    walker = _Walker(page, ApiCapture(page), observer, tz, timeout_ms)
    try:
        with session.evidence(page, "read-only-pass"):
            _walk(walker, observer, base_url, mobile_url)
    finally:
        page.close()


def _walk(walker: _Walker, observer: Observer, base_url: str, mobile_url: str | None) -> None:
    order_id = walker.orders(site.order_list_url(base_url))
    if order_id is None:
        observer.skipped(STEP_ORDER_PAGE, "no order could be taken from the order list")
        observer.skipped(STEP_TRACKING, "no order could be taken from the order list")
    else:
        order_id = walker.order_pages(base_url, order_id)
        walker.visit(STEP_TRACKING, site.tracking_url(base_url, order_id), site.API_TRACKING, order_id)
    walker.disputes(base_url, mobile_url)


@dataclass
class _Walker:
    page: Page
    capture: ApiCapture
    observer: Observer
    tz: tzinfo
    timeout_ms: float
    #: orders of the list's first page worth opening, best first
    candidates: tuple[str, ...] = ()

    def visit(self, step: str, url: str, api: str, subject: str | None = None) -> Visit:
        mark = self.capture.mark()
        self.page.goto(url, wait_until="domcontentloaded")
        self._still_logged_in()
        return self._report(Visit(step, self.page, api, self._answer(api, mark), subject), mark)

    def press(self, step: str, control: Any, api: str) -> Visit:
        """A paging control: it asks for the next page of what is shown, nothing else."""
        mark = self.capture.mark()
        control.click()
        return self._report(Visit(step, self.page, api, self._answer(api, mark)), mark)

    def _report(self, visit: Visit, mark: int) -> Visit:
        self._still_logged_in()
        visit.answers = self.capture.since(mark)
        self.observer.visited(visit)
        return visit

    def _answer(self, api: str, mark: int) -> Captured | None:
        deadline = time.monotonic() + self.timeout_ms / 1000
        while True:
            found = self.capture.poll(api, after=mark)
            if found is not None or time.monotonic() >= deadline or site.is_login_url(self.page.url):
                return found
            pause(self.page.context, 25)

    def _still_logged_in(self) -> None:
        if site.is_login_url(self.page.url):
            raise LoginRequired(f"the saved session is not logged in (there is none, or it expired); {login_hint()}")
        found = challenge_on_page(self.page)
        if found:
            raise CaptchaRequired(f"the site shows {found} instead of its pages; {login_hint()}")

    # --- orders ---------------------------------------------------------------------

    def orders(self, url: str) -> str | None:
        """The list's first page and the next one; the order whose page to read next."""
        first = self.visit(STEP_ORDER_LIST, url, site.API_ORDER_LIST)
        listing = _readable(first.answer, lambda body: parse_order_list(body, date_header=first.answer.date_header))
        self.candidates = _candidates(listing.orders) if listing else _linked_orders(self.page)
        more = self.page.locator(site.SEL_ORDER_MORE)
        if listing is not None and not listing.has_more:
            self.observer.skipped(STEP_ORDER_LIST_MORE, "the order list has a single page")
        elif more.count() == 0 or not more.first.is_visible():
            self.observer.skipped(STEP_ORDER_LIST_MORE, f"the page shows no 'View orders' ({site.SEL_ORDER_MORE})")
        else:
            self.press(STEP_ORDER_LIST_MORE, more.first, site.API_ORDER_LIST)
        return self.candidates[0] if self.candidates else None

    def order_pages(self, base_url: str, first: str) -> str:
        """Order pages until one offers a dispute (its button is then on the page too)."""
        order_id = first
        for order_id in [first, *[c for c in self.candidates if c != first]][:ORDER_PAGES]:
            visit = self.visit(STEP_ORDER_PAGE, site.order_detail_url(base_url, order_id), site.API_ORDER_DETAIL,
                               order_id)
            order = _readable(visit.answer, lambda body: parse_order_detail(
                body, date_header=visit.answer.date_header, tz=self.tz))
            if order is None or order.can_open_dispute:
                break
        return order_id

    # --- disputes -------------------------------------------------------------------

    def disputes(self, base_url: str, mobile_url: str | None) -> None:
        visit = self.visit(STEP_DISPUTE_LIST, site.dispute_list_url(base_url, mobile_url), site.API_REFUND_LIST)
        cases: list[DisputeSummary] | None = []
        for _ in range(site.DISPUTE_LIST_MAX_PAGES):
            listing = _readable(visit.answer, lambda body: parse_refund_list(body, tz=self.tz))
            if listing is None:
                cases = None
                break
            cases.extend(listing.items)
            nxt = self.page.locator(site.SEL_DISPUTE_LIST_NEXT)
            if not listing.has_more or nxt.count() == 0 or control_disabled(nxt.first):
                break
            visit = self.press(STEP_DISPUTE_LIST, nxt.first, site.API_REFUND_LIST)
        if cases is None:
            self.observer.skipped(STEP_DISPUTE_PAGE, "the dispute list's answer could not be read")
            return
        open_cases = list({c.reverse_line_id: c for c in cases if c.reverse_status in OPEN_STATUSES}.values())
        if not open_cases:
            self.observer.skipped(STEP_DISPUTE_PAGE, "no open dispute now")
        for case in open_cases:
            self.visit(STEP_DISPUTE_PAGE, site.dispute_detail_url(base_url, case.trade_line_id, mobile_url),
                       site.API_DISPUTE_DETAIL, case.reverse_line_id)


def _readable(answer: Captured | None, parse: Callable[[Any], T]) -> T | None:
    """What the agent's own parser reads from ``answer``, or None when it cannot."""
    if answer is None or answer.body is None:
        return None
    try:
        return parse(answer.body)
    except PageChanged:
        return None


def _candidates(orders: list[Order]) -> tuple[str, ...]:
    """Orders on their way first (their page may offer a dispute), then the rest."""
    waiting = [o.order_id for o in orders if o.status is OrderStatus.AWAITING_DELIVERY]
    return tuple(waiting + [o.order_id for o in orders if o.order_id not in waiting])


def _linked_orders(page: Page) -> tuple[str, ...]:
    """The orders the rows link to, when the list's answer cannot be read."""
    links = page.locator(site.SEL_ORDER_DETAIL_LINK)
    found: list[str] = []
    for index in range(links.count()):
        query = parse_qs(urlsplit(links.nth(index).get_attribute("href") or "").query)
        found.extend(value for value in query.get("orderId", []) if value not in found)
    return tuple(found)
