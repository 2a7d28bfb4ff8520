"""The environment of a user whose agent points at a running sandbox (browser tests)."""

from __future__ import annotations

import json
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


def logged_in_already(server, state_dir: Path, account: str = "default") -> Path:
    """Give the agent under ``state_dir`` a saved session of the sandbox's current world, as
    if the user had logged in before (``session import``): the test starts past the login.

    Why: a sign-in is five pages and about three seconds of a busy machine; most browser
    tests are about what comes after it, and the login has tests of its own. A test that
    loads another world afterwards ends that session: the agent then logs in as usual.
    """
    from flows.session_file import write_private

    path = state_dir / "sessions" / f"{account}.json"
    write_private(path, json.dumps(server.session_state()).encode(), private_dir=True)  # as the agent saves one
    return path
