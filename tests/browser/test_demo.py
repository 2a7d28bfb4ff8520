"""The README's first command: the demo runs to the end and leaves nothing running."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.browser


def test_demo_runs_to_the_end(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISPUTE_AGENT_") or k == "DISPUTE_AGENT_BROWSER"}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"), COLUMNS="140")
    done = subprocess.run([sys.executable, "-m", "agent.cli", "demo"], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "26 orders read" in out
    assert "Orders by protection end" in out
    assert "dispute 64" in out and "opened" in out
    assert "inbox ← [dispute-agent] CRITICAL: Seller offers 0.00 EUR" in out
    # the page offers no escalation: the policy "escalate" answers with "I don't agree" instead
    assert "the case is now: WAIT_SELLER_RESPONSE" in out
    assert "auto_reject" in out
    assert "The sandbox and the inbox are stopped" in out
