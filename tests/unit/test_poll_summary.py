"""The last line of ``dispute-agent poll``: what was read, found, done and sent, in one line."""

from __future__ import annotations

from datetime import UTC, datetime

from agent.alerts import Alert, AlertKind, Severity
from agent.poll import PollReport

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def alerts(n: int) -> list[Alert]:
    return [Alert(kind=AlertKind.DISPUTE_CLOSED, severity=Severity.INFO, dedupe_key=f"k{i}", title="t",
                  created_at=NOW) for i in range(n)]


def test_the_poll_sums_up_in_one_line_counting_messages_not_rows():
    report = PollReport(read_ok=True, orders=12, disputes=3, new_alerts=alerts(4), actions=["reject 1"],
                        delivered=8, messages=4)
    assert report.summary_line() == "read 12 orders and 3 disputes; 4 new alerts, 1 action, 4 messages sent"


def test_one_of_each_waiting_messages_a_failed_read_and_no_delivery_are_said():
    one = PollReport(read_ok=True, orders=1, disputes=1, new_alerts=alerts(1), messages=1, pending=2)
    assert one.summary_line() == "read 1 order and 1 dispute; 1 new alert, 0 actions, 1 message sent, 2 waiting to be sent"
    failed = PollReport(read_ok=False, error="the site answered HTTP 500", new_alerts=alerts(1))
    assert failed.summary_line() == "could not read the site; 1 new alert, 0 actions, 0 messages sent"
    quiet = PollReport(read_ok=True, orders=2, disputes=0, new_alerts=alerts(2), delivery=False, pending=2)
    assert quiet.summary_line() == ("read 2 orders and 0 disputes; 2 new alerts, 0 actions, nothing sent "
                                    "(--no-deliver), 2 waiting to be sent")
