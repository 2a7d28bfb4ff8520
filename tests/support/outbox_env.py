"""Fixtures the outbox's test modules share: an isolated environment with Apprise unthrottled,
a real SQLite store, and notification settings for the channels a test names.

Imported by name into each module that wants them (``_isolated`` is autouse there).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.config.settings import NotificationsSettings, load_settings
from agent.storage.store import Store
from tests.support.isolation import isolate_environment
from tests.support.receivers import unthrottle_apprise


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_environment(monkeypatch, tmp_path)
    unthrottle_apprise(monkeypatch)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "state" / "agent.db"


@pytest.fixture
def store(db: Path):
    opened = Store(db)
    yield opened
    opened.close()


def notifications(*channels: dict, **keys) -> NotificationsSettings:
    return load_settings(notifications={"channels": list(channels), "time_zone": "Europe/Berlin", **keys}).notifications
