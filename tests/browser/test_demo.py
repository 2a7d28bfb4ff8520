"""The README's first command: the demo runs to the end and leaves nothing running."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser


def test_demo_runs_to_the_end(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISPUTE_AGENT_") or k == "DISPUTE_AGENT_BROWSER"}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"), COLUMNS="140")
    done = subprocess.run([sys.executable, "-m", "agent.cli", "demo", "--keep-state", str(tmp_path / "state")],
                          capture_output=True, text=True,
                          timeout=300, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "26 orders read" in out
    assert "Orders by protection end" in out
    assert "dispute 64" in out and "opened" in out
    # the first poll: one summary message, not one per finding
    assert "1 message sent" in out and "alerts at once; most urgent:" in out
    # the acted-on zero offer: one calm message with what was offered and what was done, never "or get nothing"
    assert ("inbox ← [dispute-agent] The seller offered 0.00 EUR on order 8215000000000004: "
            "the agent rejected it for you") in out
    assert "│ The agent rejected it on your behalf at " in out
    assert not [line for line in out.splitlines() if "8215000000000004: reject it" in line]
    # the page offers no escalation: the policy "escalate" answers with "I don't agree" instead
    assert "the case is now: WAIT_SELLER_RESPONSE" in out
    assert "auto_reject" in out
    assert "The sandbox and the inbox are stopped" in out
    # the calendar feed of the state the demo left: its deadlines, parsed back with icalendar
    windows = demo_calendar(tmp_path / "state")
    assert windows["order-8215000000000003-open-dispute@dispute-agent"] == datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert len(windows) == 13 and all(uid.startswith("order-") for uid in windows)  # its disputes await the sellers


def demo_calendar(state: Path) -> dict[str, datetime]:
    from icalendar import Calendar
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from agent.config.settings import load_settings
    from agent.web.feed_files import calendar_secret
    from agent.web.feeds import calendar_path, routes

    settings = load_settings(None, state={"dir": str(state)})
    with TestClient(Starlette(routes=routes(settings))) as client:
        answer = client.get(calendar_path(calendar_secret(state)))
    assert answer.status_code == 200
    return {str(event["UID"]): event.decoded("DTSTART") for event in Calendar.from_ical(answer.content).walk("VEVENT")}
