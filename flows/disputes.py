"""Reading the dispute ("refund/return") list and each dispute's page.

Both pages fill themselves from the site's API; the flows read those answers. The
list's ``pages`` field can be 0 although items exist, so "View more" is followed
while the page offers it and the count of items read is below ``total``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, tzinfo

from agent.errors import SiteError
from agent.models import DisputeDetail, DisputeSummary
from agent.secrets import Credentials
from flows import site
from flows.browser import BrowserSession
from flows.capture import ApiCapture
from flows.login import open_page
from flows.parsers.disputes import parse_dispute_detail
from flows.parsers.refunds import parse_refund_list


def read_dispute_list(session: BrowserSession, base_url: str, credentials: Callable[[], Credentials] | None,
                      tz: tzinfo = UTC, timeout_ms: float = 30_000) -> list[DisputeSummary]:
    page = session.new_page()
    capture = ApiCapture(page)
    try:
        with session.evidence(page, "dispute-list"):
            open_page(session, page, site.mobile_base(base_url) + site.DISPUTE_LIST_PATH, credentials)
            answer = capture.wait(site.API_REFUND_LIST, timeout_ms=timeout_ms)
            listing = parse_refund_list(answer.body, tz=tz)
            items = list(listing.items)
            while len(items) < listing.total:
                more = page.locator(site.SEL_DISPUTE_LIST_MORE)
                if more.count() == 0 or not more.first.is_visible():
                    break
                mark = capture.mark()
                more.first.click()
                answer = capture.wait(site.API_REFUND_LIST, after=mark, timeout_ms=timeout_ms)
                listing = parse_refund_list(answer.body, tz=tz)
                if not listing.items:
                    break
                items.extend(listing.items)
            return items
    finally:
        page.close()


def read_dispute(session: BrowserSession, base_url: str, reverse_line_id: str,
                 credentials: Callable[[], Credentials] | None, tz: tzinfo = UTC,
                 timeout_ms: float = 30_000, screenshot_label: str | None = None):
    """One dispute's page: (detail, its URL, a screenshot folder if asked for)."""
    page = session.new_page()
    capture = ApiCapture(page)
    try:
        with session.evidence(page, "dispute-detail"):
            url = site.dispute_detail_url(base_url, reverse_line_id)
            open_page(session, page, url, credentials)
            answer = capture.wait(site.API_DISPUTE_DETAIL, timeout_ms=timeout_ms)
            detail = parse_dispute_detail(answer.body, date_header=answer.date_header, tz=tz)
            shot = None
            if screenshot_label:
                page.locator(site.SEL_DISPUTE_RENDERED).first.wait_for(state="visible", timeout=timeout_ms)
                shot = session.save_evidence(page, screenshot_label, kind="poll")
            return detail, url, shot
    finally:
        page.close()


def read_disputes(session: BrowserSession, base_url: str, ids: Iterable[str],
                  credentials: Callable[[], Credentials] | None, tz: tzinfo = UTC,
                  timeout_ms: float = 30_000) -> tuple[list[tuple[DisputeDetail, str, object]], SiteError | None]:
    """Several disputes; an error stops the read but keeps what was read."""
    done = []
    for reverse_line_id in ids:
        try:
            done.append(read_dispute(session, base_url, reverse_line_id, credentials, tz, timeout_ms,
                                     screenshot_label="dispute"))
        except SiteError as error:
            return done, error
    return done, None
