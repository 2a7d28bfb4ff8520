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
   not be done and what to run (:mod:`agent.auto_actions`); then deliver what is due.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from agent import health as health_store
from agent.alerts import Alert, AlertKind
from agent.auto_actions import act_on_zero_offers, zero_offer_actions
from agent.dispute_records import DisputeRecords
from agent.errors import DisputeAgentError, SiteError
from agent.policy import Policy
from agent.rules import judge
from agent.settings import Settings
from agent.store import Store
from agent.sync import credentials_provider, site_clock, sync_orders
from agent.tracking_rules import previous_end
from agent.tracking_store import load_tracking
from agent.tracking_watch import read_tracking_due
from agent.watch_state import DisputeView, OrderView, WatchState, is_finished

BROKEN_KINDS = {AlertKind.AUTOMATION_BROKEN, AlertKind.LOGIN_NEEDED}

log = logging.getLogger("dispute_agent.poll")


@dataclass
class PollReport:
    read_ok: bool
    error: str | None = None
    orders: int = 0
    disputes: int = 0
    new_alerts: list[Alert] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    delivered: int = 0
    pending: int = 0


def read_site(settings: Settings, store: Store, session, say: Callable[[str], None],
              credentials=None, disagreements: list | None = None) -> tuple[int, int]:
    """Orders, then disputes; every case still open is read from its own page.

    A case whose page and data disagree is not recorded (nothing is decided on it); the
    other cases are still read, then the first disagreement fails the read. Each one is
    added to ``disagreements`` so the caller can still warn about a zero either reading saw.
    """
    from flows.disputes import read_dispute, read_dispute_list

    credentials = credentials or credentials_provider(settings)
    report = sync_orders(settings, store, session=session, credentials=credentials)
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
    for item in wanted:
        try:
            detail, link, shot = read_dispute(session, site.base_url, item.reverse_line_id, credentials, site.zone,
                                              settings.browser.timeout_ms, screenshot_label="dispute",
                                              trade_line_id=item.trade_line_id, mobile_url=site.mobile_url)
        except SiteError as error:
            if not hasattr(error, "zero_seen"):
                raise
            failed.append(error)
            if disagreements is not None:
                disagreements.append(error)
            say(f"dispute {item.reverse_line_id} could not be read reliably: {error}")
            continue
        records.save_dispute(detail, link=link, screenshot=shot / "screenshot.png" if shot else None)
    read_tracking_due(settings, store, session, credentials, say)  # orders in transit, when due
    if failed:
        raise failed[0]
    say(f"read {report.orders} orders and {len(wanted)} open disputes")
    return report.orders, len(wanted)


def watch_state(store: Store) -> WatchState:
    records = DisputeRecords(store)
    disputes = [d for d in records.disputes() if d.detail is not None]
    stored_orders = store.orders()
    orders = {stored.order.order_id: stored.order for stored in stored_orders}
    disputed = {d.order_id for d in disputes}
    tracking = load_tracking(store)
    return WatchState(
        disputes=[DisputeView(latest=d.detail, previous=d.previous, order=orders.get(d.order_id), link=d.link,
                              screenshot=d.screenshot if d.screenshot and d.screenshot.is_file() else None)
                  for d in disputes],
        orders=[OrderView(order=stored.order, has_dispute=stored.order.order_id in disputed,
                          tracking=tracking.get(stored.order.order_id),
                          previous_end=previous_end(stored.timer_history, stored.status_history))
                for stored in stored_orders],
        health=health_store.load(store).view(),
    )


def poll(settings: Settings, store: Store, policy: Policy, *, say: Callable[[str], None] = print,
         deliver: bool = True, now: Callable[[], datetime] | None = None, credentials=None) -> PollReport:
    """One poll; an error that escapes it (a bug, a database error) still counts as a failure."""
    report = PollReport(read_ok=False)
    try:
        return _poll(report, settings, store, policy, say, deliver, now, credentials)
    except Exception as error:
        if report.error is None:  # a failed read was counted already
            health_store.record_failure(store, (now or site_clock(store))(), error)
        raise


def _poll(report: PollReport, settings: Settings, store: Store, policy: Policy, say: Callable[[str], None],
          deliver: bool, now: Callable[[], datetime] | None, credentials) -> PollReport:
    from flows.browser import BrowserSession

    disagreements: list = []
    session = BrowserSession(settings)
    try:  # the browser is closed whatever happens, or the next poll in this process cannot start one
        try:
            session.start()
            report.orders, report.disputes = read_site(settings, store, session, say, credentials, disagreements)
            report.read_ok = True
        except Exception as error:  # noqa: BLE001 - counted and told: raw errors too, never swallowed
            read_failed(store, report, error, (now or site_clock(store))(), say)
        clock = now or site_clock(store)
        if report.read_ok:
            health_store.record_success(store, clock())
        alerts = judge(watch_state(store), clock(), policy) + zero_disagreements(store, disagreements, clock(), policy)
        chosen = zero_offer_actions(alerts, policy, clock()) if report.read_ok else []
        acting = {alert.dispute_id for alert in chosen}
        # "you can now escalate" waits for the action: it is stale news once the agent escalated
        held = [a for a in alerts if a.kind is AlertKind.ESCALATION_POSSIBLE and a.dispute_id in acting]
        alerts = [a for a in alerts if not (a.kind is AlertKind.ESCALATION_POSSIBLE and a.dispute_id in acting)]
        # recorded before acting: whatever the action does, the zero-offer alert is not lost
        report.new_alerts = record(settings, store, alerts + digest(settings, store, clock()))
        if chosen:
            told, report.actions = act_on_zero_offers(settings, store, session, chosen, policy, clock, say)
            acted = {a.dispute_id for a in told if a.kind is AlertKind.ACTION_TAKEN}
            report.new_alerts += record(settings, store, told + [a for a in held if a.dispute_id not in acted])
    finally:
        session.close()
    if any(alert.kind in BROKEN_KINDS for alert in report.new_alerts):
        health_store.mark_broken(store)
    if any(alert.kind is AlertKind.ALL_CLEAR for alert in report.new_alerts):
        health_store.mark_cleared(store)
    if deliver:
        report.delivered, report.pending = deliver_due(settings, store, clock())
    return report


def read_failed(store: Store, report: PollReport, error: Exception, now: datetime, say: Callable[[str], None]) -> None:
    """Count a failed read, whatever raised it; a raw error (a bug, a Playwright error no flow
    maps) gets its traceback in the debug log and one line everywhere else."""
    health_store.record_failure(store, now, error)
    if isinstance(error, DisputeAgentError):
        report.error = str(error)
    else:
        log.debug("the poll's read failed unexpectedly", exc_info=error)
        report.error = (f"unexpected {health_store.failure_message(error)} (its traceback is logged at DEBUG "
                        "level: dispute-agent run --log-level DEBUG)")
    say(f"the poll could not read the site: {report.error}")


def zero_disagreements(store: Store, errors: list, now: datetime, policy: Policy) -> list[Alert]:
    """A zero that only one reading of a dispute page saw (or both, on a page that disagrees
    with its data otherwise): critical at once, though nothing else is decided on the case."""
    from agent.dispute_rules import unconfirmed_zero_alert

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
    """Today's digest of open disputes and coming deadlines, once the user's hour has come."""
    from datetime import timedelta

    from agent.messages import build_digest, digest_due

    if not digest_due(now, settings.notifications):
        return []
    state = watch_state(store)
    open_disputes = []
    for view in state.disputes:
        if is_finished(view.latest):
            continue
        upcoming = sorted(d.ends_at for d in view.latest.deadlines if d.ends_at > now)
        open_disputes.append((f"Order {view.latest.trade_order_id}: {view.latest.stage_text or view.latest.stage.value}",
                              upcoming[0] if upcoming else None))
    horizon = now + timedelta(days=max(settings.policy.protection_thresholds_days, default=15))
    coming = sorted(((f"Order {v.order.order_id} ({v.order.store_name or 'store'}): protection ends",
                      v.order.timer.ends_at) for v in state.orders
                     if not v.has_dispute and v.order.timer and now < v.order.timer.ends_at <= horizon),
                    key=lambda line: line[1])
    found = build_digest(open_disputes, coming, now, settings.notifications.time_zone)
    return [found] if found else []


def record(settings: Settings, store: Store, alerts: list[Alert]) -> list[Alert]:
    """Store new alerts and their outbox rows together (one incident, one message)."""
    from agent.outbox import record_alerts

    with store.transaction() as session:
        return record_alerts(session, alerts, settings.notifications.channels)


def deliver_due(settings: Settings, store: Store, now: datetime) -> tuple[int, int]:
    from agent.outbox import Outbox

    outbox = Outbox(store, settings.notifications)
    delivered = outbox.deliver_due(now)
    return delivered.delivered, outbox.pending_count()
