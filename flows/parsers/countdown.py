"""Countdowns: "Your order will be closed in: 12 days 03:04:05" → timedelta.

Why strict: the exact text of the site's countdown is not captured anywhere public, so
several plausible shapes are accepted ("12 days 03:04:05", "12d 3h 4m", "03:04:05",
"12 days 3 hours 4 minutes", with or without a "label:" prefix) — but nothing else.
Prose such as "open a dispute within 90 days after order was placed" is a policy, not
a running clock, and must not become a countdown of 90 days.
The result is relative: add it to the SITE's time (``sitetime.site_now``), never to the
local clock.
"""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["find_countdown", "parse_countdown"]

_UNITS = {
    "days": ("d", "day", "days", "dia", "dias", "día", "días", "jour", "jours", "j"),
    "hours": ("h", "hr", "hrs", "hour", "hours", "hora", "horas", "heure", "heures"),
    "minutes": ("m", "min", "mins", "minute", "minutes", "minuto", "minutos"),
    "seconds": ("s", "sec", "secs", "second", "seconds", "segundo", "segundos", "seconde", "secondes"),
}
_UNIT_OF = {word: unit for unit, words in _UNITS.items() for word in words}
_UNIT_WORD = "|".join(sorted(map(re.escape, _UNIT_OF), key=len, reverse=True))

_PART = rf"\d+\s*(?:{_UNIT_WORD})(?![^\W\d_])"
_CLOCK = r"\d{1,3}:\d{2}:\d{2}"
_SEP = r"(?:\s*,\s*|\s+and\s+|\s+e\s+|\s+y\s+|\s+et\s+|\s*)"
# one or more "<n> <unit>" parts, optionally followed by hh:mm:ss; or hh:mm:ss alone
_BODY = rf"(?:{_PART}(?:{_SEP}{_PART})*(?:{_SEP}{_CLOCK})?|{_CLOCK})"
# a label: words ending in ":" ("Respond within:"), or a lead such as "will be closed in"
_LABEL = r"(?:[^\d:]*[^\W\d_][^\d:]*:|[^\d:]*\b(?:closed|closes|close|ends?|expires?)\s+in)"
_TAIL = r"(?:\s+(?:left|remaining))?"
# what may follow a countdown inside prose: the end, or punctuation — never more words,
# so "within 90 days after order was placed" does not qualify
_END = r"(?=\s*(?:[.;,)!]|$))"

_WHOLE = re.compile(rf"^\s*(?:{_LABEL})?\s*(?P<body>{_BODY}){_TAIL}\s*\.?\s*$", re.IGNORECASE)
_LABELLED = re.compile(rf"{_LABEL}\s*(?P<body>{_BODY}){_TAIL}{_END}", re.IGNORECASE)
_BARE_CLOCK = re.compile(
    rf"(?<![\d:])(?P<body>(?:{_PART}{_SEP})*{_CLOCK})(?![\d:]){_TAIL}{_END}", re.IGNORECASE
)
# a clock right after a date is a time of day ("2026-11-24 10:00:00"), not a countdown
_DATE_BEFORE = re.compile(r"(?:\d{4}[-/]\d{1,2}[-/]\d{1,2}|[A-Za-z]{3,9}\.?\s+\d{1,2},?(?:\s+\d{4})?)\s*$")
_PART_RE = re.compile(rf"(\d+)\s*({_UNIT_WORD})(?![^\W\d_])", re.IGNORECASE)
_CLOCK_RE = re.compile(r"(\d{1,3}):(\d{2}):(\d{2})")


def _to_timedelta(body: str) -> timedelta | None:
    amounts = {"days": 0, "hours": 0, "minutes": 0, "seconds": 0}
    seen: set[str] = set()
    clock = _CLOCK_RE.search(body)
    rest = body[: clock.start()] if clock else body
    for number, word in _PART_RE.findall(rest):
        unit = _UNIT_OF[word.lower()]
        if unit in seen:  # "3 hours 4 hours" is not a countdown we understand
            return None
        seen.add(unit)
        amounts[unit] = int(number)
    if clock:
        hours, minutes, seconds = (int(g) for g in clock.groups())
        if minutes >= 60 or seconds >= 60 or seen & {"hours", "minutes", "seconds"}:
            return None
        amounts.update(hours=hours, minutes=minutes, seconds=seconds)
    return timedelta(**amounts)


def parse_countdown(text: str | None) -> timedelta | None:
    """The countdown when the whole ``text`` is one (an optional "label:" then the time), else None."""
    if not isinstance(text, str):
        return None
    match = _WHOLE.match(text)
    return _to_timedelta(match["body"]) if match else None


def find_countdown(text: str | None) -> timedelta | None:
    """A countdown inside a longer text: after a "label:" or shaped like hh:mm:ss, else None."""
    if not isinstance(text, str):
        return None
    whole = parse_countdown(text)
    if whole is not None:
        return whole
    for pattern in (_LABELLED, _BARE_CLOCK):
        for match in pattern.finditer(text):
            if pattern is _BARE_CLOCK and _DATE_BEFORE.search(text[: match.start()]):
                continue
            found = _to_timedelta(match["body"])
            if found is not None:
                return found
    return None
