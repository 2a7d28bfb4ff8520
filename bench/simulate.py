"""The deadline-safety simulation: does the agent keep its promise over many lifecycles?

    python bench/simulate.py --lifecycles 1000 --seed 7

Randomized dispute lifecycles (sellers offering 0.00, a part, everything, changing or
withdrawing their offer, staying silent; mediators asking for information; protection
running out; orders long closed) in sandbox worlds of ``--per-world`` lifecycles each,
driven through the real daemon jobs in real Chromium on the sandbox's virtual clock,
with faults at random (HTTP 500 bursts, slow pages, expired sessions, the mail server
and the webhook down for hours, jobs killed with SIGKILL, two deliveries at once, the
machine clock jumping). See ``tests/support/simulation_run.py``.

Prints each world's failures as they are found, then one line per count (goal: 0
each), ``lifecycles: N`` and the time it took.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.simulation_run import Options, report, simulate  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lifecycles", type=int, default=50, help="how many lifecycles in all (the bench run: 1000)")
    parser.add_argument("--seed", type=int, default=None, help="default: a random one, printed")
    parser.add_argument("--per-world", type=int, default=50, help="lifecycles in one sandbox account at once")
    parser.add_argument("--span-days", type=float, default=2.5, help="virtual days each world runs")
    parser.add_argument("--frequent-minutes", type=float, default=720, help="the daemon's frequent poll")
    parser.add_argument("--no-faults", action="store_true", help="no faults, no kills: the lifecycles alone")
    parser.add_argument("--keep", type=Path, default=None, help="keep each world's agent state under this folder")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # the agent's retries are part of the run, not news
    seed = args.seed if args.seed is not None else int(time.time()) % 100_000
    print(f"seed: {seed}", flush=True)
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="simulate-") as work:
        totals = simulate(Options(lifecycles=args.lifecycles, seed=seed, per_world=args.per_world,
                                  faults=not args.no_faults, span_days=args.span_days,
                                  frequent_minutes=args.frequent_minutes, say=lambda line: print(line, flush=True)),
                          args.keep or Path(work))
    print("jobs: " + ", ".join(f"{name} {n}" for name, n in sorted(totals.jobs.items())))
    for line in report(totals, time.monotonic() - began):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
