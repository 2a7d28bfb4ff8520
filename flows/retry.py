"""A read-only page load the site fails is tried again, with backoff, before the run fails.

The site has bad minutes: a 502 from its gateway, an API call left unanswered. One such
minute must not fail a sync or a poll, nor be reported as a changed page. A page load
(the navigation and the API answers the flow waits for) that ends in a
``SiteUnavailable`` carrying a ``trouble`` is loaded again — in a fresh tab, so nothing
of the failed try is taken for an answer of the next — ``browser.load_attempts`` times
in all, waiting ``browser.retry_wait_s`` and then twice as long each time (tenacity).
What still fails is ``SiteBusy``: "the site is busy (HTTP 503 to …) — tried 3 times;
try again in a few minutes".

Only reads go through here. A submit (the final button of a dispute form, accept,
reject, escalate) is never sent twice: a failure after it is ``SubmitUncertain`` and
the caller finds out what happened before anything else (decision 0004, 0011).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from tenacity import RetryCallState, Retrying, stop_after_attempt, wait_exponential

from agent.core.errors import SiteBusy, SiteUnavailable, SubmitUncertain

__all__ = ["is_transient", "with_retries"]

log = logging.getLogger("dispute_agent.flows.retry")

T = TypeVar("T")

#: what a maintainer reads in the evidence folder of a busy site
_HINT = ("the site failed every try of this page load; if the same page works in a browser at the same "
         "time, compare this folder's page.html and answers/ with flows/site.py and flows/capture.py")


def is_transient(error: BaseException | None) -> bool:
    """A failure that loading the page again may cure: a 5xx or no answer, never after a submit."""
    return (isinstance(error, SiteUnavailable) and error.trouble is not None
            and not isinstance(error, (SiteBusy, SubmitUncertain)))


def with_retries(settings: Any, what: str, load: Callable[[], T], *, returns_error: bool = False,
                 sleep: Callable[[float], None] | None = None) -> T:
    """``load()``, tried again while it fails transiently; ``what`` names the page for the user.

    ``settings`` is the agent's settings (its ``browser`` section). With
    ``returns_error`` the load returns what it read with its error in ``.error``
    (a partial read is kept): a transient one there is tried again too, and the last
    result comes back with a ``SiteBusy`` in its place.
    """
    browser = settings.browser
    tries: list[SiteUnavailable] = []

    def error_of(state: RetryCallState) -> BaseException | None:
        outcome = state.outcome
        if outcome is None:
            return None
        if outcome.failed:
            return outcome.exception()
        return getattr(outcome.result(), "error", None) if returns_error else None

    def worth_another(state: RetryCallState) -> bool:
        error = error_of(state)
        if not is_transient(error):
            return False
        tries.append(error)  # type: ignore[arg-type]
        return True

    def before_sleep(state: RetryCallState) -> None:
        wait = state.next_action.sleep if state.next_action else 0
        log.info("%s: the site failed (%s), try %s of %s; trying again in %.1f s",
                 what, tries[-1].trouble, state.attempt_number, browser.load_attempts, wait)

    def give_up(state: RetryCallState) -> Any:
        last = tries[-1]
        busy = SiteBusy(what, last.trouble or "no answer", len(tries), last.evidence, hint=_HINT)
        _note_for_maintainer(busy, tries)
        outcome = state.outcome
        if outcome is not None and outcome.failed:
            raise busy from last
        result = outcome.result() if outcome is not None else None
        result.error = busy
        return result

    retrying = Retrying(
        stop=stop_after_attempt(browser.load_attempts),
        wait=wait_exponential(multiplier=browser.retry_wait_s, min=browser.retry_wait_s,
                              max=max(browser.retry_wait_s, browser.retry_wait_max_s)),
        retry=worth_another,
        before_sleep=before_sleep,
        retry_error_callback=give_up,
        **({"sleep": sleep} if sleep is not None else {}),
    )
    return retrying(load)


def _note_for_maintainer(busy: SiteBusy, tries: list[SiteUnavailable]) -> None:
    """What each try met, into the log and the last try's evidence folder (best effort)."""
    lines = [f"{busy.what}: {len(tries)} tries, each failed by the site"]
    lines += [f"  try {number}: {error.trouble} (evidence: {error.evidence or 'none'})"
              for number, error in enumerate(tries, start=1)]
    lines.append(f"hint: {_HINT}")
    log.info("maintainer note: %s", " | ".join(line.strip() for line in lines))
    write_maintainer_note(busy.evidence, "\n".join(lines) + "\n")


def write_maintainer_note(folder: Path | None, text: str) -> None:
    """Add ``text`` to ``folder/maintainer.txt``: what the user's line leaves out."""
    if folder is None:
        return
    try:
        with (Path(folder) / "maintainer.txt").open("a", encoding="utf-8") as note:
            note.write(text)
    except OSError as error:
        log.warning("no maintainer note in %s: %s", folder, error)
