"""What the agent does by itself about a zero offer, and what it tells the user either way.

Only when the policy says so (``on_zero_offer = "reject"`` or ``"escalate"``), only
before the offer's deadline, and never an accept. The zero-offer alert has already told
the user "the agent will … by itself", so an action that fails must not stay in the
audit log: it becomes a critical alert of its own (``ACTION_FAILED``) with the exact
command to run and the deadline, keyed on the zero-offer incident so it goes out once
however many polls fail the same way. A success is an ``ACTION_TAKEN`` alert. Either
names its offer (``facts["offer_alert"]``): the outbox sends the offer and what was done
about it as one message (:mod:`agent.notifications.message_groups`).

Any error of the action is caught here, typed or not: the poll goes on to the next
case and to delivery, because a lost message costs more than a half-done poll.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from agent.config.settings import Settings
from agent.core.errors import DisputeAgentError, NotEligible
from agent.judge.alerts import ActionKind, Alert, AlertKind, Severity, SuggestedAction
from agent.judge.policy import Policy
from agent.notifications.message_groups import failed_key, taken_key
from agent.storage.dispute_records import DisputeRecords
from agent.storage.health import failure_message
from agent.storage.store import Store
from agent.usecases.sync import credentials_provider

__all__ = ["REJECT_MESSAGE", "act_on_zero_offers", "action_failed_alert", "zero_offer_actions"]

log = logging.getLogger("dispute_agent.poll")

ZERO_OFFER_KINDS = {AlertKind.ZERO_OFFER, AlertKind.ZERO_OFFER_REMINDER}
REJECT_MESSAGE = ("I do not accept a refund of nothing. The problem described in my request is not solved: "
                  "please refund the amount I asked for.")
_DONE = {"reject": "rejected", "escalate": "escalated"}


def zero_offer_actions(alerts: list[Alert], policy: Policy, now: datetime) -> list[Alert]:
    """The zero-offer alerts the agent acts on by itself: one per dispute, before its deadline."""
    if policy.on_zero_offer == "notify":
        return []
    chosen: dict[str, Alert] = {}
    for alert in alerts:
        action = alert.action
        if (alert.kind not in ZERO_OFFER_KINDS or action is None or not action.automatic
                or alert.dispute_id is None or action.not_after is None or now >= action.not_after):
            continue
        if action.kind not in (ActionKind.REJECT, ActionKind.ESCALATE):
            continue  # the agent never accepts on its own
        chosen.setdefault(alert.dispute_id, alert)
    return list(chosen.values())


def act_on_zero_offers(settings: Settings, store: Store, session, chosen: list[Alert], policy: Policy,
                       clock: Callable[[], datetime], say: Callable[[str], None]) -> tuple[list[Alert], list[str]]:
    """Reject or escalate each chosen offer: (alerts saying what happened, actions done)."""
    from flows.dispute_actions import act_on_dispute

    records = DisputeRecords(store)
    told: list[Alert] = []
    done: list[str] = []
    for alert in chosen:
        action = alert.action
        now = clock()
        if now >= action.not_after:
            continue  # the deadline passed during the poll: the zero-offer alerts say so
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
        except Exception as error:
            if not isinstance(error, DisputeAgentError):
                log.debug("the automatic %s of dispute %s failed unexpectedly", kind, alert.dispute_id,
                          exc_info=True)
            reason = failure_message(error)
            records.audit(f"auto_{kind}", "failed", order_id=alert.order_id, dispute_id=alert.dispute_id,
                          detail=reason, evidence=getattr(error, "evidence", None))
            say(f"could not {kind} the zero offer on dispute {alert.dispute_id}: {reason}")
            told.append(action_failed_alert(alert, kind, error, now, policy))
            continue
        records.save_dispute(result.detail)
        records.audit(f"auto_{kind}", "ok", order_id=alert.order_id, dispute_id=alert.dispute_id,
                      evidence=result.evidence[-1], detail=f"policy on_zero_offer={policy.on_zero_offer}: "
                                                          f"{kind} the 0 offer before {action.not_after.isoformat()}")
        done.append(f"{kind} {alert.dispute_id}")
        say(f"policy: the zero offer on dispute {alert.dispute_id} was {_DONE[kind]}")
        told.append(Alert(
            kind=AlertKind.ACTION_TAKEN, severity=Severity.WARNING,
            dedupe_key=taken_key(kind, alert.dedupe_key),
            title=f"The agent {_DONE[kind]} the 0 offer on order {alert.order_id}",
            order_id=alert.order_id, dispute_id=alert.dispute_id, amount=alert.amount, deadline=action.not_after,
            facts={"policy": policy.on_zero_offer, "action": kind, "offer_alert": alert.dedupe_key}, link=alert.link,
            screenshot=result.evidence[-1] / "screenshot.png", created_at=now,
        ))
    return told, done


def _act(settings: Settings, session, dispute_id: str, kind: str, act_on_dispute, trade_line_id: str):
    """Reject through the page's "I don't agree" path (the buyer's request stands), or escalate."""
    message = REJECT_MESSAGE if kind == "reject" else ""
    return act_on_dispute(session, settings.site.base_url, dispute_id, kind, credentials_provider(settings),
                          trade_line_id=trade_line_id, mobile_url=settings.site.mobile_url, message=message,
                          tz=settings.site.zone, timeout_ms=settings.browser.timeout_ms)


def action_failed_alert(zero: Alert, kind: str, error: BaseException, now: datetime, policy: Policy) -> Alert:
    """Critical at once: the agent could not act on ``zero``; the user must, before its deadline.

    Keyed on the zero-offer incident (its reminders share it), so polls that keep failing
    on the same offer send one message; the zero offer's own reminders keep coming.
    """
    deadline = zero.action.not_after if zero.action is not None else zero.deadline
    command = f"dispute-agent {kind} {zero.dispute_id}"
    by = f"before {policy.local(deadline)}" if deadline else "now"
    what = "escalate the dispute" if kind == "escalate" else f"reject the {zero.amount or '0'} offer"
    evidence = getattr(error, "evidence", None)
    shot = Path(evidence) / "screenshot.png" if evidence else None
    return Alert(
        kind=AlertKind.ACTION_FAILED, severity=Severity.CRITICAL,
        dedupe_key=failed_key(zero.dedupe_key),
        title=f"The agent could not {what} on order {zero.order_id}: do it yourself {by}",
        order_id=zero.order_id, dispute_id=zero.dispute_id, amount=zero.amount, deadline=deadline,
        action=SuggestedAction(kind=ActionKind.ESCALATE if kind == "escalate" else ActionKind.REJECT,
                               text=f"{what[0].upper()}{what[1:]} yourself {by} (the command above, "
                                    "or on the dispute page)",
                               not_after=deadline),
        facts={"policy": policy.on_zero_offer, "action": kind, "command": command, "error": failure_message(error),
               "offer_alert": zero.dedupe_key},
        link=zero.link, screenshot=shot if shot is not None and shot.is_file() else zero.screenshot,
        created_at=now,
    )
