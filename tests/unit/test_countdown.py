"""Countdowns, whole and inside longer texts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows.parsers.countdown import find_countdown, parse_countdown


def td(days: int = 0, h: int = 0, m: int = 0, s: int = 0) -> timedelta:
    return timedelta(days=days, hours=h, minutes=m, seconds=s)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Your order will be closed in: 12 days 03:04:05", td(12, 3, 4, 5)),
        ("Your order will be closed in 12 days 03:04:05", td(12, 3, 4, 5)),
        ("1 day 03:04:05", td(1, 3, 4, 5)),
        ("12 days", td(12)),
        ("03:04:05", td(0, 3, 4, 5)),
        ("47:59:59", td(0, 47, 59, 59)),
        ("12d 3h 4m", td(12, 3, 4)),
        ("12d3h4m5s", td(12, 3, 4, 5)),
        ("12 days 3 hours 4 minutes", td(12, 3, 4)),
        ("12 days, 3 hours and 4 minutes", td(12, 3, 4)),
        ("12 Days 3 Hours", td(12, 3)),
        ("Respond within: 1 day 23:59:59", td(1, 23, 59, 59)),
        ("Respond within: 0 days 00:00:00", td()),
        ("5 days left", td(5)),
        ("2 dias e 3 horas", td(2, 3)),
        # not countdowns
        ("Sep 4, 2026", None),
        ("Refund if no delivery before Sep 4, 2026", None),
        ("within 90 days after order was placed", None),
        ("3 months", None),
        ("1 day 03:64:05", None),  # 64 minutes
        ("12 hours 03:04:05", None),  # hours given twice
        ("3 hours 4 hours", None),
        ("closed in: 5", None),
        ("12:30", None),  # a time of day, not hh:mm:ss
        ("", None),
        (None, None),
    ],
)
def test_parse_countdown(text: str | None, expected: timedelta | None) -> None:
    assert parse_countdown(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Seller is shipping. Your order will be closed in: 12 days 03:04:05. Contact the seller.", td(12, 3, 4, 5)),
        ("Awaiting delivery. Your order will be closed in 3 days 01:02:03", td(3, 1, 2, 3)),
        ("Time left 10:00:00.", td(0, 10)),
        # the completed-order reminder holds policies, not a running clock
        (
            "Order complete.If there are any problems, you can apply for a return/refund within 7 days "
            "of confirming receipt.If the item you received is defective or not as described, you can "
            "open a dispute within 90 days after order was placed.",
            None,
        ),
        ("Note: 90 days after order", None),
        ("Pay before 2026-11-24 10:00:00.", None),  # a time of day after a date
        ("Pay before Nov 24, 2026 10:00:00", None),
        (None, None),
    ],
)
def test_find_countdown(text: str | None, expected: timedelta | None) -> None:
    assert find_countdown(text) == expected


# --- formatted then parsed gives the same duration ---------------------------------------


def _clock(t: timedelta) -> str:
    hours, rest = divmod(t.seconds, 3600)
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


_FORMATS = [
    lambda t: f"Your order will be closed in: {_plural(t.days, 'day')} {_clock(t)}",
    lambda t: f"Respond within: {_plural(t.days, 'day')} {_clock(t)}",
    lambda t: f"{_plural(t.days, 'day')} {_clock(t)}",
    lambda t: f"{t.days}d {t.seconds // 3600}h {t.seconds // 60 % 60}m {t.seconds % 60}s",
    lambda t: (
        f"{_plural(t.days, 'day')} {_plural(t.seconds // 3600, 'hour')} "
        f"{_plural(t.seconds // 60 % 60, 'minute')} {_plural(t.seconds % 60, 'second')}"
    ),
]


@given(
    duration=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=999)).map(
        lambda t: timedelta(days=t.days, seconds=t.seconds)
    ),
    fmt=st.sampled_from(_FORMATS),
)
def test_formatted_countdown_parses_back(duration: timedelta, fmt) -> None:
    text = fmt(duration)
    assert parse_countdown(text) == duration, text
    # inside prose a countdown needs a "label:" (prose durations are policies, see above)
    labelled = text if ":" in text else f"Time left: {text}"
    assert find_countdown(f"Status: shipped. {labelled}. Contact the seller.") == duration, labelled
