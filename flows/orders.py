"""The order list and the order detail pages, read as the page receives them.

List: open the order list, read each ``order.list`` answer the page's script gets,
click "View orders" until ``hasMore`` is false. If no answer can be read (the API
changed shape), the rows are read from the DOM instead; if neither works the flow
raises ``PageChanged`` with evidence — never a half-read list passed off as whole.

Details: several pages of one context load at once (``concurrency``), started with
a polite random delay; Python waits on all of them from the one Playwright thread.
An error mid-way keeps what was read: the caller stores it and reports the error.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from datetime import UTC, datetime, tzinfo

from playwright.sync_api import Page

from agent.errors import LoginRequired, PageChanged, SiteError
from agent.models import Order
from agent.secrets import Credentials
from flows import site
from flows.browser import BrowserSession
from flows.capture import ApiCapture, pause
from flows.login import HANDOFF, open_page
from flows.parsers.order_dom import parse_order_rows
from flows.parsers.orders import parse_order_detail, parse_order_list

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
      };
    }),
  };
})
"""
ROW_SELECTORS = {
    "row": site.SEL_ORDER_ROW, "status": site.SEL_ORDER_STATUS, "info": site.SEL_ORDER_HEADER_INFO,
    "store": site.SEL_ORDER_STORE, "reminder": site.SEL_ORDER_REMINDER, "total": site.SEL_ORDER_TOTAL,
    "item": site.SEL_ORDER_ITEM, "title": site.SEL_ORDER_ITEM_TITLE, "sku": site.SEL_ORDER_ITEM_SKU,
    "price": site.SEL_ORDER_ITEM_PRICE,
}


@dataclass
class OrdersRead:
    """What a read produced: everything read so far, and the error that stopped it."""

    orders: list[Order] = field(default_factory=list)
    complete: bool = False
    source: str = "api"
    error: SiteError | None = None


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


def read_order_list(session: BrowserSession, base_url: str,
                    credentials: Callable[[], Credentials] | None,
                    on_page: Callable[[int, int], None] | None = None,
                    timeout_ms: float = 30_000) -> OrdersRead:
    """Every order of the account, newest first."""
    result = OrdersRead()
    page = session.new_page()
    capture = ApiCapture(page)
    url = site.order_list_url(base_url)
    try:
        with session.evidence(page, "order-list"):
            open_page(session, page, url, credentials)
            try:
                first = capture.wait(site.API_ORDER_LIST, timeout_ms=timeout_ms)
                listing = parse_order_list(first.body, date_header=first.date_header)
            except PageChanged:
                if result.orders:
                    raise
                _read_list_from_dom(page, result, on_page, timeout_ms)
                result.complete = True
                return result
            result.orders.extend(listing.orders)
            if on_page:
                on_page(listing.page_index, len(result.orders))
            while listing.has_more:
                mark = capture.mark()
                more = page.locator(site.SEL_ORDER_MORE)
                if more.count() == 0:
                    raise PageChanged("the list says more orders exist but shows no 'View orders' button")
                more.first.click()
                answer = capture.wait(site.API_ORDER_LIST, after=mark, timeout_ms=timeout_ms)
                listing = parse_order_list(answer.body, date_header=answer.date_header)
                result.orders.extend(listing.orders)
                if on_page:
                    on_page(listing.page_index, len(result.orders))
            result.complete = True
    except SiteError as error:
        result.error = error
    finally:
        page.close()
    return result


def _read_list_from_dom(page: Page, result: OrdersRead, on_page, timeout_ms: float) -> None:
    result.source = "dom"
    site_time = _page_date(page)
    page.locator(site.SEL_ORDER_ROW).first.wait_for(timeout=timeout_ms)
    pages = 1
    while True:
        more = page.locator(site.SEL_ORDER_MORE)
        if more.count() == 0 or not more.first.is_visible():
            break
        before = page.locator(site.SEL_ORDER_ROW).count()
        more.first.click()
        page.wait_for_function(
            "([sel, n]) => document.querySelectorAll(sel).length > n",
            arg=[site.SEL_ORDER_ROW, before], timeout=timeout_ms,
        )
        pages += 1
        if on_page:
            on_page(pages, page.locator(site.SEL_ORDER_ROW).count())
    rows = page.evaluate(ROW_SCRIPT, ROW_SELECTORS)
    result.orders.extend(parse_order_rows(rows, site_time))


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
    """Each order's detail page, ``politeness.concurrency`` at a time."""
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
                    page.goto(site.order_detail_url(base_url, order_id), wait_until="commit")
                    if site.is_login_url(page.url):
                        raise LoginRequired(f"the session ended while reading order details; {HANDOFF}")
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
                    raise PageChanged(f"the detail page of order {order_id} did not load its data in time")
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


def read_tracking(session: BrowserSession, base_url: str, order_id: str,
                  credentials: Callable[[], Credentials] | None, timeout_ms: float = 30_000):
    """The order's tracking page, as a ``TrackingInfo``."""
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
