"""Every deadline as an iCalendar feed, so a phone's calendar rings before one lapses.

Why the agenda and not a second reading of the cases: the feed is one more view of
``agent.judge.agenda`` (``build_agenda`` for what each case is and what to do about it,
``buyer_deadlines`` for each thing the buyer must do on a dispute), so a deadline is
the same moment in the CLI, the digest and the phone. Two differences, both on
purpose: the feed holds every order's window to open a dispute, not only the ones
already near enough for an alert (the rules are asked with a threshold reaching any
future end); and a dispute gives one event per kind of deadline (answer the offer,
answer the mediator, ship the return), each with its own alarm.

A calendar that subscribes replaces what it holds by UID: each event's UID is its case
and kind, so a moved deadline moves the event (its SEQUENCE goes up, LAST-MODIFIED is
when the move was first seen) and a settled case's event is gone from the next fetch.
What the feed said last time is a small record (``Stamp`` per UID) the caller keeps.

Pure: (state, now, policy, stamps) in, bytes and the new stamps out. Times go out in
UTC; the description words them in the user's zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from agent.core.models import DeadlineKind
from agent.core.readable import moment
from agent.core.site_text import plain
from agent.judge.agenda import (
    BUYER_DEADLINES,
    AgendaItem,
    build_agenda,
    buyer_deadlines,
    command_for,
)
from agent.judge.alerts import ActionKind
from agent.judge.policy import Policy
from agent.judge.watch_state import WatchState

__all__ = ["CalendarEvent", "Stamp", "calendar_events", "calendar_feed", "render", "restamp"]

#: the domain part of every UID: the calendar keys events by the whole string
UID_DOMAIN = "dispute-agent"
#: a threshold beyond any protection window: the rules then name every future end
_EVERY_WINDOW_DAYS = 36_500
#: how long an event lasts on the phone's day view (a deadline is a moment)
_LENGTH = timedelta(minutes=15)
#: the command that does what a dispute's deadline asks (else the case's most urgent one)
_COMMANDS = {DeadlineKind.MEDIATOR_INFO: ActionKind.ANSWER_MEDIATOR, DeadlineKind.RETURN_SHIPMENT: ActionKind.SHIP_RETURN}
#: the kind of an order's one deadline: the last moment to open a dispute on it
ORDER_KIND = "open-dispute"


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    start: datetime
    summary: str
    description: str
    url: str | None


@dataclass(frozen=True)
class Stamp:
    """What the feed last said of one event: its start and summary, its version and since when."""

    start: datetime
    sequence: int
    modified: datetime
    summary: str = ""


def calendar_events(state: WatchState, now: datetime, policy: Policy, zone: ZoneInfo) -> list[CalendarEvent]:
    """One event per future deadline: each dispute's per kind, each order's last moment to dispute."""
    every_window = policy.model_copy(update={"protection_thresholds_days": (_EVERY_WINDOW_DAYS,)})
    details = {view.latest.reverse_line_id: view.latest for view in state.disputes}
    events: list[CalendarEvent] = []
    for item in build_agenda(state, now, every_window):
        if item.dispute_id is None:
            if item.deadline is not None:  # the rules name only windows still open
                events.append(_event(item, ORDER_KIND, item.deadline, _order_summary(item), item.command, zone))
            continue
        for kind, when in buyer_deadlines(details[item.dispute_id], now).items():
            events.append(_event(item, kind.value.lower().replace("_", "-"), when, _dispute_summary(item, kind),
                                 _dispute_command(item, kind), zone))
    return sorted(events, key=lambda event: (event.start, event.uid))


def restamp(previous: Mapping[str, Stamp], events: list[CalendarEvent], stamped_at: datetime) -> dict[str, Stamp]:
    """The stamps of this feed: an event whose start moved, or whose summary changed (a zero
    offer in place of another, due at the same moment), gets the next SEQUENCE; a new one 0.

    Events no longer in the feed drop out (a case that comes back starts again at 0,
    which a calendar that no longer holds the event accepts).
    """
    stamps: dict[str, Stamp] = {}
    for event in events:
        before = previous.get(event.uid)
        if before is None:
            stamps[event.uid] = Stamp(event.start, 0, stamped_at, event.summary)
        elif (before.start, before.summary) != (event.start, event.summary):
            stamps[event.uid] = Stamp(event.start, before.sequence + 1, stamped_at, event.summary)
        else:
            stamps[event.uid] = before
    return stamps


def render(events: list[CalendarEvent], stamps: Mapping[str, Stamp], alarms_hours: tuple[int, ...]) -> bytes:
    """The iCalendar text of ``events`` (each stamped in ``stamps``), with a display alarm
    ``alarms_hours`` before each deadline."""
    from icalendar import Alarm, Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//dispute-agent//deadlines//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "AliExpress deadlines")
    # how often a calendar app should fetch again (honoured by some)
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    for event in events:
        stamp = stamps[event.uid]
        entry = Event()
        entry.add("uid", event.uid)
        entry.add("dtstamp", stamp.modified)
        entry.add("last-modified", stamp.modified)
        entry.add("sequence", stamp.sequence)
        entry.add("dtstart", event.start)
        entry.add("dtend", event.start + _LENGTH)
        entry.add("summary", event.summary)
        entry.add("description", event.description)
        entry.add("transp", "TRANSPARENT")
        if event.url:
            entry.add("url", event.url)
        for hours in alarms_hours:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", event.summary)
            alarm.add("trigger", -timedelta(hours=hours))
            entry.add_component(alarm)
        calendar.add_component(entry)
    return calendar.to_ical()


def calendar_feed(state: WatchState, now: datetime, policy: Policy, zone: ZoneInfo,
                  previous: Mapping[str, Stamp], stamped_at: datetime) -> tuple[bytes, dict[str, Stamp]]:
    """The feed and its stamps to keep: ``now`` on the site's clock (which deadlines are
    still ahead), ``stamped_at`` on this machine's (when a change was seen)."""
    events = calendar_events(state, now, policy, zone)
    stamps = restamp(previous, events, stamped_at)
    return render(events, stamps, policy.calendar_alarms_hours), stamps


def _event(item: AgendaItem, kind: str, when: datetime, summary: str, command: str | None,
           zone: ZoneInfo) -> CalendarEvent:
    case = f"dispute-{item.dispute_id}" if item.dispute_id else f"order-{item.order_id}"
    return CalendarEvent(uid=f"{case}-{kind}@{UID_DOMAIN}", start=when, summary=summary,
                         description=_description(item, when, command, zone), url=item.link)


def _dispute_command(item: AgendaItem, kind: DeadlineKind) -> str | None:
    action = ActionKind.REJECT if kind is DeadlineKind.BUYER_RESPOND and item.offer_is_zero else _COMMANDS.get(kind)
    return command_for(action, item.order_id, item.dispute_id) if action else item.command


def _what(item: AgendaItem) -> str:
    return plain(item.item) if item.item else f"order {item.order_id}"


def _dispute_summary(item: AgendaItem, kind: DeadlineKind) -> str:
    if kind is DeadlineKind.BUYER_RESPOND and item.offer_is_zero:
        return f"Reject the ZERO offer ({item.offer}) on {_what(item)}"
    if kind is DeadlineKind.BUYER_RESPOND and item.offer is not None:
        return f"Answer the offer of {item.offer} on {_what(item)}"
    return f"{BUYER_DEADLINES[kind].capitalize()}: {_what(item)}"


def _order_summary(item: AgendaItem) -> str:
    return f"{(item.deadline_what or 'open a dispute').capitalize()}: {_what(item)}"


def _description(item: AgendaItem, when: datetime, command: str | None, zone: ZoneInfo) -> str:
    lines = [f"By {moment(when, zone)}."]
    if item.what_to_do:
        lines.append(f"Most urgent on this case: {plain(item.what_to_do).rstrip('.')}.")
    case = f"Dispute {item.dispute_id} on order {item.order_id}" if item.dispute_id else f"Order {item.order_id}"
    lines.append(case + (f", {plain(item.store)}" if item.store else "") + ".")
    if item.offer is not None:
        lines.append(f"Offer: {item.offer}{' (nothing: reject it)' if item.offer_is_zero else ''}.")
    if item.seller_said:
        lines.append(f"The seller said: {plain(item.seller_said)}")
    if command:
        lines.append(f"Command: {command}")
    if item.link:
        lines.append(f"Page: {item.link}")
    return "\n".join(lines)
