"""Dates and date-times as the site writes them.

Why our own month table instead of ``strptime("%b")``: ``%b`` follows the machine's
locale, so a server set to pt_BR would stop reading "Jul 15, 2026". Why a ``tz``
parameter: texts such as "2022-03-23 21:19:58" carry no zone; the caller knows which
zone the site renders in, and the result is always converted to aware UTC.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone, tzinfo

__all__ = [
    "find_date",
    "parse_date",
    "parse_datetime",
    "parse_short_datetime",
    "start_of_day",
]

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3,
    "apr": 4, "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7,
    "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9, "oct": 10, "october": 10,
    "nov": 11, "november": 11, "dec": 12, "december": 12,
}
_MONTH = r"(?P<month>[A-Za-z]{3,9})\.?"
# "Jul 15, 2026", "Sep 4 2026", "July 15, 2026"
_MDY = re.compile(rf"\b{_MONTH}\s+(?P<day>\d{{1,2}}),?\s+(?P<year>\d{{4}})\b")
# "15 Jul 2026", "4 Sep. 2026"
_DMY = re.compile(rf"\b(?P<day>\d{{1,2}})\s+{_MONTH}\s+(?P<year>\d{{4}})\b")
# "2026-07-15", "2026/07/15"
_ISO_DATE = re.compile(r"\b(?P<year>\d{4})[-/](?P<month>\d{1,2})[-/](?P<day>\d{1,2})\b")
_ISO_DATETIME = re.compile(
    r"^\s*(?P<year>\d{4})[-/](?P<month>\d{1,2})[-/](?P<day>\d{1,2})"
    r"(?:[ T](?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?)?\s*$"
)
# "Tue | Jul. 28 18:39", "Jul. 28", "Jul 28 18:39:05"
_SHORT = re.compile(
    rf"^\s*(?:[A-Za-z]{{3,9}}\s*\|\s*)?{_MONTH}\s+(?P<day>\d{{1,2}})"
    r"(?:,?\s+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?)?\s*$"
)


def _month(name: str) -> int | None:
    return _MONTHS.get(name.lower()) if not name.isdigit() else int(name)


def _make_date(year: str, month: str, day: str) -> date | None:
    number = _month(month)
    if number is None:
        return None
    try:
        return date(int(year), number, int(day))
    except ValueError:
        return None


def parse_date(text: str | None) -> date | None:
    """A whole text that is one date ("Jul 15, 2026", "15 Jul 2026", "2026-07-15"), else None."""
    if not isinstance(text, str):
        return None
    stripped = text.strip()
    for pattern in (_MDY, _DMY, _ISO_DATE):
        match = pattern.fullmatch(stripped)
        if match:
            return _make_date(match["year"], match["month"], match["day"])
    return None


def find_date(text: str | None) -> date | None:
    """The first date inside a longer text ("Order date: Feb 21, 2026"), else None."""
    if not isinstance(text, str):
        return None
    hits = []
    for pattern in (_MDY, _DMY, _ISO_DATE):
        for match in pattern.finditer(text):
            found = _make_date(match["year"], match["month"], match["day"])
            if found is not None:
                hits.append((match.start(), found))
    return min(hits)[1] if hits else None


def _aware(naive: datetime, tz: tzinfo) -> datetime:
    return naive.replace(tzinfo=tz).astimezone(timezone.utc)


def parse_datetime(text: str | None, tz: tzinfo = timezone.utc) -> datetime | None:
    """"2022-03-23 21:19:58" read as local time in ``tz``, returned as aware UTC."""
    if not isinstance(text, str):
        return None
    match = _ISO_DATETIME.match(text)
    if not match:
        return None
    day = _make_date(match["year"], match["month"], match["day"])
    if day is None:
        return None
    try:
        clock = time(int(match["hour"] or 0), int(match["minute"] or 0), int(match["second"] or 0))
    except ValueError:
        return None
    return _aware(datetime.combine(day, clock), tz)


def parse_short_datetime(text: str | None, reference: datetime, tz: tzinfo = timezone.utc) -> datetime | None:
    """"Tue | Jul. 28 18:39" (no year): the latest such moment not after ``reference`` + 1 day.

    Why that year: these texts describe the past (tracking events), so "Dec 31" read on
    Jan 2 belongs to the previous year; a day of slack absorbs time-zone differences.
    """
    if not isinstance(text, str):
        return None
    match = _SHORT.match(text)
    if not match or _month(match["month"]) is None:
        return None
    local_ref = reference.astimezone(tz)
    for year in (local_ref.year + 1, local_ref.year, local_ref.year - 1):
        day = _make_date(str(year), match["month"], match["day"])
        if day is None:
            continue
        try:
            clock = time(int(match["hour"] or 0), int(match["minute"] or 0), int(match["second"] or 0))
        except ValueError:
            return None
        moment = _aware(datetime.combine(day, clock), tz)
        if moment <= reference + timedelta(days=1):
            return moment
    return None


def start_of_day(day: date, tz: tzinfo = timezone.utc) -> datetime:
    """Midnight at the start of ``day`` in ``tz``, as aware UTC.

    A promise "before Sep 4" is met only until Sep 4 begins, so deadlines read from a
    date take its first moment: the safe (earlier) end.
    """
    return _aware(datetime.combine(day, time(0, 0)), tz)
