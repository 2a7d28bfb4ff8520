"""Acting on a dispute's page the way a person does on today's page.

- reject (with an optional new amount and a message) is the page's disagree path:
  "View possible solutions" → "I don't agree with above solution(s)" → "Upload more
  photos/videos" → a dialog with the text, the photos (each counted once its thumbnail
  shows: going on before that loses it) and the new amount → its primary button;
- accept picks, among the solutions, the one whose amount is the offer the person
  confirmed, and confirms it in the dialog only if the dialog names that same amount;
- evidence, the mediator's answer and the return's tracking number open the same kind
  of dialog from their own button; escalation is a button only where the page offers
  one (``NotEligible`` otherwise: the caller says when the platform steps in).

Before anything, the case is read (both readings must agree); after the page confirmed,
it is read again from its reloaded data and returned. Each action leaves a screenshot
before the final button and one after; a refusal becomes ``NotEligible`` in the page's
words, a server error or silence after the final button ``SubmitUncertain``. Every
control that rests on a guess names the guess when it is missing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from decimal import Decimal
from pathlib import Path

from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from agent.config.secrets import Credentials
from agent.core.errors import NotEligible, PageChanged, SubmitUncertain
from agent.core.models import DisputeDetail
from agent.core.money import Money
from agent.judge.watch_state import is_finished
from flows import site
from flows.assumptions import unconfirmed
from flows.browser import BrowserSession
from flows.capture import ApiCapture
from flows.disputes import read_case
from flows.login import open_page
from flows.parsers.money import parse_money

ACTIONS = ("accept", "reject", "escalate", "evidence", "answer", "ship_return")
#: the button that opens each action's dialog (reject and accept go through the solutions)
_OPENERS = {"evidence": site.TEXT_ADD_EVIDENCE, "answer": site.TEXT_ANSWER_MEDIATOR,
            "ship_return": site.TEXT_SHIP_RETURN}
#: what the page's data must offer for each action
_OFFERED = {"accept": "ACCEPT", "reject": "REJECT", "escalate": "ESCALATE", "evidence": "ADD_EVIDENCE",
            "answer": "ANSWER_MEDIATOR", "ship_return": "SHIP_RETURN"}
_SHORT_MS = 5_000
_ANY_TEXT = re.compile(r"\S")


@dataclass
class ActionResult:
    detail: DisputeDetail
    evidence: list[Path] = field(default_factory=list)


def act_on_dispute(session: BrowserSession, base_url: str, reverse_line_id: str, action: str,
                   credentials: Callable[[], Credentials] | None, *, trade_line_id: str,
                   mobile_url: str | None = None, amount: Decimal | None = None, message: str = "",
                   files: Sequence[Path] = (), offer: Money | None = None, tracking_number: str = "",
                   tz: tzinfo = UTC, timeout_ms: float = 30_000) -> ActionResult:
    """Do ``action`` on the case; ``offer`` (accept) is the amount the person agreed to."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if action == "accept" and offer is None:
        raise ValueError("accepting needs the offer the person confirmed")
    page = session.new_page()
    capture = ApiCapture(page)
    try:
        with session.evidence(page, f"dispute-{action}"):
            open_page(session, page, site.dispute_detail_url(base_url, trade_line_id, mobile_url), credentials)
            detail = read_case(page, capture, reverse_line_id, tz, timeout_ms)
            if not detail.buttons and not is_finished(detail):
                raise unconfirmed("dispute-detail-shape", "dispute page", "its data lists no actions for an open case")
            if _OFFERED[action] not in detail.buttons:
                raise NotEligible(f"the dispute page offers no '{action}' action now (dispute {reverse_line_id})")
            if action == "escalate":
                final = _escalate_button(page)
            elif action in ("accept", "reject"):
                final = _through_solutions(page, action, detail, offer, amount, message, files)
            else:
                dialog = _open_dialog(page, _OPENERS[action])
                if action == "ship_return":
                    _fill_tracking(dialog, tracking_number)
                else:
                    _fill_dialog(page, dialog, None, message, files)
                final = dialog.locator(site.SEL_DIALOG_SUBMIT)
            before = session.save_evidence(page, f"dispute-{action}-before")
            mark = capture.mark()
            final.first.click()
            _wait_outcome(page, capture, mark, f"'{action}' on dispute {reverse_line_id}", timeout_ms)
            detail = read_case(page, capture, reverse_line_id, tz, timeout_ms, after=mark)
            after = session.save_evidence(page, f"dispute-{action}-done")
            return ActionResult(detail=detail, evidence=[before, after])
    finally:
        page.close()


def _visible(locator: Locator, timeout_ms: float = _SHORT_MS) -> bool:
    try:
        locator.first.wait_for(state="visible", timeout=timeout_ms)
        return True
    except PlaywrightTimeoutError:
        return False


def _escalate_button(page: Page) -> Locator:
    button = page.get_by_role("button", name=site.TEXT_ESCALATE)
    if not _visible(button):
        raise NotEligible("the dispute page shows no escalation button")
    return button


def _through_solutions(page: Page, action: str, detail: DisputeDetail, offer: Money | None,
                       amount: Decimal | None, message: str, files: Sequence[Path]) -> Locator:
    """"View possible solutions", then accept the agreed one or disagree with all."""
    opener = page.get_by_role("button", name=site.TEXT_VIEW_SOLUTIONS)
    if not _visible(opener):
        raise PageChanged(f"the dispute page offers an answer to the proposal but no '{site.TEXT_VIEW_SOLUTIONS}' "
                          "button; the page changed: compare the evidence with flows/site.py")
    opener.first.click()
    if action == "accept":
        return _accept_in_dialog(page, detail, offer)
    disagree = page.locator(site.SEL_DISAGREE, has_text=site.TEXT_DISAGREE)
    if not _visible(disagree):
        raise PageChanged(f"the solutions show no '{site.TEXT_DISAGREE}' ({site.SEL_DISAGREE}); the page changed: "
                          "compare the evidence with flows/site.py")
    disagree.first.click()
    dialog = _open_dialog(page, site.TEXT_UPLOAD_MORE)
    _fill_dialog(page, dialog, amount, message, files)
    return dialog.locator(site.SEL_DIALOG_SUBMIT)


def _accept_in_dialog(page: Page, detail: DisputeDetail, offer: Money | None) -> Locator:
    """The solution whose amount is ``offer``; confirmed only if the dialog names it too."""
    cards = page.locator(site.SEL_SOLUTION_CARD).filter(has=page.get_by_role("button", name=site.TEXT_ACCEPT))
    if not _visible(cards):
        raise unconfirmed("dispute-solutions", "dispute page", "no solution with an 'Accept' button is shown")
    matching = []
    for index in range(cards.count()):
        card = cards.nth(index)
        shown = card.locator(site.SEL_SOLUTION_AMOUNT)
        text = shown.first.inner_text().strip() if shown.count() else ""
        if parse_money(text, offer.currency) == offer:
            matching.append(card)
    if len(matching) != 1:
        raise NotEligible(f"the page shows {len(matching)} solutions of {offer} to accept (dispute "
                          f"{detail.reverse_line_id}); nothing was accepted: look at the dispute page")
    matching[0].get_by_role("button", name=site.TEXT_ACCEPT).click()
    dialog = page.get_by_role("dialog")
    confirm = dialog.get_by_role("button", name=site.TEXT_CONFIRM)
    if not _visible(confirm):
        raise unconfirmed("dispute-solutions", "dispute page", "accepting shows no dialog with a 'Confirm' button")
    said = dialog.first.inner_text()
    if not any(parse_money(word, offer.currency) == offer for word in _amount_words(said)):
        raise PageChanged(f"the confirmation does not name the amount {offer} that was agreed to ({said[:120]!r}); "
                          "nothing was accepted")
    return confirm


def _amount_words(text: str) -> list[str]:
    """Candidate amounts in a sentence: runs of words that hold a digit ("US $0.00", "12,50 €")."""
    words = text.replace("(", " ").replace(")", " ").split()
    found = []
    for i, word in enumerate(words):
        if any(ch.isdigit() for ch in word):
            found += [word.rstrip(".,"), " ".join(words[max(0, i - 1):i + 1]).rstrip(".,"),
                      " ".join(words[i:i + 2]).rstrip(".,")]
    return found


def _open_dialog(page: Page, button_text: str) -> Locator:
    button = page.get_by_role("button", name=button_text)
    if not _visible(button):
        if button_text != site.TEXT_UPLOAD_MORE:  # the disagree path's button is quoted by [ARC]
            raise unconfirmed("dispute-other-actions", "dispute page", f"no '{button_text}' button is shown")
        raise PageChanged(f"the dispute page shows no '{button_text}' button; the page changed: "
                          "compare the evidence with flows/site.py")
    button.first.click()
    dialog = page.locator(site.SEL_DIALOG)
    if not _visible(dialog):
        raise PageChanged(f"'{button_text}' opened no dialog ({site.SEL_DIALOG}); the page changed")
    return dialog


def typed_amount(amount: Decimal) -> str:
    """The amount as typed into the form: two decimals as people write them, never rounded."""
    cents = f"{amount:.2f}"
    return cents if Decimal(cents) == amount else f"{amount:f}"


def _fill_dialog(page: Page, dialog: Locator, amount: Decimal | None, message: str, files: Sequence[Path]) -> None:
    if amount is not None:
        field_ = dialog.locator(site.SEL_DIALOG_AMOUNT)
        if field_.count() == 0:
            raise unconfirmed("disagree-dialog-amount", "dispute page", "the dialog has no field for a new amount")
        field_.first.fill(typed_amount(amount))
    if message:
        text = dialog.locator(site.SEL_DIALOG_TEXT)
        if text.count() == 0:
            raise PageChanged(f"the dialog has no text field ({site.SEL_DIALOG_TEXT}); the page changed")
        text.first.fill(message)
    if files:
        picker = dialog.locator(site.SEL_DIALOG_FILES)
        if picker.count() == 0:
            raise PageChanged(f"the dialog has no photo input ({site.SEL_DIALOG_FILES}); the page changed")
        done = dialog.locator(site.SEL_UPLOAD_DONE)
        already = done.count()
        picker.first.set_input_files([str(path) for path in files])
        try:  # a photo counts once its thumbnail shows it; going on earlier loses it
            page.wait_for_function("([root, sel, n]) => root.querySelectorAll(sel).length >= n",
                                   arg=[dialog.first.element_handle(), site.SEL_UPLOAD_DONE, already + len(files)],
                                   timeout=site.UPLOAD_TIMEOUT_MS)
        except PlaywrightTimeoutError:
            raise PageChanged(f"{done.count() - already} of {len(files)} photos finished uploading within "
                              f"{site.UPLOAD_TIMEOUT_MS // 1000} s; nothing was sent") from None


def _fill_tracking(dialog: Locator, tracking_number: str) -> None:
    field_ = dialog.locator(site.SEL_DIALOG_TRACKING)
    if field_.count() == 0:
        raise unconfirmed("dispute-other-actions", "dispute page", "the return dialog has no tracking number field")
    field_.first.fill(tracking_number)


def _wait_outcome(page: Page, capture: ApiCapture, mark: int, what: str, timeout_ms: float) -> None:
    """The page's word on the action: done (role status) or refused (role alert).

    A refusal that follows a server error (or no answer, or no word at all) is no
    refusal: the action may have gone through, and only the case's page can tell.
    """
    done = page.get_by_role(site.ROLE_DONE)
    refused = page.get_by_role(site.ROLE_REFUSED)
    try:
        done.or_(refused).filter(has_text=_ANY_TEXT).first.wait_for(state="visible", timeout=timeout_ms)
        silent = False
    except PlaywrightTimeoutError:
        silent = True
    words: list[str] = []
    if not silent:
        for index in range(refused.count()):
            shown = refused.nth(index)
            if shown.is_visible() and shown.inner_text().strip():
                words.append(shown.inner_text().strip())
        if not words:
            return  # done
    trouble = capture.trouble(mark)
    if trouble is not None or silent:
        said = f"the site answered {trouble}" if trouble else f"the page said nothing within {timeout_ms / 1000:.0f} s"
        raise SubmitUncertain(f"{what}: {said}: it may or may not have been done; "
                              "see the case with 'dispute-agent disputes' before trying again",
                              hint=None if trouble else "if this happens every time, the page's outcome may have "
                                                        "changed [dispute-action-outcome]: compare the evidence "
                                                        "with flows/site.py")
    raise NotEligible(f"the site refused: {words[0]}")
