"""The daemon's jobs on a clock it is told, one job at a time.

The deadline simulation (``bench/simulate.py``) runs the real daemon on the sandbox's
virtual time, days in seconds. APScheduler waits on the machine's clock, so it cannot
follow that time; this scheduler takes the same ``add_job`` calls
(``Daemon.add_jobs``/``start_jobs``, and the retry a failed poll schedules) and the same
APScheduler triggers, and answers "which job is due next, and when": the schedule is
computed by one piece of code whichever clock drives it. Missed runs are coalesced
into one, as the daemon's ``coalesce=True`` does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class VirtualJob:
    id: str
    func: Callable[..., Any]
    trigger: Any
    args: tuple[Any, ...] = ()
    next_run_time: datetime | None = None
    runs: int = field(default=0)


class VirtualScheduler:
    """APScheduler's ``add_job``/``get_job``/``remove_job`` over a clock ``now``."""

    running = True

    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now
        self._jobs: dict[str, VirtualJob] = {}

    def add_job(self, func: Callable[..., Any], trigger: Any = "date", *, args: Any = None, id: str,
                replace_existing: bool = False, run_date: datetime | None = None, executor: str | None = None,
                next_run_time: datetime | None = None) -> VirtualJob:
        """As APScheduler's; ``executor`` is moot here (every job runs when it is due, in turn)."""
        from apscheduler.triggers.date import DateTrigger

        if id in self._jobs and not replace_existing:
            raise ValueError(f"a job with id {id!r} is already scheduled")
        if trigger == "date":
            trigger = DateTrigger(run_date=run_date or self._now())
        job = VirtualJob(id=id, func=func, trigger=trigger, args=tuple(args or ()))
        job.next_run_time = next_run_time or trigger.get_next_fire_time(None, self._now())
        self._jobs[id] = job
        return job

    def get_job(self, job_id: str) -> VirtualJob | None:
        return self._jobs.get(job_id)

    def remove_job(self, job_id: str) -> None:
        self._jobs.pop(job_id, None)

    def jobs(self) -> list[VirtualJob]:
        return list(self._jobs.values())

    def next_due(self) -> VirtualJob | None:
        """The job that runs first (ties: the one added first), or None."""
        waiting = [job for job in self._jobs.values() if job.next_run_time is not None]
        return min(waiting, key=lambda job: job.next_run_time) if waiting else None

    def run(self, job: VirtualJob) -> None:
        """Run ``job`` now (its time has come on the clock) and set its next run, coalescing
        the runs missed meanwhile into this one."""
        now = self._now()
        fired = job.next_run_time or now
        following = job.trigger.get_next_fire_time(fired, now)
        while following is not None and following <= now:
            following = job.trigger.get_next_fire_time(following, now)
        job.next_run_time = following
        if following is None:
            self._jobs.pop(job.id, None)
        job.runs += 1
        job.func(*job.args)  # may add a job under its own id (a poll's retry): that one stays

    def shutdown(self, wait: bool = False) -> None:
        self._jobs.clear()
