"""Browser work started from the page runs in a worker thread, never in the event loop.

Playwright's sync API blocks for seconds to minutes (a page to load, the browser lock
to be free while the daemon polls): the page starts a job, answers at once with a
"working…" page that refreshes, and shows the job's one result line when it ends —
the same line the command line would print, errors included (``agent.core.error_lines``).
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from agent.core.error_lines import error_line

log = logging.getLogger("dispute_agent.web")

#: finished jobs kept for the page to show (the oldest are forgotten first)
KEEP = 50


@dataclass
class Job:
    id: str
    what: str
    #: where the result page links back to
    back: str
    started: datetime
    lines: list[str] = field(default_factory=list)
    done: bool = False
    ok: bool = False
    result: str = ""

    def say(self, line: str) -> None:
        self.lines.append(str(line))


class Jobs:
    def __init__(self, now: Callable[[], datetime] | None = None) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._now = now or (lambda: datetime.now(UTC))

    def start(self, what: str, back: str, work: Callable[[Job], str]) -> Job:
        """Run ``work(job)`` in a thread; what it returns is the result line."""
        job = Job(secrets.token_urlsafe(12), what, back, self._now())
        with self._lock:
            self._jobs[job.id] = job
            for old in list(self._jobs.values())[:-KEEP]:
                if old.done:
                    del self._jobs[old.id]
        threading.Thread(target=self._run, args=(job, work), name=f"web-job-{what}", daemon=True).start()
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def busy(self) -> list[Job]:
        with self._lock:
            return [job for job in self._jobs.values() if not job.done]

    @staticmethod
    def _run(job: Job, work: Callable[[Job], str]) -> None:
        try:
            job.result, job.ok = work(job), True
        except Exception as error:  # every failure becomes the page's one line
            mapped = error_line(error)
            if mapped is None:
                log.exception("%s failed", job.what)
                job.result = f"unexpected error ({type(error).__name__}); the daemon's log has the details"
            else:
                job.result = mapped[0]
        finally:
            job.done = True
