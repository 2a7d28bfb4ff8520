"""Keep tests away from the developer's own configuration, state and secrets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

#: variables outside the DISPUTE_AGENT_ prefix that the agent reads
_OTHER_VARIABLES = ("CREDENTIALS_DIRECTORY",)


def isolate_environment(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """Drop every agent variable and point the platform folders into ``home``.

    After this, ``load_settings()`` sees no user file and defaults under ``home``.
    """
    for name in list(os.environ):
        if name.upper().startswith("DISPUTE_AGENT_") or name in _OTHER_VARIABLES:
            monkeypatch.delenv(name)
    # Traces cost a tenth of a browser test's time and only the tests about evidence read
    # them: those turn it back on (``keep_traces``). The agent's default stays on.
    monkeypatch.setenv("DISPUTE_AGENT_BROWSER__TRACE_ON_FAILURE", "false")
    # a page the site fails is tried again: in tests after a blink, not the agent's seconds
    monkeypatch.setenv("DISPUTE_AGENT_BROWSER__RETRY_WAIT_S", "0.05")
    # a poll reads up to 5 tracking pages, a second or so each; the tests that are not about
    # tracking need one at most (the tracking tests' world has a single parcel on its way)
    monkeypatch.setenv("DISPUTE_AGENT_POLICY__TRACKING_READS_PER_POLL", "1")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))


def keep_traces(monkeypatch: pytest.MonkeyPatch) -> None:
    """Record traces as the agent does by default (a test about evidence reads them)."""
    monkeypatch.setenv("DISPUTE_AGENT_BROWSER__TRACE_ON_FAILURE", "true")
