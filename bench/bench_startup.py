"""Benchmark: how fast the commands a shell or a container health probe calls answer.

Prints the median and best wall time of ``dispute-agent --help`` and of
``dispute-agent healthcheck`` (each a fresh Python process, as a shell or Docker's
HEALTHCHECK starts it), next to the goal: under 0.3 s for both. The tests hold what
keeps them fast (neither imports Playwright, SQLAlchemy, Apprise, APScheduler or
keyring); the time itself is measured here, on a quiet machine.

    python bench/bench_startup.py [--runs 9]
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
GOAL_S = 0.3


def timed(argv: list[str], env: dict[str, str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "agent.cli", *argv], cwd=ROOT, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - started)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="runs per command (default 9)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "DISPUTE_AGENT_STATE__DIR": str(Path(scratch) / "state")}
        for label, command in (("--help", ["--help"]), ("healthcheck", ["healthcheck"])):
            times = timed(command, env, max(1, args.runs))
            median, best = statistics.median(times), min(times)
            verdict = "met" if median < GOAL_S else "NOT met"
            print(f"{label:12} median {median:.3f} s, best {best:.3f} s over {len(times)} runs "
                  f"(goal < {GOAL_S} s: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
