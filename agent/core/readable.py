"""Times, durations and sizes as a person reads them: one zone, one wording, everywhere.

Why one module: a message, a table and the digest that word the same deadline
differently (three zones in one e-mail, "2d 4h" here and "2 days 4 h" there) make the
user doubt all of them. The wording of durations and sizes is humanize's; the agent
only chooses the precision, and never rounds time that is left *up*: "2 days and 3
hours" may be 2 days 3 h 59 min, never 2 days 2 h 10 min.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

# English names whatever the machine's locale: ``%a``/``%b`` follow the locale
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def machine_zone() -> str:
    """The machine's IANA zone (``TZ`` first, then ``/etc/localtime``); UTC when unknown."""
    import os

    import tzlocal

    from agent.core.zones import check_zone

    named = os.environ.get("TZ", "").lstrip(":")
    try:  # TZ first, read now: tzlocal keeps the first answer for the life of the process
        found = check_zone(named) if named else tzlocal.get_localzone_name()
    except Exception:  # noqa: BLE001 - a TZ that is no IANA name, a machine with no zone: tzlocal's answer
        try:
            found = tzlocal.get_localzone_name()
        except Exception:  # noqa: BLE001 - no zone configured at all reads UTC
            found = None
    return "UTC" if found in (None, "Etc/UTC", "Etc/Universal", "Universal", "Etc/Zulu", "Zulu") else found


def moment(when: datetime, zone: ZoneInfo) -> str:
    """``Tue 24 Nov 2026, 10:00 CET``: an instant as the user's clock shows it, zone named."""
    local = when.astimezone(zone)
    return f"{_DAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]} {local.year}, {local:%H:%M} {local.tzname()}"


def short_moment(when: datetime | None, zone: ZoneInfo) -> str:
    """``2026-11-24 10:00 CET``: the same instant in a table cell ("—" when unknown)."""
    if when is None:
        return "—"
    local = when.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def duration(delta: timedelta) -> str:
    """``2 days and 3 hours``, ``5 hours and 30 minutes``, ``12 minutes``: cut, never rounded up.

    Two units at most: a day or more counts whole hours, less than a day whole minutes,
    less than a minute whole seconds.
    """
    if delta < timedelta(seconds=1):
        return "less than a second"
    if delta < timedelta(minutes=1):
        return f"{int(delta.total_seconds())} second{'s' if delta >= timedelta(seconds=2) else ''}"
    import humanize  # here: the pure rules word deadlines too, and import nothing heavy

    unit = timedelta(hours=1) if delta >= timedelta(days=1) else timedelta(minutes=1)
    cut = (delta // unit) * unit
    return humanize.precisedelta(cut, minimum_unit="hours" if unit == timedelta(hours=1) else "minutes",
                                 suppress=["months", "years"], format="%0.0f")


def left(delta: timedelta | None) -> str:
    """Time left in a cell: the duration, "over" once it ran out, "?" when unknown."""
    if delta is None:
        return "?"
    return duration(delta) if delta > timedelta(0) else "over"


def size(count: int) -> str:
    """``38.1 KiB``, ``3.2 MiB``: file sizes as the user's file manager shows them."""
    import humanize

    return humanize.naturalsize(count, binary=True).replace(" Bytes", " bytes").replace(" Byte", " byte")
