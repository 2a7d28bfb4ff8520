"""Use case: one poll — read the site, judge, act on zero offers if the policy says so, deliver.

This is what the daemon runs on its schedule and what ``dispute-agent poll`` runs once:

1. read every order and timer, the dispute list, and each open dispute's page (with a
   screenshot) — a failure is recorded in the health streak, never swallowed;
2. build the watch state from the store and ask the pure rules for alerts;
3. when the policy allows it, reject or escalate a zero offer before its deadline —
   never accept anything — and tell the user what was done;
4. record the alerts and their outbox rows in one transaction (one incident, one
   message) and deliver what is due.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from agent import health as health_store
from agent.alerts import ActionKind, Alert, AlertKind, Severity
from agent.dispute_records import DisputeRecords
from agent.errors import DisputeAgentError, NotEligible, SiteError
from agent.policy import Policy
from agent.rules import judge
from agent.settings import Settings
from agent.store import Store
from agent.sync import credentials_provider, site_clock, sync_orders
from agent.watch_state import DisputeView, OrderView, WatchState, is_finished

ZERO_OFFER_KINDS = {AlertKind.ZERO_OFFER, AlertKind.ZERO_OFFER_REMINDER}
BROKEN_KINDS = {AlertKind.AUTOMATION_BROKEN, AlertKind.LOGIN_NEEDED}
REJECT_MESSAGE = ("I do not accept a refund of nothing. The problem described in my request is not solved: "
                  "please refund the amount I asked for.")


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
    if failed:
        raise failed[0]
    say(f"read {report.orders} orders and {len(wanted)} open disputes")
    return report.orders, len(wanted)


def watch_state(store: Store) -> WatchState:
    records = DisputeRecords(store)
    disputes = [d for d in records.disputes() if d.detail is not None]
    orders = {stored.order.order_id: stored.order for stored in store.orders()}
    disputed = {d.order_id for d in disputes}
    return WatchState(
        disputes=[DisputeView(latest=d.detail, previous=d.previous, order=orders.get(d.order_id), link=d.link,
                              screenshot=d.screenshot if d.screenshot and d.screenshot.is_file() else None)
                  for d in disputes],
        orders=[OrderView(order=order, has_dispute=order.order_id in disputed) for order in orders.values()],
        health=health_store.load(store).view(),
    )


def poll(settings: Settings, store: Store, policy: Policy, *, say: Callable[[str], None] = print,
         deliver: bool = True, now: Callable[[], datetime] | None = None, credentials=None) -> PollReport:
    from flows.browser import BrowserSession

    report = PollReport(read_ok=False)
    session = None
    disagreements: list = []
    try:
        session = BrowserSession(settings).start()
        report.orders, report.disputes = read_site(settings, store, session, say, credentials, disagreements)
        report.read_ok = True
    except DisputeAgentError as error:
        report.error = str(error)
        health_store.record_failure(store, (now or site_clock(store))(), error)
        say(f"the poll could not read the site: {error}")
    clock = now or site_clock(store)
    if report.read_ok:
        health_store.record_success(store, clock())
    try:
        alerts = judge(watch_state(store), clock(), policy) + zero_disagreements(store, disagreements, clock(), policy)
        if session is not None and report.read_ok:
            taken = act_on_zero_offers(settings, store, session, alerts, policy, clock, report, say)
            acted = {alert.dispute_id for alert in taken}
            # "you can now escalate" is stale news for a case the agent just escalated
            alerts = [a for a in alerts if not (a.dispute_id in acted and a.kind is AlertKind.ESCALATION_POSSIBLE)]
            alerts += taken
    finally:
        if session is not None:
            session.close()
    report.new_alerts = record(settings, store, alerts + digest(settings, store, clock()))
    if any(alert.kind in BROKEN_KINDS for alert in report.new_alerts):
        health_store.mark_broken(store)
    if any(alert.kind is AlertKind.ALL_CLEAR for alert in report.new_alerts):
        health_store.mark_cleared(store)
    if deliver:
        report.delivered, report.pending = deliver_due(settings, store, clock())
    return report


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


def act_on_zero_offers(settings: Settings, store: Store, session, alerts: list[Alert], policy: Policy,
                       clock: Callable[[], datetime], report: PollReport,
                       say: Callable[[str], None]) -> list[Alert]:
    """Reject or escalate a zero offer when — and only when — the policy says so, before its deadline."""
    from flows.dispute_actions import act_on_dispute

    if policy.on_zero_offer == "notify":
        return []
    records = DisputeRecords(store)
    done: list[Alert] = []
    handled: set[str] = set()
    for alert in alerts:
        action = alert.action
        if (alert.kind not in ZERO_OFFER_KINDS or action is None or not action.automatic
                or alert.dispute_id is None or alert.dispute_id in handled):
            continue
        if action.kind not in (ActionKind.REJECT, ActionKind.ESCALATE):
            continue  # the agent never accepts on its own
        now = clock()
        if action.not_after is None or now >= action.not_after:
            continue
        handled.add(alert.dispute_id)
        kind = "escalate" if action.kind is ActionKind.ESCALATE else "reject"
        tracked = records.dispute(alert.dispute_id)
        if tracked is None:
            continue
        try:
            try:
                result = _act(settings, session, alert.dispute_id, kind, act_on_dispute, tracked.line_id)
            except NotEligible:
                if kind != "escalate":
                    raise
                kind = "reject"  # the page no longer offers escalation: rejecting still saves the money
                result = _act(settings, session, alert.dispute_id, kind, act_on_dispute, tracked.line_id)
        except (NotEligible, SiteError) as error:
            records.audit(f"auto_{kind}", "failed", order_id=alert.order_id, dispute_id=alert.dispute_id,
                          detail=str(error), evidence=getattr(error, "evidence", None))
            say(f"could not {kind} the zero offer on dispute {alert.dispute_id}: {error}")
            continue
        records.save_dispute(result.detail)
        records.audit(f"auto_{kind}", "ok", order_id=alert.order_id, dispute_id=alert.dispute_id,
                      evidence=result.evidence[-1], detail=f"policy on_zero_offer={policy.on_zero_offer}: "
                                                          f"{kind} the 0 offer before {action.not_after.isoformat()}")
        report.actions.append(f"{kind} {alert.dispute_id}")
        say(f"policy: the zero offer on dispute {alert.dispute_id} was {'escalated' if kind == 'escalate' else 'rejected'}")
        done.append(Alert(
            kind=AlertKind.ACTION_TAKEN, severity=Severity.WARNING,
            dedupe_key=f"action:{kind}:{alert.dedupe_key}",
            title=f"The agent {'escalated' if kind == 'escalate' else 'rejected'} the 0 offer on order {alert.order_id}",
            order_id=alert.order_id, dispute_id=alert.dispute_id, amount=alert.amount, deadline=action.not_after,
            facts={"policy": policy.on_zero_offer, "action": kind}, link=alert.link,
            screenshot=result.evidence[-1] / "screenshot.png", created_at=now,
        ))
    return done


def _act(settings: Settings, session, dispute_id: str, kind: str, act_on_dispute, trade_line_id: str):
    """Reject through the page's "I don't agree" path (the buyer's request stands), or escalate."""
    message = REJECT_MESSAGE if kind == "reject" else ""
    return act_on_dispute(session, settings.site.base_url, dispute_id, kind, credentials_provider(settings),
                          trade_line_id=trade_line_id, mobile_url=settings.site.mobile_url, message=message,
                          tz=settings.site.zone, timeout_ms=settings.browser.timeout_ms)


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
