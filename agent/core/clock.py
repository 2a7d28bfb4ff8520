"""The agent's one clock, and the site's.

Deadlines are read relative to the site's clock (``data.global.curTime``), so "how
long is left" must be measured on that clock too: otherwise a skewed server, or the
sandbox's virtual time, would shift every deadline. ``SiteClock`` is the machine's
clock plus the offset measured at the last read of the site.

The machine's clock itself is ``system_now``, which a daemon given its own clock
(``Daemon(now=...)``) replaces for the length of each job with ``machine_clock``: the
deadline simulation runs the real jobs on the sandbox's virtual time, and a stamp taken
on the wall clock in the middle of a job (a claim's lease, a hold, a status change)
would otherwise be days away from every other time the job reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

Now = Callable[[], datetime]

#: the clock put in place of the machine's by ``machine_clock`` (None: the machine's)
_replacement: Now | None = None


def system_now() -> datetime:
    """This machine's time, or the clock a daemon runs its jobs on (``machine_clock``)."""
    replacement = _replacement
    return replacement() if replacement is not None else datetime.now(UTC)


@contextmanager
def machine_clock(now: Now) -> Iterator[None]:
    """Read ``now`` wherever the agent reads the machine's time, until the block ends."""
    global _replacement
    previous, _replacement = _replacement, now
    try:
        yield
    finally:
        _replacement = previous


class SiteClock:
    def __init__(self, offset: timedelta = timedelta(0), local: Now = system_now) -> None:
        self.offset = offset
        self._local = local

    def __call__(self) -> datetime:
        return self._local() + self.offset

    def observe(self, site_time: datetime) -> None:
        """Remember how far the site's clock is from ours, as seen just now."""
        self.offset = site_time - self._local()

    def local(self) -> datetime:
        return self._local()
