"""The page's security, route by route: every route (those mounted later too) refuses a
request that is not signed in, every action refuses a missing or wrong CSRF token,
sign-in attempts are limited, a proxy's header counts only from a trusted address, and
no page shows a secret. Starlette's TestClient over a real database file."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from argon2 import PasswordHasher
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from agent.config.settings import load_settings
from agent.core.errors import ConfigError
from agent.core.models import (
    DisputeDetail,
    DisputeStage,
    Proposal,
    ProposalStatus,
    Proposer,
)
from agent.core.money import Money
from agent.storage.dispute_records import DisputeRecords
from agent.storage.store import Store
from agent.web.app import SESSION_COOKIE, create_app, other_parts
from agent.web.auth import (
    RateLimit,
    TooManyAttempts,
    check_can_serve,
    hash_password,
    password_matches,
    secret_key,
)
from agent.web.feed_files import calendar_secret
from agent.web.feeds import calendar_path
from agent.web.middleware import public_with_secret
from tests.support.cli_state import ORDER_ID, seed_database
from tests.support.isolation import isolate_environment

PASSWORD = "correct horse battery"
CHANNEL_SECRET = "S3cr3tT0kenInTheUrl"
DISPUTE_ID = "6400000000000777"
#: a hash as 'dispute-agent web password' writes it, at the lowest cost argon2 takes: tests verify it often
HASH = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)


def _extra_page(request):
    return PlainTextResponse("mounted later")


def _feed(request):
    return PlainTextResponse("a feed with its own secret")


#: routes another part of the page mounts later: the rules hold for them without a line of their own
EXTRA = [Route("/later", _extra_page, methods=["GET", "POST"]),
         public_with_secret(Route("/later-feed/{secret}.txt", _feed))]


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    """One seeded state for the module: the tests only read it (each client is a new page)."""
    tmp_path = tmp_path_factory.mktemp("web")
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate_environment(monkeypatch, tmp_path)
        yield _seeded(tmp_path)


def _seeded(tmp_path):
    state = tmp_path / "state"
    seed_database(state / "agent.db")
    now = datetime.now(UTC)
    store = Store(state / "agent.db")
    shot = state / "evidence" / "poll-1" / "screenshot.png"
    shot.parent.mkdir(parents=True)
    shot.write_bytes(b"\x89PNG\r\n\x1a\n")
    DisputeRecords(store).save_dispute(DisputeDetail(
        reverse_order_id="1", reverse_line_id=DISPUTE_ID, trade_order_id=ORDER_ID, trade_line_id="83000000000000011",
        stage=DisputeStage.WAIT_BUYER_RESPONSE, item_title="Cable", paid_amount=Money(amount=Decimal("19.99"), currency="USD"),
        proposals=[Proposal(proposer=Proposer.SELLER, refund=Money(amount=Decimal("0.00"), currency="USD"),
                            status=ProposalStatus.PENDING, description="We shipped it.",
                            respond_by=now + timedelta(days=2))],
        site_time=now), screenshot=shot)
    DisputeRecords(store).audit("reject", "ok", order_id=ORDER_ID, dispute_id=DISPUTE_ID, evidence=shot.parent)
    store.close()
    return load_settings(None, state={"dir": str(state)},
                         web={"password_hash": HASH, "proxy_header": "Remote-User", "trusted_proxies": ["10.0.0.2"]},
                         notifications={"channels": [{"name": "phone",
                                                      "url": f"ntfy://user:{CHANNEL_SECRET}@ntfy.example.org/topic"}]})


def client(settings, address="127.0.0.1", **kwargs) -> TestClient:
    """The page as every server mounts it: its own routes, the remote login, the feed and the
    metrics (``other_parts``), and a route mounted later still (``EXTRA``)."""
    return TestClient(create_app(settings, extra_routes=[*other_parts(settings), *EXTRA], **kwargs),
                      base_url="http://127.0.0.1",
                      client=(address, 50000), follow_redirects=False)


def signed_in(settings, **kwargs) -> TestClient:
    browser = client(settings, **kwargs)
    token = csrf_of(browser.get("/signin").text)
    answer = browser.post("/signin", data={"password": PASSWORD, "csrf_token": token, "next": "/"})
    assert answer.status_code == 303, answer.text
    return browser


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def every_route(app):
    """(method, path) for each route of the app as mounted, parameters filled in."""
    for route in app.routes:
        if isinstance(route, Mount):
            yield "GET", route.path + "/style.css"
            continue
        path = re.sub(r"\{entry:int\}", "1", route.path)
        path = re.sub(r"\{[^}]+\}", DISPUTE_ID, path)
        for method in sorted(route.methods or {"GET"}):
            if method != "HEAD":
                yield method, path


#: open to all, or checking a secret of their own (the secret in the path is a wrong one here)
OPEN = {"/signin", "/static/style.css", f"/later-feed/{DISPUTE_ID}.txt", f"/calendar/{DISPUTE_ID}.ics", "/metrics"}


def test_every_route_refuses_a_request_that_is_not_signed_in(settings):
    browser = client(settings)
    routes = list(every_route(browser.app))
    assert {("GET", "/login-again"), ("POST", "/login-again/start"), ("POST", "/later"), ("GET", "/metrics"),
            ("POST", "/disputes/6400000000000777/reject")} <= set(routes)
    token = csrf_of(browser.get("/signin").text)  # a valid token: the refusal is about the sign-in alone
    for method, path in routes:
        if path in OPEN:
            continue
        answer = browser.request(method, path, data={"csrf_token": token})
        assert answer.status_code == 401, (method, path, answer.status_code)
        page = browser.request(method, path, headers={"accept": "text/html"}, data={"csrf_token": token})
        assert page.status_code in (401, 303), (method, path)
        if method == "GET":
            assert page.status_code == 303 and page.headers["location"].startswith("/signin?next=")
    assert browser.get(f"/later-feed/{DISPUTE_ID}.txt").status_code == 200  # declares its own secret
    assert browser.get(f"/calendar/{DISPUTE_ID}.ics").status_code == 404  # not the feed's secret
    assert browser.get("/metrics").status_code == 401  # neither a token nor a sign-in
    assert browser.get(calendar_path(calendar_secret(settings.state.dir))).status_code == 200
    assert browser.get("/static/style.css").status_code == 200


def test_every_action_refuses_a_missing_or_wrong_csrf_token(settings):
    browser = signed_in(settings)
    posts = [(m, p) for m, p in every_route(browser.app) if m not in ("GET", "HEAD")]
    assert len(posts) >= 8
    for method, path in posts:
        for data, headers in (({}, {}), ({"csrf_token": "wrong"}, {}), ({}, {"X-CSRF-Token": "wrong"})):
            answer = browser.request(method, path, data=data, headers=headers)
            assert answer.status_code == 403, (method, path, data, headers)
            assert "security token" in answer.text
    # a multipart form (photos) without the token is refused too, before any file is kept
    refused = browser.post(f"/disputes/{DISPUTE_ID}/evidence", files={"files": ("a.png", b"png")})
    assert refused.status_code == 403
    assert not (settings.state.dir / "uploads").exists() or not any((settings.state.dir / "uploads").iterdir())
    # the right token, in the form or the header, passes
    token = csrf_of(browser.get("/").text)
    assert browser.post("/login-again/cancel", headers={"X-CSRF-Token": token}).status_code == 200
    assert browser.post("/later", data={"csrf_token": token}).status_code == 200
    assert browser.post("/signout", data={"csrf_token": token}).status_code == 303
    assert browser.get("/", headers={"accept": "text/html"}).status_code == 303  # signed out


def test_signing_in_needs_the_csrf_token_and_the_password(settings):
    browser = client(settings)
    token = csrf_of(browser.get("/signin").text)
    assert browser.post("/signin", data={"password": PASSWORD}).status_code == 403
    assert browser.post("/signin", data={"password": "wrong one", "csrf_token": token}).status_code == 401
    assert browser.get("/orders").status_code == 401
    done = browser.post("/signin", data={"password": PASSWORD, "csrf_token": token, "next": "//evil.example/x"})
    assert done.status_code == 303 and done.headers["location"] == "/"  # never sent to another site
    assert browser.get("/orders").status_code == 200
    cookie = done.headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower() and "secure" not in cookie.lower()


def test_the_cookie_is_https_only_when_the_page_is_behind_https(settings):
    secure = settings.model_copy(update={"web": settings.web.model_copy(update={"secure_cookie": True})})
    browser = client(secure)
    assert "secure" in browser.get("/signin").headers["set-cookie"].lower()


def test_sign_in_attempts_are_limited_per_address_with_when_to_retry(settings):
    browser = client(settings, address="192.0.2.7")
    token = csrf_of(browser.get("/signin").text)
    for _ in range(5):
        assert browser.post("/signin", data={"password": "guess", "csrf_token": token}).status_code == 401
    refused = browser.post("/signin", data={"password": PASSWORD, "csrf_token": token})  # even the right one
    assert refused.status_code == 429
    assert "too many failed sign-ins from your address; try again after" in refused.text
    assert int(refused.headers["retry-after"]) > 800
    assert browser.get("/orders").status_code == 401


def test_sign_ins_under_way_at_once_count_before_their_password_is_checked():
    """Parallel guesses cannot all pass the check before any of them is counted."""
    limit = RateLimit(now=lambda: datetime(2026, 12, 1, tzinfo=UTC), per_address=3, overall=30)
    first = limit.attempt("a")
    limit.attempt("a")
    limit.attempt("a")  # three sign-ins under way, none answered yet
    with pytest.raises(TooManyAttempts):
        limit.attempt("a")
    limit.succeeded("a", first)  # a right password gives its slot back
    limit.attempt("a")


def test_the_limit_counts_per_address_and_over_all_addresses_and_forgets_after_its_window():
    clock = [datetime(2026, 12, 1, 9, 0, tzinfo=UTC)]
    limit = RateLimit(now=lambda: clock[0], per_address=3, overall=5, window=timedelta(minutes=15))
    for _ in range(3):
        limit.failed("a")
    with pytest.raises(TooManyAttempts) as one:
        limit.check("a")
    assert not one.value.overall and one.value.retry_at == clock[0] + timedelta(minutes=15)
    limit.check("b")
    limit.failed("b")
    limit.failed("c")
    with pytest.raises(TooManyAttempts) as everyone:
        limit.check("d")  # five failures in all: a new address waits too
    assert everyone.value.overall
    clock[0] += timedelta(minutes=15, seconds=1)
    limit.check("a")
    limit.check("d")


def test_a_proxy_header_counts_only_from_a_trusted_proxy(settings):
    trusted = client(settings, address="10.0.0.2")
    assert trusted.get("/orders", headers={"Remote-User": "me"}).status_code == 200
    assert trusted.get("/orders").status_code == 401  # the proxy said no one
    other = client(settings, address="10.0.0.3")
    assert other.get("/orders", headers={"Remote-User": "me"}).status_code == 401
    assert other.get("/orders", headers={"Remote-User": "me", "X-Forwarded-For": "10.0.0.2"}).status_code == 401


def test_the_start_address_signs_in_only_with_its_token(settings):
    bare = settings.model_copy(update={"web": settings.web.model_copy(update={"password_hash": None})})
    browser = client(bare, start_token="t" * 32)
    assert browser.get("/signin?token=wrong").status_code == 401
    assert browser.get("/orders").status_code == 401
    assert browser.get("/signin?token=" + "t" * 32).status_code == 303
    assert browser.get("/orders").status_code == 200


def test_never_open_to_the_network_without_a_password_or_a_proxy(settings):
    bare = settings.web.model_copy(update={"password_hash": None, "proxy_header": None, "trusted_proxies": []})
    with pytest.raises(ConfigError, match="open to the network"):
        check_can_serve(bare, "0.0.0.0", start_token=True)
    with pytest.raises(ConfigError, match="dispute-agent web password"):
        check_can_serve(bare, "127.0.0.1", start_token=False)  # the daemon: nobody reads a start address
    check_can_serve(bare, "127.0.0.1", start_token=True)
    check_can_serve(settings.web, "0.0.0.0", start_token=False)


def test_no_page_shows_a_secret(settings):
    browser = signed_in(settings)
    cookie = browser.cookies.get(SESSION_COOKIE)
    secrets = [CHANNEL_SECRET, HASH, HASH.split("$")[-1], secret_key(settings.state.dir), cookie]
    pages = [p for m, p in every_route(browser.app) if m == "GET" and "screenshot" not in p and "calendar" not in p]
    seen = 0
    for path in pages:
        answer = browser.get(path)
        seen += answer.status_code == 200
        for secret in secrets:
            assert secret not in answer.text, path
    assert seen >= 6
    status = browser.get("/status").text
    assert "phone" in status and "ntfy.example.org" not in status or CHANNEL_SECRET not in status


def test_a_zero_offer_is_unmistakable_and_screenshots_are_served_by_id_only(settings):
    browser = signed_in(settings)
    home = browser.get("/").text
    assert "ZERO OFFER" in home and "accepting gives you nothing" in home and "We shipped it." in home
    assert browser.get(f"/disputes/{DISPUTE_ID}/screenshot").content.startswith(b"\x89PNG")
    assert browser.get("/log/1/screenshot").status_code == 200
    assert browser.get("/log/2/screenshot").status_code == 404
    assert browser.get("/disputes/..%2F..%2Fetc%2Fpasswd/screenshot").status_code == 404


def test_accepting_a_zero_offer_needs_the_extra_confirmation_before_anything_starts(settings):
    browser = signed_in(settings)
    confirm = browser.get(f"/disputes/{DISPUTE_ID}/accept").text
    assert "you get NOTHING back" in confirm and 'name="accept_zero"' in confirm
    token = csrf_of(confirm)
    form = {"csrf_token": token, "offer_seen": "0.00 USD", "zero_seen": "yes", "confirm": "yes"}
    refused = browser.post(f"/disputes/{DISPUTE_ID}/accept", data=form)
    assert refused.status_code == 400 and "you get nothing" in refused.text
    unconfirmed = browser.post(f"/disputes/{DISPUTE_ID}/accept", data={**form, "confirm": "", "accept_zero": "yes"})
    assert unconfirmed.status_code == 400 and "confirmation" in unconfirmed.text
    assert browser.app.state.jobs.busy() == [] and not browser.app.state.jobs._jobs  # nothing was started


def test_the_page_acts_only_on_the_offer_the_person_confirmed():
    from agent.core.errors import NotEligible
    from agent.web.actions import _same_offer

    now = datetime.now(UTC)
    detail = DisputeDetail(reverse_order_id="1", reverse_line_id=DISPUTE_ID, trade_order_id=ORDER_ID,
                           trade_line_id="2", stage=DisputeStage.WAIT_BUYER_RESPONSE, site_time=now)
    offer = Proposal(proposer=Proposer.SELLER, refund=Money(amount=Decimal("5.00"), currency="USD"),
                     status=ProposalStatus.PENDING)
    assert _same_offer("5.00 USD")(detail, offer) is True
    with pytest.raises(NotEligible, match="now has an offer of 5.00 USD"):
        _same_offer("0.00 USD")(detail, offer)
    with pytest.raises(NotEligible, match="no offer waiting"):
        _same_offer("5.00 USD")(detail, None)


def test_the_password_is_kept_as_an_argon2_hash_only():
    stored = hash_password(PASSWORD)
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert password_matches(stored, PASSWORD)
    assert not password_matches(HASH, PASSWORD + "!") and not password_matches("not a hash", PASSWORD)
    with pytest.raises(Exception, match="at least 8 characters"):
        hash_password("short")


def test_the_status_page_sends_a_test_notification_through_the_cli_use_case(settings, hook):
    from tests.support.receivers import wait_for

    with_hook = settings.model_copy(update={"notifications": load_settings(
        None, notifications={"channels": [{"name": "hook", "url": hook.url("/in")}]}).notifications})
    browser = signed_in(with_hook)
    status = browser.get("/status").text
    started = browser.post("/status/notify-test", data={"csrf_token": csrf_of(status)})
    assert started.status_code == 303 and started.headers["location"].startswith("/jobs/")
    job = browser.app.state.jobs.get(started.headers["location"].rsplit("/", 1)[1])
    wait_for(lambda: job.done, timeout=30, what="the test notification")
    page = browser.get(started.headers["location"]).text
    assert "test message sent to 1 channel(s)" in page and "hook: ok" in page
    assert len(hook.requests) == 1
