"""Benchmark: how long the read-only pass takes a user, as ``check-site`` and as ``capture``.

Starts the sandbox with the demo world, logs in once, then runs ``dispute-agent
check-site`` and ``dispute-agent capture`` as a user would (each a fresh process, the
browser's start included) and prints each one's wall time next to the goal: under 60 s
for ``check-site`` on a healthy site, on 2 cores. It also prints the bundle's size.

    python bench/bench_site_pass.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GOAL_S = 60.0


def run(argv: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "agent.cli", *argv], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=False)
    return time.perf_counter() - started, done


def main(argv: list[str] | None = None) -> int:
    from sandbox.server import SandboxServer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per command (default 3)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch, SandboxServer() as server:
        env = {**os.environ, "DISPUTE_AGENT_SITE__BASE_URL": server.url,
               "DISPUTE_AGENT_STATE__DIR": str(Path(scratch) / "state"),
               "DISPUTE_AGENT_LOGIN": "buyer@example.com", "DISPUTE_AGENT_PASSWORD": "sandbox-pass",
               "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
        _, login = run(["login"], env)
        if login.returncode != 0:
            print(f"login failed: {login.stderr.strip()}")
            return 1
        bundle = Path(scratch) / "capture.zip"
        for label, command, goal in (("check-site", ["check-site"], GOAL_S),
                                     ("capture", ["capture", "--out", str(bundle)], None)):
            times = []
            for _ in range(max(1, args.runs)):
                elapsed, done = run(command, env)
                if done.returncode != 0:
                    print(f"{label} failed (exit {done.returncode}): {done.stderr.strip()[-300:]}")
                    return 1
                times.append(elapsed)
            median = statistics.median(times)
            verdict = "" if goal is None else f" (goal < {goal:.0f} s: {'met' if median < goal else 'NOT met'})"
            print(f"{label:10} median {median:.1f} s, best {min(times):.1f} s over {len(times)} runs{verdict}")
        print(f"bundle     {bundle.stat().st_size / 1024:.0f} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
