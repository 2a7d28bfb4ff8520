"""The judge: (what the agent knows, now, the user's policy) → the alerts that apply now.

Why pure: the scheduler's sweep, the ``poll`` command, tests and the deadline-safety
simulation all ask the same question at arbitrary instants, and the answer must not
depend on a browser, a database or the wall clock. No I/O here, ever.

Why dedupe keys and not "did we already send it": ``judge`` is stateless and is called
at every poll and sweep, so it re-emits everything that still applies; the outbox keeps
the first alert per ``dedupe_key``. A key names the incident only (dispute, proposal,
threshold, deadline hour), never ``now``, so re-emission costs nothing.

Reminders (docs/decisions/0002-alert-dedupe-and-reminders.md): before a deadline only
the most recent threshold passed is due, and only if the incident was known before
that threshold; one that passed before the agent first saw the incident is folded into
the first alert, so a late-seen zero offer is ONE message. Nothing is said about an
offer once its deadline has passed: the case is decided. An unreadable amount
(``None``) is never taken for zero.

The judge is four modules: this one (orders, health, and ``judge`` itself),
agent.judge.dispute_rules (one dispute), agent.judge.tracking_rules (an order's parcel and a
protection end that moved) and agent.judge.reminders (wording, keys, reminder timing).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from agent.core.models import OrderStatus, TimerSource
from agent.judge.alerts import ActionKind, Alert, AlertKind, Severity, SuggestedAction
from agent.judge.dispute_rules import dispute_alerts
from agent.judge.dispute_window import (
    last_moment_to_dispute,
    site_offers_dispute,
    site_offers_no_dispute,
)
from agent.judge.policy import Policy
from agent.judge.reminders import (
    Facts,
    clean_facts,
    deadline_facts,
    due_threshold,
    key_time,
    schedule,
    time_left,
)
from agent.judge.tracking_rules import extension_request_facts, tracking_alerts
from agent.judge.watch_state import DisputeView, HealthView, OrderView, WatchState

__all__ = [
    "DisputeView",
    "HealthView",
    "OrderView",
    "WatchState",
    "dispute_alerts",
    "due_threshold",
    "health_alerts",
    "judge",
    "order_alerts",
    "schedule",
    "time_left",
]


def judge(state: WatchState, now: datetime, policy: Policy, *, login_page: str | None = None) -> list[Alert]:
    """Every alert that applies at ``now``, one per dedupe key (the first one wins).

    ``login_page``: the address of the page where a person logs in again, when it is known.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware: deadlines are compared in UTC")
    now = now.astimezone(timezone.utc)
    alerts: list[Alert] = []
    for dispute in state.disputes:
        alerts += dispute_alerts(dispute, now, policy)
    for order in state.orders:
        alerts += order_alerts(order, now, policy)
    alerts += health_alerts(state.health, now, policy, login_page=login_page)
    unique: dict[str, Alert] = {}
    for alert in alerts:
        unique.setdefault(alert.dedupe_key, alert)
    return list(unique.values())


# --- orders ----------------------------------------------------------------------------------

#: orders with nothing to protect (never paid) or already covered by a dispute
_UNPROTECTED = frozenset({OrderStatus.AWAITING_PAYMENT, OrderStatus.CANCELLED, OrderStatus.PAYMENT_EXPIRED,
                          OrderStatus.DISPUTE_IN_PROGRESS})


def _protection_severity(days: int) -> Severity:
    return Severity.CRITICAL if days <= 3 else Severity.WARNING if days <= 7 else Severity.INFO


def order_alerts(view: OrderView, now: datetime, policy: Policy) -> list[Alert]:
    """Protection ending (most recent threshold only), then the window to open a dispute after
    close; then what the tracking and a moved protection end say (agent.judge.tracking_rules).

    An order whose disputes all ended is judged again only on a page read since, and only
    while that page offers a dispute (decision 0027): an ended case neither silences the
    order for good nor invites a dispute the site would refuse."""
    if view.has_dispute or view.order.timer is None or view.order.status in _UNPROTECTED:
        return []
    if view.after_dispute is not None and not (view.after_dispute and site_offers_dispute(view.order)):
        return []
    return _timer_alerts(view, now, policy) + tracking_alerts(view, now, policy)


def _timer_alerts(view: OrderView, now: datetime, policy: Policy) -> list[Alert]:
    order, timer = view.order, view.order.timer
    assert timer is not None  # order_alerts checked it
    end = timer.ends_at
    facts: Facts = {"order_id": order.order_id, "store": order.store_name,
                    "awaiting_delivery": "yes" if order.status is OrderStatus.AWAITING_DELIVERY else None,
                    "item": order.lines[0].title if order.lines else None, "timer_source": timer.source.value,
                    "timer_text": timer.raw_text, "estimated": "yes" if timer.source is TimerSource.FALLBACK else None}

    def alert(kind: AlertKind, severity: Severity, key: str, title: str, deadline: datetime, text: str) -> Alert:
        return Alert(kind=kind, severity=severity, dedupe_key=key, title=title, order_id=order.order_id,
                     deadline=deadline, link=view.link, created_at=now,
                     action=SuggestedAction(kind=ActionKind.OPEN_DISPUTE, text=text, not_after=deadline),
                     facts=clean_facts({**facts, **deadline_facts(deadline, now, policy)}))

    if now < end:
        # an order still in transit is also told when the seller should be asked to extend
        ask = extension_request_facts(view, now, policy)
        thresholds = (*policy.protection_thresholds_days, *((policy.extension_request_days,) if ask else ()))
        due = [d for d in thresholds if end - timedelta(days=d) <= now]
        if not due:
            return []
        days = min(due)
        found = alert(AlertKind.PROTECTION_ENDING, _protection_severity(days),
                      f"protection:{order.order_id}:{key_time(end)}:{days}d",
                      f"Buyer protection of order {order.order_id} ends {policy.local(end)} "
                      f"({time_left(end - now)} left)",
                      end, f"Open a dispute, or ask the seller to extend protection, before {policy.local(end)} "
                           "if anything is wrong")
        return [found.model_copy(update={"facts": {**found.facts, **clean_facts(ask)}})]
    closes = last_moment_to_dispute(timer, policy.after_close)
    if closes is None or now >= closes or site_offers_no_dispute(order):
        return []
    return [alert(AlertKind.AFTER_CLOSE_WINDOW, Severity.WARNING, f"after-close:{order.order_id}:{key_time(end)}",
                  f"Order {order.order_id} is closed; you can still open a dispute until {policy.local(closes)}",
                  closes, f"Open a dispute before {policy.local(closes)} if the order went wrong")]


# --- health ----------------------------------------------------------------------------------


#: the login by hand that works where the agent runs: with a screen, or on a server without one
LOG_IN_AGAIN = ("Where the agent runs on a computer with a screen: `dispute-agent login --headed`. On a server "
                "without one: log in on a computer with a screen (`dispute-agent login --headed`, then "
                "`dispute-agent session export FILE`) and run `dispute-agent session import FILE` on the server")


#: a site that keeps failing the agent's pages: it tries again by itself (the last error says when)
_BUSY_ACTION = ("Nothing to do while the site is busy: the agent tries again by itself (the last error says when). "
                "If it lasts, check that the site opens in a browser, then run `dispute-agent poll`")
_BROKEN_ACTION = "Look at the screenshot and the log, then retry: `dispute-agent poll`"


def login_again(page: str) -> str:
    """What to do when the agent's page is reachable: log in there, from a phone too."""
    return (f"Open {page} (a phone will do): it shows the agent's own browser at the site's login; solve the "
            "captcha or type the code there, and watching resumes")


def health_alerts(health: HealthView, now: datetime, policy: Policy, *, login_page: str | None = None) -> list[Alert]:
    """Login needed (at once), automation broken (after N failures), and the all-clear.

    Keys name the failure streak by the last success before it, so one streak is one
    message; the all-clear is keyed by the success that ended it. The caller clears
    ``previously_broken`` once the all-clear is stored.
    """
    streak = health.last_success_at.isoformat() if health.last_success_at else "never"
    facts = clean_facts({"failures": str(health.consecutive_failures), "failure_kind": health.last_failure_kind,
                    "message": (health.last_failure_message or "")[:300] or None,
                    # a changed page's folder: the message tells how to make it a bundle to send
                    "evidence": (str(health.last_screenshot.parent)
                                 if health.last_screenshot and health.last_failure_kind == "page_changed" else None),
                    "last_success_local": policy.local(health.last_success_at) if health.last_success_at else None})
    if health.consecutive_failures == 0:
        if not health.previously_broken:
            return []
        return [Alert(kind=AlertKind.ALL_CLEAR, severity=Severity.INFO, dedupe_key=f"all-clear:{streak}",
                      title="The agent works again: orders and disputes are watched", facts=facts, created_at=now)]
    if health.last_failure_kind == "login_needed":
        return [Alert(kind=AlertKind.LOGIN_NEEDED, severity=Severity.CRITICAL, dedupe_key=f"login-needed:{streak}",
                      title="Login needed: nothing is watched until you log in", facts=facts, created_at=now,
                      screenshot=health.last_screenshot, link=login_page,
                      action=SuggestedAction(kind=ActionKind.LOG_IN,
                                             text=login_again(login_page) if login_page else LOG_IN_AGAIN))]
    if health.consecutive_failures < policy.failures_before_alert:
        return []
    return [Alert(kind=AlertKind.AUTOMATION_BROKEN, severity=Severity.CRITICAL,
                  dedupe_key=f"automation-broken:{streak}",
                  title=f"The agent failed {health.consecutive_failures} polls in a row: deadlines are not watched",
                  facts=facts, screenshot=health.last_screenshot, created_at=now,
                  action=SuggestedAction(kind=ActionKind.CHECK_SITE, text=_BUSY_ACTION
                                         if health.last_failure_kind == "site_unavailable" else _BROKEN_ACTION))]
