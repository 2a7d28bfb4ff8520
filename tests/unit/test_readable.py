"""Times, durations and sizes as the user reads them, and the one user zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.config.settings import load_settings
from agent.core.errors import ConfigError
from agent.core.readable import duration, left, machine_zone, moment, short_moment, size

NOV_24 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(("delta", "worded"), [
    (timedelta(days=2, hours=3, minutes=59, seconds=59), "2 days and 3 hours"),
    (timedelta(days=1), "1 day"),
    (timedelta(days=40, hours=3), "40 days and 3 hours"),
    (timedelta(hours=23, minutes=59, seconds=59), "23 hours and 59 minutes"),
    (timedelta(hours=5), "5 hours"),
    (timedelta(minutes=1), "1 minute"),
    (timedelta(seconds=59, microseconds=999), "59 seconds"),
    (timedelta(seconds=1), "1 second"),
    (timedelta(milliseconds=999), "less than a second"),
])
def test_durations_are_cut_never_rounded_up(delta, worded):
    assert duration(delta) == worded


@given(st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=400)))
def test_a_worded_duration_never_promises_more_time_than_is_left(delta):
    words = duration(delta).replace(" and ", ", ").split(", ")
    units = {"day": timedelta(days=1), "hour": timedelta(hours=1), "minute": timedelta(minutes=1),
             "second": timedelta(seconds=1)}
    said = sum((int(count) * units[unit.rstrip("s")] for count, unit in (w.split() for w in words)), timedelta())
    step = (timedelta(hours=1) if delta >= timedelta(days=1) else timedelta(minutes=1) if delta >= timedelta(minutes=1)
            else timedelta(seconds=1))
    assert said <= delta < said + step


def test_time_left_in_a_cell():
    assert (left(None), left(timedelta(0)), left(timedelta(seconds=-1))) == ("?", "over", "over")
    assert left(timedelta(days=3, hours=2)) == "3 days and 2 hours"


def test_moments_name_their_zone_in_english_whatever_the_locale():
    assert moment(NOV_24, ZoneInfo("Europe/Berlin")) == "Tue 24 Nov 2026, 10:00 CET"
    assert moment(NOV_24, ZoneInfo("America/Sao_Paulo")) == "Tue 24 Nov 2026, 06:00 -03"
    assert short_moment(NOV_24, ZoneInfo("Europe/Berlin")) == "2026-11-24 10:00 CET"
    assert short_moment(None, ZoneInfo("UTC")) == "—"


def test_sizes_read_as_a_file_manager_shows_them():
    assert (size(39_000), size(2_500_000)) == ("38.1 KiB", "2.4 MiB")


def test_the_user_zone_is_the_machines_unless_set(monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    assert machine_zone() == "Asia/Tokyo"
    assert load_settings().time_zone == "Asia/Tokyo"
    monkeypatch.setenv("TZ", "Etc/UTC")
    assert machine_zone() == "UTC"
    monkeypatch.setenv("DISPUTE_AGENT_TIME_ZONE", "Europe/Lisbon")
    assert load_settings().time_zone == "Europe/Lisbon"


def test_one_zone_reaches_every_section_that_words_or_schedules_time(tmp_path):
    config = tmp_path / "agent.toml"
    config.write_text('time_zone = "Europe/Berlin"\n\n[site]\ntime_zone = "Asia/Shanghai"\n', encoding="utf-8")
    settings = load_settings(config)
    assert (settings.notifications.time_zone, settings.schedule.time_zone, settings.policy.time_zone) == (
        "Europe/Berlin",) * 3
    assert settings.site.time_zone == "Asia/Shanghai"  # the site's own texts keep their zone
    assert settings.policy.local(NOV_24) == "Tue 24 Nov 2026, 10:00 CET"


def test_an_old_file_with_a_zone_per_section_is_read_when_they_agree_and_refused_when_not(tmp_path):
    config = tmp_path / "agent.toml"
    config.write_text('[notifications]\ntime_zone = "Europe/Paris"\n[schedule]\ntime_zone = "Europe/Paris"\n',
                      encoding="utf-8")
    assert load_settings(config).policy.time_zone == "Europe/Paris"
    config.write_text('[notifications]\ntime_zone = "Europe/Paris"\n[schedule]\ntime_zone = "UTC"\n',
                      encoding="utf-8")
    with pytest.raises(ConfigError, match="name different zones; set the one top-level time_zone"):
        load_settings(config)
    config.write_text('time_zone = "UTC"\n[notifications]\ntime_zone = "Europe/Paris"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="notifications.time_zone differs from the top-level time_zone"):
        load_settings(config)
