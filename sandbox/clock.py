"""The sandbox's virtual clock.

Everything in the sandbox world (timers, seller scripts, deadlines, sessions) reads
this clock and nothing else, so a test or the demo can move days forward in one
call and the agent, which reads the site's time from each response, follows.

By default time stands still (``rate`` 0): a frozen clock makes every timer exact
to the second in tests. A positive ``rate`` lets virtual time flow that many
virtual seconds per real second, for a daemon run on a fast clock.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

#: the fastest clock (about 11.6 virtual days per real second); a faster one would pass the
#: last date Python can show (year 9999) within hours and break every request
MAX_RATE = 1_000_000.0


class VirtualClock:
    def __init__(self, start: datetime, rate: float = 0.0, monotonic=time.monotonic) -> None:
        if start.tzinfo is None:
            raise ValueError("the clock's start must be timezone-aware")
        self._lock = threading.Lock()
        self._monotonic = monotonic
        self._base = start.astimezone(UTC)
        self._anchor = monotonic()
        self._rate = float(rate)

    def now(self) -> datetime:
        with self._lock:
            return self._now_locked()

    def _now_locked(self) -> datetime:
        elapsed = (self._monotonic() - self._anchor) * self._rate
        return self._base + timedelta(seconds=elapsed)

    def _rebase(self, new_now: datetime) -> None:
        self._base = new_now
        self._anchor = self._monotonic()

    def advance(self, delta: timedelta) -> datetime:
        """Move forward; the clock never runs backwards (deadlines already fired stay fired)."""
        if delta < timedelta(0):
            raise ValueError("the virtual clock cannot go backwards")
        with self._lock:
            self._rebase(self._now_locked() + delta)
            return self._base

    def set(self, when: datetime) -> datetime:
        if when.tzinfo is None:
            raise ValueError("time must be timezone-aware")
        with self._lock:
            current = self._now_locked()
            when = when.astimezone(UTC)
            if when < current:
                raise ValueError(
                    f"the virtual clock cannot go backwards (now {current.isoformat()})"
                )
            self._rebase(when)
            return self._base

    @property
    def rate(self) -> float:
        return self._rate

    def set_rate(self, rate: float) -> None:
        if not 0 <= rate <= MAX_RATE:  # also refuses NaN
            raise ValueError(f"rate must be between 0 and {MAX_RATE:,.0f} virtual seconds per real second")
        with self._lock:
            self._rebase(self._now_locked())
            self._rate = float(rate)

    def epoch_ms(self) -> int:
        return int(self.now().timestamp() * 1000)
