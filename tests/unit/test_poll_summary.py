"""The last line of ``dispute-agent poll``: what was read, found, done and sent, in one line."""

from __future__ import annotations

from datetime import UTC, datetime

from agent.judge.alerts import Alert, AlertKind, Severity
from agent.usecases.poll import PollReport

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


def test_an_offer_and_what_the_agent_did_are_listed_as_one_line_like_the_message():
    from datetime import timedelta
    from decimal import Decimal
    from zoneinfo import ZoneInfo

    from agent.core.money import Money
    from agent.notifications.message_groups import as_told, taken_key

    offer = Alert(kind=AlertKind.ZERO_OFFER, severity=Severity.CRITICAL, dedupe_key="zero-offer:5001:p2",
                  title="Seller offers 0.00 EUR on order 8215000000000004: reject it before … or get nothing",
                  order_id="8215000000000004", amount=Money(amount=Decimal("0"), currency="EUR"),
                  facts={"proposer": "SELLER"}, created_at=NOW)
    done = Alert(kind=AlertKind.ACTION_TAKEN, severity=Severity.WARNING, dedupe_key=taken_key("reject", offer.dedupe_key),
                 title="The agent rejected the 0 offer on order 8215000000000004", order_id="8215000000000004",
                 facts={"action": "reject", "offer_alert": offer.dedupe_key}, created_at=NOW + timedelta(seconds=9))
    other = alerts(1)[0]
    told = as_told([other, offer, done], ZoneInfo("Europe/Berlin"))
    assert [(a.severity.value, a.title) for a in told] == [
        ("info", "t"),
        ("warning", "The seller offered 0.00 EUR on order 8215000000000004: the agent rejected it for you")]
    assert told[1].facts["acted_at"] == "Sun 22 Nov 2026, 10:00 CET"
    assert as_told([offer], ZoneInfo("UTC")) == [offer]  # not acted on (yet): the warning as it is
