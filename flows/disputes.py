"""Reading the dispute ("refund/return") list and each dispute's page, on the m. host.

Both pages fill themselves from the site's API; the flows read those answers (POSTs,
answered as JSON). The list is paged with its visible "next" control while its data
announces more, and each page's rows are counted against the cases of its answer, so a
list that draws something else than it loaded is noticed. The list's ``pages`` field
can be 0 although items exist: the items are counted against ``total`` instead (or,
without one, a full page is taken to announce another). The reader never stops short
in silence: a list that announces more than the pages it could reach is a PageChanged.

A dispute's page is read twice, independently: its answer, and what it shows (the
status line, the amount with its currency, the deadline in words). The two readings
are compared in ``flows/parsers/dispute_page.py``; any difference is a PageChanged
with the evidence of the page, never a silent pass.

A poll reads every open case with ``DisputeReader``: one tab for all of them (a new tab
per case cost more than the reading), replaced every ``RECYCLE_AFTER`` cases and after
a failure, and a snapshot of the page only when the caller asks for one (a case that
changed): both readings are still made and compared on every case.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, tzinfo

from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from agent.config.secrets import Credentials
from agent.core.errors import PageChanged
from agent.core.models import DisputeDetail, DisputeSummary, RefundListPage
from flows import site
from flows.browser import BrowserSession
from flows.capture import ApiCapture, Captured, pause
from flows.language import check_page
from flows.login import open_page
from flows.parsers.dispute_page import (
    PageTexts,
    api_amount,
    check_readings,
    compare_readings,
    read_page,
)
from flows.parsers.disputes import parse_dispute_detail
from flows.parsers.refunds import parse_refund_list
from flows.retry import with_retries

#: how long the page may take to draw an answer it received before the two readings must agree
SETTLE_MS = 3_000


def read_dispute_list(session: BrowserSession, base_url: str, credentials: Callable[[], Credentials] | None,
                      tz: tzinfo = UTC, timeout_ms: float = 30_000, *,
                      mobile_url: str | None = None) -> list[DisputeSummary]:
    """Every case of the list, each once, newest first as the site lists them (read
    again while the site fails it)."""
    return with_retries(session.settings, "the dispute list",
                        lambda: _read_list_once(session, base_url, credentials, tz, timeout_ms, mobile_url))


def _read_list_once(session: BrowserSession, base_url: str, credentials: Callable[[], Credentials] | None,
                    tz: tzinfo, timeout_ms: float, mobile_url: str | None) -> list[DisputeSummary]:
    page = session.new_page()
    capture = ApiCapture(page)
    try:
        with session.evidence(page, "dispute-list"):
            open_page(session, page, site.dispute_list_url(base_url, mobile_url), credentials)
            check_page(page, "dispute list")
            listing = _list_page(page, capture.wait(site.API_REFUND_LIST, timeout_ms=timeout_ms), tz, timeout_ms)
            items = list(listing.items)
            announced = listing.total
            for _ in range(site.DISPUTE_LIST_MAX_PAGES):
                if not listing.has_more:
                    break
                nxt = page.locator(site.SEL_DISPUTE_LIST_NEXT).filter(visible=True)
                if nxt.count() == 0 or control_disabled(nxt.first):
                    break
                mark = capture.mark()
                nxt.first.click()
                listing = _list_page(page, capture.wait(site.API_REFUND_LIST, after=mark, timeout_ms=timeout_ms),
                                     tz, timeout_ms)
                announced = max(announced, listing.total)
                if not listing.items:
                    break
                items.extend(listing.items)
            unique = list({item.reverse_line_id: item for item in items}.values())
            if len(unique) < announced or (listing.has_more and listing.items):
                more = f"the {announced} cases its data counts" if len(unique) < announced else "more pages"
                raise PageChanged(f"the dispute list stopped at {len(unique)} cases while its data announces {more}, "
                                  f"and no usable next-page control ({site.SEL_DISPUTE_LIST_NEXT}) is shown; "
                                  "the paging may have changed: compare the evidence with flows/site.py")
            return unique
    finally:
        page.close()


def control_disabled(control) -> bool:
    """A paging control switched off (by `disabled` or `aria-disabled`): the last page."""
    return bool(control.evaluate("(e) => e.disabled === true || e.getAttribute('aria-disabled') === 'true'"))


def _list_page(page: Page, answer: Captured, tz: tzinfo, timeout_ms: float) -> RefundListPage:
    """One page of the list: its answer, and as many rows drawn as the answer has cases."""
    listing = parse_refund_list(answer.body, tz=tz)
    expected = len(listing.items)
    try:
        page.wait_for_function("([sel, n]) => document.querySelectorAll(sel).length === n",
                               arg=[site.SEL_DISPUTE_LIST_ROW, expected], timeout=min(timeout_ms, 10_000))
    except PlaywrightTimeoutError:
        shown = page.locator(site.SEL_DISPUTE_LIST_ROW).count()
        raise PageChanged(f"the dispute list shows {shown} rows ({site.SEL_DISPUTE_LIST_ROW}) for the {expected} "
                          "cases of its data; the page changed: compare the evidence with flows/site.py") from None
    return listing


def read_dispute(session: BrowserSession, base_url: str, reverse_line_id: str | None,
                 credentials: Callable[[], Credentials] | None, tz: tzinfo = UTC,
                 timeout_ms: float = 30_000, screenshot_label: str | None = None, *,
                 trade_line_id: str, mobile_url: str | None = None) -> tuple[DisputeDetail, str, object]:
    """One dispute's page, read twice: (detail, its URL, a screenshot folder if asked for).

    The page is addressed by the case's order line (``trade_line_id``), as the site's
    own list links it; the case it shows must be ``reverse_line_id`` (None: whichever
    case the line has, when only the line is known). Loaded again while the site fails it.
    """
    what = f"the page of dispute {reverse_line_id}" if reverse_line_id else f"the dispute page of line {trade_line_id}"
    return with_retries(session.settings, what, lambda: _read_dispute_once(
        session, base_url, reverse_line_id, credentials, tz, timeout_ms, screenshot_label,
        trade_line_id=trade_line_id, mobile_url=mobile_url))


def _read_dispute_once(session: BrowserSession, base_url: str, reverse_line_id: str | None,
                       credentials: Callable[[], Credentials] | None, tz: tzinfo, timeout_ms: float,
                       screenshot_label: str | None, *, trade_line_id: str,
                       mobile_url: str | None) -> tuple[DisputeDetail, str, object]:
    page = session.new_page()
    capture = ApiCapture(page)
    try:
        with session.evidence(page, "dispute-detail"):
            url = site.dispute_detail_url(base_url, trade_line_id, mobile_url)
            open_page(session, page, url, credentials)
            detail = read_case(page, capture, reverse_line_id, tz, timeout_ms)
            shot = session.save_evidence(page, screenshot_label, kind="poll") if screenshot_label else None
            return detail, url, shot
    finally:
        page.close()


#: the reader's tab is replaced after this many cases: a tab's renderer and its capture grow
RECYCLE_AFTER = 10


class DisputeReader:
    """Reads case after case on one tab of ``session`` (see the module docstring); close it after."""

    def __init__(self, session: BrowserSession, base_url: str, credentials: Callable[[], Credentials] | None,
                 tz: tzinfo = UTC, timeout_ms: float = 30_000, *, mobile_url: str | None = None) -> None:
        self.session, self.base_url, self.credentials = session, base_url, credentials
        self.tz, self.timeout_ms, self.mobile_url = tz, timeout_ms, mobile_url
        self._page: Page | None = None
        self._capture: ApiCapture | None = None
        self._served = 0

    def read(self, reverse_line_id: str, *, trade_line_id: str, screenshot_label: str,
             photograph: Callable[[DisputeDetail], bool]) -> tuple[DisputeDetail, str, object]:
        """(detail, its URL, a snapshot folder or None); ``photograph(detail)`` says whether
        the page is kept as a snapshot. Loaded again while the site fails it."""
        return with_retries(self.session.settings, f"the page of dispute {reverse_line_id}",
                            lambda: self._read_once(reverse_line_id, trade_line_id, screenshot_label, photograph))

    def _read_once(self, reverse_line_id: str, trade_line_id: str, screenshot_label: str,
                   photograph: Callable[[DisputeDetail], bool]) -> tuple[DisputeDetail, str, object]:
        if self._page is None or self._served >= RECYCLE_AFTER:
            self.close()
            self._page = self.session.new_page()
            self._capture = ApiCapture(self._page)
        page, capture = self._page, self._capture
        assert capture is not None
        self._served += 1
        try:
            with self.session.evidence(page, "dispute-detail"):
                url = site.dispute_detail_url(self.base_url, trade_line_id, self.mobile_url)
                mark = capture.mark()
                open_page(self.session, page, url, self.credentials)
                detail = read_case(page, capture, reverse_line_id, self.tz, self.timeout_ms, after=mark)
                shot = self.session.save_evidence(page, screenshot_label, kind="poll") if photograph(detail) else None
                return detail, url, shot
        except BaseException:
            self.close()  # a page that failed is not read again: the next case starts on a fresh one
            raise

    def close(self) -> None:
        if self._page is not None:
            page, self._page, self._capture, self._served = self._page, None, None, 0
            try:
                page.close()
            except Exception:  # noqa: BLE001 - a tab of a browser already gone
                pass


def read_case(page: Page, capture: ApiCapture, reverse_line_id: str | None, tz: tzinfo, timeout_ms: float,
              *, after: int = 0) -> DisputeDetail:
    """The case on an open dispute page, from its (next) answer and from what the page shows."""
    check_page(page, "dispute page")  # its status line is read as English words
    answer = capture.wait(site.API_DISPUTE_DETAIL, after=after, timeout_ms=timeout_ms)
    detail = parse_dispute_detail(answer.body, date_header=answer.date_header, tz=tz)
    if reverse_line_id and detail.reverse_line_id != reverse_line_id:
        raise PageChanged(f"the page of order line {detail.trade_line_id} shows case {detail.reverse_line_id}, "
                          f"not case {reverse_line_id}; nothing was read from it")
    try:
        page.locator(site.SEL_DISPUTE_STATUS).first.wait_for(state="visible", timeout=min(timeout_ms, 10_000))
    except PlaywrightTimeoutError:
        raise PageChanged(f"the dispute page shows no status line ({site.SEL_DISPUTE_STATUS}); the page changed: "
                          "compare the evidence with flows/site.py") from None
    reference = api_amount(detail) or detail.paid_amount
    hint = reference.currency if reference else None  # only settles "$"-like symbols
    settle = time.monotonic() + SETTLE_MS / 1000
    while True:  # the page may still be drawing the answer it just received
        reading = read_page(page_texts(page), tz, hint)
        if not compare_readings(detail, reading) or time.monotonic() >= settle:
            return check_readings(detail, reading)
        pause(page.context, 200)


def page_texts(page: Page) -> PageTexts:
    """The dispute page's status line, amount, deadline and escalation button, as shown."""

    def text(selector: str) -> str | None:
        found = page.locator(selector)
        if found.count() == 0:
            return None
        return " ".join(found.first.inner_text().split()) or None

    escalate = page.get_by_role("button", name=site.TEXT_ESCALATE)
    return PageTexts(status=text(site.SEL_DISPUTE_STATUS), amount=text(site.SEL_DISPUTE_AMOUNT),
                     deadline=text(site.SEL_DISPUTE_DEADLINE),
                     escalation_button=escalate.count() > 0 and escalate.first.is_visible())
