"""Dates, date-times and the site's clock."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from agent.core.errors import PageChanged
from flows.parsers.dates import (
    find_date,
    parse_date,
    parse_datetime,
    parse_short_datetime,
    start_of_day,
)
from flows.parsers.sitetime import epoch_ms_to_utc, site_now

UTC = timezone.utc
BRT = timezone(timedelta(hours=-3))  # the site's zone for a Brazilian account
CST = timezone(timedelta(hours=8))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Jul 15, 2026", date(2026, 7, 15)),
        ("Sep 4, 2026", date(2026, 9, 4)),
        ("Sept 4, 2026", date(2026, 9, 4)),
        ("September 4, 2026", date(2026, 9, 4)),
        ("Feb 21, 2026", date(2026, 2, 21)),
        ("  May 18, 2026 ", date(2026, 5, 18)),
        ("jul 15 2026", date(2026, 7, 15)),
        ("Jul. 15, 2026", date(2026, 7, 15)),
        ("15 Jul 2026", date(2026, 7, 15)),
        ("2026-07-15", date(2026, 7, 15)),
        ("2026/7/5", date(2026, 7, 5)),
        ("Feb 30, 2026", None),
        ("Foo 3, 2026", None),
        ("Jul 15", None),
        ("Order date: Feb 21, 2026", None),  # a whole-text parser: labels are for find_date
        ("", None),
        (None, None),
    ],
)
def test_parse_date(text: str | None, expected: date | None) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Order date: Feb 21, 2026", date(2026, 2, 21)),
        ("Refund if no delivery before Sep 4, 2026", date(2026, 9, 4)),
        ("Estimated delivery date: Aug 3, 2026", date(2026, 8, 3)),
        ("If delivered after Aug 3, 2026 you can collect a R$5 coupon", date(2026, 8, 3)),
        ("between Aug 3, 2026 and Sep 4, 2026", date(2026, 8, 3)),
        ("no date here", None),
    ],
)
def test_find_date(text: str, expected: date | None) -> None:
    assert find_date(text) == expected


@pytest.mark.parametrize(
    "text, tz, expected",
    [
        ("2022-03-23 21:19:58", UTC, datetime(2022, 3, 23, 21, 19, 58, tzinfo=UTC)),
        ("2022-03-23 21:19:58", BRT, datetime(2022, 3, 24, 0, 19, 58, tzinfo=UTC)),
        ("2021-12-10 02:08:25", CST, datetime(2021, 12, 9, 18, 8, 25, tzinfo=UTC)),
        ("2026-11-24 10:00", UTC, datetime(2026, 11, 24, 10, 0, tzinfo=UTC)),
        ("2026-11-24", UTC, datetime(2026, 11, 24, tzinfo=UTC)),
        ("2026-11-24 25:00:00", UTC, None),
        ("Nov 24, 2026", UTC, None),
        ("", UTC, None),
    ],
)
def test_parse_datetime(text: str, tz: timezone, expected: datetime | None) -> None:
    parsed = parse_datetime(text, tz)
    assert parsed == expected
    if parsed is not None:
        assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "text, reference, expected",
    [
        ("Tue | Jul. 28 18:39", datetime(2026, 9, 7, tzinfo=UTC), datetime(2026, 7, 28, 18, 39, tzinfo=UTC)),
        ("Jul. 28", datetime(2026, 9, 7, tzinfo=UTC), datetime(2026, 7, 28, tzinfo=UTC)),
        # read in early January, a December event belongs to the previous year
        ("Thu | Dec. 31 23:00", datetime(2027, 1, 2, tzinfo=UTC), datetime(2026, 12, 31, 23, 0, tzinfo=UTC)),
        ("Feb. 29 10:00", datetime(2027, 3, 1, tzinfo=UTC), None),  # no Feb 29 in 2027/2026
        ("Jul. 28 25:00", datetime(2026, 9, 7, tzinfo=UTC), None),
        ("yesterday", datetime(2026, 9, 7, tzinfo=UTC), None),
    ],
)
def test_parse_short_datetime(text: str, reference: datetime, expected: datetime | None) -> None:
    assert parse_short_datetime(text, reference) == expected


def test_start_of_day_is_the_earlier_end_in_the_sites_zone() -> None:
    assert start_of_day(date(2026, 9, 4)) == datetime(2026, 9, 4, tzinfo=UTC)
    assert start_of_day(date(2026, 9, 4), BRT) == datetime(2026, 9, 4, 3, tzinfo=UTC)
    assert start_of_day(date(2026, 9, 4), CST) == datetime(2026, 9, 3, 16, tzinfo=UTC)


# --- the site's clock -------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        (1788850420839, datetime(2026, 9, 8, 6, 53, 40, 839000, tzinfo=UTC)),
        ("1788850420839", datetime(2026, 9, 8, 6, 53, 40, 839000, tzinfo=UTC)),
        (1788850420, None),  # seconds, not milliseconds: refused, not read as 1970
        (0, None),
        ("abc", None),
        (None, None),
        (True, None),
    ],
)
def test_epoch_ms_to_utc(value: object, expected: datetime | None) -> None:
    assert epoch_ms_to_utc(value) == expected


def test_site_now_prefers_cur_time() -> None:
    envelope = {"data": {"global": {"curTime": 1788850420839}}}
    header = "Mon, 01 Jan 2024 00:00:00 GMT"
    assert site_now(envelope, header) == datetime(2026, 9, 8, 6, 53, 40, 839000, tzinfo=UTC)


@pytest.mark.parametrize(
    "header, expected",
    [
        ("Tue, 08 Sep 2026 06:53:40 GMT", datetime(2026, 9, 8, 6, 53, 40, tzinfo=UTC)),
        ("Tue, 08 Sep 2026 03:53:40 -0300", datetime(2026, 9, 8, 6, 53, 40, tzinfo=UTC)),
    ],
)
def test_site_now_falls_back_to_date_header(header: str, expected: datetime) -> None:
    assert site_now({"data": {"module": {}}}, header) == expected


@pytest.mark.parametrize("header", [None, "", "not a date"])
def test_site_now_without_any_clock_raises(header: str | None) -> None:
    with pytest.raises(PageChanged, match="data.global.curTime missing"):
        site_now({"data": {"global": {}}}, header, where="order.list")
