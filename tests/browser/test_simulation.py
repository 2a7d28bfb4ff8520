"""The deadline-safety simulation in the suite: 50 randomized lifecycles with faults keep every promise.

The real daemon jobs (poll, sweep, outbox, frequent poll) run in real Chromium in the
order the daemon's own schedule gives them on the sandbox's virtual clock, with faults
at random (HTTP 500 bursts, slow pages, an expired session, a channel down for hours,
the machine clock jumping, a job or the buyer's filing command killed with SIGKILL, two
deliveries at once). Every count of the promise must be 0, and every dispute the buyer
asked for must stand on the site. One world of 50 lifecycles takes two to four minutes
on 2 cores; ``bench/simulate.py`` runs any number (the bench run is 1,000).
"""

from __future__ import annotations

import pytest

from tests.support.isolation import isolate_environment
from tests.support.simulation_run import Options, simulate
from tests.support.simulation_world import COUNTS

pytestmark = pytest.mark.browser

#: a fixed seed: a failure here is replayed with bench/simulate.py --lifecycles 50 --seed 17
SEED = 17


@pytest.mark.timeout(1200)
def test_fifty_lifecycles_with_faults_keep_every_promise(tmp_path, monkeypatch):
    isolate_environment(monkeypatch, tmp_path)
    said: list[str] = []
    totals = simulate(Options(lifecycles=50, seed=SEED, per_world=50, say=said.append), tmp_path)
    assert totals.lifecycles == 50
    assert totals.counts == dict.fromkeys(COUNTS, 0), "\n".join(said + totals.failures)
    assert totals.filings_asked >= 1 and totals.filings_done == totals.filings_asked, "\n".join(totals.failures)
    polls = totals.jobs["frequent_poll"] + totals.jobs["daily_poll"] + totals.jobs["catch_up"]
    killed = sum(n for name, n in totals.jobs.items() if "SIGKILL" in name and name.endswith(": killed"))
    assert polls >= 3 and killed >= 1, totals.jobs  # the seed draws a world where jobs die
