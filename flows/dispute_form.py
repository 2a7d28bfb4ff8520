"""Filing a dispute on today's form, the way a careful buyer does by hand.

The order page's answer (``order.detail``) decides first: no ``OPEN_DISPUTE`` button
for the item there means the site itself says no (``NotEligible``). Offered there but
missing on the page means the page changed (``PageChanged``, with evidence): the item is
found by its title from the answer, then its button by role and name, never by a class
or an id. The question "Have you received your package?" is answered by the button's
text, and the form opens in a new tab, which is caught, worked in and closed.

On the form: the reason is picked by its text in the custom dropdown, the description
typed, the files attached — and the agent waits until every thumbnail shows, because
a photo whose upload has not finished is silently left out of the request. The filled
form is photographed; ``dry_run`` stops there. Otherwise ``before_submit`` runs (the
caller records its intent), then "Next step", Submit and "Confirm"; the page is
photographed before the last click and after. The new case's ids come from the filing
call's answer: the address never carries them. The site's refusal becomes
``NotEligible`` with its own words; a server error, no answer or silence after
"Confirm" is ``SubmitUncertain``: the case may exist, the caller's intent stays pending.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from agent.config.secrets import Credentials
from agent.core.display import login_by_hand
from agent.core.errors import (
    LoginRequired,
    NotEligible,
    PageChanged,
    SiteUnavailable,
    SubmitUncertain,
    UserInputError,
)
from flows import site
from flows.assumptions import unconfirmed
from flows.browser import BrowserSession
from flows.capture import ApiCapture, Captured, pause
from flows.language import check_page
from flows.login import open_page
from flows.parsers.dispute_form import (
    Product,
    order_products,
    parse_filed_case,
    parse_form_state,
    refusal_words,
)
from flows.parsers.orders import parse_order_detail

#: how long a click's visible effect (a dialog, the next step) may take
STEP_MS = 10_000


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
    #: what the item cost: a full refund asks for exactly this
    paid: Decimal | None = None


@dataclass
class FilingResult:
    #: the filled form (the dry run's only picture)
    form_evidence: Path
    dry_run: bool
    reverse_line_id: str | None = None
    reverse_order_id: str | None = None
    trade_line_id: str | None = None
    #: the summary and the "Confirm" dialog, just before the final click
    before_evidence: Path | None = None
    #: the page once the site accepted the request
    confirmation_evidence: Path | None = None


def file_dispute(session: BrowserSession, base_url: str, form: DisputeForm,
                 credentials: Callable[[], Credentials] | None, *, dry_run: bool = False,
                 before_submit: Callable[[], None] | None = None, timeout_ms: float = 30_000) -> FilingResult:
    page = session.new_page()
    capture = ApiCapture(page)
    tab: Page | None = None
    try:
        with session.evidence(page, "open-dispute"):
            found = _offered_item(session, page, capture, base_url, form, credentials, timeout_ms)
            _item_button(page, found, timeout_ms).click()
            tab, tab_capture = _answer_question(page, found, form.received, timeout_ms)
        with session.evidence(tab, "dispute-form"):
            _check_form(tab, tab_capture, timeout_ms)
            _fill(tab, tab_capture, form, timeout_ms)
            shot = session.save_evidence(tab, "dispute-form", kind="dry-run" if dry_run else "action")
            if dry_run:
                return FilingResult(form_evidence=shot, dry_run=True)
            if before_submit is not None:
                before_submit()
            confirm = _to_confirmation(tab)
            before = session.save_evidence(tab, "dispute-confirm")
            mark = tab_capture.mark()
            confirm.click()
            answer = _filing_answer(tab_capture, mark, timeout_ms)
            filed = parse_filed_case(answer.body, form.line_id)
            _settled(tab)
            after = session.save_evidence(tab, "dispute-submitted")
            return FilingResult(form_evidence=shot, dry_run=False, reverse_line_id=filed.reverse_line_id,
                                reverse_order_id=filed.reverse_order_id, trade_line_id=filed.trade_line_id,
                                before_evidence=before, confirmation_evidence=after)
    finally:
        if tab is not None:
            tab.close()
        page.close()


# --- the order page --------------------------------------------------------------------------


def _offered_item(session: BrowserSession, page: Page, capture: ApiCapture, base_url: str, form: DisputeForm,
                  credentials, timeout_ms: float) -> tuple[Product, list[Product]]:
    """The item and its siblings, once the order's own answer says it can be disputed."""
    open_page(session, page, site.order_detail_url(base_url, form.order_id), credentials)
    check_page(page, "order page")
    answer = capture.wait(site.API_ORDER_DETAIL, timeout_ms=timeout_ms)
    order = parse_order_detail(answer.body, date_header=answer.date_header)
    if order.order_id != form.order_id:
        raise PageChanged(f"asked for order {form.order_id} but the page shows order {order.order_id}")
    products = order_products(answer.body)
    target = next((p for p in products if p.line_id == form.line_id), None)
    if target is None:
        raise UserInputError(f"order {form.order_id} has no item {form.line_id}; "
                             f"its items: {', '.join(p.line_id for p in products)}")
    if target.dispute is None:
        raise NotEligible(f"the site's own answer for order {form.order_id} offers no "
                          f"'{site.TEXT_DISPUTE_BUTTON}' for item {form.line_id} ({_short(target.title)}): "
                          "a dispute cannot be opened for it now")
    return target, products


def _item_button(page: Page, found: tuple[Product, list[Product]], timeout_ms: float) -> Locator:
    """The item's own button: its title from the answer, then the nearest button so named."""
    target, products = found
    assert target.dispute is not None
    name = target.dispute.text
    twins = [p for p in products if p.title == target.title]
    title = page.get_by_text(target.title, exact=True).nth(twins.index(target))
    try:
        title.wait_for(state="visible", timeout=timeout_ms)
    except PlaywrightTimeoutError:
        raise PageChanged(f"the order page does not show the item {_short(target.title)} that its answer lists; "
                          "the page may have changed: compare the evidence with flows/site.py") from None
    named = page.get_by_role("button", name=name, exact=True)
    item = title.locator("xpath=ancestor::*").filter(has=named).last
    if item.count() == 1 and _holds_only(item, target, products) and item.get_by_role(
            "button", name=name, exact=True).count() == 1:
        return item.get_by_role("button", name=name, exact=True)
    raise PageChanged(f"the order's answer offers '{name}' for item {target.line_id} ({_short(target.title)}), "
                      "but the page shows no such button beside it: the page changed, not the item's "
                      "eligibility; compare the evidence with flows/site.py")


def _holds_only(item: Locator, target: Product, products: list[Product]) -> bool:
    """True when ``item`` shows the target's title once and no other item's title."""
    for title in {p.title for p in products}:
        wanted = 1 if title == target.title else 0
        if item.get_by_text(title, exact=True).count() != wanted:
            return False
    return True


def _answer_question(page: Page, found: tuple[Product, list[Product]], received: bool,
                     timeout_ms: float) -> tuple[Page, ApiCapture]:
    """Answer "Have you received your package?" and catch the tab the form opens in."""
    target, _ = found
    assert target.dispute is not None
    dialog = page.locator(site.SEL_RECEIVED_DIALOG).filter(has_text=target.dispute.question)
    try:
        dialog.first.wait_for(state="visible", timeout=min(timeout_ms, STEP_MS))
    except PlaywrightTimeoutError:
        raise PageChanged(f"'{target.dispute.text}' opened no dialog asking '{target.dispute.question}' "
                          f"({site.SEL_RECEIVED_DIALOG}); compare the evidence with flows/site.py") from None
    said = target.dispute.yes if received else target.dispute.no
    choice = dialog.first.get_by_role("button", name=said, exact=True)
    if choice.count() != 1:
        raise PageChanged(f"the dialog '{target.dispute.question}' has no single '{said}' button; "
                          "compare the evidence with flows/site.py")
    try:
        with ApiCapture.of_new_tab(page.context, timeout_ms=min(timeout_ms, STEP_MS)) as opened:
            choice.click()
    except PlaywrightTimeoutError:
        raise PageChanged(f"answering '{said}' opened no new tab with the dispute form; "
                          "compare the evidence with flows/site.py") from None
    assert opened.page is not None and opened.capture is not None
    return opened.page, opened.capture


# --- the form -----------------------------------------------------------------------------------


def _check_form(tab: Page, capture: ApiCapture, timeout_ms: float) -> None:
    """The new tab is the form, logged in, and the site lets a case be opened here."""
    tab.wait_for_load_state("domcontentloaded")
    if site.is_login_url(tab.url):
        raise LoginRequired(f"the session ended while the dispute form opened; {login_by_hand()}")
    path = urlsplit(tab.url).path
    if path != site.DISPUTE_START_PATH:
        raise PageChanged(f"the new tab is {path}, not the dispute form ({site.DISPUTE_START_PATH}); "
                          "compare the evidence with flows/site.py")
    check_page(tab, "dispute form")  # the reasons and buttons are chosen by their English words
    try:
        answer = capture.wait(site.API_DISPUTE_FORM, timeout_ms=timeout_ms)
    except PageChanged:
        raise unconfirmed("form-calls", "the dispute form", f"it did not load {site.API_DISPUTE_FORM}") from None
    state = parse_form_state(answer.body)
    if not state.can_apply:
        case = f" (case {state.existing[0]})" if state.existing else ""
        raise NotEligible(f"the dispute form says: {state.refusal or 'a dispute cannot be opened now'}{case}")


def _fill(tab: Page, capture: ApiCapture, form: DisputeForm, timeout_ms: float) -> None:
    _choose_reason(tab, form.reason, timeout_ms)
    _choose_solution(tab, form)
    description = tab.locator(site.SEL_FORM_DESCRIPTION)
    if description.count() != 1:
        raise PageChanged(f"the dispute form has no description box ({site.SEL_FORM_DESCRIPTION}); "
                          "compare the evidence with flows/site.py")
    description.fill(form.description)
    _attach(tab, capture, form.files, timeout_ms)


def _choose_reason(tab: Page, key: str, timeout_ms: float) -> None:
    text = site.FORM_REASON_TEXTS[key]
    box = tab.locator(site.SEL_FORM_REASON_BOX)
    try:
        box.first.wait_for(state="visible", timeout=timeout_ms)
    except PlaywrightTimeoutError:
        raise PageChanged(f"the dispute form shows no reason dropdown ({site.SEL_FORM_REASON_BOX}); "
                          "compare the evidence with flows/site.py") from None
    box.first.click()
    items = tab.locator(site.SEL_FORM_REASON_ITEM)
    try:
        items.first.wait_for(state="visible", timeout=STEP_MS)
    except PlaywrightTimeoutError:
        raise PageChanged(f"the reason dropdown listed no reasons ({site.SEL_FORM_REASON_ITEM}); "
                          "compare the evidence with flows/site.py") from None
    offered = [" ".join(t.split()) for t in items.all_inner_texts()]
    if text not in offered:
        keys = {value: name for name, value in site.FORM_REASON_TEXTS.items()}
        listing = "; ".join(f"{t} ({keys[t]})" if t in keys else f"{t} (no --reason for it)" for t in offered)
        raise NotEligible(f"the form offers no reason '{text}' ({key}) for this case; it offers: {listing}. "
                          "Choose one of these with --reason (their texts are partly a guess: form-reason-texts)")
    items.filter(has_text=re.compile(rf"^\s*{re.escape(text)}\s*$")).first.click()
    if text not in " ".join(box.first.inner_text().split()):
        raise PageChanged(f"the reason dropdown does not show '{text}' after choosing it; "
                          "compare the evidence with flows/site.py")


def _choose_solution(tab: Page, form: DisputeForm) -> None:
    label = site.FORM_SOLUTION_TEXTS[form.solution]
    radio = tab.get_by_role("radio", name=label, exact=True)
    if radio.count() != 1:
        raise unconfirmed("form-solution-amount", "the dispute form", f"it has no '{label}' choice")
    if not radio.is_enabled():
        raise NotEligible(f"the dispute form does not offer '{label}' for this case")
    radio.check()
    amount = tab.get_by_role("textbox", name=site.TEXT_FORM_AMOUNT, exact=True)
    if amount.count() != 1:
        raise unconfirmed("form-solution-amount", "the dispute form", f"it has no '{site.TEXT_FORM_AMOUNT}' box")
    wanted = form.amount if form.amount is not None else form.paid
    if amount.is_editable():
        if wanted is not None:
            amount.fill(f"{wanted:.2f}")
        return
    if form.amount is not None:
        raise NotEligible("the dispute form does not let the refund amount be changed for this case "
                          "(a full refund only): drop --refund partial")
    shown = _decimal(amount.input_value())
    if form.paid is not None and shown != form.paid:
        raise unconfirmed("form-solution-amount", "the dispute form",
                          f"it asks for {amount.input_value()!r} where the item cost {form.paid}")


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        return None


def _attach(tab: Page, capture: ApiCapture, files: tuple[Path, ...], timeout_ms: float) -> None:
    """Attach the files and wait until each one's thumbnail shows: only those are sent."""
    if not files:
        return
    inputs = tab.locator(site.SEL_FORM_FILES)
    if inputs.count() == 0:
        raise PageChanged(f"the dispute form has no file input ({site.SEL_FORM_FILES}); "
                          "compare the evidence with flows/site.py")
    shown = tab.locator(site.SEL_FORM_THUMB_DONE)
    before = shown.count()
    mark = capture.mark()
    inputs.first.set_input_files([str(path) for path in files])
    wanted = before + len(files)
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        count = shown.count()
        if count == wanted:
            return
        for answer in capture.answers(site.API_DISPUTE_UPLOAD, after=mark):
            words = refusal_words(answer.body)
            if words is not None:
                raise NotEligible(f"the site refused a file: {words}; nothing was submitted")
        if count > wanted or time.monotonic() >= deadline:
            raise PageChanged(
                f"{count - before} of {len(files)} file thumbnail(s) showed on the dispute form within "
                f"{timeout_ms / 1000:.0f} s ({site.SEL_FORM_THUMB_DONE}); nothing was submitted, so no file "
                "was lost: retry later, or compare the evidence with flows/site.py")
        pause(tab.context, 100)


def _to_confirmation(tab: Page) -> Locator:
    """"Next step", then Submit: the "Confirm" button of the dialog that follows."""
    tab.get_by_role("button", name=site.TEXT_FORM_NEXT, exact=True).click()
    submit = tab.locator(site.SEL_FORM_SUBMIT)
    try:
        submit.wait_for(state="visible", timeout=STEP_MS)
    except PlaywrightTimeoutError:
        said = [t.strip() for t in tab.get_by_role("alert").all_inner_texts() if t.strip()]
        raise PageChanged(f"'{site.TEXT_FORM_NEXT}' did not lead to the Submit button ({site.SEL_FORM_SUBMIT})"
                          + (f"; the form says: {' / '.join(said)}" if said else "")
                          + "; compare the evidence with flows/site.py") from None
    submit.click()
    confirm = tab.locator(site.SEL_FORM_CONFIRM_FOOTER).get_by_role("button", name=site.TEXT_FORM_CONFIRM,
                                                                     exact=True)
    try:
        confirm.wait_for(state="visible", timeout=STEP_MS)
    except PlaywrightTimeoutError:
        raise PageChanged(f"Submit showed no '{site.TEXT_FORM_CONFIRM}' in {site.SEL_FORM_CONFIRM_FOOTER}; "
                          "compare the evidence with flows/site.py") from None
    return confirm


def _filing_answer(capture: ApiCapture, mark: int, timeout_ms: float) -> Captured:
    """The filing call's answer after "Confirm"; when the site fails or stays silent, nobody
    knows whether the case was filed: ``SubmitUncertain``, never a changed page."""
    try:
        return capture.wait(site.API_DISPUTE_APPLY, after=mark, timeout_ms=timeout_ms)
    except SiteUnavailable as error:
        trouble = capture.trouble(mark)
        cause = (f"the site answered {trouble} after 'Confirm'" if trouble
                 else f"'Confirm' got {error.trouble or 'an error'}")
    except PageChanged:
        cause = f"'Confirm' got no answer ({site.API_DISPUTE_APPLY}) within {timeout_ms / 1000:.0f} s"
        raise SubmitUncertain(f"{cause}: the dispute may have been filed",
                              hint="the page sent no filing call: if this happens every time, the form's call "
                                   "may have changed [form-calls]") from None
    raise SubmitUncertain(f"{cause}: the dispute may have been filed")


def _settled(tab: Page) -> None:
    """Best effort: let the dialog close before the picture of the outcome."""
    try:
        tab.locator(site.SEL_FORM_CONFIRM_FOOTER).first.wait_for(state="hidden", timeout=STEP_MS)
    except PlaywrightTimeoutError:
        pass


def _short(title: str) -> str:
    return repr(title if len(title) <= 40 else title[:39] + "…")
