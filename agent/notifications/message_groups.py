"""Which alerts go out together: a zero offer with what the agent did about it, and a
channel's first delivery as one summary.

Why group at delivery and not when recording: every alert is still recorded on its own
(its dedupe key is what keeps later polls from sending it again, and a crash between
recording and acting must lose nothing); only the words that reach the user are
grouped, from what the database holds when the message goes out.

- A zero offer the policy acted on is one message: what was offered and what the agent
  did ("rejected it on your behalf at …"), or that it tried and failed and what the user
  must now do before the deadline. Never "reject it or get nothing" followed by "done".
  The outcome alert names its offer (``facts["offer_alert"]``) and has a key derived
  from the offer's (:func:`outcome_keys`), so the outbox finds it with one lookup.
- A channel that never delivered anything gets everything due as one summary, most
  urgent first (:func:`by_urgency`), each finding with its deadline and the command to
  run (:func:`command_for`): the first poll of a new installation is one message, not
  twenty. See ``docs/decisions/0010-calm-alerts.md``.

Pure functions of alerts: no database, no Apprise.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from agent.judge.alerts import ActionKind, Alert, AlertKind, Severity, SuggestedAction

__all__ = [
    "OFFER_KINDS",
    "OUTCOME_KINDS",
    "as_told",
    "base_key",
    "by_urgency",
    "command_for",
    "failed_key",
    "handled_offer",
    "is_outcome_of",
    "outcome_keys",
    "taken_key",
]

#: alerts about a zero offer the agent may answer by itself
OFFER_KINDS = frozenset({AlertKind.ZERO_OFFER, AlertKind.ZERO_OFFER_REMINDER})
#: what the agent did about one: merged into the offer's message
OUTCOME_KINDS = frozenset({AlertKind.ACTION_TAKEN, AlertKind.ACTION_FAILED})
_SEVERITY_RANK = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.INFO: 2}
_DONE = {"reject": "rejected", "escalate": "escalated"}


def base_key(offer_key: str) -> str:
    """The incident an offer alert belongs to (its reminders share it)."""
    return offer_key.split(":reminder:")[0]


def taken_key(kind: str, offer_key: str) -> str:
    return f"action:{kind}:{offer_key}"


def failed_key(offer_key: str) -> str:
    """One per offer incident: polls that keep failing on the same offer send one message."""
    return f"action-failed:{base_key(offer_key)}"


def outcome_keys(offer_key: str) -> list[str]:
    """The keys an outcome of acting on ``offer_key`` can have."""
    return [taken_key("reject", offer_key), taken_key("escalate", offer_key), failed_key(offer_key)]


def is_outcome_of(outcome: Alert, offer: Alert) -> bool:
    """``outcome`` says what the agent did about this very alert (not an earlier reminder's)."""
    return outcome.kind in OUTCOME_KINDS and outcome.facts.get("offer_alert") == offer.dedupe_key


def handled_offer(offer: Alert, outcome: Alert, acted_at: str) -> Alert:
    """One alert saying what was offered and what the agent did (``acted_at``: the user's clock).

    Rendered with the outcome's own template (``action_taken`` / ``action_failed``), which
    words the merged case when ``facts.offered`` is set.
    """
    kind = outcome.facts.get("action", "reject")
    who = {"seller": "The seller", "platform": "AliExpress"}.get(offer.facts.get("proposer", "").lower(),
                                                                  "The other side")
    offered = str(offer.amount) if offer.amount is not None else offer.facts.get("amount", "nothing")
    facts = {**offer.facts, **outcome.facts, "offered": offered, "who": who, "acted_at": acted_at,
             "offer_title": offer.title}
    if outcome.kind is AlertKind.ACTION_TAKEN:
        title = f"{who} offered {offered} on order {offer.order_id}: the agent {_DONE.get(kind, kind)} it for you"
        if kind == "escalate":
            title = (f"{who} offered {offered} on order {offer.order_id}: the agent escalated the dispute "
                     "for you")
        return outcome.model_copy(update={"title": title, "facts": facts, "deadline": None, "action": None,
                                          "screenshot": outcome.screenshot or offer.screenshot})
    title = f"{who} offers {offered} on order {offer.order_id} and the agent could not {kind} it: " + \
        (outcome.title.split(": ", 1)[1] if ": " in outcome.title else "act yourself")
    return outcome.model_copy(update={"title": title, "facts": facts,
                                      "screenshot": outcome.screenshot or offer.screenshot})


def as_told(alerts: list[Alert], zone: ZoneInfo) -> list[Alert]:
    """``alerts`` as the user is told them: an offer and what the agent did about it as one
    (for a list on the terminal, like the messages)."""
    from agent.notifications.messages import format_local

    outcomes = {a.facts.get("offer_alert"): a for a in alerts if a.kind in OUTCOME_KINDS}
    pairs = {offer.dedupe_key: outcomes[offer.dedupe_key] for offer in alerts
             if offer.kind in OFFER_KINDS and offer.dedupe_key in outcomes
             and is_outcome_of(outcomes[offer.dedupe_key], offer)}
    said = {outcome.dedupe_key for outcome in pairs.values()}
    return [handled_offer(alert, pairs[alert.dedupe_key], format_local(pairs[alert.dedupe_key].created_at, zone))
            if alert.dedupe_key in pairs else alert
            for alert in alerts if alert.dedupe_key not in said]


def by_urgency(alerts: list[Alert]) -> list[Alert]:
    """Most urgent first: critical before warning before info, then the nearest deadline."""
    far = datetime.max.replace(tzinfo=None)

    def key(alert: Alert) -> tuple:
        deadline = alert.deadline.replace(tzinfo=None) if alert.deadline is not None else far
        return _SEVERITY_RANK.get(alert.severity, 3), deadline, alert.created_at, alert.dedupe_key

    return sorted(alerts, key=key)


_BACKTICKED = re.compile(r"`(dispute-agent [^`]+)`")


def command_for(alert: Alert) -> str | None:
    """The command that acts on ``alert``, where one exists; ``None`` when there is nothing
    to run (news, the agent does it by itself) or when the alert's words give the ways."""
    if alert.facts.get("command"):
        return alert.facts["command"]
    action: SuggestedAction | None = alert.action
    if action is None or action.kind is ActionKind.NONE:
        return None
    if action.kind is ActionKind.LOG_IN:
        return None  # the way depends on the machine having a screen: the text says both
    if action.kind is ActionKind.CHECK_SITE and "site is busy" in action.text:
        return None  # the agent tries again by itself
    quoted = _BACKTICKED.search(action.text)
    if quoted:
        return quoted.group(1)
    if action.automatic:
        return None
    from agent.judge.agenda import (
        command_for as command_of,  # one table of commands, the agenda's
    )

    return command_of(action.kind, alert.order_id, alert.dispute_id,
                      received=alert.facts.get("awaiting_delivery") != "yes")
