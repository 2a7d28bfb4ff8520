"""Use case: open a dispute with one command, never twice.

The order is: check the arguments and the files (no browser yet) → read the order
and the dispute list fresh from the site → decide eligibility and build the plan the
user confirms → record the intent → submit → read the new case → add the images the
form had no room for → record everything in the store and the audit log.

Never twice: an intent still "pending" from a run that died after pressing Submit,
or whose submit the site did not answer, is resolved first (``agent.usecases.pending``): by
the case found on the site and linked, or by giving the site time to list it; and any
case the site lists for the line blocks a new one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from agent.config.settings import Settings
from agent.core.clock import SiteClock
from agent.core.errors import NotEligible, SubmitUncertain, UserInputError
from agent.core.ids import check_id
from agent.core.models import (
    DisputeSummary,
    Order,
    OrderLine,
    OrderStatus,
    TimerSource,
    TrackingInfo,
)
from agent.core.money import Money
from agent.core.reasons import Branch, Reason, get_reason
from agent.judge.dispute_window import last_moment_to_dispute
from agent.storage.dispute_records import DisputeRecords
from agent.storage.store import Store
from agent.usecases.amounts import check_places, parse_amount
from agent.usecases.attachments import (
    AttachmentLimits,
    PreparedAttachments,
    prepare_attachments,
)
from agent.usecases.describe import (
    DescriptionContext,
    looks_english,
    render_description,
    template_dirs,
)
from agent.usecases.pending import Pending
from agent.usecases.sync import credentials_provider

#: the safe margin on the protection timer (reference: "keep at least 15 days")
WARN_PROTECTION_DAYS = 15
#: buyers who open many disputes risk their account
MAX_DISPUTES_PER_MONTH = 5
NOT_SHIPPED = {OrderStatus.AWAITING_PAYMENT, OrderStatus.AWAITING_SHIPMENT, OrderStatus.PROCESSING,
               OrderStatus.CANCELLED, OrderStatus.PAYMENT_EXPIRED}


@dataclass(frozen=True)
class OpenRequest:
    order_id: str
    received: bool
    reason: str
    refund: str = "full"  # full | partial
    amount: str | None = None
    with_return: bool = False
    message: str | None = None
    replace_message: bool = False
    attach: tuple[Path, ...] = ()
    lines: tuple[str, ...] = ()
    dry_run: bool = False
    force: bool = False


@dataclass
class Plan:
    order: Order
    line: OrderLine
    reason: Reason
    solution: str
    amount: Money
    full: bool
    description: str
    attachments: PreparedAttachments
    warnings: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    plan: Plan | None
    reverse_line_id: str | None = None
    linked: bool = False
    dry_run: bool = False
    evidence: list[Path] = field(default_factory=list)
    link: str | None = None


def check_request(request: OpenRequest) -> tuple[Reason, str, Decimal | None, str | None]:
    """Everything that can be refused before the browser opens (and before an id names a folder)."""
    check_id(request.order_id, "ORDER_ID")
    for line in request.lines:
        check_id(line, "--line", line=True)
    branch = Branch.RECEIVED if request.received else Branch.NOT_RECEIVED
    reason = get_reason(request.reason, branch)
    if request.refund not in ("full", "partial"):
        raise UserInputError("--refund must be 'full' or 'partial'")
    if not request.received and (request.refund == "partial" or request.with_return):
        raise UserInputError("an item not received gets a full refund without return: "
                             "drop --refund partial / --return, or use --received")
    amount = currency = None
    if request.refund == "partial":
        if request.amount is None:
            raise UserInputError("--refund partial needs --amount, e.g. --amount 12.50")
        amount, currency = parse_amount(request.amount, "--amount")
    elif request.amount is not None:
        raise UserInputError("--amount goes with --refund partial")
    solution = "return_and_refund" if request.with_return else "refund_only"
    return reason, solution, amount, currency


def choose_lines(order: Order, wanted: tuple[str, ...]) -> list[OrderLine]:
    by_id = {line.line_id: line for line in order.lines}
    if wanted:
        unknown = [line_id for line_id in wanted if line_id not in by_id]
        if unknown:
            raise UserInputError(f"order {order.order_id} has no item {', '.join(unknown)}; "
                                 f"its items: {', '.join(by_id)}")
        return [by_id[line_id] for line_id in wanted]
    if len(order.lines) > 1:
        listing = "; ".join(f"{line.line_id} ({line.title[:40]})" for line in order.lines)
        raise UserInputError(f"order {order.order_id} has {len(order.lines)} items: choose with --line ({listing})")
    return list(order.lines)


def eligibility(order: Order, line: OrderLine, disputes: list[DisputeSummary], now: datetime,
                after_close: timedelta, amount: Decimal | None, force: bool,
                max_per_month: int = MAX_DISPUTES_PER_MONTH, currency: str | None = None,
                warn_days: int = WARN_PROTECTION_DAYS) -> tuple[Money, list[str]]:
    """Refuse (NotEligible) or return the amount to ask and the warnings; pure."""
    if order.status in NOT_SHIPPED:
        raise NotEligible(f"order {order.order_id} has not shipped yet ({order.status_text or order.status.value}); "
                          "a dispute can be opened once it has")
    existing = [d for d in disputes if d.trade_line_id == line.line_id]
    if existing:
        raise NotEligible(f"a dispute already exists for this item (case {existing[0].reverse_line_id}); "
                          "see it with 'dispute-agent disputes'")
    warnings: list[str] = []
    timer = order.timer
    closes = last_moment_to_dispute(timer, after_close)
    if timer is not None and closes is not None and now >= closes:
        if timer.source is TimerSource.DISPUTE_WINDOW:
            raise NotEligible(f"the time to open a dispute on order {order.order_id} ended on {closes:%Y-%m-%d}; "
                              "contact AliExpress support")
        raise NotEligible(f"the protection of order {order.order_id} ended on {timer.ends_at:%Y-%m-%d} and the "
                          f"{after_close.days} days after closing are over too; contact AliExpress support")
    if line.can_open_dispute is False:
        raise NotEligible(f"the site offers no 'Returns/refunds' button for this item now "
                          f"(order {order.order_id}); it may be too early after shipment or too late")
    if timer is not None and timer.ends_at - now < timedelta(days=warn_days):
        from agent.core.readable import duration

        left = timer.ends_at - now
        warnings.append(f"only {duration(max(left, timedelta(0)))} of protection left "
                        f"(keep at least {warn_days}): file now, and ask the seller to extend it if needed")
    paid = line.unit_price * line.quantity if line.unit_price is not None else None
    if paid is None:
        raise NotEligible("the amount paid for this item could not be read; run 'dispute-agent sync' and retry")
    if currency is not None and currency != paid.currency:
        raise UserInputError(f"--amount is in {currency} but the order was paid in {paid.currency}: "
                             f"give the amount in {paid.currency}")
    if amount is not None:
        check_places(amount, paid.currency, "--amount")
    asked = paid if amount is None else Money(amount=amount, currency=paid.currency)
    if asked > paid:
        raise UserInputError(f"--amount {asked} is more than what was paid for this item ({paid})")
    recent = [d for d in disputes if d.created_at is not None and d.created_at >= now - timedelta(days=30)]
    if len(recent) >= max_per_month and not force:
        raise NotEligible(f"{len(recent)} disputes were opened in the last 30 days (limit {max_per_month}): "
                          "opening many disputes can get an account limited; pass --force to go on")
    return asked, warnings


def open_dispute(settings: Settings, store: Store, request: OpenRequest,
                 confirm: Callable[[Plan], bool], say: Callable[[str], None] = print,
                 user_templates: Path | None = None,
                 after_submit: Callable[[], None] | None = None,
                 credentials=None) -> list[Outcome]:
    from flows.browser import BrowserSession
    from flows.disputes import read_dispute_list
    from flows.orders import read_order_details

    reason, solution, amount, currency = check_request(request)
    records = DisputeRecords(store)
    known = store.order(request.order_id)
    if known is not None:  # the item asked of an order already read, before seconds of photo work
        choose_lines(known.order, request.lines)
    limits = AttachmentLimits.from_settings(settings.attachments)
    work_dir = settings.state.dir / "attachments" / request.order_id
    attachments = prepare_attachments(list(request.attach), limits, work_dir)
    credentials = credentials or credentials_provider(settings)
    base = settings.site.base_url
    timeout = settings.browser.timeout_ms
    outcomes: list[Outcome] = []
    with BrowserSession(settings) as session:
        read = read_order_details(session, base, [request.order_id], credentials, tz=settings.site.zone,
                                  timeout_ms=timeout)
        if read.error is not None:
            raise read.error
        order = read.orders[0]
        store.save_orders([order])
        now = order.site_time
        clock = SiteClock()
        clock.observe(now)
        disputes = read_dispute_list(session, base, credentials, settings.site.zone, timeout,
                                     mobile_url=settings.site.mobile_url)
        tracking = _tracking(session, base, order, credentials, timeout)
        wait = timedelta(minutes=settings.filing.pending_wait_minutes)
        for line in choose_lines(order, request.lines):
            pending = Pending(records, order, line, now, wait, settings.policy.local)
            linked = pending.resolve(disputes, lambda line_id: _read_line_case(session, settings, line_id,
                                                                                credentials), say)
            if linked is not None:
                outcomes.append(Outcome(plan=None, reverse_line_id=linked, linked=True))
                continue
            asked, warnings = eligibility(order, line, disputes, now, settings.policy.after_close, amount,
                                          request.force, max_per_month=settings.filing.max_per_30_days,
                                          currency=currency, warn_days=settings.filing.warn_protection_days)
            if not looks_english(request.message or ""):
                warnings.append("your message does not look like English: sellers and mediators read English")
            plan = Plan(order=order, line=line, reason=reason, solution=solution, amount=asked,
                        full=amount is None, attachments=attachments, warnings=warnings,
                        description=_describe(order, line, reason, solution, asked, request, settings,
                                              user_templates, tracking))
            if not confirm(plan):
                say("nothing was submitted")
                outcomes.append(Outcome(plan=plan))
                continue
            outcomes.append(_submit(session, settings, records, store, plan, request, credentials,
                                    after_submit, say, clock))
    return outcomes


def _tracking(session, base: str, order: Order, credentials, timeout: float) -> TrackingInfo | None:
    """The parcel's tracking for the text; a text without it is still a correct text."""
    from agent.core.errors import SiteError
    from flows.orders import read_tracking

    if order.shipped_on is None:
        return None
    try:
        return read_tracking(session, base, order.order_id, credentials, timeout)
    except SiteError:
        return None


def _describe(order: Order, line: OrderLine, reason: Reason, solution: str, asked: Money,
              request: OpenRequest, settings: Settings, user_templates: Path | None,
              tracking: TrackingInfo | None = None) -> str:
    last = tracking.events[0] if tracking and tracking.events else None
    ctx = DescriptionContext(
        order_id=order.order_id, placed_on=order.placed_on, store_name=order.store_name or "the seller",
        item_title=line.title, sku=line.sku, quantity=line.quantity,
        paid=line.unit_price * line.quantity if line.unit_price else None, asked=asked, solution=solution,
        received=request.received, protection_ends_at=order.timer.ends_at if order.timer else None,
        delivery_promise=_promise(order), tracking_state=(last.name if last else None) or order.status_text,
        tracking_last_event=last.description if last else None, tracking_last_event_at=last.at if last else None, today=order.site_time.date(), time_zone=settings.site.time_zone,
        evidence_count=len(request.attach),
    )
    return render_description(reason.key, ctx, message=request.message, replace=request.replace_message,
                              dirs=template_dirs(user_templates))


def _promise(order: Order):
    from agent.core.models import TimerSource

    for timer in order.timers:
        if timer.source is TimerSource.DELIVERY_PROMISE:
            return timer.ends_at.date()
    return None


def _submit(session, settings: Settings, records: DisputeRecords, store: Store, plan: Plan,
            request: OpenRequest, credentials, after_submit, say, clock: SiteClock) -> Outcome:
    from flows.dispute_actions import act_on_dispute
    from flows.dispute_form import DisputeForm, file_dispute

    paid = plan.line.unit_price * plan.line.quantity if plan.line.unit_price is not None else None
    form = DisputeForm(order_id=plan.order.order_id, line_id=plan.line.line_id, received=request.received,
                       reason=plan.reason.key, solution=plan.solution,
                       amount=None if plan.full else plan.amount.amount, description=plan.description,
                       files=tuple(item.path for item in plan.attachments.form),
                       paid=paid.amount if paid is not None else None)
    intent: list[int] = []

    def record_intent() -> None:
        intent.append(records.record_intent(
            order_id=form.order_id, line_id=form.line_id, branch="received" if form.received else "not_received",
            reason=form.reason, solution=form.solution, amount=plan.amount.amount, currency=plan.amount.currency,
            site_time=clock()))

    try:
        result = file_dispute(session, settings.site.base_url, form, credentials, dry_run=request.dry_run,
                              before_submit=record_intent, timeout_ms=settings.browser.timeout_ms)
    except NotEligible:
        if intent:  # the site refused the filing in its own words: nothing was filed
            records.mark_intent(intent[0], "abandoned", note="refused by the site")
        raise
    except SubmitUncertain as error:
        wait = timedelta(minutes=settings.filing.pending_wait_minutes)
        raise SubmitUncertain(
            f"{error.args[0]}. Run the same command again: it will not file twice — it links the case once "
            f"the site shows it, and files only if the site still shows none after "
            f"{settings.policy.local(clock() + wait)}", error.evidence) from error
    if result.dry_run:
        records.audit("open_dispute", "dry-run", order_id=form.order_id, evidence=result.form_evidence,
                      detail=f"form filled, not submitted: {form.reason}, {plan.amount}")
        return Outcome(plan=plan, dry_run=True, evidence=[result.form_evidence])
    if after_submit is not None:
        after_submit()
    case = result.reverse_line_id
    records.mark_intent(intent[0], "submitted", case)
    records.audit("open_dispute", "ok", order_id=form.order_id, dispute_id=case, evidence=result.form_evidence,
                  detail=f"{form.reason}, {plan.solution}, {plan.amount}, {len(form.files)} file(s) — filled form")
    records.audit("open_dispute", "ok", order_id=form.order_id, dispute_id=case, evidence=result.before_evidence,
                  detail="the summary, before 'Confirm'")
    records.audit("open_dispute", "ok", order_id=form.order_id, dispute_id=case,
                  evidence=result.confirmation_evidence, detail="the site's confirmation")
    detail, link, shot = _read_filed_case(session, settings, result, credentials)
    records.save_dispute(detail, link=link, screenshot=(shot or result.confirmation_evidence) / "screenshot.png",
                         opened_by_agent=True, opened_at=detail.site_time)
    evidence = [result.form_evidence, result.before_evidence, result.confirmation_evidence]
    if plan.attachments.extra:
        extra = act_on_dispute(session, settings.site.base_url, case, "evidence", credentials,
                               trade_line_id=result.trade_line_id, mobile_url=settings.site.mobile_url,
                               tz=settings.site.zone, message="More photos of the problem.",
                               files=[item.path for item in plan.attachments.extra],
                               timeout_ms=settings.browser.timeout_ms)
        records.save_dispute(extra.detail)
        records.audit("add_evidence", "ok", order_id=form.order_id, dispute_id=case,
                      evidence=extra.evidence[-1], detail=f"{len(plan.attachments.extra)} more image(s)")
        evidence += extra.evidence
        say(f"{len(plan.attachments.extra)} more image(s) added as evidence on the dispute page")
    return Outcome(plan=plan, reverse_line_id=case, evidence=evidence, link=link)


def _read_line_case(session, settings: Settings, line_id: str, credentials):
    """The case of an order line, read from its page (addressed by the line): (detail, address)."""
    from flows.disputes import read_dispute

    detail, link, _ = read_dispute(session, settings.site.base_url, None, credentials, settings.site.zone,
                                   settings.browser.timeout_ms, trade_line_id=line_id,
                                   mobile_url=settings.site.mobile_url)
    return detail, link


def _read_filed_case(session, settings: Settings, result, credentials):
    """The case just filed, read by the dispute-reading flow: (detail, its address, screenshot folder).

    The one call of that flow here; both of the case's ids are in ``result``.
    """
    from flows.disputes import read_dispute

    return read_dispute(session, settings.site.base_url, result.reverse_line_id, credentials, settings.site.zone,
                        settings.browser.timeout_ms, screenshot_label="dispute-opened",
                        trade_line_id=result.trade_line_id, mobile_url=settings.site.mobile_url)
