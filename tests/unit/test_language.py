"""Asking the site for English (the aep_usuc_f cookie) and naming another language."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agent.core.errors import PageChanged, WrongLanguage
from agent.core.models import Order, OrderStatus
from flows import site
from flows.language import check_orders, language_name, pinned_cookies, pinned_value


@pytest.mark.parametrize(
    "existing, pinned",
    [
        (None, "b_locale=en_US"),
        ("", "b_locale=en_US"),
        ("region=BR&site=bra&b_locale=pt_BR&c_tp=BRL&x_alimid=123",
         "region=BR&site=bra&b_locale=en_US&c_tp=BRL&x_alimid=123"),
        ("site=glo&c_tp=USD&region=US", "site=glo&c_tp=USD&region=US&b_locale=en_US"),
        ("site=glo&province=&city=&c_tp=USD&region=US&b_locale=en_US&ae_u_p_s=2",
         "site=glo&province=&city=&c_tp=USD&region=US&b_locale=en_US&ae_u_p_s=2"),
        # URL-encoded whole: rewritten and encoded back the same way
        ("region%3DBR%26site%3Dbra%26b_locale%3Dpt_BR%26c_tp%3DBRL",
         "region%3DBR%26site%3Dbra%26b_locale%3Den_US%26c_tp%3DBRL"),
    ],
)
def test_pinned_value_keeps_region_and_currency(existing: str | None, pinned: str) -> None:
    assert pinned_value(existing) == pinned


@pytest.mark.parametrize(
    "base_url, domain",
    [
        ("https://www.aliexpress.com", ".aliexpress.com"),
        ("http://www.aliexpress.localhost:8700", ".aliexpress.localhost"),
        ("https://aliexpress.us", ".aliexpress.us"),
        ("https://www.aliexpress.com.br/", ".aliexpress.com.br"),
        ("http://127.0.0.1:8700", None),
        ("http://localhost:8700", None),
        ("http://[::1]:8700", None),
    ],
)
def test_cookie_domain(base_url: str, domain: str | None) -> None:
    assert site.cookie_domain(base_url) == domain


def test_a_new_context_gets_the_cookie_on_the_parent_domain() -> None:
    [cookie] = pinned_cookies("https://www.aliexpress.com")
    assert cookie == {"name": "aep_usuc_f", "value": "b_locale=en_US", "sameSite": "Lax",
                      "domain": ".aliexpress.com", "path": "/", "secure": True}


def test_an_address_without_a_parent_domain_gets_a_host_cookie() -> None:
    [cookie] = pinned_cookies("http://127.0.0.1:8700/some/path")
    assert cookie["url"] == "http://127.0.0.1:8700/" and "domain" not in cookie


def test_a_saved_cookie_is_rewritten_where_it_lives() -> None:
    saved = [
        {"name": "xman_t", "value": "secret", "domain": ".aliexpress.com", "path": "/"},
        {"name": "aep_usuc_f", "value": "region=BR&b_locale=pt_BR&c_tp=BRL", "domain": ".aliexpress.com",
         "path": "/", "expires": 1900000000, "httpOnly": False, "secure": True, "sameSite": "None"},
        {"name": "aep_usuc_f", "value": "b_locale=ru_RU", "domain": ".aliexpress.ru", "path": "/"},
    ]
    assert pinned_cookies("https://www.aliexpress.com", saved) == [
        {**saved[1], "value": "region=BR&b_locale=en_US&c_tp=BRL"}]


@pytest.mark.parametrize("tag, name", [("pt-BR", "Português (pt-BR)"), ("pt", "Português (pt)"),
                                       ("es_ES", "Español (es_ES)"), ("xx-YY", "xx-YY")])
def test_language_name(tag: str, name: str) -> None:
    assert language_name(tag) == name


def order(status_text: str | None) -> Order:
    return Order(order_id="8215000000000001", status=OrderStatus.UNKNOWN, status_text=status_text, lines=[],
                 site_time=datetime(2026, 11, 20, tzinfo=UTC))


def test_a_status_label_of_another_language_is_refused_naming_it() -> None:
    check_orders([order("Awaiting delivery"), order("Something new"), order(None)], "order list")
    with pytest.raises(WrongLanguage) as error:
        check_orders([order("Completed"), order("Aguardando entrega ")], "order list")
    message = str(error.value)
    assert message.startswith("order list: the site shows pages in Português (pt) although English was asked for")
    assert "order 8215000000000001 status 'Aguardando entrega'" in message
    assert message.endswith("→ Language → English → Save) and run again")
    assert isinstance(error.value, PageChanged) and error.value.language == "pt"
