"""A poll that meets the unexpected, in real Chromium against the sandbox: nothing is lost.

A raw error in the middle of a read (a parser's ``KeyError``, a Playwright error no flow
maps) is counted like any failed read, the browser is closed, the daemon schedules its
retry, and the next poll in the same process starts Playwright again. An automatic
reject or escalate that fails tells the user at once what to do themselves, and the
zero-offer alert is stored before the agent acts, whatever the action does.

One order with one dispute: each poll here is a few pages, not a whole account.
"""

from __future__ import annotations

import logging
import re
import sqlite3

import pytest

from agent.config.settings import load_settings
from agent.judge.alerts import AlertKind
from agent.judge.policy import Policy
from agent.storage import health
from agent.storage.store import Store
from agent.usecases.daemon import Daemon
from agent.usecases.poll import poll
from sandbox.scenario import parse_scenario
from sandbox.server import SandboxServer
from tests.browser.test_watch_disputes import WORLD, dispute_of, opened, order, seller
from tests.support.isolation import isolate_environment
from tests.support.receivers import QUIET_AUTH_WARNING, SmtpReceiver, unthrottle_apprise

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings(QUIET_AUTH_WARNING)]

SMALL = parse_scenario({**WORLD, "name": "one-dispute", "orders": [order(1, disputes=[opened(4)])]})
#: the dispute page's action API (reject, escalate, …): answered with HTTP 500 by a fault
ACTION_API = "/h5/mtop.aliexpress.reverse.buyer.action"


@pytest.fixture(scope="module")
def server():
    with SandboxServer(SMALL) as running:
        yield running


@pytest.fixture
def smtp():
    with SmtpReceiver() as receiver:
        yield receiver


@pytest.fixture
def settings(server, smtp, tmp_path, monkeypatch):
    isolate_environment(monkeypatch, tmp_path)
    unthrottle_apprise(monkeypatch)
    server.load(SMALL)
    monkeypatch.setenv("DISPUTE_AGENT_LOGIN", "buyer@example.com")
    monkeypatch.setenv("DISPUTE_AGENT_PASSWORD", "sandbox-pass")
    return load_settings(
        None, site={"base_url": server.url}, state={"dir": str(tmp_path / "state")},
        politeness={"min_delay_ms": 0, "max_delay_ms": 10, "detail_concurrency": 3,
                    "dispute_concurrency": 3},
        notifications={"channels": [{"name": "mail", "url": smtp.url(), "severities": ["critical"]}],
                       "retry_backoff_seconds": 1, "retry_max_seconds": 2},
    )


@pytest.fixture
def store(settings):
    opened = Store(settings.state.db_path)
    yield opened
    opened.close()


@pytest.mark.own_driver
def test_a_raw_error_in_a_read_is_counted_retried_and_the_next_poll_starts_the_browser_again(
        settings, store, monkeypatch, caplog):
    from flows import orders

    real = orders.parse_order_list

    def broken_parser(*args, **kwargs):
        raise KeyError("tradeOrderId")  # a parser that meets a shape it never saw

    monkeypatch.setattr(orders, "parse_order_list", broken_parser)
    daemon = Daemon(settings, store)
    daemon.build()
    with caplog.at_level(logging.DEBUG, logger="dispute_agent"):
        daemon.poll_job("daily")
    counted = health.load(store)
    assert (counted.consecutive_failures, counted.last_failure_kind) == (1, "unexpected")
    assert counted.last_failure_message == "KeyError: 'tradeOrderId'"
    assert daemon.scheduler.get_job("retry_poll") is not None
    said = [r.getMessage() for r in caplog.records if "could not read the site" in r.getMessage()]
    assert len(said) == 1 and "unexpected KeyError: 'tradeOrderId'" in said[0]
    tracebacks = [r for r in caplog.records if r.levelno == logging.DEBUG and r.exc_info]
    assert [r.exc_info[0] for r in tracebacks] == [KeyError]

    monkeypatch.setattr(orders, "parse_order_list", real)
    daemon.poll_job("retry")  # same process, same thread: Playwright must start again
    assert health.load(store).consecutive_failures == 0


@pytest.mark.own_driver
def test_an_error_after_a_good_read_is_counted_and_the_browser_is_closed(settings, store, monkeypatch):
    import agent.usecases.poll as use_case

    real = use_case.judge

    def broken_rules(*args, **kwargs):
        raise ValueError("no such stage")

    monkeypatch.setattr(use_case, "read_site", lambda *args, **kwargs: (0, 0))  # the browser starts, reads nothing
    monkeypatch.setattr(use_case, "judge", broken_rules)
    with pytest.raises(ValueError, match="no such stage"):
        poll(settings, store, Policy(), say=lambda _: None)
    counted = health.load(store)
    assert (counted.consecutive_failures, counted.last_failure_message) == (1, "ValueError: no such stage")
    monkeypatch.setattr(use_case, "judge", real)
    assert poll(settings, store, Policy(), say=lambda _: None).read_ok


def stored(settings) -> tuple[list[tuple[str, str]], int]:
    """(kind, severity) of every stored alert, and the number of outbox rows."""
    with sqlite3.connect(settings.state.db_path) as db:
        alerts = db.execute("SELECT kind, severity FROM alerts").fetchall()
        return alerts, db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]


def test_a_failed_automatic_reject_is_a_critical_message_at_once_with_the_command(settings, store, server, smtp):
    seller(server, 1, action="offer", amount="0.00", respond_days=2)
    case = dispute_of(server, 1)
    server.add_fault("http500", ACTION_API)  # the site is busy exactly when the agent answers
    try:
        report = poll(settings, store, Policy(on_zero_offer="reject"), say=lambda _: None)
    finally:
        server.clear_faults()
    assert report.read_ok, report.error
    assert report.actions == []
    (failed,) = [a for a in report.new_alerts if a.kind is AlertKind.ACTION_FAILED]
    zero = next(a for a in report.new_alerts if a.kind is AlertKind.ZERO_OFFER)
    assert failed.severity.value == "critical" and failed.deadline == zero.action.not_after
    assert failed.facts["command"] == f"dispute-agent reject {case}"
    # one message: what the seller offered, that the agent could not answer it, what to do by when
    (mail,) = smtp.inbox
    assert mail["subject"].startswith("[dispute-agent] CRITICAL: The seller offers 0.00 EUR on order 8700000000000001 "
                                      "and the agent could not reject it: do it yourself before ")
    body = mail.get_body(("plain",)).get_content()
    assert f"dispute-agent reject {case}" in body and "Deadline: " in body
    assert failed.facts["error"].split(":")[0] in " ".join(body.split())  # why it could not, in the message
    offer = next(p for p in next(d for d in server.state()["disputes"] if d["reverse_line_id"] == case)["proposals"]
                 if p["proposer"] == "SELLER")
    assert offer["status"] != "REJECTED"  # nothing was done on the site, and the message says so


def test_the_zero_offer_alert_is_stored_before_the_agent_acts_and_survives_a_raw_error(settings, store, server,
                                                                                    smtp, monkeypatch):
    from playwright.sync_api import Error as PlaywrightError

    from flows import dispute_actions

    seller(server, 1, action="offer", amount="0.00", respond_days=2)
    seen_when_acting = []

    def browser_gone(*args, **kwargs):
        seen_when_acting.append(stored(settings))
        raise PlaywrightError("Target page, context or browser has been closed")

    monkeypatch.setattr(dispute_actions, "act_on_dispute", browser_gone)
    report = poll(settings, store, Policy(on_zero_offer="escalate"), say=lambda _: None)
    (alerts, outbox), = seen_when_acting
    assert ("zero_offer", "critical") in alerts and outbox >= 1  # recorded, with its delivery, before acting
    assert report.read_ok and health.load(store).consecutive_failures == 0
    (failed,) = [a for a in report.new_alerts if a.kind is AlertKind.ACTION_FAILED]
    assert "Error: Target page, context or browser has been closed" in failed.facts["error"]
    subjects = [m["subject"] for m in smtp.inbox]
    # the page offers no escalation: policy "escalate" rejects through "I don't agree"
    assert any("could not reject" in s for s in subjects) and any("0.00 EUR" in s and "offers" in s
                                                                   for s in subjects)


def test_the_poll_command_shows_its_progress_on_stderr_and_ends_with_one_summary_line(settings, server, smtp,
                                                                                     monkeypatch):
    import json

    from typer.testing import CliRunner

    from agent.cli.commands import app

    seller(server, 1, action="offer", amount="0.00", respond_days=2)
    for key, value in {
        "DISPUTE_AGENT_SITE__BASE_URL": server.url, "DISPUTE_AGENT_STATE__DIR": str(settings.state.dir),
        "DISPUTE_AGENT_POLITENESS__MIN_DELAY_MS": "0", "DISPUTE_AGENT_POLITENESS__MAX_DELAY_MS": "10",
        "DISPUTE_AGENT_POLICY__ON_ZERO_OFFER": "reject",
        "DISPUTE_AGENT_NOTIFICATIONS__CHANNELS": json.dumps([{"name": "mail", "url": smtp.url(),
                                                              "severities": ["critical"]}]),
    }.items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(app, ["poll"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert re.fullmatch(r"read 1 order and 1 dispute; \d+ new alerts, 1 action, 1 message sent", lines[-1]), lines
    # the offer and what the agent did: one line, as in the message
    assert ("[warning] The seller offered 0.00 EUR on order 8700000000000001: the agent rejected it for you"
            in result.stdout)
    assert "or get nothing" not in result.stdout
    assert "dispute pages" in result.stderr and "1 message sent" in result.stderr  # the progress, not on stdout
    assert "dispute pages" not in result.stdout
    (mail,) = smtp.inbox  # the offer and what the agent did: one message
    assert mail["subject"] == ("[dispute-agent] The seller offered 0.00 EUR on order 8700000000000001: "
                               "the agent rejected it for you")
