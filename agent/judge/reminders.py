"""Wording, dedupe keys and reminder timing shared by the rules (agent.judge.rules, agent.judge.dispute_rules).

Pure like the rules themselves. Keys round deadlines to the hour; the store hands the
rules each deadline as first read (agent.judge.deadlines), so a countdown read again seconds
or minutes later, even across a half hour, keeps its key. Reminders follow
docs/decisions/0002-alert-dedupe-and-reminders.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone

from agent.core.money import Money
from agent.judge.alerts import Alert, Severity
from agent.judge.policy import Policy

RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}
Facts = dict[str, str | None]


def time_left(delta: timedelta) -> str:
    """'2 days and 4 hours', '5 hours and 30 minutes': cut to whole units, never rounded up."""
    from agent.core.readable import duration

    return duration(max(delta, timedelta(0)))


def key_time(moment: datetime | None) -> str:
    """A deadline as part of a key, rounded to the nearest hour ("open" if unknown).

    Why rounded: a key should read as an hour, not a second. Rounding alone cannot keep
    a jittering countdown on one side of a boundary; the store's first reading does that
    (agent.judge.deadlines).
    """
    if moment is None:
        return "open"
    utc = moment.astimezone(timezone.utc) + timedelta(minutes=30)
    return utc.replace(minute=0, second=0, microsecond=0).strftime("%Y-%m-%dT%H:00Z")


def money_text(value: Money | None) -> str:
    return str(value) if value is not None else "unreadable"


def clean_facts(facts: Facts) -> dict[str, str]:
    return {key: value for key, value in facts.items() if value is not None}


def deadline_facts(deadline: datetime | None, now: datetime, policy: Policy) -> Facts:
    if deadline is None:
        return {"deadline_local": "unknown"}
    return {"deadline_local": policy.local(deadline), "deadline_utc": deadline.isoformat(),
            "time_left": time_left(deadline - now)}


def due_threshold(deadline: datetime, thresholds_hours: Iterable[int], now: datetime) -> int | None:
    """The most recent threshold passed (smallest h with deadline - h ≤ now), if any."""
    passed = [h for h in thresholds_hours if deadline - timedelta(hours=h) <= now]
    return min(passed) if passed else None


def schedule(first: Alert, reminder: Callable[[int], Alert], deadline: datetime | None,
             thresholds_hours: tuple[int, ...], first_known: datetime, now: datetime) -> list[Alert]:
    """The first alert of a timed incident and the reminder due now; nothing after the deadline.

    A reminder is due for the most recent threshold only, and only if that threshold was
    crossed while the incident was already known (``first_known``): otherwise the user
    would get the alert and a reminder at once. When reminders are more severe than the
    first alert (a return to ship: warning, then critical), an incident first seen past
    a threshold starts with the reminder instead of the milder first alert.
    """
    if deadline is None:
        return [first]
    if now >= deadline:
        return []
    first_known = min(first_known, now)
    outranks = bool(thresholds_hours) and RANK[reminder(thresholds_hours[0]).severity] > RANK[first.severity]
    seen_early = not thresholds_hours or first_known < deadline - timedelta(hours=max(thresholds_hours))
    alerts = [first] if seen_early or not outranks else []
    due = due_threshold(deadline, thresholds_hours, now)
    if due is not None and (first_known < deadline - timedelta(hours=due) or not alerts):
        alerts.append(reminder(due))
    return alerts
