"""Use case: ``dispute-agent check-site`` — does the live site still look as the agent assumes?

A read-only pass over the site with the saved session (``flows.site_pass``), judged
line by line (``flows.site_check``). It never logs in: a session that is gone is the
login line's ✗ with the command to run, and every other line is then "not reachable".
It writes nothing but evidence of a page that broke the pass itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from agent.config.settings import Settings
from agent.core.errors import SiteError
from agent.core.models import CheckLine, Verdict

if TYPE_CHECKING:  # pragma: no cover
    from flows.site_pass import Observer

__all__ = ["SiteCheckReport", "check_site", "format_line", "format_report", "visit_site"]

_MARKS = {Verdict.HOLDS: "✓", Verdict.DIFFERS: "✗", Verdict.UNREACHABLE: "–"}


class SiteCheckReport(BaseModel):
    """Every line of the check; ``ok`` when nothing differs and the pass went through."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ok: bool
    #: what ended the pass early, other than a session that is gone (None: it went through)
    stopped: str | None = None
    checks: list[CheckLine]


def visit_site(settings: Settings, observer: Observer) -> SiteError | None:
    """The read-only pass with the saved session (``flows.site_pass``), for ``check-site``
    and ``capture``; the error that ended it early, if any."""
    from flows.browser import BrowserSession
    from flows.site_pass import read_only_pass

    site = settings.site
    with BrowserSession(settings) as session:
        try:
            read_only_pass(session, site.base_url, observer, mobile_url=site.mobile_url, tz=site.zone,
                           timeout_ms=settings.browser.timeout_ms)
        except SiteError as error:
            return error
    return None


def check_site(settings: Settings) -> SiteCheckReport:
    from flows.site_check import SiteChecker

    checker = SiteChecker(settings.site.zone, settings.browser.timeout_ms)
    error = visit_site(settings, checker)
    if error is not None:
        checker.stopped(error)
    lines = checker.lines()
    ok = checker.error is None and all(line.verdict is not Verdict.DIFFERS for line in lines)
    return SiteCheckReport(ok=ok, stopped=checker.error, checks=lines)


def format_line(line: CheckLine) -> str:
    key = f" [{line.assumption}]" if line.assumption else ""
    return f"{_MARKS[line.verdict]} {line.what}{key}: {line.detail}"


def format_report(report: SiteCheckReport) -> list[str]:
    """The lines as printed, then what stopped the pass (if anything) and the counts."""
    lines = [format_line(line) for line in report.checks]
    counts = {verdict: sum(1 for line in report.checks if line.verdict is verdict) for verdict in Verdict}
    if report.stopped:
        lines.append(f"the check stopped early: {report.stopped}")
    lines.append(f"{counts[Verdict.HOLDS]} hold, {counts[Verdict.DIFFERS]} differ, "
                 f"{counts[Verdict.UNREACHABLE]} not reachable now")
    return lines
