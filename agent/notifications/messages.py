"""The words of every notification: alerts rendered from templates, and the daily digest.

Why templates (``agent/notifications/templates``): the wording is what the user reads
under time pressure, so it is kept where it can be read and changed without touching
code: ``<kind>.subject.txt`` and ``<kind>.body.txt`` per alert kind, ``default.*`` for
kinds without their own. Plain text, so e-mail and chat show the same thing.

Why an alert is rendered at delivery and not when it is recorded: "in 5 h" must still be
true when the message goes out after a channel was down for hours.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from agent.judge.alerts import Alert, AlertKind, Severity
from agent.judge.rules import time_left

if TYPE_CHECKING:  # pragma: no cover
    import jinja2

    from agent.config.settings import NotificationsSettings

__all__ = [
    "TEMPLATE_DIR",
    "Message",
    "build_digest",
    "digest_due",
    "format_local",
    "notify_test_alert",
    "render",
    "render_summary",
    "time_left",
]

#: the message templates: ``<kind>.subject.txt`` / ``<kind>.body.txt``, else ``default.*``
TEMPLATE_DIR = Path(__file__).parent / "templates"


def format_local(moment: datetime, zone: ZoneInfo) -> str:
    """``Tue 24 Nov 2026, 10:00 CET``: an instant as the user's clock shows it."""
    from agent.core.readable import moment as worded

    return worded(moment, zone)


@dataclass(frozen=True)
class Message:
    """One rendered message: what a channel receives."""

    subject: str
    body: str
    severity: Severity = Severity.INFO
    #: a file to attach (the alert's screenshot), only when the channel takes files
    attachment: Path | None = None


@cache
def _templates() -> jinja2.Environment:
    import jinja2

    # Plain text, not HTML: nothing to escape (chat channels show the text as is).
    environment = jinja2.Environment(  # noqa: S701
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    environment.filters["shell_quote"] = shlex.quote  # a command the reader pastes into a shell
    return environment


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def _screenshot_note(alert: Alert, attach: bool) -> tuple[str | None, Path | None]:
    if alert.screenshot is None:
        return None, None
    path = Path(alert.screenshot)
    if not path.is_file():
        return f"{path} (no longer on disk)", None
    if attach:
        return f"attached ({path.name})", path
    return f"kept on the agent's machine: {path}", None


def render(alert: Alert, now: datetime, zone: ZoneInfo, attach: bool = False) -> Message:
    """The subject and plain-text body of ``alert`` as of ``now``, worded in ``zone``.

    ``attach``: the channel takes files, so an existing screenshot goes with the message.
    """
    screenshot, attachment = _screenshot_note(alert, attach)
    deadline = alert.deadline
    context = {
        "alert": alert,
        "title": alert.title,
        "kind": alert.kind.value,
        "severity": alert.severity.value,
        "facts": alert.facts,
        "amount": str(alert.amount) if alert.amount is not None else None,
        "deadline": format_local(deadline, zone) if deadline else None,
        "time_left": (f"in {time_left(deadline - now)}" if deadline > now else "already passed")
        if deadline else None,
        "action": alert.action,
        "action_by": format_local(alert.action.not_after, zone)
        if alert.action is not None and alert.action.not_after else None,
        "order_id": alert.order_id,
        "dispute_id": alert.dispute_id,
        "link": alert.link,
        "screenshot": screenshot,
        "zone": zone.key,
        "now": format_local(now, zone),
    }
    env = _templates()
    names = (alert.kind.value, "default")
    subject = env.select_template([f"{name}.subject.txt" for name in names]).render(context)
    body = env.select_template([f"{name}.body.txt" for name in names]).render(context)
    return Message(subject=" ".join(subject.split()), body=_tidy(body), severity=alert.severity,
                   attachment=attachment)


def notify_test_alert(channel: str, now: datetime) -> Alert:
    """The message ``notify-test`` sends: proves the channel, the templates and the zone."""
    return Alert(kind=AlertKind.TEST, severity=Severity.INFO, dedupe_key=f"test:{channel}:{now.isoformat()}",
                 title=f"dispute-agent test message for channel '{channel}'", facts={"channel": channel},
                 created_at=now)


# --- the daily digest ---------------------------------------------------------------------------


def _digest_lines(items: Sequence[tuple[str, datetime | None]], now: datetime, zone: ZoneInfo) -> str:
    def order(item: tuple[str, datetime | None]) -> tuple[bool, datetime]:
        return item[1] is None, item[1] or now

    lines = []
    for title, deadline in sorted(items, key=order):
        if deadline is None:
            lines.append(f"- {title}")
        elif deadline > now:
            lines.append(f"- {title}: {format_local(deadline, zone)} (in {time_left(deadline - now)})")
        else:
            lines.append(f"- {title}: {format_local(deadline, zone)} (passed)")
    return "\n".join(lines)


def build_digest(
    open_disputes: Sequence[tuple[str, datetime | None]],
    coming_deadlines: Sequence[tuple[str, datetime]],
    now: datetime,
    zone: ZoneInfo | str = "UTC",
) -> Alert | None:
    """The day's digest as an alert for the outbox, or ``None`` when there is nothing to say.

    Takes plain ``(title, deadline)`` lines so any store can feed it. The key is the
    user's local date: recorded as often as you like, it goes out once a day, and
    through the outbox, so a channel that is down gets it later rather than never.
    """
    if not open_disputes and not coming_deadlines:
        return None
    zone = ZoneInfo(zone) if isinstance(zone, str) else zone
    day = now.astimezone(zone).date()
    disputes, deadlines = len(open_disputes), len(coming_deadlines)
    title = (f"Daily digest {day:%a %d %b}: {disputes} open dispute{'s' if disputes != 1 else ''}, "
             f"{deadlines} coming deadline{'s' if deadlines != 1 else ''}")
    return Alert(
        kind=AlertKind.DIGEST, severity=Severity.INFO, dedupe_key=f"digest:{day.isoformat()}", title=title,
        facts={"open_disputes": _digest_lines(open_disputes, now, zone),
               "coming_deadlines": _digest_lines(coming_deadlines, now, zone),
               "open_count": str(disputes), "deadline_count": str(deadlines), "day": f"{day:%A %d %B %Y}"},
        created_at=now,
    )


def digest_due(now: datetime, settings: NotificationsSettings) -> bool:
    """Whether today's digest may go out: the user's clock is past ``digest_hour``.

    Safe to ask on every sweep: the digest's key makes it one message a day.
    """
    return now.astimezone(ZoneInfo(settings.time_zone)).hour >= settings.digest_hour




# --- a channel's first delivery: one summary --------------------------------------------------


def render_summary(alerts: Sequence[Alert], now: datetime, zone: ZoneInfo, attach: bool = False) -> Message:
    """Many findings as one message (``summary.*`` templates), in the order given (most
    urgent first): each with its deadline as of ``now`` in ``zone`` and the command to run.

    The message is as loud as its loudest finding; the first finding's screenshot that is
    still on disk goes with it when the channel takes files.
    """
    from agent.notifications.message_groups import command_for

    entries = []
    attachment = None
    for alert in alerts:
        screenshot, file = _screenshot_note(alert, attach and attachment is None)
        attachment = attachment or file
        deadline = alert.deadline
        entries.append({
            "alert": alert, "title": alert.title, "severity": alert.severity.value,
            "deadline": format_local(deadline, zone) if deadline else None,
            "time_left": (f"in {time_left(deadline - now)}" if deadline > now else "already passed")
            if deadline else None,
            "action": alert.action, "command": command_for(alert), "order_id": alert.order_id,
            "dispute_id": alert.dispute_id, "link": alert.link, "screenshot": screenshot,
        })
    ranks = [Severity.CRITICAL, Severity.WARNING, Severity.INFO]
    loudest = min((alert.severity for alert in alerts), key=ranks.index, default=Severity.INFO)
    context = {"entries": entries, "count": len(entries), "severity": loudest.value, "zone": zone.key,
               "now": format_local(now, zone), "first": entries[0] if entries else None,
               "critical": sum(1 for alert in alerts if alert.severity is Severity.CRITICAL)}
    env = _templates()
    subject = env.get_template("summary.subject.txt").render(context)
    body = env.get_template("summary.body.txt").render(context)
    return Message(subject=" ".join(subject.split()), body=_tidy(body), severity=loudest, attachment=attachment)
