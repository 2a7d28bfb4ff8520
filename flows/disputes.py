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

A poll reads every open case with ``DisputeReader``, as order pages are read
(``flows/orders.py``): ``politeness.concurrency`` tabs, the next case's page started
(after the polite pause) while the case another tab shows is read, so the browser
loads one page while Python reads the other. The first page is opened alone, where a
login happens; a later one landing on the login page is ``LoginRequired``. A tab is
replaced every ``RECYCLE_AFTER`` cases and after a failure (a tab per case cost more
than the reading), and the page is kept as a snapshot only when the caller asks for
one (a case that changed): both readings are still made and compared on every case,
and one case whose readings disagree does not stop the others.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, tzinfo
from pathlib import Path

from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from agent.config.secrets import Credentials
from agent.core.display import login_by_hand
from agent.core.errors import (
    CaptchaRequired,
    LoginRequired,
    PageChanged,
    SiteError,
    SiteUnavailable,
)
from agent.core.models import DisputeDetail, DisputeSummary, RefundListPage
from flows import site
from flows.browser import BrowserSession
from flows.capture import ApiCapture, Captured, pause, server_error
from flows.language import check_page
from flows.login import challenge_on_page, open_page
from flows.orders import Politeness
from flows.parsers.dispute_page import (
    PageTexts,
    ReadingsDisagree,
    api_amount,
    check_readings,
    compare_readings,
    read_page,
)
from flows.parsers.disputes import parse_dispute_detail
from flows.parsers.refunds import parse_refund_list
from flows.retry import is_transient, with_retries

log = logging.getLogger("dispute_agent.flows.disputes")

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


#: a reader's tab is replaced after this many cases: a tab's renderer and its capture grow
#: (with 10, the two tabs reached 160-250 MB by the 150th case; with 4 they stay near 120,
#: bench/bench_poll.py, and the new tabs cost no measurable time)
RECYCLE_AFTER = 4


@dataclass
class CaseRead:
    """One case as a poll read it: its reading, the page's address and the snapshot folder
    (None: not asked for), or the disagreement of its two readings, when they disagreed
    (nothing is decided on such a case; its evidence is in ``disagreement.evidence``)."""

    reverse_line_id: str
    link: str
    detail: DisputeDetail | None = None
    snapshot: Path | None = None
    disagreement: ReadingsDisagree | None = None


@dataclass
class _Tab:
    page: Page
    capture: ApiCapture
    served: int = 0


class DisputeReader:
    """Reads the cases of a poll on ``politeness.concurrency`` tabs of ``session`` (see the
    module docstring)."""

    def __init__(self, session: BrowserSession, base_url: str, credentials: Callable[[], Credentials] | None,
                 tz: tzinfo = UTC, timeout_ms: float = 30_000, *, mobile_url: str | None = None,
                 politeness: Politeness | None = None) -> None:
        self.session, self.base_url, self.credentials = session, base_url, credentials
        self.tz, self.timeout_ms, self.mobile_url = tz, timeout_ms, mobile_url
        self.politeness = politeness or Politeness()

    def read_all(self, cases: Sequence[tuple[str, str]], *, screenshot_label: str,
                 photograph: Callable[[DisputeDetail], bool], on_read: Callable[[CaseRead], None]) -> None:
        """Read every case of ``cases`` (case id, its order line), handing each to ``on_read``
        as soon as it is read, so the caller records it while the next page loads.

        ``photograph(detail)`` says whether the page is kept as a snapshot. A case whose
        readings disagree is handed over with its disagreement and the others are read on;
        any other failure ends the reading. While the site fails a page (``flows/retry.py``)
        the cases not read yet are read again, with a fresh set of tries whenever a try
        read at least one case: a site failing one page in thirty is not a busy site.
        """
        left = list(cases)

        def once() -> bool:
            before = len(left)
            try:
                self._read_some(left, screenshot_label, photograph, on_read)
            except SiteUnavailable as error:
                if is_transient(error) and len(left) < before:
                    log.info("the dispute pages: the site failed (%s) after %s cases; reading the %s left",
                             error.trouble, before - len(left), len(left))
                    return False
                raise
            return True

        with self.session.without_dom_snapshots():  # many pages in a row: see BrowserSession
            while not with_retries(self.session.settings, "the dispute pages", once):
                pass

    def _read_some(self, left: list[tuple[str, str]], label: str, photograph: Callable[[DisputeDetail], bool],
                   on_read: Callable[[CaseRead], None]) -> None:
        """One try: the first case alone through ``open_page`` (where a login happens), then
        the others on every tab, removed from ``left`` as they are read."""
        if not left:
            return
        tabs: list[_Tab] = []
        try:
            tabs += [self._tab() for _ in range(max(1, min(self.politeness.concurrency, len(left))))]
            case_id, line = left[0]
            url = site.dispute_detail_url(self.base_url, line, self.mobile_url)
            mark = tabs[0].capture.mark()
            with self.session.evidence(tabs[0].page, "dispute-detail"):
                open_page(self.session, tabs[0].page, url, self.credentials)
            self._finish(tabs, 0, case_id, url, mark, label, photograph, on_read, left)
            # one trace chunk for the whole pool: a chunk per page cost more than the reading
            with self.session.traced():
                self._pool(tabs, left, label, photograph, on_read)
        finally:
            for tab in tabs:
                _close(tab.page)

    def _pool(self, tabs: list[_Tab], left: list[tuple[str, str]], label: str,
              photograph: Callable[[DisputeDetail], bool], on_read: Callable[[CaseRead], None]) -> None:
        """Keep every tab busy: a navigation started on one (the polite pause between two
        starts respected) while the case another one shows is read."""
        waiting = list(left)
        busy: dict[int, tuple[str, str, int, float]] = {}  # tab -> (case id, address, mark, started)
        next_start = 0.0
        while waiting or busy:
            for index, tab in enumerate(tabs):
                if index in busy or not waiting or time.monotonic() < next_start:
                    continue
                case_id, line = waiting.pop(0)
                url = site.dispute_detail_url(self.base_url, line, self.mobile_url)
                mark = tab.capture.mark()
                with self.session.evidence(tab.page, "dispute-detail"):
                    _go(tab.page, url, case_id)
                busy[index] = (case_id, url, mark, time.monotonic())
                next_start = time.monotonic() + self.politeness.delay_ms() / 1000
            for index in list(busy):
                case_id, url, mark, started = busy[index]
                capture = tabs[index].capture
                if capture.poll(site.API_DISPUTE_DETAIL, after=mark) is None:
                    failure = capture.site_failure(mark)
                    if failure is None and (time.monotonic() - started) * 1000 <= self.timeout_ms:
                        continue
                    with self.session.evidence(tabs[index].page, "dispute-detail"):
                        raise failure or _late(tabs[index].page, capture, mark, case_id, self.timeout_ms)
                del busy[index]
                self._finish(tabs, index, case_id, url, mark, label, photograph, on_read, left,
                             recycle=bool(waiting))
            pause(self.session.context(), 20)

    def _finish(self, tabs: list[_Tab], index: int, case_id: str, url: str, mark: int, label: str,
                photograph: Callable[[DisputeDetail], bool], on_read: Callable[[CaseRead], None],
                left: list[tuple[str, str]], *, recycle: bool = True) -> None:
        """Read the case the tab shows (both readings), snapshot it if asked, hand it over;
        the tab is replaced after a disagreement, or once it served ``RECYCLE_AFTER`` cases."""
        tab = tabs[index]
        tab.served += 1
        try:
            with self.session.evidence(tab.page, "dispute-detail"):
                detail = read_case(tab.page, tab.capture, case_id, self.tz, self.timeout_ms, after=mark)
                shot = self.session.save_evidence(tab.page, label, kind="poll") if photograph(detail) else None
            found = CaseRead(case_id, url, detail=detail, snapshot=shot)
        except ReadingsDisagree as error:
            self.session.keep_trace(error.evidence)
            found = CaseRead(case_id, url, disagreement=error)
            tab.served = RECYCLE_AFTER  # a page that failed is not read again
        left[:] = [case for case in left if case[0] != case_id]
        if tab.served >= RECYCLE_AFTER and recycle and left:
            _close(tab.page)
            tabs[index] = self._tab()
        on_read(found)

    def _tab(self) -> _Tab:
        page = self.session.new_page()
        return _Tab(page, ApiCapture(page))


def _go(page: Page, url: str, case_id: str) -> None:
    """Start loading a case's page (the answers are collected later): a 5xx is the site
    failing, a login page the session gone."""
    answered = page.goto(url, wait_until="commit")
    if answered is not None and answered.status >= 500:
        raise SiteUnavailable(server_error(answered.status, f"the page of dispute {case_id}"),
                              trouble=f"HTTP {answered.status} to the page of dispute {case_id}")
    if site.is_login_url(page.url):
        raise LoginRequired(f"the session ended while reading the dispute pages; {login_by_hand()}")


def _late(page: Page, capture: ApiCapture, mark: int, case_id: str, timeout_ms: float) -> SiteError:
    """No answer in time: the session gone or a captcha shown, the site slow (its call was
    sent), or the page changed (never sent)."""
    if site.is_login_url(page.url):
        return LoginRequired(f"the session ended while reading the dispute pages; {login_by_hand()}")
    captcha = challenge_on_page(page)
    if captcha:
        return CaptchaRequired(f"the site shows {captcha} instead of the page of dispute {case_id}; "
                               f"{login_by_hand()}")
    waited = f"{timeout_ms / 1000:g} s"
    if capture.asked(site.API_DISPUTE_DETAIL.lower(), mark):
        return SiteUnavailable(f"the page of dispute {case_id} got no answer within {waited}; try again later",
                               trouble=f"no answer to {site.API_DISPUTE_DETAIL} within {waited}")
    return PageChanged(f"the page of dispute {case_id} did not ask for its data within {waited}",
                       hint="compare the evidence with flows/site.py (API_DISPUTE_DETAIL)")


def _close(page: Page) -> None:
    try:
        page.close()
    except Exception:  # noqa: BLE001, S110 - a tab of a browser already gone
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
