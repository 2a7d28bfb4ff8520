"""The sandbox's hosts: which host serves which page, shared cookies, safe return addresses,
and the CSS-module class names its React-style pages carry."""

from __future__ import annotations

import re
import warnings

import pytest

from sandbox.classnames import MODULE_RENAMES, ClassNames, module_hash
from sandbox.origins import LOGIN, MOBILE, WWW, Origins, host_origin, page_origin
from sandbox.scenario import load_scenario
from sandbox.web import create_app
from sandbox.world import World

ORIGINS = Origins.served("http", "aliexpress.localhost", 8700, 8701)


@pytest.mark.parametrize(("path", "origin"), [
    ("/p/order/index.html", WWW), ("/p/order/detail.html", WWW), ("/p/reverse-pages/start.html", WWW),
    ("/p/tracking/index.html", WWW), ("/p/refund-dispute/list.html", MOBILE),
    ("/p/refund-amount/detail.html", MOBILE), ("/login", LOGIN), ("/newlogin/login.do", LOGIN),
    ("/sync_cookie_write.htm", LOGIN), ("/p/order/index.html/_____tmd_____/punish", WWW),
    ("/p/refund-dispute/list.html/_____tmd_____/punish", MOBILE), ("/_____tmd_____/slide", None), ("/", None),
    ("/h5/mtop.aliexpress.trade.buyer.order.list/1.0/", None), ("/static/sandbox.js", None),
    ("/__sandbox__/state", None),
])
def test_each_page_has_one_host(path, origin):
    assert page_origin(path) == origin


@pytest.mark.parametrize(("host", "origin"), [
    ("www.aliexpress.localhost:8700", WWW), ("m.aliexpress.localhost:8700", MOBILE),
    ("login.aliexpress.localhost:8701", LOGIN), ("WWW.AliExpress.localhost", WWW),
    ("127.0.0.1:8700", None), ("testserver", None), ("evil.localhost:8700", None),
    ("www.aliexpress.localhost.evil.com", None), ("shop.aliexpress.localhost", None), (None, None),
])
def test_the_host_header_names_the_origin(host, origin):
    assert host_origin(host, ORIGINS) == origin


@pytest.mark.parametrize(("url", "owned"), [
    ("http://www.aliexpress.localhost:8700/p/order/index.html", True),
    ("http://m.aliexpress.localhost:8700/p/refund-dispute/list.html", True),
    ("/p/order/detail.html?orderId=1", True),
    ("http://www.aliexpress.localhost:9999/p/order/index.html", False),
    ("https://evil.example/p/order/index.html", False), ("//evil.example/x", False),
    ("javascript:alert(1)", False), ("p/order/index.html", False),
])
def test_only_the_sites_own_addresses_are_safe_to_return_to(url, owned):
    assert ORIGINS.owns(url) is owned


def client(world, host: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient
    app = create_app(world)
    app.state.origins = ORIGINS
    return TestClient(app, base_url=f"http://{host}", follow_redirects=False)


@pytest.mark.parametrize(("host", "path", "status"), [
    ("www.aliexpress.localhost:8700", "/p/refund-dispute/list.html", 404),
    ("m.aliexpress.localhost:8700", "/p/order/index.html", 404),
    ("www.aliexpress.localhost:8700", "/login", 404),
    ("m.aliexpress.localhost:8700", "/p/refund-dispute/list.html", 302),
    ("www.aliexpress.localhost:8700", "/p/order/index.html", 302),
    ("127.0.0.1:8700", "/p/refund-dispute/list.html", 302),  # by address: every page
])
def test_a_page_asked_of_the_wrong_host_is_not_found(host, path, status):
    with client(World(load_scenario()), host) as site:
        assert site.get(path).status_code == status


def test_a_logged_out_visit_goes_to_the_login_host_with_the_full_address():
    with client(World(load_scenario()), "m.aliexpress.localhost:8700") as site:
        answer = site.get("/p/refund-dispute/list.html?tab=2")
    assert answer.headers["location"] == (
        "http://login.aliexpress.localhost:8701/?return_url="
        "http%3A%2F%2Fm.aliexpress.localhost%3A8700%2Fp%2Frefund-dispute%2Flist.html%3Ftab%3D2")


def test_the_root_is_the_sign_in_on_the_login_host_and_the_orders_elsewhere():
    world = World(load_scenario())
    with client(world, "login.aliexpress.localhost:8701") as login:
        assert 'label="Email or phone number"' in login.get("/").text
    with client(world, "www.aliexpress.localhost:8700") as www:
        assert www.get("/").headers["location"] == "http://www.aliexpress.localhost:8700/p/order/index.html"
        assert www.get("/logout").headers["location"] == "http://login.aliexpress.localhost:8701/"


# --- CSS-module class names -------------------------------------------------------------------


def test_a_module_class_has_the_real_shape():
    name = ClassNames("seed-1")("reminder", "statusStr")
    assert re.fullmatch(r"reminder--statusStr--[0-9A-Za-z]{7}", name)
    assert name == ClassNames("seed-1")("reminder", "statusStr")  # stable within a release


def test_another_release_changes_every_hash_but_keeps_the_prefix():
    pairs = [("reminder", "statusStr"), ("orderItem", "orderItem"), ("commet", "textarea"),
             ("newReverseRefundInfo", "amount")]
    one, two = ClassNames("release-a"), ClassNames("release-b")
    for block, element in pairs:
        assert one(block, element) != two(block, element)
        assert one(block, element).startswith(f"{block}--{element}--")
        assert two(block, element).startswith(f"{block}--{element}--")


def test_a_redesign_renames_the_blocks_so_prefixes_stop_matching():
    redesigned = ClassNames.redesigned("release-a")
    for block, renamed in MODULE_RENAMES.items():
        assert redesigned(block, "x").startswith(f"{renamed}--x--")
        assert not redesigned(block, "x").startswith(f"{block}--")


def test_hashes_spread():
    hashes = {module_hash(f"seed{i}", "reminder", "statusStr") for i in range(500)}
    assert len(hashes) == 500


def test_a_redesigned_stylesheet_follows_the_renamed_blocks():
    from sandbox.web_layout import rename_css

    css = '[class*="reverseForm--item--"] { color: red; }\n.comet-v2-btn { x: 1; }\n[class*="myOwn--x--"] { y: 2; }'
    renamed = rename_css(css)
    assert f'[class*="{MODULE_RENAMES["reverseForm"]}--item--"]' in renamed
    assert ".cmt-v2-btn" in renamed and '[class*="myOwn--x--"]' in renamed
