"""The agent's one clock, and the site's.

Deadlines are read relative to the site's clock (``data.global.curTime``), so "how
long is left" must be measured on that clock too: otherwise a skewed server, or the
sandbox's virtual time, would shift every deadline. ``SiteClock`` is the machine's
clock plus the offset measured at the last read of the site.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Now = Callable[[], datetime]


def system_now() -> datetime:
    return datetime.now(UTC)


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
