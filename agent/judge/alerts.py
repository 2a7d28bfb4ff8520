"""What the rules say and the notifications deliver: alerts and suggested actions.

The contract between ``agent.judge.rules`` (pure: state, now, policy → alerts) and the
outbox (``agent.notifications.outbox``: store once per ``dedupe_key``, deliver through Apprise).
An alert carries facts, not prose: the message templates word them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from agent.core.models import UtcDatetime
from agent.core.money import Money


class Severity(StrEnum):
    CRITICAL = "critical"  # money is about to be lost: act now
    WARNING = "warning"  # a deadline or a decision is coming
    INFO = "info"  # news: a case closed, an all-clear


class AlertKind(StrEnum):
    ZERO_OFFER = "zero_offer"
    ZERO_OFFER_REMINDER = "zero_offer_reminder"
    LOWBALL_OFFER = "lowball_offer"
    SOLUTION_CHANGED = "solution_changed"
    PROPOSAL_WITHDRAWN = "proposal_withdrawn"
    OFFER_AWAITING = "offer_awaiting"
    SELLER_SILENT = "seller_silent"
    ESCALATION_POSSIBLE = "escalation_possible"
    MEDIATOR_REQUEST = "mediator_request"
    RETURN_SHIPMENT = "return_shipment"
    PROTECTION_ENDING = "protection_ending"
    AFTER_CLOSE_WINDOW = "after_close_window"
    #: the site's protection end of an order moved (the seller extended or shortened it)
    PROTECTION_MOVED = "protection_moved"
    #: an order in transit whose tracking shows no new event for N days (policy)
    TRACKING_STALLED = "tracking_stalled"
    #: the tracking says the parcel was delivered: inspect it while a dispute can be opened
    DELIVERED = "delivered"
    DISPUTE_CLOSED = "dispute_closed"
    LOGIN_NEEDED = "login_needed"
    AUTOMATION_BROKEN = "automation_broken"
    ALL_CLEAR = "all_clear"
    #: a notification channel failing for a long time (told on the other channels)
    CHANNEL_BROKEN = "channel_broken"
    ACTION_TAKEN = "action_taken"
    #: the policy's automatic reject/escalate failed: the user must act before the deadline
    ACTION_FAILED = "action_failed"
    DIGEST = "digest"  # the daily digest (agent.notifications.messages.build_digest): one per local day
    TEST = "test"


class ActionKind(StrEnum):
    REJECT = "reject"
    ESCALATE = "escalate"
    ACCEPT = "accept"  # only ever suggested to a person, never taken by the agent
    ADD_EVIDENCE = "add_evidence"
    OPEN_DISPUTE = "open_dispute"
    ANSWER_MEDIATOR = "answer_mediator"
    SHIP_RETURN = "ship_return"
    LOG_IN = "log_in"
    CHECK_SITE = "check_site"
    NONE = "none"


class SuggestedAction(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ActionKind
    #: one line for a person: "Reject the 0.00 EUR offer and escalate before Nov 24 10:00"
    text: str
    #: the agent may take it by itself (policy ``on_zero_offer``) only before this instant
    not_after: UtcDatetime | None = None
    automatic: bool = False


class Alert(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: AlertKind
    severity: Severity
    #: one incident = one key; reminders have keys of their own ("…:reminder:24h")
    dedupe_key: str
    #: short subject line, e.g. "Seller offers 0.00 EUR on order 8215…"
    title: str
    order_id: str | None = None
    dispute_id: str | None = None
    amount: Money | None = None
    #: the deadline the user must act before, if any
    deadline: UtcDatetime | None = None
    action: SuggestedAction | None = None
    #: extra facts for the templates (plain strings only)
    facts: dict[str, str] = {}
    link: str | None = None
    #: a screenshot to attach (offers), if one was saved
    screenshot: Path | None = None
    created_at: UtcDatetime


__all__ = ["ActionKind", "Alert", "AlertKind", "Severity", "SuggestedAction", "datetime"]
