"""The calendar feed and /metrics over HTTP, from a real database: each refuses a request without
its secret, compares secrets in constant time, and answers what the store holds."""

from __future__ import annotations

import stat
from datetime import timedelta

import pytest
from icalendar import Calendar
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.testclient import TestClient

from agent.config.settings import load_settings
from agent.core.errors import LoginRequired
from agent.core.models import DeadlineKind, DisputeStage
from agent.notifications.outbox import record_alerts
from agent.storage import health
from agent.storage.dispute_records import DisputeRecords
from agent.storage.store import Store
from agent.web import feed_files
from agent.web.feeds import SECRET_AUTH_PATHS, calendar_path, is_secret_auth, routes
from tests.unit.test_agenda import case, order
from tests.unit.test_outbox import alert
from tests.unit.test_rules import DAY, T0, D, H, offer

CHANNELS = [{"name": "phone", "url": "ntfy://127.0.0.1:9/deadlines"}, {"name": "hook", "url": "json://127.0.0.1:9/hook"}]


@pytest.fixture
def settings(tmp_path):
    made = load_settings(state={"dir": str(tmp_path / "state")}, notifications={"channels": CHANNELS},
                         time_zone="Europe/Paris")
    store = Store(made.state.db_path)
    store.save_orders([order("8301", timedelta(days=30)), order("8302", timedelta(days=5))])
    records = DisputeRecords(store, now=lambda: T0)
    records.save_dispute(case("R1", offer("0.00"), deadlines=((DeadlineKind.RETURN_SHIPMENT, T0 + 2 * DAY),)),
                         link="http://127.0.0.1:9/dispute/R1")
    records.save_dispute(case("R3", deadlines=((DeadlineKind.SELLER_RESPOND, T0 + DAY),),
                              stage=DisputeStage.WAIT_SELLER_RESPONSE))
    records.save_dispute(case("R5", offer("7.50", pid="P5")))
    records.save_dispute(case("R4", offer("0.00", pid="P9"), stage=DisputeStage.FINISHED))
    health.record_success(store, T0 - 3 * H, local_now=T0 - 3 * H)
    for minutes in (1, 2):
        health.record_failure(store, T0 - H + timedelta(minutes=minutes), LoginRequired("session expired; log in"))
    with store.transaction() as session:
        record_alerts(session, [alert("a"), alert("b")], made.notifications.channels[:1])
        record_alerts(session, [alert("c")], made.notifications.channels[1:])
    store.close()
    return made


@pytest.fixture
def client(settings):
    signed_in = {"yes": False}
    app = Starlette(routes=routes(settings, logged_in=lambda request: signed_in["yes"], now=lambda: T0))
    with TestClient(app) as made:
        made.signed_in = signed_in
        yield made


def test_both_routes_declare_their_own_authentication(settings):
    made = routes(settings)
    assert all(is_secret_auth(route) for route in made)
    assert {route.path for route in made} == set(SECRET_AUTH_PATHS)


def test_the_calendar_needs_its_secret_and_holds_the_deadlines(client, settings):
    assert client.get("/calendar/anything.ics").status_code == 404  # no secret made yet
    secret = feed_files.calendar_secret(settings.state.dir)
    for wrong in ("anything", secret[:-1], secret + "x", secret.upper() if secret != secret.upper() else "x"):
        assert client.get(calendar_path(wrong)).status_code == 404
    answer = client.get(calendar_path(secret))
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/calendar")
    found = {str(e["UID"]): e for e in Calendar.from_ical(answer.content).walk("VEVENT")}
    assert {uid: e.decoded("DTSTART") for uid, e in found.items()} == {
        "dispute-R1-buyer-respond@dispute-agent": D,
        "dispute-R1-return-shipment@dispute-agent": T0 + 2 * DAY,
        "order-8301-open-dispute@dispute-agent": T0 + 30 * DAY,
        "order-8302-open-dispute@dispute-agent": T0 + 5 * DAY,
        "dispute-R5-buyer-respond@dispute-agent": D,
    }
    assert "ZERO offer" in str(found["dispute-R1-buyer-respond@dispute-agent"]["SUMMARY"])
    # a new secret: the old address is gone
    fresh = feed_files.calendar_secret(settings.state.dir, new=True)
    assert fresh != secret and client.get(calendar_path(secret)).status_code == 404
    assert client.get(calendar_path(fresh)).status_code == 200
    kept = feed_files.load_stamps(settings.state.dir)  # what the next fetch compares with
    assert set(kept) == set(found) and all(stamp.sequence == 0 and stamp.summary for stamp in kept.values())
    for name in (feed_files.SECRETS_FILE, feed_files.STAMPS_FILE):
        assert stat.S_IMODE((settings.state.dir / name).stat().st_mode) == 0o600


def test_metrics_need_the_token_or_a_session_and_hold_the_stores_figures(client, settings):
    assert client.get("/metrics").status_code == 401  # no token made yet
    token = feed_files.new_metrics_token(settings.state.dir)
    assert token not in (settings.state.dir / feed_files.SECRETS_FILE).read_text()  # only its digest
    for header in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {token}"},
                   {"Authorization": f"Bearer {token[:-1]}"}, {"Authorization": "Bearer "}):
        refused = client.get("/metrics", headers=header)
        assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Bearer")
        assert "dispute_agent" not in refused.text
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(answer.text) for s in family.samples}
    assert samples == {
        ("dispute_agent_state_readable", ()): 1,
        ("dispute_agent_last_successful_poll_timestamp_seconds", ()): (T0 - 3 * H).timestamp(),
        ("dispute_agent_consecutive_failures", ()): 2,
        ("dispute_agent_open_disputes", ()): 3,  # R4 is settled
        ("dispute_agent_zero_offers_pending", ()): 1,  # R5's offer is not nothing
        ("dispute_agent_next_deadline_seconds", ()): (2 * DAY).total_seconds(),  # R1's return
        ("dispute_agent_tracking_stalled", ()): 0,
        ("dispute_agent_outbox_pending", (("channel", "phone"),)): 2,
        ("dispute_agent_outbox_pending", (("channel", "hook"),)): 1,
    }
    client.signed_in["yes"] = True  # the web page's logged-in session is enough
    assert client.get("/metrics").status_code == 200


def test_an_unreadable_state_is_a_figure_not_an_error_page(client, settings):
    token = feed_files.new_metrics_token(settings.state.dir)
    settings.state.db_path.write_bytes(b"not a database at all" * 100)
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    assert [s.value for f in text_string_to_metric_families(answer.text) for s in f.samples] == [0]


def test_a_damaged_secrets_file_lets_nobody_in(client, settings):
    secret = feed_files.calendar_secret(settings.state.dir)
    (settings.state.dir / feed_files.SECRETS_FILE).write_text("{not json")
    assert client.get(calendar_path(secret)).status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer x"}).status_code == 401


def test_secrets_are_compared_in_constant_time(settings, monkeypatch):
    compared = []
    real = feed_files.hmac.compare_digest
    monkeypatch.setattr(feed_files.hmac, "compare_digest", lambda a, b: compared.append((a, b)) or real(a, b))
    secret = feed_files.calendar_secret(settings.state.dir)
    token = feed_files.new_metrics_token(settings.state.dir)
    assert feed_files.calendar_secret_matches(settings.state.dir, secret)
    assert not feed_files.metrics_token_matches(settings.state.dir, token + "x")
    assert len(compared) == 2


def test_the_commands_show_the_address_again_make_a_new_one_and_a_token(agent_home, run_cli):
    code, first, _ = run_cli("feeds", "calendar-url", "--base", "https://disputes.example.org/")
    assert code == 0 and first.startswith("https://disputes.example.org/calendar/") and first.strip().endswith(".ics")
    assert run_cli("feeds", "calendar-url", "--base", "https://disputes.example.org")[1] == first
    code, renewed, _ = run_cli("feeds", "calendar-url", "--new")
    assert code == 0 and renewed.startswith("http://127.0.0.1:8710/calendar/") and renewed.split("/")[-1] != first.split("/")[-1]
    code, token, _ = run_cli("feeds", "metrics-token")
    state = agent_home / "agent-state"
    assert code == 0 and feed_files.metrics_token_matches(state, token.strip())
    assert stat.S_IMODE((state / feed_files.SECRETS_FILE).stat().st_mode) == 0o600


def test_the_container_files_publish_the_page_on_the_hosts_loopback_only():
    import yaml

    from tests.unit.test_architecture import ROOT

    compose = yaml.safe_load((ROOT / "config" / "compose.yaml").read_text())
    web = compose["services"]["web"]
    assert web["ports"] == ["127.0.0.1:8710:8710"] and "data:/data" in web["volumes"]
    assert web["command"][:2] == ["dispute-agent", "web"] and "8710" in web["command"]
    assert "\nEXPOSE 8710\n" in (ROOT / "config" / "Dockerfile").read_text()


def test_the_access_log_never_holds_the_calendars_secret():
    import logging

    from agent.web.feeds import HideCalendarSecret

    secret = "s3cr3t-Value_x"
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d', (
        "127.0.0.1:5000", "GET", calendar_path(secret) + "?x=1", "1.1", 200), None)
    assert HideCalendarSecret().filter(record)
    assert secret not in record.getMessage() and "/calendar/<secret>.ics?x=1" in record.getMessage()
