"""Watching disputes end to end: the sandbox in real Chromium, a real SMTP server, a real
webhook receiver, a real SQLite file. Nothing is sent anywhere but 127.0.0.1.

The sandbox's dispute pages carry CSS-module classes whose hashes follow a seed: the
flows are run under two seeds, in the world where only the platform escalates (today's
site) and in one where the page offers buyers an "Escalate" button; the ``api_shape``
and ``dom_layout`` faults on the dispute pages must end in PageChanged with evidence.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.config.settings import load_settings
from agent.judge.alerts import AlertKind
from agent.judge.policy import Policy
from agent.storage.store import Store
from agent.usecases.poll import poll
from sandbox.scenario import parse_scenario
from sandbox.server import SandboxServer
from tests.support.agent_env import logged_in_already
from tests.support.isolation import isolate_environment
from tests.support.receivers import (
    QUIET_AUTH_WARNING,
    SmtpReceiver,
    WebhookReceiver,
    unthrottle_apprise,
)

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings(QUIET_AUTH_WARNING)]

START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def order(n: int, *, shipped_days_ago: float = 20, disputes: list[dict] | None = None, **extra) -> dict:
    shipped = START - timedelta(days=shipped_days_ago)
    return {"id": f"87000000000000{n:02d}", "store": "s", "currency": "EUR",
            "placed": (shipped - timedelta(days=2)).isoformat(), "paid": (shipped - timedelta(days=2)).isoformat(),
            "shipped": shipped.isoformat(),
            "lines": [{"id": f"87100000000000{n:02d}", "title": f"Item {n}", "price": "40.00"}],
            "disputes": [{"line": f"87100000000000{n:02d}", **d} for d in (disputes or [])], **extra}


def opened(days_ago: float, **extra) -> dict:
    return {"opened": (START - timedelta(days=days_ago)).isoformat(), **extra}


def scenario(seed: str = "watch-a", buyer_escalation: bool = False):
    return parse_scenario({**WORLD, "site": {"class_seed": seed, "buyer_escalation": buyer_escalation}})


WORLD = {
    "name": "watch",
    "clock": {"start": START.isoformat()},
    "account": {"login": "buyer@example.com", "password": "sandbox-pass"},
    "stores": [{"id": "s", "name": "Test Store"}],
    "orders": [
        order(1, disputes=[opened(4)]),  # zero offer (escalation possible after 3 days)
        order(2, disputes=[opened(1)]),  # partial offer
        order(3, disputes=[opened(1, received=True, reason="damaged")]),  # changed solution
        order(4, disputes=[opened(6, escalated=(START - timedelta(days=1)).isoformat())]),  # mediator
        order(5, disputes=[opened(10, finished="won")]),
        order(6, disputes=[opened(10, finished="lost", refund="0")]),
        order(7, disputes=[opened(1)]),  # silent seller
        # protection ends in 2 days, no dispute, in transit: its tracking is quiet for 12 days
        order(8, shipped_days_ago=58, tracking_number="LP00000000008CN", tracking=[
            {"at": (START - timedelta(days=30)).isoformat(), "name": "Departed from sorting center",
             "desc": "Departed from sorting center"},
            {"at": (START - timedelta(days=12)).isoformat(), "name": "Arrived at destination country",
             "desc": "Arrived at destination country"}]),
    ],
}
SCENARIO = scenario()


@pytest.fixture(scope="module")
def server():
    with SandboxServer(SCENARIO) as running:
        yield running


@pytest.fixture
def receivers():
    with SmtpReceiver() as smtp, WebhookReceiver() as hook:
        yield smtp, hook


@pytest.fixture
def agent(server, receivers, tmp_path, monkeypatch):
    isolate_environment(monkeypatch, tmp_path)
    unthrottle_apprise(monkeypatch)
    server.load(SCENARIO)
    logged_in_already(server, tmp_path / "state")
    smtp, hook = receivers
    monkeypatch.setenv("DISPUTE_AGENT_LOGIN", "buyer@example.com")
    monkeypatch.setenv("DISPUTE_AGENT_PASSWORD", "sandbox-pass")

    def make(policy: Policy | None = None, dispute_tabs: int = 3):
        settings = load_settings(
            None, site={"base_url": server.url}, state={"dir": str(tmp_path / "state")},
            politeness={"min_delay_ms": 0, "max_delay_ms": 10, "detail_concurrency": 3,
                        "dispute_concurrency": dispute_tabs},
            notifications={"channels": [
                {"name": "mail", "url": smtp.url(), "severities": ["critical"]},
                {"name": "hook", "url": hook.url(), "severities": ["critical"], "attach_screenshots": False},
            ], "retry_backoff_seconds": 1, "retry_max_seconds": 2},
        )
        return settings, Store(settings.state.db_path), policy or Policy()

    return make


def count_dispute_tabs(monkeypatch) -> list[int]:
    """The most dispute tabs open at once (in a list the caller reads after the poll): each
    tab more is a renderer more at a poll's largest moment (politeness.dispute_concurrency)."""
    from flows.disputes import DisputeReader

    opened, most = [], [0]
    make_tab = DisputeReader._tab

    def counted(reader):
        tab = make_tab(reader)
        opened.append(tab.page)
        most[0] = max(most[0], sum(not page.is_closed() for page in opened))
        return tab

    monkeypatch.setattr(DisputeReader, "_tab", counted)
    return most


def dispute_of(server, order_n: int) -> str:
    return next(d["reverse_line_id"] for d in server.state()["disputes"]
                if d["order_id"] == f"87000000000000{order_n:02d}")


def seller(server, order_n: int, **step) -> None:
    server.seller(dispute_of(server, order_n), **step)


def zero_mails(smtp) -> list:
    """Mails telling of a zero offer: on their own, or in a channel's first summary."""
    return [m for m in smtp.inbox if "0.00 EUR" in m["subject"] or "nothing" in m["subject"].lower()
            or "0.00 EUR" in m.get_body(("plain",)).get_content()]


def browser_lock_free(state_dir: Path) -> bool:
    from agent.storage.lock import FileLock, Locked

    lock = FileLock(state_dir / "browser.lock")
    try:
        lock.acquire(timeout=0)
    except Locked:
        return False
    lock.release()
    return True


def test_first_poll_is_one_summary_per_channel_with_the_screenshot_then_one_message_per_incident(
        agent, server, receivers, tmp_path):
    """(Two class seeds: the escalation test below reads and acts on the dispute page under both.)"""
    from agent.storage.lock import browser_lock

    smtp, hook = receivers
    state = tmp_path / "state"
    lock_free_when_sent = []
    hook.on_request = lambda: lock_free_when_sent.append(browser_lock_free(state))
    seller(server, 1, action="offer", amount="0.00", respond_days=2)
    settings, store, policy = agent()
    first = poll(settings, store, policy, say=lambda _: None, browser_lock=lambda: browser_lock(state, timeout=5))
    assert first.read_ok, first.error
    zero = [a for a in first.new_alerts if a.kind is AlertKind.ZERO_OFFER]
    assert len(zero) == 1 and zero[0].severity.value == "critical"
    assert zero[0].amount.is_zero() and zero[0].amount.currency == "EUR"
    critical = [a for a in first.new_alerts if a.severity.value == "critical"]
    assert len(critical) >= 2 and first.messages == 2  # one summary per channel, not one mail per finding
    (mail,) = smtp.inbox
    text = mail.get_body(("plain",)).get_content()
    assert f"{len(critical)} alerts at once" in mail["subject"]
    assert all(alert.title in " ".join(text.split()) for alert in critical)
    assert f"Run: dispute-agent reject {dispute_of(server, 1)}" in text
    attachments = [part for part in mail.iter_attachments()]
    assert attachments and attachments[0].get_content_type() == "image/png"  # the zero offer's screenshot
    assert attachments[0].get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(hook.requests) == 1 and "0.00" in str(hook.requests[0]["json"])
    assert lock_free_when_sent == [True]  # the poll let go of the browser before it delivered
    before = (len(smtp.inbox), len(hook.requests))
    second = poll(settings, store, policy, say=lambda _: None)
    assert second.new_alerts == []
    assert (len(smtp.inbox), len(hook.requests)) == before
    seller(server, 7, action="offer", amount="0.00", respond_days=2)  # a new incident: a message of its own
    third = poll(settings, store, policy, say=lambda _: None)
    assert [a.order_id for a in third.new_alerts if a.kind is AlertKind.ZERO_OFFER] == ["8700000000000007"]
    assert [m["subject"] for m in smtp.inbox[1:]] == [
        f"[dispute-agent] CRITICAL: {a.title}" for a in third.new_alerts if a.kind is AlertKind.ZERO_OFFER]


def test_mail_server_down_during_the_poll_delivers_on_the_next_one_once(agent, server, receivers):
    smtp, _hook = receivers
    seller(server, 1, action="offer", amount="0.00", respond_days=2)
    settings, store, policy = agent()
    smtp.stop()
    first = poll(settings, store, policy, say=lambda _: None)
    assert any(a.kind is AlertKind.ZERO_OFFER for a in first.new_alerts)
    assert first.pending > 0
    smtp.start()  # same port: the channel is back
    server.advance(minutes=5)  # the next poll comes later, past the retry backoff
    poll(settings, store, policy, say=lambda _: None)
    assert len(zero_mails(smtp)) == 1
    server.advance(minutes=5)
    from agent.usecases.poll import deliver_due

    deliver_due(settings, store, datetime.now(UTC) + timedelta(days=1))  # whatever is due, much later
    assert len(zero_mails(smtp)) == 1


def test_policy_escalate_where_the_page_offers_no_escalation_rejects_through_i_dont_agree(agent, server):
    seller(server, 1, action="offer", amount="0.00", respond_days=2)
    settings, store, _ = agent()
    report = poll(settings, store, Policy(on_zero_offer="escalate"), say=lambda _: None)
    assert report.read_ok, report.error
    assert report.actions == [f"reject {dispute_of(server, 1)}"]
    case = next(d for d in server.state()["disputes"] if d["reverse_line_id"] == dispute_of(server, 1))
    offer = next(p for p in case["proposals"] if p["proposer"] == "SELLER")
    assert (case["status"], offer["status"], case["result"]) == ("WAIT_SELLER_RESPONSE", "REJECTED", None)
    assert case["messages"][-1]["text"].startswith("I do not accept a refund of nothing.")
    zero = next(a for a in report.new_alerts if a.kind is AlertKind.ZERO_OFFER)
    assert "the page offers no escalation: AliExpress is expected to step in on" in zero.action.text
    assert not [a for a in report.new_alerts if a.kind is AlertKind.ESCALATION_POSSIBLE]
    taken = next(a for a in report.new_alerts if a.kind is AlertKind.ACTION_TAKEN)
    assert taken.facts["action"] == "reject" and taken.screenshot.is_file()


@pytest.mark.parametrize("seed", ["watch-a", "watch-b"])
def test_policy_escalate_escalates_the_zero_offer_where_the_page_offers_it(agent, server, seed):
    server.load(scenario(seed, buyer_escalation=True))
    seller(server, 1, action="offer", amount="0.00", respond_days=2)
    settings, store, _ = agent()
    report = poll(settings, store, Policy(on_zero_offer="escalate"), say=lambda _: None)
    assert report.actions == [f"escalate {dispute_of(server, 1)}"]
    case = next(d for d in server.state()["disputes"] if d["reverse_line_id"] == dispute_of(server, 1))
    assert case["status"] == "ESCALATED"
    escalated_at = datetime.fromisoformat(case["escalated_at"])
    deadline = datetime.fromisoformat(case["proposals"][-1]["deadline"])
    assert escalated_at < deadline
    assert any(a.kind is AlertKind.ACTION_TAKEN for a in report.new_alerts)
    # never accepted: the offer is rejected by the escalation, not taken
    assert case["result"] is None


def test_policy_notify_never_acts(agent, server):
    seller(server, 1, action="offer", amount="0.00", respond_days=2)
    settings, store, policy = agent()
    report = poll(settings, store, policy, say=lambda _: None)
    assert report.actions == []
    assert not [a for a in server.state()["actions"] if a["actor"] == "buyer"]


def test_each_situation_yields_its_alert(agent, server, monkeypatch):
    """On one tab (the default): the alerts do not depend on how many pages load at once.
    The orders whose disputes ended (5, 6) are read again in this poll (decision 0027): the
    sandbox never offers a second dispute on an item, so no protection alert for them."""
    from agent.storage.dispute_records import DisputeRecords
    from agent.usecases.sync import known_orders

    seller(server, 2, action="offer", percent=40, respond_days=3)
    seller(server, 3, action="change_solution", respond_days=3)
    server.mediator(dispute_of(server, 4), action="request_info", respond_days=2)
    tabs = count_dispute_tabs(monkeypatch)
    settings, store, policy = agent(dispute_tabs=1)
    report = poll(settings, store, policy, say=lambda _: None)
    assert tabs == [1]
    ended = DisputeRecords(store).case_cover().ended
    assert set(ended) == {"8700000000000005", "8700000000000006"}
    for order_id, case_read in ended.items():  # each page read after its case, saying no
        stored = store.order(order_id)
        assert stored.detail_read_at > case_read and stored.order.can_open_dispute is False
    assert not any(known.ended_unread for known in known_orders(store).values())
    assert not [a for a in report.new_alerts if a.order_id in ended
                and a.kind in (AlertKind.PROTECTION_ENDING, AlertKind.AFTER_CLOSE_WINDOW)]
    kinds = {(a.kind, a.order_id) for a in report.new_alerts}
    expected = {
        (AlertKind.LOWBALL_OFFER, "8700000000000002"),
        (AlertKind.SOLUTION_CHANGED, "8700000000000003"),
        (AlertKind.MEDIATOR_REQUEST, "8700000000000004"),
        (AlertKind.DISPUTE_CLOSED, "8700000000000005"),
        (AlertKind.DISPUTE_CLOSED, "8700000000000006"),
        (AlertKind.SELLER_SILENT, "8700000000000007"),
        (AlertKind.PROTECTION_ENDING, "8700000000000008"),
    }
    assert expected <= kinds, expected - kinds
    closed = {a.order_id: a for a in report.new_alerts if a.kind is AlertKind.DISPUTE_CLOSED}
    assert closed["8700000000000005"].facts.get("result", "").lower() in ("won", "won")
    assert closed["8700000000000006"].severity.value == "warning"
    # today's page offers no escalation: nothing suggests a button that is not there
    assert not [a for a in report.new_alerts if a.kind is AlertKind.ESCALATION_POSSIBLE]
    assert not [a for a in report.new_alerts if a.action is not None and a.action.kind.value == "escalate"]


def test_an_order_in_transit_has_its_tracking_read_and_its_protection_mail_asks_the_seller_to_extend(
        agent, server, receivers):
    from agent.storage.tracking_store import load_tracking

    smtp, _hook = receivers
    settings, store, policy = agent()
    said: list[str] = []
    first = poll(settings, store, policy, say=said.append)
    assert first.read_ok, first.error
    # the only order awaiting delivery without a dispute; the others are not read
    (parcel,) = load_tracking(store).values()
    assert (parcel.tracking_number, parcel.last_event, parcel.last_event_at, parcel.delivered) == (
        "LP00000000008CN", "Arrived at destination country", START - timedelta(days=12), False)
    assert "read the tracking of 1 of 1 orders in transit" in said
    stalled = [a for a in first.new_alerts if a.kind is AlertKind.TRACKING_STALLED]
    assert [a.order_id for a in stalled] == ["8700000000000008"] and stalled[0].facts["stalled_days"] == "12"
    (mail,) = [m for m in smtp.inbox if "Buyer protection of order 8700000000000008 ends" in m["subject"]]
    text = mail.get_body(("plain",)).get_content().split("----- message to the seller: copy from the next line -----")[1]
    text = text.split("----- end of the message to the seller -----")[0]
    for fact in ("order 8700000000000008 (Item 8)", "from your store Test Store", "(LP00000000008CN)",
                 '"Arrived at destination country" on 8 November 2026', "ends on 22 November 2026"):
        assert fact in text, fact
    # the seller extends the protection by 7 days; half a day later the tracking is due again
    # and its page fails: said, and the poll goes on
    server.move_protection("8700000000000008", 7)
    mails = len(smtp.inbox)
    server.advance(hours=13)
    # every try of this poll fails (a busy site is tried again within the poll)
    server.add_fault("http500", "/h5/mtop.ae.ld.querydetail/")
    said.clear()
    try:
        second = poll(settings, store, policy, say=said.append)
    finally:
        server.clear_faults()
    assert second.read_ok, second.error
    assert any(line.startswith("the tracking of order 8700000000000008 could not be read") for line in said)
    assert list(load_tracking(store).values()) == [parcel]  # the last good reading stays
    (moved,) = [a for a in second.new_alerts if a.kind is AlertKind.PROTECTION_MOVED]
    assert moved.title == ("Buyer protection of order 8700000000000008 was extended by 7 days: it now ends "
                           "Sun 29 Nov 2026, 09:00 UTC (it ended Sun 22 Nov 2026, 09:00 UTC)")
    # besides it, only the new end's own countdown (info): nothing critical is mailed again
    assert {a.kind for a in second.new_alerts} == {AlertKind.PROTECTION_MOVED, AlertKind.PROTECTION_ENDING}
    assert len(smtp.inbox) == mails


def test_where_the_page_offers_escalation_the_alert_says_so(agent, server):
    server.load(scenario("watch-b", buyer_escalation=True))
    settings, store, policy = agent()
    report = poll(settings, store, policy, say=lambda _: None)
    assert report.read_ok, report.error
    possible = {a.order_id for a in report.new_alerts if a.kind is AlertKind.ESCALATION_POSSIBLE}
    assert possible == {"8700000000000001"}  # opened 4 days ago; the others are too fresh or escalated


@pytest.mark.parametrize(("kind", "path", "said"), [
    ("dom_layout", "/p/refund-amount/", "shows no status line"),
    ("api_shape", "/h5/mtop.aliexpress.buyer.reverse.reverseorderlinerenderforbuyer/", "data.module missing"),
    ("dom_layout", "/p/refund-dispute/", "the dispute list shows 0 rows"),
    ("api_shape", "/h5/mtop.aliexpress.buyer.reverse.queryreverseorderpagelistforbuyer/", "data.module missing"),
])
def test_faults_on_the_dispute_pages_end_in_page_changed_with_evidence_never_wrong_data(agent, server, kind, path,
                                                                                       said):
    seller(server, 1, action="offer", amount="5.00", respond_days=2)
    server.add_fault(kind, path)
    settings, store, policy = agent()
    try:
        report = poll(settings, store, policy, say=lambda _: None)
    finally:
        server.clear_faults()
    assert not report.read_ok and said in report.error, report.error
    evidence = Path(report.error.rsplit("(evidence: ", 1)[1].rstrip(")"))
    assert (evidence / "screenshot.png").is_file() and (evidence / "page.html").is_file()
    from agent.storage.dispute_records import DisputeRecords

    assert DisputeRecords(store).disputes() == []  # nothing read from a page that changed
    assert not [a for a in report.new_alerts if a.dispute_id]


def test_a_server_error_on_a_page_is_tried_again_then_the_site_is_busy_never_a_changed_page(agent, server, caplog):
    """Retries (tests wait 0.05 s between tries): twice a 500 and the page is read; always a
    500 and the line says the site is busy, the maintainer's hint only in the evidence and the log."""
    import logging

    from agent.storage import health
    from flows.browser import BrowserSession
    from flows.disputes import read_dispute_list

    settings, store, policy = agent()
    server.add_fault("http500", "/p/refund-dispute/list.html", remaining=2)
    try:
        with BrowserSession(settings) as session:
            listed = read_dispute_list(session, settings.site.base_url, None, mobile_url=settings.site.mobile_url)
    finally:
        server.clear_faults()
    assert len(listed) == 7

    server.add_fault("http500", "/p/refund-dispute/list.html")
    try:
        with caplog.at_level(logging.INFO, logger="dispute_agent"):  # the daemon's poll: it names its next try
            report = poll(settings, store, policy, say=lambda _: None,
                          next_try=lambda: datetime(2026, 11, 20, 14, 5, tzinfo=UTC))
    finally:
        server.clear_faults()
    assert not report.read_ok
    assert report.error.startswith("the dispute list: the site is busy (HTTP 500 to the page /p/refund-dispute/list.html)"
                                   " — tried 3 times; the next try is at Fri 20 Nov 2026, 14:05 UTC (the daemon's next "
                                   "poll)"), report.error
    assert "changed" not in report.error and "flows/" not in report.error
    assert health.load(store).last_failure_kind == "site_unavailable"
    evidence = Path(report.error.rsplit("(evidence: ", 1)[1].rstrip(")"))
    note = (evidence / "maintainer.txt").read_text(encoding="utf-8")
    assert "3 tries" in note and "flows/site.py" in note
    assert [r for r in caplog.records if "maintainer note" in r.getMessage() and "flows/site.py" in r.getMessage()]


def test_a_zero_only_one_reading_sees_is_critical_at_once_and_the_other_cases_are_still_read(agent, server,
                                                                                            monkeypatch):
    import flows.disputes as disputes
    from flows.parsers.dispute_page import Disagreement, ReadingsDisagree

    seller(server, 2, action="offer", amount="5.00", respond_days=2)
    odd = dispute_of(server, 2)
    real = disputes.read_case

    def one_page_shows_zero(*args, **kwargs):
        detail = real(*args, **kwargs)
        if detail.reverse_line_id == odd:  # as if the page had drawn 0.00 where its data says 5.00
            raise ReadingsDisagree("dispute readings disagree", [Disagreement("amount", "5.00 EUR", "0.00 EUR")],
                                   ("page",), detail)
        return detail

    monkeypatch.setattr(disputes, "read_case", one_page_shows_zero)
    settings, store, policy = agent()
    report = poll(settings, store, policy, say=lambda _: None)
    assert not report.read_ok and "dispute readings disagree" in report.error
    (zero,) = [a for a in report.new_alerts if a.kind is AlertKind.ZERO_OFFER]
    assert (zero.dispute_id, zero.severity.value) == (odd, "critical")
    assert "only the dispute page shows a refund of nothing" in zero.title
    from agent.storage.dispute_records import DisputeRecords

    read = {d.reverse_line_id for d in DisputeRecords(store).disputes()}
    assert odd not in read and dispute_of(server, 7) in read  # the others were read, the odd one not recorded


def test_the_dispute_pages_read_on_after_a_failed_page_and_stop_at_a_lost_session(agent, server, monkeypatch):
    """Several tabs at once (politeness.dispute_concurrency = 3): a page the site fails after
    some cases were read is loaded again with the cases not read yet, never the ones read; a
    page that lands on the login page later in the pool is a lost session, and the cases
    read before it are kept."""
    from agent.storage.dispute_records import DisputeRecords
    from agent.usecases.poll import Progress
    from flows import site

    class After(Progress):
        def __init__(self, cases: int, then) -> None:
            self.done, self.cases, self.then = 0, cases, then

        def dispute_done(self, dispute_id: str) -> None:
            self.done += 1
            if self.done == self.cases:
                self.then()

    tabs = count_dispute_tabs(monkeypatch)
    settings, store, policy = agent()
    server.clear_requests()
    try:
        report = poll(settings, store, policy, say=lambda _: None, deliver=False, progress=After(
            1, lambda: server.add_fault("http500", site.DISPUTE_DETAIL_PATH, remaining=1)))
    finally:
        server.clear_faults()
    counts = server.requests()
    assert report.read_ok and report.disputes == 7, report.error
    assert tabs == [3]
    assert len(DisputeRecords(store).disputes()) == 7
    assert counts[f"page {site.DISPUTE_DETAIL_PATH}"] == 8  # seven cases, one page failed once
    assert counts[f"api {site.API_DISPUTE_DETAIL.lower()}"] == 7  # no case read twice

    seller(server, 2, action="offer", amount="5.00", respond_days=2)
    seen = {d.reverse_line_id: d.last_seen for d in DisputeRecords(store).disputes()}
    progress = After(2, server.expire_sessions)
    report = poll(settings, store, policy, say=lambda _: None, deliver=False, progress=progress)
    assert not report.read_ok and "log" in report.error.lower(), report.error
    from agent.storage import health

    assert health.load(store).last_failure_kind == "login_needed"
    later = {d.reverse_line_id: d.last_seen for d in DisputeRecords(store).disputes()}
    assert sum(later[case] != seen[case] for case in seen) >= 2  # what was read before is recorded
