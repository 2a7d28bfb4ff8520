"""Filing a dispute the way a careful buyer does by hand.

Order detail → the item's "Returns/refunds" button → "Have you received your
package?" → the form: reason, solution, full or partial amount, description, files.
The filled form is photographed before anything is sent. ``dry_run`` stops there.
Otherwise ``before_submit`` runs (the caller records its intent in the database),
Submit is pressed, and the new case is read from the page the site lands on.
A refusal shown on the form becomes ``NotEligible`` with the page's own words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Page

from agent.errors import NotEligible, PageChanged
from agent.models import DisputeDetail
from agent.secrets import Credentials
from flows import site
from flows.browser import BrowserSession
from flows.capture import ApiCapture
from flows.login import open_page
from flows.parsers.disputes import parse_dispute_detail


@dataclass(frozen=True)
class DisputeForm:
    order_id: str
    line_id: str
    received: bool
    reason: str
    solution: str  # refund_only | return_and_refund
    #: None for a full refund
    amount: Decimal | None
    description: str
    files: tuple[Path, ...] = ()


@dataclass
class FilingResult:
    form_evidence: Path
    dry_run: bool
    reverse_line_id: str | None = None
    detail: DisputeDetail | None = None
    link: str | None = None
    confirmation_evidence: Path | None = None


def file_dispute(session: BrowserSession, base_url: str, form: DisputeForm,
                 credentials: Callable[[], Credentials] | None, *, dry_run: bool = False,
                 before_submit: Callable[[], None] | None = None, timeout_ms: float = 30_000) -> FilingResult:
    page = session.new_page()
    capture = ApiCapture(page)
    try:
        with session.evidence(page, "open-dispute"):
            _reach_form(session, page, capture, base_url, form, credentials, timeout_ms)
            _fill(page, form)
            shot = session.save_evidence(page, "dispute-form", kind="dry-run" if dry_run else "action")
            if dry_run:
                return FilingResult(form_evidence=shot, dry_run=True)
            if before_submit is not None:
                before_submit()
            mark = capture.mark()
            page.click(site.SEL_FORM_SUBMIT)
            _wait_for_outcome(page, timeout_ms)
            answer = capture.wait(site.API_DISPUTE_DETAIL, after=mark, timeout_ms=timeout_ms)
            detail = parse_dispute_detail(answer.body, date_header=answer.date_header)
            if detail.trade_line_id != form.line_id:
                raise PageChanged(f"the site shows the case of item {detail.trade_line_id}, not of {form.line_id}")
            reverse_line_id = detail.reverse_line_id
            page.locator(site.SEL_DISPUTE_RENDERED).first.wait_for(state="visible", timeout=timeout_ms)
            confirmation = session.save_evidence(page, "dispute-opened")
            return FilingResult(form_evidence=shot, dry_run=False, reverse_line_id=reverse_line_id,
                                detail=detail, link=page.url, confirmation_evidence=confirmation)
    finally:
        page.close()


def _reach_form(session: BrowserSession, page: Page, capture: ApiCapture, base_url: str, form: DisputeForm,
                credentials, timeout_ms: float) -> None:
    open_page(session, page, site.order_detail_url(base_url, form.order_id), credentials)
    capture.wait(site.API_ORDER_DETAIL, timeout_ms=timeout_ms)
    button = page.locator(site.SEL_DISPUTE_BUTTON.format(line_id=form.line_id))
    try:
        button.first.wait_for(state="visible", timeout=min(timeout_ms, 5_000))
    except Exception:
        raise NotEligible(
            f"the site offers no 'Returns/refunds' button for item {form.line_id} of order {form.order_id}; "
            "a dispute cannot be opened for it now"
        ) from None
    button.first.click()
    page.click(site.SEL_RECEIVED_YES if form.received else site.SEL_RECEIVED_NO)
    page.wait_for_load_state("domcontentloaded")
    if page.locator(site.SEL_FORM).count() == 0:
        error = page.locator(site.SEL_FORM_ERROR)
        if error.count():
            raise NotEligible(f"the site refuses: {error.first.inner_text().strip()}")
        raise PageChanged("the dispute form did not appear after the 'received?' question")


def _fill(page: Page, form: DisputeForm) -> None:
    reason = page.locator(site.SEL_FORM_REASON)
    values = reason.locator("option").evaluate_all("(options) => options.map((o) => o.value)")
    if form.reason not in values:
        raise NotEligible(f"the site's form has no reason {form.reason!r} for this case "
                          f"(it offers: {', '.join(v for v in values if v)})")
    reason.select_option(form.reason)
    page.check(site.SEL_FORM_SOLUTION.format(solution=form.solution))
    if form.amount is None:
        page.check(site.SEL_FORM_REFUND_FULL)
    else:
        page.check(site.SEL_FORM_REFUND_PARTIAL)
        page.fill(site.SEL_FORM_AMOUNT, f"{form.amount:.2f}")
    page.fill(site.SEL_FORM_DESCRIPTION, form.description)
    if form.files:
        page.set_input_files(site.SEL_FORM_FILES, [str(path) for path in form.files])


def _wait_for_outcome(page: Page, timeout_ms: float) -> None:
    """The site lands on the new case's page (its id comes with that page's data); the
    form's error otherwise."""
    error = page.locator(site.SEL_FORM_ERROR)
    page.wait_for_function(
        """([path, errorSel]) => location.pathname.endsWith(path) ||
             Array.from(document.querySelectorAll(errorSel)).some((e) => !e.hidden && e.textContent.trim())""",
        arg=[site.DISPUTE_DETAIL_PATH, site.SEL_FORM_ERROR], timeout=timeout_ms,
    )
    if urlsplit(page.url).path.endswith(site.DISPUTE_DETAIL_PATH):
        return
    raise NotEligible(f"the site refused the dispute: {error.first.inner_text().strip()}")
