"""The errors a caller of dispute-agent can branch on.

Every failure the user may meet is one of these, so the CLI can turn it into one
clear line (and an exit code) in a single table instead of scattered ``except``
chains. Library errors (Playwright, SQLAlchemy, Apprise, OS) are mapped to these at
the boundary with ``raise ... from``. Each message ends with the remedy.

    DisputeAgentError
    ├── ConfigError            the configuration file or environment is invalid
    ├── UserInputError         the command's input is wrong (unknown id, bad amount, …)
    │   ├── NotEligible        the site or the policy does not allow the action now
    │   └── NotFound           the site does not know the order or dispute asked for
    ├── SecretError            a credential cannot be read (missing, unsafe backend)
    ├── BrowserUnavailable     no browser could be launched or reached
    ├── StorageError           the state directory or the database cannot be read or written
    └── SiteError              the site did not behave as expected (evidence kept)
        ├── LoginRequired      the session is gone and a person must log in
        │   └── CaptchaRequired  the site asks for a captcha or a code
        ├── PageChanged        a page or response no longer has the expected shape
        │   └── WrongLanguage  the site shows another language than the one asked for
        ├── SiteUnavailable    the site answered with an error or not at all
        │   ├── SiteBusy       …on every try of a page load (tried again with backoff)
        │   └── SubmitUncertain  …right after a submit: it may or may not have been taken
        └── RateLimited        the site asks us to slow down
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = [
    "BrowserUnavailable",
    "CaptchaRequired",
    "ConfigError",
    "DisputeAgentError",
    "LoginRequired",
    "NotEligible",
    "NotFound",
    "PageChanged",
    "RateLimited",
    "SecretError",
    "SiteBusy",
    "SiteError",
    "SiteUnavailable",
    "StorageError",
    "SubmitUncertain",
    "UserInputError",
    "WrongLanguage",
]


class DisputeAgentError(Exception):
    """Base of every error the agent raises on purpose."""

    #: process exit code the CLI uses for this kind of error
    exit_code: int = 1


class ConfigError(DisputeAgentError):
    """Raised when settings cannot be loaded; ``problems`` has one line per key."""

    exit_code = 2

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


class UserInputError(DisputeAgentError):
    """Raised when the command's arguments are wrong; nothing was done."""

    exit_code = 2


class NotEligible(UserInputError):
    """Raised when the action is refused (by the site's rules or the user's policy)."""


class NotFound(UserInputError):
    """Raised when the site answers that an id given by the user does not exist."""


class SecretError(DisputeAgentError):
    """Raised when a credential is missing or would be read from an unsafe place."""

    exit_code = 2


class BrowserUnavailable(DisputeAgentError):
    """Raised when no browser executable is found or it fails to start."""


class StorageError(DisputeAgentError):
    """Raised when the state directory, the database or a file in it cannot be used.

    Not a database, damaged, locked by another program, a folder where a file belongs,
    no permission, a full disk: a failure of the machine, not of the command's input
    (exit code 1, as a site failure). ``path`` is the file or folder concerned. The
    agent never deletes or rewrites what it could not open: the message says what the
    user can do with it.
    """

    def __init__(self, message: str, path: Path | None = None) -> None:
        super().__init__(message)
        self.path = path


#: the clauses of a message that speak to whoever maintains the agent's knowledge of the
#: site, not to its user: they go to the log and the evidence folder (``hint``)
_MAINTAINER_CLAUSE = re.compile(
    r"\s*(?:[;:,—-]\s*|\s(?=\())?(?:"
    r"(?:the (?:page|site|paging) (?:may have |has )?changed[:;]?\s*)?(?:or\s+)?compare the evidence with flows/site\.py"
    r"|(?:the site changed;\s*)?save the (?:response|answer) and update flows/parsers"
    r")",
)


def split_hint(message: str) -> tuple[str, str | None]:
    """``message`` without its maintainer clauses, and those clauses (None if it had none).

    "the list shows 3 rows for 4 cases; the page changed: compare the evidence with
    flows/site.py" becomes the user's "the list shows 3 rows for 4 cases" and the
    maintainer's "the page changed: compare the evidence with flows/site.py".
    """
    found = [match.group(0).strip(" ;:,—-").removeprefix("or ") for match in _MAINTAINER_CLAUSE.finditer(message)]
    if not found:
        return message, None
    user = _MAINTAINER_CLAUSE.sub("", message).strip().rstrip(";:,—- ")
    return user or message, "; ".join(found)


def with_hint(error: BaseException) -> str:
    """The error with its maintainer's hint: for the tools that read the site's answers
    for whoever fixes the agent (``parse``), not for a user's error line."""
    hint = getattr(error, "hint", None)
    return f"{error} — {hint}" if hint else str(error)


class SiteError(DisputeAgentError):
    """Raised when the site misbehaves; ``evidence`` is the folder with screenshot/trace.

    ``hint`` is for whoever maintains the agent (which file to compare the evidence
    with): it is logged and written into the evidence folder (``maintainer.txt``),
    never into the user's error line. A message written with such a clause in it has
    the clause moved into ``hint``.
    """

    def __init__(self, message: str, evidence: Path | None = None, *, hint: str | None = None) -> None:
        message, found = split_hint(message)
        super().__init__(message)
        self.evidence = evidence
        self.hint = "; ".join(part for part in (hint, found) if part) or None

    def __str__(self) -> str:
        text = super().__str__()
        if self.evidence is not None:
            text = f"{text} (evidence: {self.evidence})"
        return text


class LoginRequired(SiteError):
    """Raised when the session is gone and the agent cannot log in on its own."""


class CaptchaRequired(LoginRequired):
    """Raised when the site shows a captcha or asks for a code: a person must log in."""


class PageChanged(SiteError):
    """Raised when a page or an API response lacks what the agent expects.

    Never guess on a changed page: a wrong amount or deadline is worse than none.
    """


class WrongLanguage(PageChanged):
    """Raised when a page or an answer comes in another language than English.

    The parsers read English texts; another language would turn dates, deadlines and
    statuses into guesses, so nothing is read on. ``language`` is what the page showed
    (``pt-BR``).
    """

    def __init__(self, message: str, evidence: Path | None = None, *, language: str | None = None) -> None:
        super().__init__(message, evidence)
        self.language = language


class SiteUnavailable(SiteError):
    """Raised when the site answers with an error, times out or cannot be reached.

    ``trouble`` says in a few words what failed ("HTTP 503 to the page of the order list",
    "no answer to mtop.….order.list within 30 s") when loading the page again may
    help: a read-only page load with a ``trouble`` is tried again with backoff
    (``flows/retry.py``); one without (an order list that kept moving, a refusal in the
    site's words) is not.
    """

    def __init__(self, message: str, evidence: Path | None = None, *, hint: str | None = None,
                 trouble: str | None = None) -> None:
        super().__init__(message, evidence, hint=hint)
        self.trouble = trouble


class SiteBusy(SiteUnavailable):
    """Raised when every try of a read-only page load met the site failing (5xx, no answer).

    The line says what was tried and when the next try is: ``next_step`` is "try
    again in a few minutes" for a one-off command; the daemon's poll names its next run.
    """

    def __init__(self, what: str, trouble: str, attempts: int, evidence: Path | None = None, *,
                 hint: str | None = None, next_step: str = "try again in a few minutes") -> None:
        self.what = what
        self.attempts = attempts
        self.next_step = next_step
        super().__init__(self._line(what, trouble, attempts, next_step), evidence, hint=hint, trouble=trouble)

    @staticmethod
    def _line(what: str, trouble: str, attempts: int, next_step: str) -> str:
        tried = "tried once" if attempts == 1 else f"tried {attempts} times"
        return f"{what}: the site is busy ({trouble}) — {tried}; {next_step}"

    def with_next_step(self, next_step: str) -> None:
        """Say when the next try is (the daemon's next poll) instead of "in a few minutes"."""
        self.next_step = next_step
        self.args = (self._line(self.what, self.trouble or "", self.attempts, next_step),)


class SubmitUncertain(SiteUnavailable):
    """Raised when the site fails right after the final button was pressed (a server
    error, no answer, no outcome in time): the request may have been taken or not.

    Never retried on its own. For a filing, the intent written before the submit stays
    pending, so the same command run again looks for the case before anything else and
    never files a second one (docs/decisions/0004-never-twice.md).
    """


class RateLimited(SiteError):
    """Raised when the site says we ask too often (``FAIL_SYS_TRAFFIC_LIMIT``)."""
