"""Use case: one poll — read the site, judge, act on zero offers if the policy says so, deliver.

This is what the daemon runs on its schedule and what ``dispute-agent poll`` runs once:

1. read every order and timer, the dispute list, and each open dispute's page (with a
   screenshot) — a failure, of any type, is recorded in the health streak, never
   swallowed, and the browser is closed whatever happens;
2. build the watch state from the store and ask the pure rules for alerts;
3. record the alerts and their outbox rows in one transaction (one incident, one
   message) — before acting, so nothing an action does can lose them;
4. when the policy allows it, reject or escalate a zero offer before its deadline —
   never accept anything — and tell the user what was done, or at once that it could
   not be done and what to run (:mod:`agent.usecases.auto_actions`): the offer's deliveries are
   held while the agent acts, so the offer and what was done go out as one message;
5. let go of the browser (and its lock), then deliver what is due: a slow mail server
   never keeps a command or the daemon from the browser. A channel's first delivery is
   one summary (:mod:`agent.notifications.message_groups`).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from agent.config.settings import Settings
from agent.core.clock import system_now
from agent.core.errors import DisputeAgentError, SiteBusy, SiteError
from agent.judge.alerts import Alert, AlertKind
from agent.judge.policy import Policy
from agent.judge.rules import judge
from agent.judge.tracking_rules import previous_end
from agent.judge.watch_state import DisputeView, OrderView, WatchState
from agent.storage import health as health_store
from agent.storage.dispute_records import DisputeRecords
from agent.storage.store import Store
from agent.storage.tracking_store import load_tracking
from agent.usecases.auto_actions import act_on_zero_offers, zero_offer_actions
from agent.usecases.sync import Progress as SyncSteps
from agent.usecases.sync import (
    credentials_provider,
    known_orders,
    page_politeness,
    read_since,
    site_clock,
    sync_orders,
)
from agent.usecases.tracking_watch import read_tracking_due

BROKEN_KINDS = {AlertKind.AUTOMATION_BROKEN, AlertKind.LOGIN_NEEDED}

log = logging.getLogger("dispute_agent.poll")


class Progress(SyncSteps):
    """What a poll tells the user on the way: the sync's steps, then the disputes, the
    actions and the delivery (the CLI shows them as progress bars)."""

    def disputes_started(self, total: int) -> None: ...

    def dispute_done(self, dispute_id: str) -> None: ...

    def acting(self, total: int) -> None: ...

    def delivering(self) -> None: ...

    def delivered(self, messages: int) -> None: ...


@dataclass
class PollReport:
    read_ok: bool
    error: str | None = None
    orders: int = 0
    disputes: int = 0
    new_alerts: list[Alert] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    #: outbox rows delivered (one per alert and channel)
    delivered: int = 0
    pending: int = 0
    #: messages sent (a summary, or an offer with what the agent did, is one message)
    messages: int = 0
    #: delivery was asked for (``poll --no-deliver`` records only)
    delivery: bool = True

    def summary_line(self) -> str:
        """One line for the end of ``dispute-agent poll``."""
        def count(n: int, word: str) -> str:
            return f"{n} {word}{'' if n == 1 else 's'}"

        read = (f"read {count(self.orders, 'order')} and {count(self.disputes, 'dispute')}" if self.read_ok
                else "could not read the site")
        sent = f"{count(self.messages, 'message')} sent" if self.delivery else "nothing sent (--no-deliver)"
        line = f"{read}; {count(len(self.new_alerts), 'new alert')}, {count(len(self.actions), 'action')}, {sent}"
        if self.pending:
            line += f", {self.pending} waiting to be sent"
        return line


def read_site(settings: Settings, store: Store, session, say: Callable[[str], None],
              credentials=None, disagreements: list | None = None, progress: Progress | None = None) -> tuple[int, int]:
    """Orders, then disputes; every case still open is read from its own page.

    A case whose page and data disagree is not recorded (nothing is decided on it); the
    other cases are still read, then the first disagreement fails the read. Each one is
    added to ``disagreements`` so the caller can still warn about a zero either reading saw.
    """
    progress = progress or Progress()
    credentials = credentials or credentials_provider(settings)
    report = sync_orders(settings, store, progress, session=session, credentials=credentials)
    disputes = read_disputes(settings, store, session, say, credentials, disagreements, progress)
    read_orders_after_their_cases(settings, store, session, credentials, say)
    read_tracking_due(settings, store, session, credentials, say)  # orders in transit, when due
    return report.orders, disputes


def read_orders_after_their_cases(settings: Settings, store: Store, session, credentials,
                                  say: Callable[[str], None]) -> int:
    """The page of each order whose cases all ended after it was last read (seen ending in
    this poll, mostly), read now: the judge speaks of such an order only on a page read
    since (decision 0027), and the next poll may be a day away. A page that fails is said
    and read at the next sync (``agent.judge.detail_rule``); a lost login fails the poll.
    Returns the count read."""
    from agent.core.errors import LoginRequired
    from agent.judge.detail_rule import read_after_its_case
    from flows.orders import read_order_details

    now, after_close = site_clock(store)(), settings.policy.after_close
    wanted = [order_id for order_id, known in known_orders(store).items()
              if read_after_its_case(known, now, after_close)]
    if not wanted:
        return 0
    read = read_order_details(session, settings.site.base_url, wanted, credentials,
                              page_politeness(settings, settings.politeness.detail_concurrency),
                              settings.site.zone, timeout_ms=settings.browser.timeout_ms)
    store.save_orders(read.orders)
    if isinstance(read.error, LoginRequired):
        raise read.error
    if read.error is not None:
        log.warning("orders whose dispute ended could not be read: %s", read.error)
        say(f"{len(wanted) - len(read.orders)} of the orders whose dispute ended could not be read "
            f"(read again at the next poll): {read.error}")
    return len(read.orders)


def read_disputes(settings: Settings, store: Store, session, say: Callable[[str], None], credentials,
                  disagreements: list | None = None, progress: Progress | None = None) -> int:
    """The dispute list, then the page of every case still open (or new); how many were read.

    ``sync`` reads them too, so that the first look at the agenda after a sync already
    shows a seller's offer of nothing.
    """
    from flows.disputes import DisputeReader, read_dispute_list

    progress = progress or Progress()
    records = DisputeRecords(store)
    site = settings.site
    listed = read_dispute_list(session, site.base_url, credentials, site.zone, settings.browser.timeout_ms,
                               mobile_url=site.mobile_url)
    known = {d.reverse_line_id: d for d in records.disputes()}
    wanted = [item for item in listed
              if item.reverse_status in (2, 3) or (item.reverse_line_id in known
                                                   and not known[item.reverse_line_id].finished)
              or item.reverse_line_id not in known]
    failed: list[SiteError] = []
    progress.disputes_started(len(wanted))
    reader = DisputeReader(session, site.base_url, credentials, site.zone, settings.browser.timeout_ms,
                           mobile_url=site.mobile_url,
                           politeness=page_politeness(settings, settings.politeness.dispute_concurrency))

    def record(case) -> None:
        """Each case recorded as it is read; one whose readings disagree is said, not recorded."""
        if case.disagreement is not None:
            failed.append(case.disagreement)
            if disagreements is not None:
                disagreements.append(case.disagreement)
            say(f"dispute {case.reverse_line_id} could not be read reliably: {case.disagreement}")
            return
        records.save_dispute(case.detail, link=case.link,
                             screenshot=case.snapshot / "screenshot.png" if case.snapshot else None)
        progress.dispute_done(case.reverse_line_id)

    reader.read_all([(item.reverse_line_id, item.trade_line_id) for item in wanted], screenshot_label="dispute",
                    photograph=lambda detail: worth_a_snapshot(detail, known.get(detail.reverse_line_id)),
                    on_read=record)
    if failed:
        raise failed[0]
    return len(wanted)


def worth_a_snapshot(detail, known) -> bool:
    """A case's page is kept as a snapshot when the case is new or changed, or its last
    snapshot is gone: an unchanged case keeps the snapshot of its last change (retention
    keeps a dispute's latest one), which shows what the page shows now. The time of the
    reading and the countdowns' wording ("4 days 23:59 left") are not a change; a
    deadline that moved is."""
    from agent.judge.deadlines import steady_dispute

    if known is None or known.detail is None or known.screenshot is None or not known.screenshot.is_file():
        return True

    def content(case):
        return case.model_copy(update={
            "site_time": known.detail.site_time,
            "deadlines": [d.model_copy(update={"raw_text": None}) for d in case.deadlines],
            "mediator_request": (case.mediator_request.model_copy(update={"raw_text": None})
                                 if case.mediator_request else None)})

    return content(steady_dispute(detail, known.detail)) != content(known.detail)


def watch_state(store: Store) -> WatchState:
    records = DisputeRecords(store)
    disputes = [d for d in records.disputes() if d.detail is not None]
    stored_orders = store.orders()
    orders = {stored.order.order_id: stored.order for stored in stored_orders}
    disputed, ended = records.case_cover()  # the orders the sync's detail rule skips too, and ended
    tracking = load_tracking(store)
    return WatchState(
        disputes=[DisputeView(latest=d.detail, previous=d.previous, order=orders.get(d.order_id), link=d.link,
                              screenshot=d.screenshot if d.screenshot and d.screenshot.is_file() else None)
                  for d in disputes],
        orders=[OrderView(order=stored.order, has_dispute=stored.order.order_id in disputed,
                          after_dispute=(read_since(stored.detail_read_at, ended[stored.order.order_id])
                                         if stored.order.order_id in ended else None),
                          tracking=tracking.get(stored.order.order_id),
                          previous_end=previous_end(stored.timer_history, stored.status_history))
                for stored in stored_orders],
        health=health_store.load(store).view(),
    )


#: how long a poll holds the deliveries of a zero offer it acts on (machine time), per
#: offer held (the offers are answered one after another, each page load retried when
#: the site is busy): past it, a poll that died mid-action no longer keeps the plain
#: warning from going out
ACTION_HOLD = timedelta(minutes=5)


def poll(settings: Settings, store: Store, policy: Policy, *, say: Callable[[str], None] = print,
         deliver: bool = True, now: Callable[[], datetime] | None = None, credentials=None,
         browser_lock: Callable[[], AbstractContextManager] | None = None,
         progress: Progress | None = None, next_try: Callable[[], datetime] | None = None) -> PollReport:
    """One poll; an error that escapes it (a bug, a database error) still counts as a failure.

    ``browser_lock`` is held while the browser is used and let go before delivery; a
    ``Locked`` from taking it propagates uncounted (no poll ran: the caller decides).
    ``next_try`` (the daemon's) says when the next poll runs if this one fails: a busy
    site's line then names it instead of "try again in a few minutes".
    """
    report = PollReport(read_ok=False, delivery=deliver)
    progress = progress or Progress()
    with (browser_lock or nullcontext)():
        try:
            _poll(report, settings, store, policy, say, now, credentials, progress, next_try)
        except Exception as error:
            if report.error is None:  # a failed read was counted already
                health_store.record_failure(store, (now or site_clock(store))(), error)
            raise
    if deliver:
        try:
            progress.delivering()
            report.delivered, report.pending, report.messages = deliver_due(settings, store,
                                                                            (now or site_clock(store))())
            progress.delivered(report.messages)
        except Exception as error:
            health_store.record_failure(store, (now or site_clock(store))(), error)
            raise
    else:
        report.pending = pending_count(settings, store)
    return report


def _poll(report: PollReport, settings: Settings, store: Store, policy: Policy, say: Callable[[str], None],
          now: Callable[[], datetime] | None, credentials, progress: Progress,
          next_try: Callable[[], datetime] | None = None) -> PollReport:
    from flows.browser import BrowserSession

    disagreements: list = []
    session = BrowserSession(settings)
    try:  # the browser is closed whatever happens, or the next poll in this process cannot start one
        try:
            session.start()
            report.orders, report.disputes = read_site(settings, store, session, say, credentials, disagreements,
                                                       progress)
            report.read_ok = True
        except Exception as error:  # noqa: BLE001 - counted and told: raw errors too, never swallowed
            if isinstance(error, SiteBusy) and next_try is not None:
                error.with_next_step(f"the next try is at {settings.policy.local(next_try())} (the daemon's next poll)")
            read_failed(store, report, error, (now or site_clock(store))(), say)
        clock = now or site_clock(store)
        if report.read_ok:
            health_store.record_success(store, clock())
        alerts = (judge(watch_state(store), clock(), policy, login_page=settings.web.login_page)
                  + zero_disagreements(store, disagreements, clock(), policy))
        chosen = zero_offer_actions(alerts, policy, clock()) if report.read_ok else []
        acting = {alert.dispute_id for alert in chosen}
        # "you can now escalate" waits for the action: it is stale news once the agent escalated
        held = [a for a in alerts if a.kind is AlertKind.ESCALATION_POSSIBLE and a.dispute_id in acting]
        alerts = [a for a in alerts if not (a.kind is AlertKind.ESCALATION_POSSIBLE and a.dispute_id in acting)]
        # recorded before acting: whatever the action does, the zero-offer alert is not lost; its
        # deliveries are held meanwhile, to go out once, with what the agent did
        hold = secrets.token_hex(8) if chosen else None
        report.new_alerts = record(settings, store, alerts + digest(settings, store, clock()),
                                   hold=(hold, [a.dedupe_key for a in chosen]) if hold else None)
        if chosen:
            progress.acting(len(chosen))
            try:
                told, report.actions = act_on_zero_offers(settings, store, session, chosen, policy, clock, say)
                acted = {a.dispute_id for a in told if a.kind is AlertKind.ACTION_TAKEN}
                report.new_alerts += record(settings, store, told + [a for a in held if a.dispute_id not in acted],
                                            release=hold)
            finally:
                release(store, hold)  # already done with the outcome; again if recording it failed
    finally:
        session.close()
    if any(alert.kind in BROKEN_KINDS for alert in report.new_alerts):
        health_store.mark_broken(store)
    if any(alert.kind is AlertKind.ALL_CLEAR for alert in report.new_alerts):
        health_store.mark_cleared(store)
    return report


def read_failed(store: Store, report: PollReport, error: Exception, now: datetime, say: Callable[[str], None]) -> None:
    """Count a failed read, whatever raised it; a raw error (a bug, a Playwright error no flow
    maps) gets its traceback in the debug log and one line everywhere else."""
    health_store.record_failure(store, now, error)
    if isinstance(error, DisputeAgentError):
        report.error = str(error)
        if getattr(error, "hint", None) and getattr(error, "evidence", None) is None:  # else noted with its evidence
            log.info("maintainer hint: %s", error.hint)
    else:
        log.debug("the poll's read failed unexpectedly", exc_info=error)
        report.error = (f"unexpected {health_store.failure_message(error)} (its traceback is logged at DEBUG "
                        "level: dispute-agent run --log-level DEBUG)")
    say(f"the poll could not read the site: {report.error}")


def zero_disagreements(store: Store, errors: list, now: datetime, policy: Policy) -> list[Alert]:
    """A zero that only one reading of a dispute page saw (or both, on a page that disagrees
    with its data otherwise): critical at once, though nothing else is decided on the case."""
    from agent.judge.dispute_rules import unconfirmed_zero_alert

    records = DisputeRecords(store)
    alerts = []
    for error in errors:
        if not error.zero_seen:
            continue
        known = records.dispute(error.detail.reverse_line_id)
        alerts.append(unconfirmed_zero_alert(error.detail, tuple(error.zero_seen), now, policy,
                                             link=known.link if known else None,
                                             screenshot=error.evidence / "screenshot.png" if error.evidence else None))
    return alerts


def digest(settings: Settings, store: Store, now: datetime) -> list[Alert]:
    """Today's digest of open disputes and coming deadlines, once the user's hour has come.

    It reads the agenda (:mod:`agent.judge.agenda`), as ``dispute-agent`` does: the same items,
    the same deadlines (the buyer's), the same order.
    """
    from agent.judge.agenda import build_agenda
    from agent.notifications.messages import build_digest, digest_due

    if not digest_due(now, settings.notifications):
        return []
    items = build_agenda(watch_state(store), now, settings.policy)
    open_disputes = [(f"Order {item.order_id}: {item.status or 'open dispute'}"
                      + (f" — {item.deadline_what}" if item.deadline else ""), item.deadline)
                     for item in items if item.dispute_id]
    coming = [(f"Order {item.order_id} ({item.store or 'store'}): {item.deadline_what}", item.deadline)
              for item in items if not item.dispute_id]
    found = build_digest(open_disputes, coming, now, settings.zone)
    return [found] if found else []


def record(settings: Settings, store: Store, alerts: list[Alert], *,
           hold: tuple[str, list[str]] | None = None, release: str | None = None) -> list[Alert]:
    """Store new alerts and their outbox rows together (one incident, one message).

    ``hold``: (token, keys) — the deliveries of ``keys`` are claimed for ``token`` in the
    same transaction (see :data:`ACTION_HOLD`); ``release``: a token let go of in it.
    """
    from agent.notifications.outbox import (
        hold_deliveries,
        record_alerts,
        release_deliveries,
    )

    with store.transaction() as session:
        new = record_alerts(session, alerts, settings.notifications.channels)
        if hold is not None:
            hold_deliveries(session, hold[1], hold[0], system_now() + ACTION_HOLD * max(1, len(hold[1])))
        if release is not None:
            release_deliveries(session, release)
        return new


def release(store: Store, token: str | None) -> None:
    from agent.notifications.outbox import release_deliveries

    if token is not None:
        with store.transaction() as session:
            release_deliveries(session, token)


def deliver_due(settings: Settings, store: Store, now: datetime) -> tuple[int, int, int]:
    """Send what is due: (rows delivered, rows still pending, messages sent).

    A channel's first delivery is one summary (``first_summary``)."""
    from agent.notifications.outbox import Outbox

    outbox = Outbox(store, settings.notifications)
    delivered = outbox.deliver_due(now, first_summary=True)
    return delivered.delivered, outbox.pending_count(), delivered.messages


def pending_count(settings: Settings, store: Store) -> int:
    from agent.notifications.outbox import Outbox

    return Outbox(store, settings.notifications).pending_count()
