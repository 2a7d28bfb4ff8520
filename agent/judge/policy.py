"""The user's policy: when to warn, how loudly, and what the agent may do on its own.

Why a model of its own: the rules (``agent.judge.rules``) are pure functions of
(state, now, policy), so the policy must be a plain value that imports nothing heavy
(no browser, no database). It becomes the ``[policy]`` section of the settings; every
key forbids typos like the other sections do.

Numbers come from the reference notes on the dispute process and are deliberately on
the safe side (more warning, earlier): a missed deadline costs the whole refund, an
extra message costs a glance.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator

from agent.core.zones import TimeZoneName

__all__ = ["OnZeroOffer", "Policy"]


#: what the agent does by itself about a zero-amount offer (only before its deadline)
OnZeroOffer = Literal["notify", "reject", "escalate"]


def _descending_unique(values: tuple[int, ...]) -> tuple[int, ...]:
    """Thresholds as a schedule: largest first, each once, all positive.

    Why normalise instead of refusing: ``(1, 3, 7, 15)`` and ``(15, 7, 3, 1)`` mean the
    same schedule to a person; only a non-positive threshold is a real mistake.
    """
    if any(value <= 0 for value in values):
        raise ValueError("every threshold must be a positive whole number")
    return tuple(sorted(set(values), reverse=True))


class Policy(BaseModel):
    """How the rules judge offers and deadlines (the ``[policy]`` settings section)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: warn when an order without a dispute has at most this many days of protection left
    #: (one alert per threshold; ≤ 3 days critical, ≤ 7 warning, else info)
    protection_thresholds_days: tuple[int, ...] = (15, 7, 3, 1)
    #: reminders before the response deadline of a zero-amount offer; the same schedule
    #: is used for every deadline that loses the whole refund when missed (a mediator's
    #: request for information, a return to ship)
    zero_offer_reminders_hours: tuple[int, ...] = (48, 24, 6)
    #: an offer below this share of what the buyer asked is "lowball" (0 < share ≤ 1)
    lowball_share: Decimal = Field(default=Decimal("0.5"), gt=0, le=1)
    #: failed polls in a row before an "automation broken" alert
    failures_before_alert: int = Field(default=3, ge=1)
    #: notify only, or also reject / escalate a zero offer by itself before its deadline
    on_zero_offer: OnZeroOffer = "notify"
    #: a dispute can still be opened this many days after an order is closed (its
    #: protection clock ran out; buyer-support answers quoted in the reference notes);
    #: the alerts and ``open`` both read it (``agent.judge.dispute_window``)
    after_close_days: int = Field(default=15, ge=0)
    #: an offer awaiting the user's decision gets one reminder when fewer hours remain
    deadline_soon_hours: int = Field(default=72, gt=0)
    #: an order in transit whose tracking shows no new event for this many days is
    #: "stalled" (one alert per last event; agent.judge.tracking_rules)
    tracking_stalled_days: int = Field(default=10, ge=1)
    #: from this many days before protection ends on an order still in transit, the
    #: protection-ending alert carries a ready message asking the seller to extend it
    #: (and an alert is due at this many days too); 0: never
    extension_request_days: int = Field(default=20, ge=0)
    #: a poll reads the tracking of an order in transit at most once in this many hours
    #: (each reading is a page load); 0: at every poll
    tracking_read_every_hours: int = Field(default=12, ge=0)
    #: and reads at most this many tracking pages (the least recently read first): a
    #: poll of an account with many parcels on their way stays short
    tracking_reads_per_poll: int = Field(default=5, ge=0)
    #: the calendar feed's alarms, this many hours before each deadline (``agent.web.calendar_feed``)
    calendar_alarms_hours: tuple[int, ...] = (24, 2)
    #: the user's zone, set from the settings' top-level ``time_zone`` (not a key of its own)
    time_zone: TimeZoneName = "UTC"

    @field_validator("protection_thresholds_days", "zero_offer_reminders_hours", "calendar_alarms_hours")
    @classmethod
    def _schedule(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        return _descending_unique(value)


    @property
    def zone(self) -> ZoneInfo:
        """The user's time zone as a ``tzinfo``."""
        return ZoneInfo(self.time_zone)

    @property
    def after_close(self) -> timedelta:
        return timedelta(days=self.after_close_days)

    @property
    def deadline_soon(self) -> timedelta:
        return timedelta(hours=self.deadline_soon_hours)

    @property
    def tracking_stalled(self) -> timedelta:
        return timedelta(days=self.tracking_stalled_days)

    @property
    def tracking_read_every(self) -> timedelta:
        return timedelta(hours=self.tracking_read_every_hours)

    def local(self, moment: datetime) -> str:
        """``moment`` as the user reads it, in the user's one zone (:func:`agent.core.readable.moment`)."""
        from agent.core.readable import moment as worded

        return worded(moment, self.zone)
