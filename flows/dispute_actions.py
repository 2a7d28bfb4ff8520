"""Acting on a dispute's page: accept, reject (with a counter-offer), escalate, add
evidence, answer the mediator — each as a person would click it.

Every action leaves a screenshot of the page before pressing the final button and one
after the site confirmed it; the refusal the page shows becomes ``NotEligible`` with
its own words. The case is read again from the page's reloaded data and returned.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from agent.errors import NotEligible, PageChanged
from agent.models import DisputeDetail
from agent.secrets import Credentials
from flows import site
from flows.browser import BrowserSession
from flows.capture import ApiCapture
from flows.login import open_page
from flows.parsers.disputes import parse_dispute_detail

ACTIONS = ("accept", "reject", "escalate", "evidence", "answer")
#: the button that shows each action on the page
OPENERS = {"accept": site.SEL_ACTION_ACCEPT, "reject": site.SEL_ACTION_REJECT, "escalate": site.SEL_ACTION_ESCALATE,
           "evidence": site.SEL_ACTION_EVIDENCE, "answer": site.SEL_ACTION_ANSWER}
#: the button that sends it (escalating has none: its opener sends it)
FINAL_BUTTONS = {"accept": site.SEL_ACTION_ACCEPT_CONFIRM, "reject": site.SEL_ACTION_REJECT_SUBMIT,
                 "evidence": site.SEL_ACTION_EVIDENCE_SUBMIT, "answer": site.SEL_ACTION_ANSWER_SUBMIT}


@dataclass
class ActionResult:
    detail: DisputeDetail
    evidence: list[Path] = field(default_factory=list)


def act_on_dispute(session: BrowserSession, base_url: str, reverse_line_id: str, action: str,
                   credentials: Callable[[], Credentials] | None, *, amount: Decimal | None = None,
                   message: str = "", files: Sequence[Path] = (), timeout_ms: float = 30_000) -> ActionResult:
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    page = session.new_page()
    capture = ApiCapture(page)
    try:
        with session.evidence(page, f"dispute-{action}"):
            open_page(session, page, site.dispute_detail_url(base_url, reverse_line_id), credentials)
            capture.wait(site.API_DISPUTE_DETAIL, timeout_ms=timeout_ms)
            opener = OPENERS[action]
            locator = page.locator(opener)
            try:  # the page's script shows the buttons the case offers once its data arrived
                locator.first.wait_for(state="visible", timeout=min(timeout_ms, 5_000))
            except PlaywrightTimeoutError:
                raise NotEligible(f"the dispute page offers no '{action}' action now (dispute {reverse_line_id})") from None
            if action != "escalate":  # escalating is one click; the others open a panel first
                locator.first.click()
                _fill_panel(page, action, amount, message, files)
            before = session.save_evidence(page, f"dispute-{action}-before")
            mark = capture.mark()
            page.click(FINAL_BUTTONS.get(action, opener))
            _wait_confirmed(page, timeout_ms)
            answer = capture.wait(site.API_DISPUTE_DETAIL, after=mark, timeout_ms=timeout_ms)
            detail = parse_dispute_detail(answer.body, date_header=answer.date_header)
            after = session.save_evidence(page, f"dispute-{action}-done")
            return ActionResult(detail=detail, evidence=[before, after])
    finally:
        page.close()


def _fill_panel(page: Page, action: str, amount: Decimal | None, message: str, files: Sequence[Path]) -> None:
    if action == "reject":
        if amount is not None:
            page.fill(site.SEL_ACTION_REJECT_AMOUNT, f"{amount:.2f}")
        if message:
            page.fill(site.SEL_ACTION_REJECT_MESSAGE, message)
    elif action in ("evidence", "answer"):
        files_sel = site.SEL_ACTION_EVIDENCE_FILES if action == "evidence" else site.SEL_ACTION_ANSWER_FILES
        message_sel = site.SEL_ACTION_EVIDENCE_MESSAGE if action == "evidence" else site.SEL_ACTION_ANSWER_MESSAGE
        if files:
            page.set_input_files(files_sel, [str(path) for path in files])
        if message:
            page.fill(message_sel, message)
    elif action == "accept":
        page.locator(site.SEL_ACTION_ACCEPT_CONFIRM).wait_for(state="visible")


def _wait_confirmed(page: Page, timeout_ms: float) -> None:
    page.wait_for_function(
        """([ok, bad]) => [ok, bad].some((s) => { const e = document.querySelector(s);
                                                   return e && !e.hidden && e.textContent.trim(); })""",
        arg=[site.SEL_ACTION_NOTICE, site.SEL_ACTION_ERROR], timeout=timeout_ms,
    )
    error = page.locator(site.SEL_ACTION_ERROR)
    if error.count() and error.first.is_visible():
        raise NotEligible(f"the site refused: {error.first.inner_text().strip()}")
    if page.locator(site.SEL_ACTION_NOTICE).count() == 0:
        raise PageChanged("the dispute page did not confirm the action")
