"""The order list and the order detail pages, read as the page receives them.

List: open the order list, read each ``order.list`` answer the page's script gets
(page 1 whole, later pages only what changed), click "View orders" until ``hasMore``
is false. The list's order is not stable — orders placed the same day move between
pages from one call to the next — so a pass that showed an order twice has skipped
another: the list is then read again from page 1 and the union kept by order id
(``flows/paging.py``), at most ``site.ORDER_LIST_PASSES`` passes in all. If no answer
can be read (the API changed shape), the rows are read from the DOM instead, pass by
pass the same way; if neither works the flow raises ``PageChanged`` with evidence. A
caller may end the read of the API's pages early (``stop_after``, asked after each page:
the sync's rule for settled history, decision 0025); the page reading never stops early.
Orders that no pass showed are never passed off as a whole list: the read ends with
an error that counts them. A page in another language than English is refused
(``flows/language.py``).

Details: several pages of one context load at once (``concurrency``), started with
a polite random delay; Python waits on all of them from the one Playwright thread.
An error mid-way keeps what was read: the caller stores it and reports the error.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from email.utils import parsedate_to_datetime

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from agent.config.secrets import Credentials
from agent.core.display import login_by_hand
from agent.core.errors import (
    LoginRequired,
    PageChanged,
    SiteError,
    SiteUnavailable,
    WrongLanguage,
)
from agent.core.models import Order
from flows import site
from flows.assumptions import unconfirmed
from flows.browser import BrowserSession, collect_garbage
from flows.capture import ApiCapture, pause, server_error
from flows.language import check_orders, check_page
from flows.login import open_page
from flows.paging import PassUnion
from flows.parsers.order_dom import parse_order_rows
from flows.parsers.orders import parse_order_detail, parse_order_list
from flows.retry import with_retries

log = logging.getLogger("dispute_agent.flows.orders")

#: reads each row's texts; selectors come from flows.site so a changed page is one edit
ROW_SCRIPT = """
(sel) => Array.from(document.querySelectorAll(sel.row)).map((row) => {
  const text = (el) => (el ? el.textContent.replace(/\\s+/g, ' ').trim() : '');
  const one = (s) => text(row.querySelector(s));
  const info = row.querySelector(sel.info);
  return {
    status: one(sel.status),
    info: info ? Array.from(info.children).map(text) : [],
    store: one(sel.store),
    reminder: one(sel.reminder),
    total: one(sel.total),
    items: Array.from(row.querySelectorAll(sel.item)).map((item) => {
      const title = item.querySelector(sel.title);
      return {
        title: title ? (title.getAttribute('title') || text(title)) : '',
        sku: text(item.querySelector(sel.sku)),
        price: text(item.querySelector(sel.price)),
        quantity: text(item.querySelector(sel.quantity)),
        number: text(item.querySelector(sel.number)),
      };
    }),
  };
})
"""
ROW_SELECTORS = {
    "row": site.SEL_ORDER_ROW, "status": site.SEL_ORDER_STATUS, "info": site.SEL_ORDER_HEADER_INFO,
    "store": site.SEL_ORDER_STORE, "reminder": site.SEL_ORDER_REMINDER, "total": site.SEL_ORDER_TOTAL,
    "item": site.SEL_ORDER_ITEM, "title": site.SEL_ORDER_ITEM_TITLE, "sku": site.SEL_ORDER_ITEM_SKU,
    "price": site.SEL_ORDER_ITEM_PRICE, "quantity": site.SEL_ORDER_ITEM_QUANTITY,
    "number": site.SEL_ORDER_ITEM_NUMBER,
}
WHERE_LIST = "order list"


@dataclass
class OrdersRead:
    """What a read produced: everything read so far, and the error that stopped it."""

    orders: list[Order] = field(default_factory=list)
    complete: bool = False
    source: str = "api"
    error: SiteError | None = None
    #: orders the list counted that no pass showed (the read went through every page)
    missing: int = 0
    #: the read stopped before the last page: the caller's ``stop_after`` said the rest
    #: could only be orders it knows as settled (decision 0025)
    stopped_early: bool = False


@dataclass
class Politeness:
    min_delay_ms: int = 400
    max_delay_ms: int = 1200
    concurrency: int = 2
    rng: random.Random = field(default_factory=random.Random)

    def delay_ms(self) -> float:
        return self.rng.uniform(self.min_delay_ms, self.max_delay_ms)


def _date_of(page_response_headers: dict[str, str] | None) -> datetime | None:
    value = (page_response_headers or {}).get("date")
    try:
        return parsedate_to_datetime(value).astimezone(UTC) if value else None
    except (TypeError, ValueError):
        return None


#: the order list's tab has its garbage collected after this many of its pages
COLLECT_EVERY = 10


#: (a page's orders, the ids of every order read so far, an order came twice in this pass)
#: -> the later pages need not be read
StopAfter = Callable[[list[Order], Collection[str], bool], bool]


@dataclass
class _ListPass:
    """What one pass over the list's pages needs, and the progress it reports."""

    page: Page
    capture: ApiCapture
    union: PassUnion[Order]
    on_page: Callable[[int, int], None] | None
    timeout_ms: float
    pages_read: int = 0
    #: (the page's orders, every order read so far, an order came twice in this pass) ->
    #: True when the later pages need not be read
    stop_after: StopAfter | None = None
    stopped: bool = False

    def page_done(self, shown: int | None = None) -> None:
        """Progress: pages read in all passes, and the distinct orders read so far; the
        tab's garbage collected every ``COLLECT_EVERY`` pages (``collect_garbage``)."""
        self.pages_read += 1
        if self.pages_read % COLLECT_EVERY == 0:
            collect_garbage(self.page)
        if self.on_page:
            self.on_page(self.pages_read, max(len(self.union.items), shown or 0))

    def enough(self) -> bool:
        """A re-read may stop as soon as the union holds every order a pass counted."""
        return self.union.complete


def read_order_list(session: BrowserSession, base_url: str,
                    credentials: Callable[[], Credentials] | None,
                    on_page: Callable[[int, int], None] | None = None,
                    timeout_ms: float = 30_000, passes: int = site.ORDER_LIST_PASSES,
                    stop_after: StopAfter | None = None) -> OrdersRead:
    """Every order of the account, newest first (see the module docstring); the list is
    read again while the site fails it (``flows/retry.py``). With ``stop_after``, the read
    of the API's pages ends after the first page it accepts (``OrdersRead.stopped_early``)."""
    return with_retries(session.settings, "the order list",
                        lambda: _read_list_once(session, base_url, credentials, on_page, timeout_ms, passes,
                                                stop_after),
                        returns_error=True)


def _read_list_once(session: BrowserSession, base_url: str, credentials: Callable[[], Credentials] | None,
                    on_page: Callable[[int, int], None] | None, timeout_ms: float, passes: int,
                    stop_after: StopAfter | None = None) -> OrdersRead:
    result = OrdersRead()
    page = session.new_page()
    reader = _ListPass(page, ApiCapture(page), PassUnion(), on_page, timeout_ms, stop_after=stop_after)
    url = site.order_list_url(base_url)
    try:
        with session.without_dom_snapshots(), session.evidence(page, "order-list"):
            for number in range(1, max(1, passes) + 1):
                mark = reader.capture.mark()
                open_page(session, page, url, credentials)
                check_page(page, WHERE_LIST)
                _fold_read_rows(page)
                reader.union.start_pass()
                if result.source == "api":
                    try:
                        whole = _api_pass(reader, mark)
                    except PageChanged as error:
                        # only an unreadable first answer of the first pass means "read the page"
                        if reader.union.items or number > 1 or isinstance(error, WrongLanguage):
                            raise
                        result.source = "dom"
                if result.source == "dom":
                    whole = _dom_pass(reader)
                if reader.stopped:
                    break
                if whole:
                    reader.union.end_pass()
                if reader.union.complete:
                    break
            result.stopped_early = reader.stopped
            result.complete = reader.union.complete or reader.stopped
            if not result.complete:
                result.missing = reader.union.missing or 0
                result.error = _incomplete(reader.union, passes)
    except SiteError as error:
        result.error = error
    finally:
        result.orders = _newest_first(reader.union.items.values())
        page.close()
    return result


def _fold_read_rows(page: Page) -> None:
    """Take the rows above the last page out of the tab's layout (``site.ORDER_LIST_FOLD_CSS``):
    with every "View orders" the tab grows, and a list of 1,200 orders drawn whole was the
    poll's peak. Best effort: a page that refuses the style is read as it is."""
    try:
        page.add_style_tag(content=site.ORDER_LIST_FOLD_CSS)
    except PlaywrightError as error:
        log.debug("the order list's rows stay drawn: %s", error)


def _api_pass(reader: _ListPass, mark: int) -> bool:
    """One pass over the API answers; False when it stopped early with every order read."""
    answer = reader.capture.wait(site.API_ORDER_LIST, after=mark, timeout_ms=reader.timeout_ms)
    listing = parse_order_list(answer.body, date_header=answer.date_header)
    while True:
        check_orders(listing.orders, WHERE_LIST)
        for order in listing.orders:
            reader.union.add(order.order_id, order)
        reader.page_done()
        if not listing.has_more:
            return True
        if reader.enough():
            return False
        if reader.stop_after is not None and reader.stop_after(listing.orders, reader.union.items.keys(),
                                                               reader.union.repeated):
            reader.stopped = True
            return False
        more = reader.page.locator(site.SEL_ORDER_MORE)
        if more.count() == 0:
            raise PageChanged("the list says more orders exist but shows no 'View orders' button")
        next_mark = reader.capture.mark()
        more.first.click()
        answer = reader.capture.wait(site.API_ORDER_LIST, after=next_mark, timeout_ms=reader.timeout_ms)
        try:
            listing = parse_order_list(answer.body, date_header=answer.date_header)
        except PageChanged as error:
            raise unconfirmed("order-list-later-pages", f"order.list page {listing.page_index + 1}",
                              str(error)) from error


def _dom_pass(reader: _ListPass) -> bool:
    """One pass over the rendered rows (every page shown, then all rows read at once)."""
    page = reader.page
    site_time = _page_date(page)
    page.locator(site.SEL_ORDER_ROW).first.wait_for(timeout=reader.timeout_ms)
    reader.page_done(page.locator(site.SEL_ORDER_ROW).count())
    while True:
        more = page.locator(site.SEL_ORDER_MORE)
        if more.count() == 0 or not more.first.is_visible():
            break
        before = page.locator(site.SEL_ORDER_ROW).count()
        more.first.click()
        page.wait_for_function(
            "([sel, n]) => document.querySelectorAll(sel).length > n",
            arg=[site.SEL_ORDER_ROW, before], timeout=reader.timeout_ms,
        )
        reader.page_done(page.locator(site.SEL_ORDER_ROW).count())
    orders = parse_order_rows(page.evaluate(ROW_SCRIPT, ROW_SELECTORS), site_time)
    check_orders(orders, f"{WHERE_LIST} (page)")
    for order in orders:
        reader.union.add(order.order_id, order)
    return True


def _incomplete(union: PassUnion[Order], passes: int) -> SiteUnavailable:
    return SiteUnavailable(
        f"the order list moved orders between its pages while it was read: {union.missing} of {union.rows} "
        f"orders could not be read in {passes} pass{'es' if passes != 1 else ''} "
        f"(the {len(union.items)} read were kept); "
        "sync again later to read the rest"
    )


def _newest_first(orders: Iterable[Order]) -> list[Order]:
    """By placing day, newest first; a day's orders in the order first seen, unknown days last."""
    return sorted(orders, key=lambda order: order.placed_on or date.min, reverse=True)


def _page_date(page: Page) -> datetime:
    """The site's clock from the document's own HTTP ``Date`` header."""
    header = page.evaluate(
        """async () => { const r = await fetch(location.href, {method: 'HEAD', credentials: 'same-origin'});
                          return r.headers.get('date'); }"""
    )
    parsed = _date_of({"date": header}) if header else None
    if parsed is None:
        raise PageChanged("the site's time cannot be read (no Date header): timers would be guesses")
    return parsed


def read_order_details(session: BrowserSession, base_url: str, order_ids: Iterable[str],
                       credentials: Callable[[], Credentials] | None,
                       politeness: Politeness | None = None, tz: tzinfo = UTC,
                       on_done: Callable[[Order], None] | None = None,
                       timeout_ms: float = 30_000) -> OrdersRead:
    """Each order's detail page, ``politeness.concurrency`` at a time.

    While the site fails a page (``flows/retry.py``), the orders not read yet are read
    again; the ones read are kept.
    """
    wanted = list(order_ids)
    read: dict[str, Order] = {}

    def once() -> OrdersRead:
        part = _read_details_once(session, base_url, [i for i in wanted if i not in read], credentials,
                                  politeness, tz, on_done, timeout_ms)
        read.update((order.order_id, order) for order in part.orders)
        return OrdersRead(orders=list(read.values()), complete=part.complete, error=part.error)

    with session.without_dom_snapshots():  # many pages in a row: see BrowserSession.without_dom_snapshots
        return with_retries(session.settings, "the order pages", once, returns_error=True)


def _read_details_once(session: BrowserSession, base_url: str, order_ids: Iterable[str],
                       credentials: Callable[[], Credentials] | None, politeness: Politeness | None,
                       tz: tzinfo, on_done: Callable[[Order], None] | None, timeout_ms: float) -> OrdersRead:
    politeness = politeness or Politeness()
    pending = list(order_ids)
    result = OrdersRead(complete=False)
    if not pending:
        result.complete = True
        return result
    # one navigation first, on its own: it is where a login happens if one is needed
    workers: list[tuple[Page, ApiCapture]] = []
    try:
        for _ in range(max(1, min(politeness.concurrency, len(pending)))):
            workers.append(_worker(session))
        first_page, first_capture = workers[0]
        with session.evidence(first_page, "order-detail"):
            order_id = pending.pop(0)
            open_page(session, first_page, site.order_detail_url(base_url, order_id), credentials)
            check_page(first_page, "order detail")
            result.orders.append(_detail(first_capture, 0, order_id, tz, timeout_ms))
        if on_done:
            on_done(result.orders[-1])
        # one trace chunk for the whole pool: a chunk per page cost more than the reading
        with session.traced():
            _run_pool(session, base_url, pending, workers, politeness, tz, result, on_done, timeout_ms)
        result.complete = True
    except SiteError as error:
        result.error = error
    finally:
        for page, _ in workers:
            page.close()
    return result


def _detail(capture: ApiCapture, mark: int, order_id: str, tz: tzinfo, timeout_ms: float) -> Order:
    return _parsed(capture.wait(site.API_ORDER_DETAIL, after=mark, timeout_ms=timeout_ms), order_id, tz)


def _parsed(answer, order_id: str, tz: tzinfo) -> Order:
    order = parse_order_detail(answer.body, date_header=answer.date_header, tz=tz)
    check_orders([order], "order detail")
    if order.order_id != order_id:
        raise PageChanged(f"asked for order {order_id} but the page shows order {order.order_id}")
    return order


def _worker(session: BrowserSession) -> tuple[Page, ApiCapture]:
    """A page for reading details: it loads what the data needs, not images and styles."""
    page = session.new_page()
    page.route(site.DETAIL_SKIPPED_RESOURCES, lambda route: route.abort())
    return page, ApiCapture(page)


#: a worker page is replaced after this many orders: a tab's renderer grows with every
#: page it shows, and a fresh tab starts small again
RECYCLE_AFTER = 10


def _run_pool(session: BrowserSession, base_url: str, pending: list[str],
              workers: list[tuple[Page, ApiCapture]], politeness: Politeness, tz: tzinfo,
              result: OrdersRead, on_done, timeout_ms: float) -> None:
    """Keep every worker page busy: start a navigation, collect answers as they come."""
    import time

    busy: dict[int, tuple[str, int, float]] = {}  # worker -> (order id, mark, started)
    served = [0] * len(workers)
    next_start = 0.0
    while pending or busy:
        now = time.monotonic()
        for index, (page, capture) in enumerate(workers):
            if index not in busy and pending and now >= next_start:
                order_id = pending.pop(0)
                mark = capture.mark()
                with session.evidence(page, "order-detail"):
                    answered = page.goto(site.order_detail_url(base_url, order_id), wait_until="commit")
                    if answered is not None and answered.status >= 500:
                        raise SiteUnavailable(server_error(answered.status, f"the detail page of order {order_id}"),
                                              trouble=f"HTTP {answered.status} to the detail page of order {order_id}")
                    if site.is_login_url(page.url):
                        raise LoginRequired(f"the session ended while reading order details; {login_by_hand()}")
                busy[index] = (order_id, mark, time.monotonic())
                next_start = time.monotonic() + politeness.delay_ms() / 1000
        for index in list(busy):
            page, capture = workers[index]
            order_id, mark, started = busy[index]
            answer = capture.poll(site.API_ORDER_DETAIL, after=mark)
            late = (time.monotonic() - started) * 1000 > timeout_ms
            if answer is None and not late:
                continue
            with session.evidence(page, "order-detail"):
                if answer is None:
                    raise capture.site_failure(mark) or _late(capture, mark, order_id, timeout_ms)
                order = _parsed(capture.checked(answer), order_id, tz)
            result.orders.append(order)
            del busy[index]
            served[index] += 1
            if served[index] >= RECYCLE_AFTER and pending:
                page.close()
                workers[index] = _worker(session)
                served[index] = 0
            if on_done:
                on_done(order)
        pause(session.context(), 20)


def _late(capture: ApiCapture, mark: int, order_id: str, timeout_ms: float) -> SiteError:
    """No answer in time: the site slow (its call was sent) or the page changed (never sent)."""
    waited = f"{timeout_ms / 1000:g} s"
    if capture.asked(site.API_ORDER_DETAIL.lower(), mark):
        return SiteUnavailable(f"the detail page of order {order_id} got no answer within {waited}; try again later",
                               trouble=f"no answer to {site.API_ORDER_DETAIL} within {waited}")
    return PageChanged(f"the detail page of order {order_id} did not ask for its data within {waited}",
                       hint="compare the evidence with flows/site.py (API_ORDER_DETAIL)")


def read_tracking(session: BrowserSession, base_url: str, order_id: str,
                  credentials: Callable[[], Credentials] | None, timeout_ms: float = 30_000):
    """The order's tracking page, as a ``TrackingInfo`` (loaded again while the site fails it)."""
    return with_retries(session.settings, f"the tracking page of order {order_id}",
                        lambda: _read_tracking_once(session, base_url, order_id, credentials, timeout_ms))


def _read_tracking_once(session: BrowserSession, base_url: str, order_id: str,
                        credentials: Callable[[], Credentials] | None, timeout_ms: float):
    from flows.parsers.tracking import parse_tracking

    page = session.new_page()
    capture = ApiCapture(page)
    try:
        with session.evidence(page, "tracking"):
            open_page(session, page, site.tracking_url(base_url, order_id), credentials)
            answer = capture.wait(site.API_TRACKING, timeout_ms=timeout_ms)
            return parse_tracking(answer.body)
    finally:
        page.close()
