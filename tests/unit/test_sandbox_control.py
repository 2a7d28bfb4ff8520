"""The sandbox's control API (``/__sandbox__/``) and its answers to bad input.

Every endpoint's happy path, then bad input: always HTTP 400/404 with a JSON
``{"error": …}`` naming the problem, never a traceback. Also the API's own failure
envelopes (unknown ids, ``order.detail`` called with ``orderId``, ``order.count``
logged out) and ``python -m sandbox`` on a broken scenario file. No browser: one
SandboxServer for the module, driven with httpx.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from sandbox.server import SandboxServer

ROOT = Path(__file__).resolve().parents[2]
LOGIN = "buyer@example.com"
PASSWORD = "sandbox-pass"
START = datetime.fromisoformat("2026-11-20T09:00:00+00:00")

ORDER_LIST = "mtop.aliexpress.trade.buyer.order.list"
ORDER_DETAIL = "mtop.aliexpress.trade.buyer.order.detail"
ORDER_COUNT = "mtop.aliexpress.trade.buyer.order.count"
DISPUTE_DETAIL = "mtop.aliexpress.buyer.reverse.reverseOrderLineRenderForBuyer"
TRACKING = "mtop.ae.ld.querydetail"
APPLY = "mtop.aliexpress.reverse.buyer.apply"
DISPUTE_FORM = "mtop.aliexpress.reverse.buyer.render"

#: awaiting delivery, disputable now, USD 59.00, store "nova" (a silent seller)
FREE_LINE = "8215100000020001"
#: the demo's dispute on a silent seller (order 14), waiting for the seller
SILENT_ORDER = "8215000000000014"
#: the demo's dispute with a pending 0.00 offer that expires on 2026-11-21 09:00
TRAP_ORDER = "8215000000000013"

TINY = """\
name = "tiny"

[clock]
start = 2026-03-01T09:00:00Z

[account]
login = "me@example.com"
password = "secret"

[[stores]]
id = "acme"
name = "Acme Store"

[[orders]]
id = "8300000000000001"
store = "acme"
currency = "USD"
placed = 2026-01-10
paid = 2026-01-10T10:05:00Z
shipped = 2026-01-12
[[orders.lines]]
id = "8300000000000101"
title = "Cable"
price = "12.50"
"""


@pytest.fixture(scope="module")
def server():
    with SandboxServer(log_level="critical") as running:
        yield running


@pytest.fixture
def control(server):
    """An httpx client on ``/__sandbox__/``; the world is back at the demo's start."""
    server.reset()
    with httpx.Client(base_url=server.control_url, timeout=10) as client:
        yield client


@pytest.fixture
def site(server, control):
    """A logged-out client on the shop itself."""
    with httpx.Client(base_url=server.address_url, timeout=10, follow_redirects=False) as client:
        yield client


@pytest.fixture
def buyer(site):
    """A logged-in client on the shop (the session cookie comes from the login form)."""
    answer = site.post("/login", data={"fm-login-id": LOGIN, "fm-login-password": PASSWORD})
    assert answer.status_code == 302, answer.text
    assert site.get(answer.headers["location"]).status_code == 302  # the cookie-sync hop
    assert "xman_t" in site.cookies
    return site


def ok(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def refused(response: httpx.Response, status: int, *words: str) -> dict:
    """A JSON error with ``status`` whose message names every one of ``words``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.text
    assert "Traceback" not in response.text
    body = response.json()
    assert isinstance(body.get("error"), str) and body["error"], body
    text = (body["error"] + " " + " ".join(body.get("problems", []))).lower()
    for word in words:
        assert word.lower() in text, f"{word!r} not named in {body}"
    return body


def mtop(client: httpx.Client, api: str, data: dict | None = None, **form) -> dict:
    url = f"/h5/{api.lower()}/1.0/"
    params = {"jsv": "2.5.1", "appKey": "12574478", "api": api, "v": "1.0", "type": "originaljson",
              "dataType": "json"}
    if form:
        answer = client.post(url, params=params, data=form.pop("fields", {}), files=form.pop("files", None))
    else:
        answer = client.get(url, params={**params, "data": json.dumps(data or {})})
    body = ok(answer)
    assert set(body) >= {"api", "data", "ret", "v"}
    return body


def ret(body: dict) -> str:
    return body["ret"][0]


def dispute_of(control: httpx.Client, order_id: str) -> dict:
    return next(d for d in ok(control.get("/state"))["disputes"] if d["order_id"] == order_id)


def now_of(control: httpx.Client) -> datetime:
    return datetime.fromisoformat(ok(control.get("/clock"))["now"])


# --- happy paths -------------------------------------------------------------------------


def test_index_lists_the_endpoints(control):
    endpoints = ok(control.get("/"))["endpoints"]
    for expected in ("GET /__sandbox__/state", "GET /__sandbox__/clock", "POST /__sandbox__/reset",
                     "POST /__sandbox__/session", "POST /__sandbox__/session/expire",
                     "GET /__sandbox__/files/{sha256}"):
        assert expected in endpoints


def test_state_holds_the_whole_world(control):
    state = ok(control.get("/state"))
    assert set(state) == {"clock", "account", "orders", "disputes", "actions", "faults"}
    assert state["clock"] == {"now": START.isoformat(), "epoch_ms": int(START.timestamp() * 1000), "rate": 0.0}
    assert state["account"]["login"] == LOGIN
    assert len(state["orders"]) == 26
    assert {o["currency"] for o in state["orders"]} >= {"USD", "EUR", "BRL"}
    assert {d["status"] for d in state["disputes"]} >= {"WAIT_BUYER_RESPONSE", "WAIT_SELLER_RESPONSE",
                                                         "WAIT_BUYER_INFO", "FINISHED"}
    assert state["faults"] == []


def test_clock_reads_and_advances_by_iso_duration_or_object(control):
    assert now_of(control) == START
    moved = ok(control.post("/clock", json={"advance": "P1DT2H"}))
    assert datetime.fromisoformat(moved["now"]) == START + timedelta(days=1, hours=2)
    moved = ok(control.post("/clock", json={"advance": {"hours": 3, "minutes": 30}}))
    assert datetime.fromisoformat(moved["now"]) == START + timedelta(days=1, hours=5, minutes=30)
    assert moved["epoch_ms"] == int(datetime.fromisoformat(moved["now"]).timestamp() * 1000)
    # the 0.00 offer was due 2026-11-21 09:00: left unanswered, it closed the case with nothing
    trap = dispute_of(control, TRAP_ORDER)
    assert (trap["status"], trap["result"], trap["refund"]) == ("FINISHED", "LOST", "0.00")
    actions = ok(control.get("/state"))["actions"]
    assert any(a["action"] == "closed_with_last_proposal" and a["order"] == TRAP_ORDER for a in actions)


def test_clock_set_and_rate(control):
    target = "2026-12-01T00:00:00Z"
    assert ok(control.post("/clock", json={"set": target}))["now"] == "2026-12-01T00:00:00+00:00"
    flowing = ok(control.post("/clock", json={"rate": 3600}))
    assert flowing["rate"] == 3600
    assert now_of(control) >= datetime.fromisoformat("2026-12-01T00:00:00+00:00")
    assert ok(control.post("/clock", json={"rate": 0}))["rate"] == 0


def test_scenario_loads_from_a_toml_body(control):
    loaded = ok(control.post("/scenario", content=TINY.encode(), headers={"content-type": "application/toml"}))
    assert loaded["loaded"] == "tiny" and loaded["orders"] == 1
    assert loaded["clock"]["now"] == "2026-03-01T09:00:00+00:00"
    state = ok(control.get("/state"))
    assert [o["id"] for o in state["orders"]] == ["8300000000000001"]
    assert state["orders"][0]["placed"] == "2026-01-10T00:00:00+00:00"  # a date is midnight UTC
    assert state["account"]["login"] == "me@example.com"


def test_scenario_loads_from_a_path_a_builtin_name_or_json(control, server, tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY, encoding="utf-8")
    assert ok(control.post("/scenario", json={"path": str(path)}))["loaded"] == "tiny"
    assert ok(control.post("/scenario", json={"builtin": "demo"}))["orders"] == 26
    from sandbox.scenario import load_scenario

    as_json = load_scenario(path).model_dump(mode="json")
    assert ok(control.post("/scenario", json=as_json))["loaded"] == "tiny"


def test_reset_goes_back_to_the_scenario_the_server_started_with(control):
    ok(control.post("/scenario", content=TINY.encode()))
    reset = ok(control.post("/reset"))
    assert reset["loaded"] == "demo"
    assert reset["clock"]["now"] == START.isoformat()
    assert len(ok(control.get("/state"))["orders"]) == 26


def test_seller_step_now(control):
    dispute = dispute_of(control, SILENT_ORDER)
    assert dispute["status"] == "WAIT_SELLER_RESPONSE"
    answer = ok(control.post(f"/disputes/{dispute['reverse_line_id']}/seller",
                             json={"action": "offer", "amount": "10.00", "respond_days": 1, "message": "Half?"}))
    assert answer["status"] == "WAIT_BUYER_RESPONSE"
    offer = answer["proposals"][-1]
    assert (offer["proposer"], offer["amount"], offer["status"]) == ("SELLER", "10.00", "PENDING")
    assert datetime.fromisoformat(offer["deadline"]) == START + timedelta(days=1)
    percent = ok(control.post(f"/disputes/{dispute['reverse_line_id']}/seller",
                              json={"action": "offer", "percent": 40}))
    assert percent["proposals"][-1]["amount"] == "18.92"  # 40 % of 47.30
    assert percent["proposals"][-2]["status"] == "WITHDRAWN"
    last = ok(control.get("/state"))["actions"][-1]
    assert (last["actor"], last["action"], last["dispute"]) == ("seller", "offer", dispute["reverse_line_id"])


def test_the_seller_moves_an_orders_protection_and_the_order_shows_it(control):
    def order(order_id: str) -> dict:
        return next(o for o in ok(control.get("/state"))["orders"] if o["id"] == order_id)

    before = datetime.fromisoformat(order("8215000000000005")["protection_ends_at"])
    answer = ok(control.post("/orders/8215000000000005/protection", json={"days": 7}))
    assert datetime.fromisoformat(answer["protection_ends_at"]) == before + timedelta(days=7)
    after = order("8215000000000005")
    assert after["protection_ends_at"] == after["timer_ends_at"] == answer["protection_ends_at"]
    ok(control.post("/orders/8215000000000005/protection", json={"days": -2.5}))
    assert datetime.fromisoformat(order("8215000000000005")["protection_ends_at"]) == before + timedelta(days=4.5)
    last = ok(control.get("/state"))["actions"][-1]
    assert (last["actor"], last["action"], last["order"]) == ("seller", "shorten_protection", "8215000000000005")
    refused(control.post("/orders/8215000000000010/protection", json={"days": 7}), 400, "not awaiting delivery")
    refused(control.post("/orders/8215000000000001/protection", json={"days": -2}), 400, "before now")
    refused(control.post("/orders/8215000000000005/protection", json={"days": "7"}), 400, "days")
    refused(control.post("/orders/8215000000000005/protection", json={"days": 0}), 400, "days")
    refused(control.post("/orders/99/protection", json={"days": 7}), 404, "unknown order")


def test_mediator_step_now(control):
    dispute = dispute_of(control, SILENT_ORDER)
    url = f"/disputes/{dispute['reverse_line_id']}/mediator"
    asked = ok(control.post(url, json={"action": "request_info", "respond_days": 2, "message": "Photos please"}))
    assert asked["status"] == "WAIT_BUYER_INFO"
    assert asked["escalated_at"] == START.isoformat()
    assert asked["mediator_request"] == {"text": "Photos please",
                                         "deadline": (START + timedelta(days=2)).isoformat()}
    decided = ok(control.post(url, json={"action": "decide", "result": "lost"}))
    assert (decided["status"], decided["result"], decided["refund"]) == ("FINISHED", "LOST", "0.00")


def test_session_expire_logs_the_buyer_out(control, buyer):
    assert ret(mtop(buyer, ORDER_LIST, {"pageIndex": 1})).startswith("SUCCESS::")
    assert ok(control.post("/session/expire")) == {"expired": 1}
    assert ret(mtop(buyer, ORDER_LIST, {"pageIndex": 1})).startswith("FAIL_SYS_SESSION_EXPIRED::")
    page = buyer.get("/p/order/index.html")
    assert page.status_code == 302
    assert page.headers["location"] == "/login?return_url=%2Fp%2Forder%2Findex.html"


def test_a_session_handed_over_logs_the_client_in_without_a_sign_in(control, site):
    state = ok(control.post("/session"))
    assert {c["name"] for c in state["cookies"]} == {"xman_t", "_m_h5_tk"} and state["origins"] == []
    session = next(c for c in state["cookies"] if c["name"] == "xman_t")
    assert session["httpOnly"] and session["expires"] > 0
    assert ret(mtop(site, ORDER_LIST, {"pageIndex": 1})).startswith("FAIL_SYS_SESSION_EXPIRED::")
    site.cookies.set("xman_t", session["value"])
    assert ret(mtop(site, ORDER_LIST, {"pageIndex": 1})).startswith("SUCCESS::")
    assert ok(control.get("/state"))["account"]["logins"] == 0  # handed over, not signed in
    assert ok(control.post("/session/expire")) == {"expired": 1}


def sign_in(site) -> dict:
    return site.post("/newlogin/login.do", data={"loginId": LOGIN, "password": PASSWORD}).json()


def test_captcha_switch(control, site):
    assert ok(control.post("/captcha", json={"on": True})) == {"captcha": True, "kind": "dialog"}
    account = ok(control.get("/state"))["account"]
    assert (account["captcha"], account["captcha_kind"]) == (True, "dialog")
    stopped = sign_in(site)
    assert stopped["ok"] is False and "x5secdata=" in stopped["captcha"]
    assert "nc_1_n1z" in site.get(stopped["captcha"]).text
    assert "xman_t" not in site.cookies
    assert ok(control.post("/captcha", json={"on": False})) == {"captcha": False, "kind": "dialog"}
    passed = sign_in(site)
    assert passed["ok"] is True
    assert site.get(passed["url"]).headers["location"] == "/p/order/index.html"
    assert "xman_t" in site.cookies


def test_captcha_switch_punish_kind_stops_pages_not_the_login(control, site):
    assert ok(control.post("/captcha", json={"on": True, "kind": "punish"})) == {"captcha": True, "kind": "punish"}
    assert ok(control.get("/state"))["account"]["captcha_kind"] == "punish"
    assert "/_____tmd_____/punish?x5secdata=" in site.get("/p/order/index.html").headers["location"]
    assert sign_in(site)["ok"] is True
    assert ok(control.post("/captcha", json={"on": False})) == {"captcha": False, "kind": "punish"}
    assert site.get("/p/order/index.html").headers["location"].startswith("/login?return_url=")


def test_faults_are_added_listed_used_up_and_cleared(control, site):
    listed = ok(control.post("/faults", json={"kind": "http500", "path": "/p/order/index.html", "remaining": 1}))
    assert listed["faults"] == [{"kind": "http500", "path": "/p/order/index.html", "remaining": 1, "delay_ms": 0}]
    assert ok(control.get("/faults")) == listed
    assert site.get("/p/order/index.html").status_code == 500
    assert site.get("/p/order/index.html").status_code == 302  # used up: back to the login redirect
    assert ok(control.get("/faults"))["faults"] == []
    ok(control.post("/faults", json={"kind": "slow", "path": "/H5/MTOP.ALIEXPRESS.TRADE.BUYER.ORDER.COUNT",
                                     "delay_ms": 5}))
    ok(control.post("/faults", json={"kind": "dom_layout"}))
    faults = ok(control.get("/faults"))["faults"]
    assert faults[0]["path"] == "/h5/mtop.aliexpress.trade.buyer.order.count"  # API paths are lower-cased
    assert faults[1] == {"kind": "dom_layout", "path": "/", "remaining": None, "delay_ms": 0}
    assert ok(control.delete("/faults")) == {"cleared": 2, "faults": []}


def test_files_return_the_uploaded_bytes(control, buyer):
    data = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 3
    digest = hashlib.sha256(data).hexdigest()
    body = mtop(buyer, APPLY, fields={
        "tradeOrderLineId": FREE_LINE, "received": "no", "reason": "not_arrived", "solution": "refund_only",
        "refundType": "full", "description": "The package never arrived."},
        files=[("files[]", ("label photo.png", data, "image/png"))])
    assert ret(body).startswith("SUCCESS::"), body
    filed = next(d for d in ok(control.get("/state"))["disputes"] if d["line_id"] == FREE_LINE)
    assert [(a["name"], a["size"], a["sha256"], a["kind"]) for a in filed["attachments"]] == [
        ("label photo.png", len(data), digest, "image")]
    answer = control.get(f"/files/{digest}")
    assert answer.status_code == 200
    assert answer.content == data
    assert answer.headers["content-type"] == "image/png"
    assert control.get(f"/files/{digest.upper()}").content == data


# --- bad input: 400/404 with a JSON error naming the problem -------------------------------


@pytest.mark.parametrize("actor", ["seller", "mediator"])
def test_unknown_dispute_id_is_404(control, actor):
    refused(control.post(f"/disputes/6499999999999999/{actor}", json={"action": "offer"}), 404,
            "unknown dispute id", "6499999999999999")


@pytest.mark.parametrize("step, key", [
    ({"action": "bribe"}, "action"),
    ({}, "action"),
    ({"action": "offer", "amount": "lots"}, "amount"),
    ({"action": "offer", "percent": 140}, "percent"),
    ({"action": "offer", "colour": "red"}, "colour"),
])
def test_bad_seller_step_is_400_naming_the_key(control, step, key):
    dispute = dispute_of(control, SILENT_ORDER)
    refused(control.post(f"/disputes/{dispute['reverse_line_id']}/seller", json=step), 400, "seller step", key)
    assert dispute_of(control, SILENT_ORDER)["proposals"] == dispute["proposals"]


@pytest.mark.parametrize("fault, words", [
    ({"kind": "meltdown"}, ["kind", "meltdown", "http500", "dom_layout"]),
    ({"path": "/"}, ["kind"]),
    ({"kind": "slow"}, ["delay_ms"]),
    ({"kind": "http500", "path": "p/order"}, ["path"]),
    ({"kind": "http500", "remaining": 0}, ["remaining"]),
    ({"kind": "http500", "times": 2}, ["times"]),
])
def test_bad_fault_is_400_naming_the_key(control, fault, words):
    refused(control.post("/faults", json=fault), 400, *words)
    assert ok(control.get("/faults"))["faults"] == []


@pytest.mark.parametrize("body", [
    {"set": "2026-11-19T09:00:00Z"},
    {"advance": {"days": -1}},
    {"advance": "-P1D"},
])
def test_clock_never_moves_backwards(control, body):
    refused(control.post("/clock", json=body), 400)
    assert now_of(control) == START


def test_clock_backwards_error_says_so(control):
    refused(control.post("/clock", json={"set": "2026-11-19T09:00:00Z"}), 400, "backwards", START.isoformat())


@pytest.mark.parametrize("duration", [
    "2 days", "P", "PT", "P1Y", "P1M", "P2DT", "", 12, None, [1, "D"],
    {"fortnights": 1}, {"days": "two"}, {"days": True}, {},
    "P99999999999D", {"days": 1e12},
])
def test_malformed_duration_is_400(control, duration):
    refused(control.post("/clock", json={"advance": duration}), 400, "advance")
    assert now_of(control) == START


def test_a_duration_past_the_last_date_is_refused_and_the_clock_keeps_working(control):
    ok(control.post("/clock", json={"set": "9999-12-31T00:00:00Z"}))
    refused(control.post("/clock", json={"advance": "P2D"}), 400, "advance")
    assert now_of(control) == datetime.fromisoformat("9999-12-31T00:00:00+00:00")


@pytest.mark.parametrize("raw", [
    b'{"rate": -1}', b'{"rate": "fast"}', b'{"rate": true}', b'{"rate": Infinity}', b'{"rate": NaN}',
    b'{"rate": 1e300}',
])
def test_bad_rate_is_400_and_the_clock_keeps_working(control, raw):
    refused(control.post("/clock", content=raw, headers={"content-type": "application/json"}), 400, "rate")
    clock = ok(control.get("/clock"))
    assert clock["rate"] == 0.0 and clock["now"] == START.isoformat()


@pytest.mark.parametrize("body, words", [
    ({}, ["advance", "set", "rate"]),
    ({"advance": "P1D", "set": "2026-12-01T00:00:00Z"}, ["either"]),
    ({"speed": 2}, ["speed"]),
    ({"set": "tomorrow"}, ["set", "tomorrow"]),
    ({"set": "2026-12-01T00:00:00"}, ["set", "time zone"]),
    ({"set": 1795165200000}, ["set"]),
])
def test_bad_clock_request_is_400(control, body, words):
    refused(control.post("/clock", json=body), 400, *words)


def test_broken_toml_is_400_with_the_line(control):
    refused(control.post("/scenario", content=b'name = "x"\n[clock\nstart = 2026-01-01\n'), 400,
            "not valid TOML", "line 2")
    assert len(ok(control.get("/state"))["orders"]) == 26  # the world is unchanged


@pytest.mark.parametrize("change, key", [
    (("name = \"tiny\"", "name = \"tiny\"\ncolour = \"red\""), "colour"),
    (("password = \"secret\"\n", ""), "account.password"),
    (("password = \"secret\"\n", "password = \"secret\"\nlanguage = \"fr_FR\"\n"), "account.language"),
    (("currency = \"USD\"", "currency = \"XYZ\""), "orders.0.currency"),
    (("price = \"12.50\"", "price = \"-1\""), "orders.0.lines.0.price"),
    (("store = \"acme\"", "store = \"nobody\""), "unknown store"),
    (("shipped = 2026-01-12", "shipped = 2025-12-01"), "shipped"),
    (("id = \"8300000000000001\"", "id = \"ABC\""), "orders.0.id"),
    (("start = 2026-03-01T09:00:00Z", "start = \"next week\""), "clock.start"),
    (("[[stores]]\nid = \"acme\"\nname = \"Acme Store\"\n",
      "[[stores]]\nid = \"acme\"\nname = \"Acme Store\"\n[[stores.script.seller]]\nday = 1\naction = \"shout\"\n"),
     "stores.0.script.seller.0.action"),
])
def test_invalid_scenario_is_400_naming_the_bad_key(control, change, key):
    old, new = change
    assert old in TINY
    body = refused(control.post("/scenario", content=TINY.replace(old, new, 1).encode()), 400,
                   "scenario is invalid", key)
    assert body["problems"], body
    assert len(ok(control.get("/state"))["orders"]) == 26


def test_scenario_from_a_missing_path_or_unknown_builtin(control, tmp_path):
    refused(control.post("/scenario", json={"path": str(tmp_path / "nowhere.toml")}), 400,
            "nowhere.toml", "cannot read")
    refused(control.post("/scenario", json={"builtin": "paradise"}), 404, "paradise", "demo")
    refused(control.post("/scenario", json={"colour": "red"}), 400, "path", "builtin")


@pytest.mark.parametrize("path, body", [
    ("/captcha", b"on please"),
    ("/captcha", b"[true]"),
    ("/captcha", b""),
    ("/captcha", b'{"on": "yes"}'),
    ("/captcha", b'{"on": true, "kind": "popup"}'),
    ("/captcha", b'{"on": true, "colour": "red"}'),
    ("/faults", b"{broken"),
    ("/clock", b"[]"),
])
def test_bad_json_bodies_are_400(control, path, body):
    refused(control.post(path, content=body, headers={"content-type": "application/json"}), 400)


def test_unknown_endpoint_and_method_are_json(control):
    refused(control.get("/nothing-here"), 404, "/__sandbox__/nothing-here")
    refused(control.delete("/state"), 405, "DELETE", "/__sandbox__/state")


def test_files_bad_digest_is_400_and_unknown_is_404(control):
    refused(control.get("/files/not-a-digest"), 400, "SHA-256")
    refused(control.get("/files/" + "0" * 64), 404, "0" * 64)


# --- the shop's API: failure envelopes, never a traceback ---------------------------------


def test_unknown_order_id_is_a_not_found_envelope(buyer):
    detail = mtop(buyer, ORDER_DETAIL, {"tradeOrderId": "8215999999999999"})
    assert ret(detail) == "FAIL_BIZ_NOT_FOUND::unknown order id '8215999999999999'"
    assert detail["api"] == ORDER_DETAIL and detail["data"] == {}
    assert ret(mtop(buyer, TRACKING, {"tradeOrderId": "42"})) == "FAIL_BIZ_NOT_FOUND::unknown order id '42'"
    assert ret(mtop(buyer, DISPUTE_DETAIL, {"terminalType": "PC", "tradeOrderLineId": "64"})).startswith(
        "FAIL_BIZ_NOT_FOUND::unknown dispute")
    # the pages are shells: they load and their script shows the API's message
    assert buyer.get("/p/order/detail.html", params={"orderId": "8215999999999999"}).status_code == 200
    form = buyer.get("/p/reverse-pages/start.html", params={"tradeOrderLineId": "8215999999999999"})
    assert form.status_code == 200 and "Traceback" not in form.text
    assert ret(mtop(buyer, DISPUTE_FORM, {"tradeOrderLineId": "8215999999999999"})) == (
        "FAIL_BIZ_NOT_FOUND::unknown order line id '8215999999999999'")


def test_malformed_api_calls_are_param_errors(buyer):
    answer = buyer.get(f"/h5/{ORDER_DETAIL}/1.0/", params={"data": "{not json"})
    assert ret(ok(answer)).startswith("FAIL_SYS_PARAM_FORMAT_ERROR::data is not valid JSON")
    assert ret(mtop(buyer, ORDER_LIST, {"pageIndex": "two"})).startswith(
        "FAIL_SYS_PARAM_FORMAT_ERROR::pageIndex must be a number")
    assert ret(mtop(buyer, "mtop.aliexpress.nothing", {})).startswith("FAIL_SYS_API_NOT_FOUNDED::")
    refused_apply = mtop(buyer, APPLY, fields={"tradeOrderLineId": "1", "received": "no"})
    assert ret(refused_apply).startswith("FAIL_BIZ_PARAM::")
    assert refused_apply["data"]["field"] == "line"


def test_order_detail_with_order_id_answers_an_empty_skeleton(buyer):
    body = mtop(buyer, ORDER_DETAIL, {"orderId": "8215000000000001"})
    assert ret(body).startswith("SUCCESS::")
    assert body["data"]["data"] == {}
    assert body["data"]["hierarchy"]["structure"] == {}
    assert body["data"]["global"]["curTime"] == int(START.timestamp() * 1000)
    full = mtop(buyer, ORDER_DETAIL, {"tradeOrderId": "8215000000000001"})
    assert {c["tag"] for c in full["data"]["data"].values()} >= {"detail_order_status_block", "detail_product_block"}


def test_order_count_answers_success_even_logged_out(site):
    count = mtop(site, ORDER_COUNT)
    assert ret(count).startswith("SUCCESS::")
    assert count["data"]["module"]["shipped"] == "16"
    assert ret(mtop(site, ORDER_LIST, {"pageIndex": 1})).startswith("FAIL_SYS_SESSION_EXPIRED::")


# --- python -m sandbox ---------------------------------------------------------------------


def run_sandbox(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sandbox", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def test_python_m_sandbox_help():
    done = run_sandbox("--help")
    assert done.returncode == 0, done.stderr
    for option in ("--host", "--port", "--scenario", "--rate"):
        assert option in done.stdout


def test_python_m_sandbox_refuses_a_broken_scenario_with_exit_2(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text(TINY.replace('currency = "USD"', 'currency = "XYZ"\ncolour = "red"'), encoding="utf-8")
    done = run_sandbox("--scenario", str(broken), "--port", "0")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert str(broken) in done.stderr
    assert "orders.0.currency" in done.stderr and "orders.0.colour" in done.stderr
    assert done.stdout == ""


def test_python_m_sandbox_refuses_invalid_toml_and_a_missing_file(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("[clock\n", encoding="utf-8")
    done = run_sandbox("--scenario", str(broken), "--port", "0")
    assert done.returncode == 2 and "not valid TOML" in done.stderr and "Traceback" not in done.stderr
    done = run_sandbox("--scenario", str(tmp_path / "missing.toml"), "--port", "0")
    assert done.returncode == 2 and "cannot read" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("rate", ["-1", "inf", "nan"])
def test_python_m_sandbox_refuses_a_bad_rate(rate):
    done = run_sandbox("--rate", rate, "--port", "0", timeout=20)
    assert done.returncode == 2, done.stdout
    assert "--rate" in done.stderr and "Traceback" not in done.stderr


def test_the_request_log_counts_the_sites_requests_by_kind_and_not_the_control_api(server, control, site):
    from sandbox.request_log import kind_of

    ok(control.delete("/requests"))
    site.get("/p/order/detail.html", params={"orderId": "1"})
    site.get("/p/order/detail.html", params={"orderId": "2"})
    site.get("/h5/mtop.aliexpress.trade.buyer.order.detail/1.0/", params={"data": "{}"})
    site.get("/static/site.css")
    control.get("/state")
    assert ok(control.get("/requests")) == {"api mtop.aliexpress.trade.buyer.order.detail": 1,
                                            "page /p/order/detail.html": 2, "static": 1}
    ok(control.post("/reset"))  # the log is the server's: a new world keeps it
    assert ok(control.get("/requests"))["page /p/order/detail.html"] == 2
    ok(control.delete("/requests"))
    assert ok(control.get("/requests")) == {}
    assert kind_of("/newlogin/login.do", "login") == "login"
