"""How well the automation is doing: failures in a row, the last error, the last success.

Kept in the store so a restart remembers a broken streak; the rules turn it into
"login needed", "automation broken" and the all-clear. Failure kinds come from the
typed errors in one table, not from scattered ``except`` clauses.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from agent.core.clock import system_now
from agent.core.errors import (
    CaptchaRequired,
    DisputeAgentError,
    LoginRequired,
    PageChanged,
    RateLimited,
    SiteUnavailable,
)
from agent.judge.watch_state import HealthView
from agent.storage.store import Store

KEY = "health"

#: error type -> failure kind the rules know (first match wins: subclasses first)
FAILURE_KINDS: tuple[tuple[type[BaseException], str], ...] = (
    (CaptchaRequired, "login_needed"),
    (LoginRequired, "login_needed"),
    (PageChanged, "page_changed"),
    (RateLimited, "rate_limited"),
    (SiteUnavailable, "site_unavailable"),
)


def failure_kind(error: BaseException) -> str:
    """The table's kind; "other" for the agent's remaining errors, "unexpected" for the
    rest (a library's raw error or a bug: its traceback is in the debug log)."""
    for kind_type, kind in FAILURE_KINDS:
        if isinstance(error, kind_type):
            return kind
    return "other" if isinstance(error, DisputeAgentError) else "unexpected"


def failure_message(error: BaseException) -> str:
    """One line for a person: the agent's errors as they read, any other with its type
    (a bare ``KeyError`` says only ``'reverseLineId'``)."""
    text = str(error).strip()
    first = text.splitlines()[0] if text else ""
    if not isinstance(error, DisputeAgentError):
        first = f"{type(error).__name__}: {first}" if first else type(error).__name__
    return first[:500] or type(error).__name__


@dataclass
class Health:
    consecutive_failures: int = 0
    last_failure_kind: str | None = None
    last_failure_message: str | None = None
    last_screenshot: str | None = None
    #: on the site's clock (the rules key incidents on it)
    last_success_at: str | None = None
    #: on this machine's clock (the healthcheck compares it with the machine's now)
    last_success_local_at: str | None = None
    last_attempt_at: str | None = None
    #: an automation-broken or login-needed alert was raised and not yet cleared
    previously_broken: bool = False

    def view(self) -> HealthView:
        return HealthView(
            consecutive_failures=self.consecutive_failures,
            last_failure_kind=self.last_failure_kind,
            last_failure_message=self.last_failure_message,
            last_screenshot=Path(self.last_screenshot) if self.last_screenshot else None,
            last_success_at=datetime.fromisoformat(self.last_success_at) if self.last_success_at else None,
            previously_broken=self.previously_broken,
        )


def load(store: Store) -> Health:
    raw = store.get_meta(KEY)
    return Health(**json.loads(raw)) if raw else Health()


def save(store: Store, health: Health) -> None:
    store.set_meta(KEY, json.dumps(asdict(health)))


def record_success(store: Store, now: datetime, local_now: datetime | None = None) -> Health:
    """``now`` on the site's clock; ``local_now`` on this machine's (default: its clock)."""
    health = load(store)
    health.consecutive_failures = 0
    health.last_success_at = now.isoformat()
    health.last_success_local_at = (local_now or system_now()).isoformat()
    health.last_attempt_at = now.isoformat()
    save(store, health)
    return health


def record_failure(store: Store, now: datetime, error: BaseException) -> Health:
    health = load(store)
    health.consecutive_failures += 1
    health.last_failure_kind = failure_kind(error)
    health.last_failure_message = failure_message(error)
    evidence = getattr(error, "evidence", None)
    if evidence is not None and (Path(evidence) / "screenshot.png").is_file():
        health.last_screenshot = str(Path(evidence) / "screenshot.png")
    health.last_attempt_at = now.isoformat()
    save(store, health)
    return health


def mark_broken(store: Store) -> None:
    """A login-needed or automation-broken alert went out: the next success owes an all-clear."""
    health = load(store)
    health.previously_broken = True
    save(store, health)


def mark_cleared(store: Store) -> None:
    """The all-clear was recorded: a later success needs no second one."""
    health = load(store)
    if health.consecutive_failures == 0:
        health.previously_broken = False
        save(store, health)


#: a poll someone asked for (a new login): the daemon runs it at its next look, not at the retry's time
POLL_REQUEST_KEY = "poll_requested"


def record_login(store: Store) -> Health:
    """A person logged in again and the site showed its ordinary pages: the login-needed
    streak is over, and a poll is asked for at once.

    ``previously_broken`` stays: the all-clear goes out once (whoever records it clears it),
    keyed by the last success before the streak. A streak of another kind (a changed page)
    is not a login's to end: the asked-for poll tells.
    """
    health = load(store)
    if health.last_failure_kind == "login_needed":
        health.consecutive_failures = 0
        health.last_failure_kind = None
        health.last_failure_message = None
        health.last_screenshot = None
        save(store, health)
    request_poll(store, "after a new login")
    return health


def request_poll(store: Store, reason: str) -> None:
    store.set_meta(POLL_REQUEST_KEY, reason)


def take_poll_request(store: Store) -> str | None:
    """The reason of a poll asked for since the last look, cleared; ``None`` when none was."""
    reason = store.get_meta(POLL_REQUEST_KEY)
    if not reason:
        return None
    store.set_meta(POLL_REQUEST_KEY, "")
    return reason
