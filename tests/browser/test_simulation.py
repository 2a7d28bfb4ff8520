"""The deadline-safety simulation, small: 50 randomized lifecycles in one sandbox account.

The real daemon jobs (poll, sweep, outbox, frequent poll) run in real Chromium in the
order the daemon's own schedule gives them on the sandbox's virtual clock, with faults
at random (HTTP 500 bursts, slow pages, an expired session, a channel down for hours,
the machine clock jumping, a job killed with SIGKILL, two deliveries at once). Every
count of the promise must be 0. ``bench/simulate.py`` runs the same over 1,000.

Opt-in (``pytest -m simulation``; the default run deselects the mark): each poll reads
every open dispute's page, about 40 here, and a world needs about eight polls over its
two and a half virtual days, so this takes many minutes on 2 cores (see the notes on
the measured run in README's Performance section) — more than the whole suite's budget.
"""

from __future__ import annotations

import pytest

from tests.support.isolation import isolate_environment
from tests.support.simulation_run import Options, simulate
from tests.support.simulation_world import COUNTS

pytestmark = [pytest.mark.browser, pytest.mark.simulation]

#: a fixed seed: a failure here is replayed with bench/simulate.py --lifecycles 50 --seed 17
SEED = 17


@pytest.mark.timeout(900)
def test_fifty_lifecycles_with_faults_keep_every_promise(tmp_path, monkeypatch):
    isolate_environment(monkeypatch, tmp_path)
    said: list[str] = []
    totals = simulate(Options(lifecycles=50, seed=SEED, per_world=50, say=said.append), tmp_path)
    assert totals.lifecycles == 50
    assert totals.jobs["frequent_poll"] + totals.jobs["daily_poll"] + totals.jobs["catch_up"] >= 3
    assert totals.counts == dict.fromkeys(COUNTS, 0), "\n".join(said + totals.failures)
