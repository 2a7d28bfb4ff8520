"""The sandbox's web layer in-process (``create_app`` behind Starlette's TestClient).

What the control-API and browser suites do not pin down: the cookies a login sets and
their attributes, the return_url that cannot leave the site, login steps that cannot be
skipped by URL, the write calls' refusals (``FAIL_BIZ_PARAM`` naming the field, and
nothing changed), the faults' exact reach (api_shape is reversible, dom_layout renames
consistently, control and static paths stay untouched, slow does not block the loop),
and the server's clean stop (``SandboxServer.stop``, Ctrl-C on ``python -m sandbox``).
"""

from __future__ import annotations

import hashlib
import json
import re
import signal
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import httpx
import pytest

from sandbox.scenario import ScenarioError, parse_scenario
from sandbox.server import SandboxServer
from sandbox.web import create_app
from sandbox.web_layout import RENAMES, rename, rename_css, rename_html
from sandbox.world import World

ROOT = Path(__file__).resolve().parents[2]
LOGIN, PASSWORD = "me@example.com", "secret-pass"
ORDER, LINE, PAID = "8300000000000001", "8300000000000101", "12.50"
ORDERS_PAGE = "/p/order/index.html"
ORDER_LIST = "mtop.aliexpress.trade.buyer.order.list"
APPLY = "mtop.aliexpress.reverse.buyer.apply"
UPLOAD = "mtop.aliexpress.reverse.buyer.upload"
FORM = "mtop.aliexpress.reverse.buyer.render"
ACTION = "mtop.aliexpress.reverse.buyer.action"
DISPUTE_DETAIL = "mtop.aliexpress.buyer.reverse.reverseOrderLineRenderForBuyer"
REFUND_LIST = "mtop.aliexpress.buyer.reverse.queryreverseorderpagelistforbuyer"


def scenario(**account):
    """One EUR order shipped 19 days ago (disputable), plus a dispute already waiting."""
    return parse_scenario({
        "name": "web",
        "clock": {"start": "2026-11-20T09:00:00Z"},
        "account": {"login": LOGIN, "password": PASSWORD, **account},
        "rules": {"upload_thumbnail_ms": 0},
        "stores": [{"id": "s1", "name": "Vega Store"}],
        "orders": [
            {"id": ORDER, "store": "s1", "currency": "EUR", "placed": "2026-10-30",
             "paid": "2026-10-30T10:00:00Z", "shipped": "2026-11-01T08:00:00Z",
             "lines": [{"id": LINE, "title": "USB cable", "price": PAID}]},
            {"id": "8300000000000002", "store": "s1", "currency": "EUR", "placed": "2026-10-29",
             "paid": "2026-10-29T10:00:00Z", "shipped": "2026-10-31T08:00:00Z",
             "lines": [{"id": "8300000000000201", "title": "Lamp", "price": "20.00"}],
             "disputes": [{"line": "8300000000000201", "opened": "2026-11-18T09:00:00Z"}]},
        ],
    })


def client_for(world: World):
    with warnings.catch_warnings():  # starlette's notice about its httpx backend is not ours
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient
    return TestClient(create_app(world), follow_redirects=False)


@pytest.fixture
def world():
    return World(scenario())


@pytest.fixture
def site(world):
    with client_for(world) as client:
        yield client


def log_in(client, return_url: str = ORDERS_PAGE) -> httpx.Response:
    """The older one-page form posted without its script, then the cookie-sync hop's answer."""
    answer = client.post("/login", data={"fm-login-id": LOGIN, "fm-login-password": PASSWORD,
                                         "return_url": return_url})
    assert answer.status_code == 302, answer.text
    assert answer.headers["location"].startswith("/sync_cookie_write.htm?xman_goto=")
    assert "xman_t" not in set_cookie_headers(answer)  # the hop sets the session, not the form
    return client.get(answer.headers["location"])


def sign_in(client, password: str = PASSWORD, return_url: str = ORDERS_PAGE) -> dict:
    """"Sign in" as the page's script sends it."""
    answer = client.post("/newlogin/login.do", data={"loginId": LOGIN, "password": password,
                                                     "returnUrl": return_url})
    assert answer.status_code == 200 and "Traceback" not in answer.text
    return answer.json()


@pytest.fixture
def buyer(site):
    assert log_in(site).status_code == 302
    return site


def call(client, name: str, data: dict | None = None, **fields) -> dict:
    path = f"/h5/{name.lower()}/1.0/"
    if fields:
        files = fields.pop("files", None)
        answer = client.post(path, params={"api": name}, data=fields, files=files)
    else:
        answer = client.get(path, params={"api": name, "data": json.dumps(data or {})})
    assert answer.status_code == 200, answer.text
    assert "Traceback" not in answer.text
    return answer.json()


def set_cookie_headers(response: httpx.Response) -> dict[str, str]:
    return {h.split("=", 1)[0]: h for h in response.headers.get_list("set-cookie")}


# --- login ---------------------------------------------------------------------------------


def test_login_sets_an_httponly_session_and_a_readable_signing_token(site, world):
    answer = log_in(site, "/p/order/detail.html?orderId=" + ORDER)
    assert answer.status_code == 302
    assert answer.headers["location"] == "/p/order/detail.html?orderId=" + ORDER
    cookies = set_cookie_headers(answer)
    session = cookies["xman_t"].lower()
    assert "httponly" in session and "samesite=lax" in session and "path=/" in session
    token = cookies["_m_h5_tk"]
    assert "httponly" not in token.lower()
    assert re.match(r"_m_h5_tk=[0-9a-f]{32}_\d{13};", token)
    assert world.session_valid(site.cookies["xman_t"])


@pytest.mark.parametrize("target", [
    "//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)",
    "/login?return_url=/p/order/index.html", "", "/sync_cookie_write.htm?xman_goto=https://evil.example/",
    "/p/order/index.html/_____tmd_____/punish?x5secdata=x", "/newlogin/login.do",
])
def test_return_url_never_leaves_the_site(site, target):
    answer = log_in(site, target)
    assert answer.headers["location"] == ORDERS_PAGE


def test_the_sync_hop_passes_a_buyer_through_and_sends_anyone_else_to_the_sign_in(site):
    target = "/sync_cookie_write.htm?xman_goto=%2Fp%2Forder%2Fdetail.html%3ForderId%3D1"
    assert site.get(target).headers["location"] == "/login?return_url=%2Fp%2Forder%2Fdetail.html%3ForderId%3D1"
    log_in(site)
    assert site.get(target).headers["location"] == "/p/order/detail.html?orderId=1"
    evil = site.get("/sync_cookie_write.htm?xman_goto=https://evil.example/")
    assert evil.headers["location"] == ORDERS_PAGE


def test_wrong_password_answers_the_form_again_with_the_error_and_no_cookie(site):
    answer = site.post("/login", data={"fm-login-id": LOGIN, "fm-login-password": "nope"})
    assert answer.status_code == 200
    assert "Your account name or password is incorrect." in answer.text
    assert 'label="Email or phone number"' in answer.text
    assert not set_cookie_headers(answer)
    assert sign_in(site, "nope") == {"ok": False, "message": "Your account name or password is incorrect."}
    assert "xman_t" not in site.cookies and "havana_lgc2_77" not in site.cookies


def test_step_one_knows_the_account_and_step_two_leaves_through_the_hop(site, world):
    known = site.post("/newlogin/account/check.do", data={"loginId": LOGIN.upper()}).json()
    unknown = site.post("/newlogin/account/check.do", data={"loginId": "who@example.com"}).json()
    assert known == {"ok": True}
    assert unknown["ok"] is False and "couldn't find an account" in unknown["message"]
    answer = sign_in(site, return_url="/p/refund-dispute/list.html")
    assert answer == {"ok": True, "next": "done",
                      "url": "/sync_cookie_write.htm?xman_goto=%2Fp%2Frefund-dispute%2Flist.html"}
    assert world.sessions == {}
    done = site.get(answer["url"])
    assert done.headers["location"] == "/p/refund-dispute/list.html"
    assert world.session_valid(site.cookies["xman_t"]) and world.pending_logins == {}


@pytest.mark.parametrize("form, marker", [
    ("two_step", 'label="Email or phone number"'), ("two_step_email", 'label="Email"'),
    ("one_page", 'id="fm-login-id"'),
])
def test_the_sign_in_page_comes_in_each_layout(form, marker):
    with client_for(World(scenario(login_form=form))) as site:
        page = site.get("/login?return_url=/p/order/index.html").text
    assert marker in page and 'id="fm-login-password"' in page
    assert ('aria-label="Continue"' in page) is (form != "one_page")
    assert ('type="submit"' in page) is (form == "one_page")


def test_the_scenario_names_the_captcha_kind_and_checks_the_code():
    assert (World(scenario(captcha=True)).captcha_kind, World(scenario(captcha="punish")).captcha_kind) == (
        "dialog", "punish")
    assert World(scenario()).captcha is False
    for bad in ({"captcha": "sometimes"}, {"email_code": "12ab"}, {"login_form": "three_step"}):
        with pytest.raises(ScenarioError) as error:
            scenario(**bad)
        assert f"account.{next(iter(bad))}" in " ".join(error.value.problems)


def test_the_chooser_offers_the_remembered_account():
    with client_for(World(scenario(remembered="someone@example.com"))) as site:
        page = site.get("/login").text
    assert 'data-view="chooser"' in page
    assert '<span class="nfm-multiple-email-prefix">someone@example.com</span>' in page
    assert "Switch account" in page


def test_captcha_and_code_cannot_be_skipped_and_the_slide_must_be_full():
    world = World(scenario(captcha=True, email_code="424242"))
    with client_for(world) as site:
        first = sign_in(site, return_url="/p/refund-dispute/list.html")
        assert first["ok"] is False and first["captcha"].startswith("/_____tmd_____/punish?x5secdata=")
        assert "pureCaptcha=true" in first["captcha"]
        page = site.get(first["captcha"])
        assert 'id="nc_1_wrapper"' in page.text and 'id="nc_1_n1z"' in page.text
        assert "Please slide to verify" in page.text
        blob = re.search(r'data-x5secdata="([^"]+)"', page.text).group(1)
        assert sign_in(site)["captcha"]  # still stopped: nothing was solved
        short = site.post("/_____tmd_____/slide", json={"x5secdata": blob, "slide": "0.5"}).json()
        assert short["success"] is False and "Verification failed" in short["message"]
        solved = site.post("/_____tmd_____/slide", json={"x5secdata": blob, "slide": "0.97"})
        assert solved.json()["success"] is True
        assert "httponly" in set_cookie_headers(solved)["x5sec"].lower()
        # past the captcha, the code: no session yet, the hop opens none, pages still ask
        code_step = sign_in(site, return_url="/p/refund-dispute/list.html")
        assert code_step == {"ok": True, "next": "email_code", "masked": "m***@example.com"}
        assert [entry["stage"] for entry in world.pending_logins.values()] == ["email_code"]
        assert site.get("/sync_cookie_write.htm?xman_goto=/p/order/index.html").headers["location"].startswith(
            "/login?return_url=")
        assert site.get(ORDERS_PAGE).headers["location"].startswith("/login?return_url=")
        page = site.get("/login").text
        assert 'data-view="email_code"' in page and "m***@example.com" in page and 'data-id="5"' in page
        wrong = site.post("/newlogin/code/verify.do", data={"code": "000000"}).json()
        assert wrong["ok"] is False and "incorrect" in wrong["message"]
        done = site.post("/newlogin/code/verify.do", data={"code": "424242"}).json()
        assert done == {"ok": True, "url": "/sync_cookie_write.htm?xman_goto=%2Fp%2Frefund-dispute%2Flist.html"}
        assert site.get(done["url"]).headers["location"] == "/p/refund-dispute/list.html"
        assert world.session_valid(site.cookies["xman_t"])
        assert world.pending_logins == {}


def test_the_punish_captcha_stands_in_front_of_every_page_until_solved(site, world):
    log_in(site)
    world.captcha, world.captcha_kind = True, "punish"
    stopped = site.get("/p/order/detail.html?orderId=" + ORDER)
    assert stopped.status_code == 302
    location = stopped.headers["location"]
    assert re.fullmatch(r"/p/order/detail\.html/_____tmd_____/punish\?x5secdata=[\w-]+&x5step=1", location)
    assert site.get(f"/h5/{ORDER_LIST.lower()}/1.0/").status_code == 200  # pages only
    page = site.get(location)
    assert page.status_code == 200 and 'id="nc_1_n1z"' in page.text
    blob = re.search(r'data-x5secdata="([^"]+)"', page.text).group(1)
    solved = site.post("/_____tmd_____/slide", json={"x5secdata": blob, "slide": 1}).json()
    assert solved == {"success": True, "url": "/p/order/detail.html?orderId=" + ORDER}
    assert site.get(solved["url"]).status_code == 200


def test_logout_ends_the_session_on_the_server_too(buyer, world):
    token = buyer.cookies["xman_t"]
    assert buyer.get("/logout").headers["location"] == "/login"
    assert not world.session_valid(token)
    buyer.cookies.set("xman_t", token)
    assert call(buyer, ORDER_LIST, {"pageIndex": 1})["ret"][0].startswith("FAIL_SYS_SESSION_EXPIRED")


# --- the language of the pages ---------------------------------------------------------------


def list_texts(client) -> tuple[str, str]:
    """The order page's <html lang> and the first order's status text."""
    page = client.get(ORDERS_PAGE).text
    lang = re.search(r'<html lang="([^"]+)">', page)[1]
    order = next(c for c in call(client, ORDER_LIST, {"pageIndex": 1})["data"]["data"].values()
                 if c["tag"] == "pc_om_list_order")
    return lang, order["fields"]["statusText"]


def test_the_cookie_decides_the_language_of_pages_and_answers(buyer):
    assert list_texts(buyer) == ("en-US", "Awaiting delivery")
    buyer.cookies.set("aep_usuc_f", "region=BR&site=bra&b_locale=pt_BR&c_tp=BRL")
    assert list_texts(buyer) == ("pt-BR", "Aguardando entrega ")
    page = buyer.get(ORDERS_PAGE).text
    assert "<title>Pedidos - AliExpress</title>" in page and "Ver todos" in page
    assert '"order_date": "Data do pedido: "' in page  # the page script's labels
    buyer.cookies.set("aep_usuc_f", "site%3Dglo%26b_locale%3Den_US%26c_tp%3DUSD")  # URL-encoded whole
    assert list_texts(buyer) == ("en-US", "Awaiting delivery")
    buyer.cookies.set("aep_usuc_f", "b_locale=fr_FR")  # not served here: the account's language
    assert list_texts(buyer) == ("en-US", "Awaiting delivery")


def test_the_account_language_without_a_cookie_and_when_the_site_ignores_the_cookie():
    with client_for(World(scenario(language="pt_BR"))) as client:
        assert log_in(client).status_code == 302
        assert list_texts(client) == ("pt-BR", "Aguardando entrega ")
        client.cookies.set("aep_usuc_f", "b_locale=en_US")
        assert list_texts(client) == ("en-US", "Awaiting delivery")
        switched = client.post("/__sandbox__/language", json={"ignore_cookie": True})
        assert switched.json() == {"account": "pt_BR", "ignore_cookie": True}
        assert list_texts(client) == ("pt-BR", "Aguardando entrega ")
        assert client.get("/__sandbox__/state").json()["account"]["ignore_locale_cookie"] is True
        client.post("/__sandbox__/language", json={"account": "en_US"})
        assert list_texts(client) == ("en-US", "Awaiting delivery")


@pytest.mark.parametrize("body, words", [
    ({}, "account"), ({"account": "xx_XX"}, "not a language"), ({"ignore_cookie": "yes"}, "true or false"),
    ({"colour": "red"}, "account"),
])
def test_the_language_switch_refuses_bad_input(site, body, words):
    answer = site.post("/__sandbox__/language", json=body)
    assert answer.status_code == 400 and words in answer.json()["error"]


def test_a_scenario_can_make_the_site_ignore_the_cookie():
    world = World(parse_scenario({**scenario(language="pt_BR").model_dump(mode="json"),
                                  "site": {"ignore_locale_cookie": True}}))
    with client_for(world) as client:
        assert log_in(client).status_code == 302
        client.cookies.set("aep_usuc_f", "b_locale=en_US")
        assert list_texts(client) == ("pt-BR", "Aguardando entrega ")


# --- write calls ---------------------------------------------------------------------------


GOOD_FORM = {"tradeOrderLineId": LINE, "received": "no", "reason": "not_arrived", "solution": "refund_only",
             "amount": PAID, "description": "The parcel has not moved for two weeks."}


def upload(client, name: str, data: bytes, mime: str = "image/png") -> dict:
    return call(client, UPLOAD, files=[("file", (name, data, mime))])


@pytest.mark.parametrize("change, field, words", [
    ({"received": ""}, "received", "received the package"),
    ({"amount": "abc"}, "amount", "valid refund amount"),
    ({"amount": "12.51"}, "amount", "more than you paid"),
    ({"amount": "0"}, "amount", "greater than 0"),
    ({"reason": "quality"}, "reason", "reason"),
    ({"solution": ""}, "solution", "choose a solution"),
    ({"solution": "return_and_refund"}, "solution", "only ask for a refund"),
    ({"description": "short"}, "description", "describe the problem"),
    ({"fileIds": "ae0000"}, "files", "no longer available"),
    ({"tradeOrderLineId": "999"}, "line", "not found"),
])
def test_apply_refusals_name_the_field_and_create_nothing(buyer, world, change, field, words):
    body = call(buyer, APPLY, **{**GOOD_FORM, **change})
    code, _, message = body["ret"][0].partition("::")
    assert code == "FAIL_BIZ_PARAM" and words in message
    assert body["data"]["field"] == field
    assert [d.line_id for d in world.disputes.values()] == ["8300000000000201"]


def test_form_data_says_what_the_form_offers_and_why_not(buyer, world):
    module = call(buyer, FORM, {"tradeOrderLineId": LINE, "received": "no"})["data"]["module"]
    assert (module["canApply"], module["notApplicableReason"], module["reverseOrder"]) == (True, None, None)
    assert module["paidAmount"]["amount"] == PAID and module["paidAmount"]["currency"] == "EUR"
    assert "Tracked as returned/canceled/lost" in [r["reasonName"] for r in module["reasons"]]
    assert [(s["solutionType"], s["enabled"]) for s in module["solutions"]] == [
        ("refund_only", True), ("return_and_refund", False)]
    assert module["refundAmountEditable"] is False
    received = call(buyer, FORM, {"tradeOrderLineId": LINE, "received": "yes"})["data"]["module"]
    assert len(received["reasons"]) == 9 and received["refundAmountEditable"] is True
    assert call(buyer, FORM, {"tradeOrderLineId": LINE})["data"]["module"]["reasons"] == []  # asks first
    taken = call(buyer, FORM, {"tradeOrderLineId": "8300000000000201", "received": "no"})["data"]["module"]
    case = next(iter(world.disputes.values()))
    assert taken["canApply"] is False and "already exists" in taken["notApplicableReason"]
    assert taken["reverseOrder"] == {"reverseOrderId": case.reverse_order_id,
                                     "reverseOrderLineId": case.reverse_line_id,
                                     "tradeOrderLineId": "8300000000000201"}
    assert call(buyer, FORM, {"tradeOrderLineId": "42"})["ret"][0] == (
        "FAIL_BIZ_NOT_FOUND::unknown order line id '42'")


def test_an_upload_is_checked_at_once_and_a_program_file_is_refused(buyer, world):
    body = upload(buyer, "setup.exe", b"MZ", "application/octet-stream")
    assert body["ret"][0].startswith("FAIL_BIZ_PARAM::setup.exe") and body["data"]["field"] == "files"
    assert upload(buyer, "empty.png", b"")["data"]["field"] == "files"
    assert len(world.uploads) == 0
    photo = b"\x89PNG fake but non-empty"
    module = upload(buyer, "label.png", photo)["data"]["module"]
    assert (module["fileName"], module["size"]) == ("label.png", len(photo))
    shown = buyer.get(module["url"])
    assert shown.status_code == 200 and shown.content == photo and shown.headers["content-type"] == "image/png"
    buyer.cookies.clear()
    assert buyer.get(module["url"]).status_code == 404  # only for the buyer who uploaded


def test_apply_files_the_uploaded_photos_and_answers_the_ids(buyer, world):
    photo = b"\x89PNG fake but non-empty"
    file_id = upload(buyer, "label.png", photo)["data"]["module"]["fileId"]
    body = call(buyer, APPLY, **{**GOOD_FORM, "received": "yes", "reason": "damaged", "amount": "7,50",
                                 "fileIds": file_id})
    assert body["ret"][0].startswith("SUCCESS")
    module = body["data"]["module"]
    dispute = world.dispute(module["reverseOrderLineId"])
    assert module == {"reverseOrderId": dispute.reverse_order_id, "reverseOrderLineId": dispute.reverse_line_id,
                      "tradeOrderId": ORDER, "tradeOrderLineId": LINE}
    assert str(dispute.amount) == "7.50"
    assert [(a.name, a.size, a.sha256) for a in dispute.attachments] == [
        ("label.png", len(photo), hashlib.sha256(photo).hexdigest())]
    assert len(world.uploads) == 0  # taken by the request


def test_a_refused_reject_leaves_the_proposal_and_the_messages_alone(buyer, world):
    case = next(iter(world.disputes))
    world.trigger(case, "seller", {"action": "offer", "amount": "0.00"})
    before = world.dispute(case).public(world.rules)
    body = call(buyer, ACTION, reverseOrderLineId=case, action="reject", amount="25.00",
                message="I want more than I paid")
    assert body["ret"][0].startswith("FAIL_BIZ_PARAM::") and body["data"]["field"] == "amount"
    assert world.dispute(case).public(world.rules) == before


def test_action_errors_are_envelopes(buyer, world):
    unknown = call(buyer, ACTION, reverseOrderLineId="6499999999999999", action="escalate")
    assert unknown["ret"][0] == "FAIL_BIZ_NOT_FOUND::unknown dispute id '6499999999999999'"
    case = next(iter(world.disputes))
    bogus = call(buyer, ACTION, reverseOrderLineId=case, action="dance")
    assert bogus["ret"][0] == "FAIL_BIZ_PARAM::Unknown action 'dance'." and bogus["data"]["field"] == "action"
    by_get = call(buyer, ACTION, {"reverseOrderLineId": case})
    assert by_get["ret"][0] == "FAIL_SYS_PARAM_FORMAT_ERROR::this API must be called with POST"
    missing = call(buyer, "mtop.aliexpress.nothing.here", {})
    assert missing["ret"][0].startswith("FAIL_SYS_API_NOT_FOUNDED::")


# --- faults --------------------------------------------------------------------------------


def unmangle(value):
    """What the page script does with an api_shape answer: strip one "V2" from each key."""
    if isinstance(value, dict):
        return {(k[:-2] if k.endswith("V2") else k): unmangle(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unmangle(v) for v in value]
    return value


def test_api_shape_changes_every_field_name_and_is_reversible(buyer, world):
    case = {"terminalType": "PC", "tradeOrderLineId": next(iter(world.disputes.values())).line_id}
    plain = call(buyer, DISPUTE_DETAIL, case)
    buyer.post("/__sandbox__/faults", json={"kind": "api_shape", "path": "/h5/", "remaining": 1})
    altered = call(buyer, DISPUTE_DETAIL, case)
    assert "traceIdV2" in altered and "module" not in altered["data"]
    plain.pop("traceId"), altered.pop("traceIdV2")
    assert unmangle(altered) == plain
    assert "traceId" in call(buyer, DISPUTE_DETAIL, case)  # used up


def test_dom_layout_renames_html_css_and_script_table_alike(buyer):
    buyer.post("/__sandbox__/faults", json={"kind": "dom_layout", "path": ORDERS_PAGE, "remaining": 1})
    altered = buyer.get(ORDERS_PAGE).text
    assert 'id="ord-list"' in altered and 'class="ord-wrap"' in altered
    assert not re.search(r'(class|id)="(?:[^"]*\s)?order-', altered)
    assert 'href="/static/site-v2.css"' in altered and "ord-card" in altered  # the table for the script
    assert 'id="order-list"' in buyer.get(ORDERS_PAGE).text  # remaining 1: used up
    css = buyer.get("/static/site-v2.css").text
    assert ".ord-card-header-status-text" in css and ".order-item" not in css
    assert "#e62e04" in css  # colours are not ids
    assert rename("order-item-btns") == "ord-card-btns" and rename("nc_1_n1z") == "nc_2_n1z"
    assert rename("site-header") == "site-header"
    assert rename_html('<a data-id="order-x" class="order-item x">') == '<a data-id="order-x" class="ord-card x">'
    assert rename_css(".reverse-x, #fm-login-id { margin: .5em }") == ".rfd-x, #fmx-login-id { margin: .5em }"
    assert all(old != new for old, new in RENAMES)


def test_http500_spares_the_control_api_and_static_files(buyer):
    buyer.post("/__sandbox__/faults", json={"kind": "http500", "path": "/"})
    assert buyer.get(ORDERS_PAGE).status_code == 500
    assert buyer.get(f"/h5/{ORDER_LIST}/1.0/").status_code == 500
    assert buyer.get("/static/sandbox.js").status_code == 200
    assert buyer.get("/__sandbox__/state").status_code == 200
    assert buyer.delete("/__sandbox__/faults").json()["cleared"] == 1
    assert buyer.get(ORDERS_PAGE).status_code == 200


# --- the server ----------------------------------------------------------------------------


def test_slow_fault_waits_without_blocking_other_requests():
    with SandboxServer(scenario()) as server:
        server.add_fault("slow", "/h5/", delay_ms=1500)
        slow_took: list[float] = []

        def slow_call():
            started = time.monotonic()
            httpx.get(f"{server.address_url}/h5/{ORDER_LIST.lower()}/1.0/", timeout=10)
            slow_took.append(time.monotonic() - started)

        thread = threading.Thread(target=slow_call)
        thread.start()
        time.sleep(0.2)
        started = time.monotonic()
        assert httpx.get(f"{server.address_url}/login", timeout=10).status_code == 200
        assert time.monotonic() - started < 0.5
        thread.join(10)
        assert slow_took and slow_took[0] >= 1.4


def test_server_binds_a_free_port_and_stops_fast_with_a_connection_open():
    server = SandboxServer(scenario()).start()
    assert server.port and server.address_url == f"http://127.0.0.1:{server.port}"
    assert server.url == f"http://www.aliexpress.localhost:{server.port}"
    assert server.mobile_url == f"http://m.aliexpress.localhost:{server.port}"
    assert server.login_port not in (None, server.port)
    assert server.login_url == f"http://login.aliexpress.localhost:{server.login_port}"
    with httpx.Client(base_url=server.address_url) as keep_alive:
        assert keep_alive.get("/login").status_code == 200
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 3
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.address_url}/login", timeout=2)


def _as_from_a_shell() -> None:
    """Ctrl-C reaches a program started from a shell: whatever signal state the test's own
    process was left in by the browsers and servers of earlier tests is not handed down."""
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_python_m_sandbox_stops_on_ctrl_c_with_exit_0(tmp_path):
    toml = tmp_path / "web.toml"
    toml.write_text(
        'name = "web"\n[clock]\nstart = 2026-11-20T09:00:00Z\n'
        f'[account]\nlogin = "{LOGIN}"\npassword = "{PASSWORD}"\n'
        '[[stores]]\nid = "s1"\nname = "Vega Store"\n', encoding="utf-8")
    process = subprocess.Popen([sys.executable, "-m", "sandbox", "--port", "0", "--login-port", "0",
                                "--scenario", str(toml)],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=_as_from_a_shell)
    try:
        first = process.stdout.readline()
        match = re.search(r"running at http://www\.aliexpress\.localhost:(\d+)/", first)
        assert match, first
        rest = "".join(process.stdout.readline() for _ in range(7))
        assert LOGIN in rest and PASSWORD in rest and "/__sandbox__/" in rest
        assert "http://m.aliexpress.localhost:" in rest and "http://login.aliexpress.localhost:" in rest
        control = re.search(r"control API: (http://127\.0\.0\.1:\d+)/__sandbox__/", rest)
        assert control and control.group(1).endswith(":" + match.group(1)), rest
        assert httpx.get(control.group(1) + "/login", timeout=5).status_code == 200
        process.send_signal(signal.SIGINT)
        try:
            out, err = process.communicate(timeout=40)  # a busy machine: two listeners each given 5 s to close
        except subprocess.TimeoutExpired:
            raise AssertionError(f"DIAG handler={signal.getsignal(signal.SIGINT)!r} "
                                 f"mask={signal.pthread_sigmask(signal.SIG_BLOCK, [])!r} "
                                 f"status={open(f'/proc/{process.pid}/status').read()}") from None
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "Traceback" not in err
