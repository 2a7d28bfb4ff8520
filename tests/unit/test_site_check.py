"""The lines of ``check-site`` without a browser: the catalogue, the verdicts, the printout."""

from __future__ import annotations

from agent.core.errors import LoginRequired, SiteUnavailable
from agent.core.models import Verdict
from agent.usecases.site_check import SiteCheckReport, format_report
from flows.assumptions import ASSUMPTIONS
from flows.site_check import EXPECTED, SiteChecker
from flows.site_pass import STEP_DISPUTE_PAGE


def test_every_line_names_a_registered_guess_or_none():
    assert len({e.check for e in EXPECTED}) == len(EXPECTED)
    assert {e.assumption for e in EXPECTED if e.assumption} <= set(ASSUMPTIONS)


def test_a_session_that_is_gone_fails_the_login_line_only():
    checker = SiteChecker()
    checker.stopped(LoginRequired("the saved session is not logged in; run 'dispute-agent login'"))
    lines = {line.check: line for line in checker.lines()}
    assert lines["login"].verdict is Verdict.DIFFERS
    assert {line.verdict for name, line in lines.items() if name != "login"} == {Verdict.UNREACHABLE}
    assert lines["fields:order.list"].detail == "not logged in"
    assert checker.error is None


def test_a_skipped_step_says_why_its_lines_cannot_be_checked():
    checker = SiteChecker()
    checker.skipped(STEP_DISPUTE_PAGE, "no open dispute now")
    checker.stopped(SiteUnavailable("the site answered HTTP 500"))
    lines = {line.check: line for line in checker.lines()}
    assert lines["selector:dispute-status"].detail == "dispute page: no open dispute now"
    assert lines["api:order.list"].detail == "the pass stopped: the site answered HTTP 500"
    assert checker.error == "the site answered HTTP 500"


def test_the_printout_marks_each_line_and_counts_them():
    checker = SiteChecker()
    checker.stopped(LoginRequired("run 'dispute-agent login'"))
    printed = format_report(SiteCheckReport(ok=False, checks=checker.lines()))
    assert printed[0] == "✗ the saved session is logged in: run 'dispute-agent login'"
    assert printed[2].startswith("– each page's <html lang> names the language of its texts [html-lang]: ")
    assert printed[-1] == f"0 hold, 1 differ, {len(EXPECTED) - 1} not reachable now"
