"""The environment of a user whose agent points at a running sandbox (browser tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.isolation import isolate_environment


def point_agent_at(server, monkeypatch: pytest.MonkeyPatch, home: Path) -> Path:
    """Reset the sandbox's world and point the agent at it, with a fresh state under ``home``."""
    isolate_environment(monkeypatch, home)
    server.reset()
    for key, value in {
        "DISPUTE_AGENT_SITE__BASE_URL": server.url,
        "DISPUTE_AGENT_STATE__DIR": str(home / "state"),
        "DISPUTE_AGENT_POLITENESS__MIN_DELAY_MS": "0",
        "DISPUTE_AGENT_POLITENESS__MAX_DELAY_MS": "10",
        "DISPUTE_AGENT_LOGIN": "buyer@example.com",
        "DISPUTE_AGENT_PASSWORD": "sandbox-pass",
        "COLUMNS": "160",
    }.items():
        monkeypatch.setenv(key, value)
    return home
