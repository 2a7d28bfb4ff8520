"""Use case: the user acts on a dispute — escalate, reject (with a counter-offer), add
evidence, answer the mediator, ship a return, accept.

The case is read fresh from the site first, so the user decides on what the site
shows now. Accepting closes a dispute for good: it is confirmed by a person, a zero
offer is refused unless ``accept_zero`` says the person really means it, and the page
is asked to accept exactly the amount the person confirmed. Escalating where the page
offers no escalation button is refused in one line saying when AliExpress is expected
to step in by itself.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from agent.config.settings import Settings
from agent.core.errors import NotEligible, NotFound, UserInputError
from agent.core.ids import check_id
from agent.core.models import DeadlineKind, DisputeDetail, Proposal
from agent.judge.watch_state import (
    deadline_of,
    escalation_possible,
    pending_offers,
    platform_escalation,
)
from agent.storage.dispute_records import DisputeRecords
from agent.storage.store import Store
from agent.usecases.amounts import check_places
from agent.usecases.attachments import AttachmentLimits, prepare_attachments
from agent.usecases.sync import credentials_provider


def pending_offer(detail: DisputeDetail) -> Proposal | None:
    offers = pending_offers(detail)
    return offers[-1] if offers else None


def check_accept(detail: DisputeDetail, accept_zero: bool) -> Proposal:
    offer = pending_offer(detail)
    if offer is None:
        raise NotEligible(f"dispute {detail.reverse_line_id} has no offer waiting for an answer")
    if offer.refund is None:
        raise NotEligible("the offer's amount could not be read: the agent will not accept what it cannot read; "
                          "look at the dispute page yourself")
    if offer.refund.amount <= 0 and not accept_zero:
        raise NotEligible(f"the offer is {offer.refund}: accepting it closes the dispute and you get nothing. "
                          "Reject or escalate it instead; pass --accept-zero only if you really mean it")
    return offer


def dispute_currency(detail: DisputeDetail) -> str | None:
    """The case's currency: what was paid, else what the buyer asked, else the last offer."""
    for money in (detail.paid_amount, detail.buyer_solution and detail.buyer_solution.refund,
                  detail.latest_proposal and detail.latest_proposal.refund):
        if money is not None:
            return money.currency
    return None


def check_counter(detail: DisputeDetail, amount: Decimal | None, currency: str | None = None) -> None:
    """A counter-offer goes in the case's currency, exactly as typed (nothing rounded), within what was paid.

    A currency named with it (``--counter "5 USD"``) must be the case's: the form has
    no currency field, so another one would be typed as a different amount of money.
    """
    if amount is None:
        return
    if amount <= 0:
        raise UserInputError("--counter must be more than zero")
    own = dispute_currency(detail)
    if currency is not None and own is None:
        raise UserInputError(f"--counter names {currency} but the dispute's currency could not be read; "
                             "look at the dispute page and give the amount without a currency")
    if currency is not None and currency != own:
        raise UserInputError(f"--counter is in {currency} but dispute {detail.reverse_line_id} is in {own}: "
                             f"give the amount in {own}")
    check_places(amount, own, "--counter")
    if detail.paid_amount is not None and amount > detail.paid_amount.amount:
        raise UserInputError(f"--counter {amount} is more than what was paid ({detail.paid_amount})")


def check_escalate(detail: DisputeDetail, local: Callable[[datetime], str]) -> None:
    """Refused, in one line, where the page offers no escalation button."""
    if escalation_possible(detail, detail.site_time):
        return
    who = f"dispute {detail.reverse_line_id}"
    opens = deadline_of(detail, DeadlineKind.ESCALATE_AVAILABLE)
    if opens is not None and opens > detail.site_time:
        raise NotEligible(f"{who}: escalation opens on {local(opens)} (the dispute page offers it from then); "
                          "until then answer any offer with 'dispute-agent reject'")
    platform = platform_escalation(detail)
    if platform is not None:
        raise NotEligible(f"{who}: the dispute page offers no escalation; AliExpress is expected to step in by "
                          f"itself on {local(platform)} — until then answer any offer with 'dispute-agent reject'")
    raise NotEligible(f"{who}: the dispute page offers no escalation now and does not say when AliExpress "
                      "steps in; look at the dispute page")


def trade_line_of(store: Store, settings: Settings, session, dispute_id: str, credentials) -> str:
    """The order line a case's page is addressed by: from the store, else from the site's list."""
    from flows.disputes import read_dispute_list

    known = DisputeRecords(store).dispute(dispute_id)
    if known is not None and known.line_id:
        return known.line_id
    listed = read_dispute_list(session, settings.site.base_url, credentials, settings.site.zone,
                               settings.browser.timeout_ms, mobile_url=settings.site.mobile_url)
    for item in listed:
        if item.reverse_line_id == dispute_id:
            return item.trade_line_id
    raise NotFound(f"dispute {dispute_id} is not in the site's list of returns/refunds; "
                   "check the id with 'dispute-agent disputes' or run 'dispute-agent poll'")


def act(settings: Settings, store: Store, dispute_id: str, action: str, *, amount: Decimal | None = None,
        currency: str | None = None, message: str = "", files: tuple[Path, ...] = (), accept_zero: bool = False,
        tracking_number: str = "",
        confirm: Callable[[DisputeDetail, Proposal | None], bool] | None = None,
        say: Callable[[str], None] = print) -> DisputeDetail | None:
    from flows.browser import BrowserSession
    from flows.dispute_actions import act_on_dispute
    from flows.disputes import read_dispute

    check_id(dispute_id, "DISPUTE_ID")  # before it names the attachments' folder or an address
    if action == "evidence" and not files and not message:
        raise UserInputError("add at least one file (--attach) or a --message")
    if action == "ship_return" and not tracking_number.strip():
        raise UserInputError("give the return's tracking number (--tracking)")
    limits = AttachmentLimits.from_settings(settings.attachments)
    prepared = prepare_attachments(list(files), limits, settings.state.dir / "attachments" / dispute_id)
    batches = _batches([item.path for item in prepared.form + prepared.extra], limits.max_images)
    records = DisputeRecords(store)
    credentials = credentials_provider(settings)
    site = settings.site
    with BrowserSession(settings) as session:
        line = trade_line_of(store, settings, session, dispute_id, credentials)
        detail, link, shot = read_dispute(session, site.base_url, dispute_id, credentials, site.zone,
                                          settings.browser.timeout_ms, screenshot_label="dispute",
                                          trade_line_id=line, mobile_url=site.mobile_url)
        records.save_dispute(detail, link=link, screenshot=shot / "screenshot.png" if shot else None)
        offer = None
        if action == "accept":
            offer = check_accept(detail, accept_zero)
            if confirm is not None and not confirm(detail, offer):
                say("nothing was done")
                return None
        if action == "reject":
            check_counter(detail, amount, currency)
            if confirm is not None and not confirm(detail, pending_offer(detail)):
                say("nothing was done")
                return None
        if action == "escalate":
            check_escalate(detail, settings.policy.local)
        result = None
        for index, batch in enumerate(batches or [[]]):
            result = act_on_dispute(session, site.base_url, dispute_id, action, credentials, trade_line_id=line,
                                    mobile_url=site.mobile_url, amount=amount,
                                    message=message if index == 0 else "", files=batch,
                                    offer=offer.refund if offer else None, tracking_number=tracking_number,
                                    tz=site.zone, timeout_ms=settings.browser.timeout_ms)
            records.save_dispute(result.detail)
            records.audit(action, "ok", order_id=detail.trade_order_id, dispute_id=dispute_id,
                          evidence=result.evidence[-1], detail=_describe(action, amount, message, batch))
        return result.detail


def _batches(paths: list[Path], size: int) -> list[list[Path]]:
    """The form takes a few images at a time: send more in several submissions."""
    return [paths[i:i + size] for i in range(0, len(paths), size)]


def _describe(action: str, amount: Decimal | None, message: str, files: list[Path]) -> str:
    parts = [action]
    if amount is not None:
        parts.append(f"counter-offer {amount}")
    if action == "ship_return":
        parts.append("tracking number sent")
    if files:
        parts.append(f"{len(files)} file(s)")
    if message:
        parts.append(f"message: {message[:80]}")
    return ", ".join(parts)
