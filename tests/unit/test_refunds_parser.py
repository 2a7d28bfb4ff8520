"""The refund/dispute list parser on the real capture (3 finished return cases)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from agent.core.errors import PageChanged, SiteUnavailable
from agent.core.money import Money
from flows.parsers.refunds import parse_refund_list

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
UTC = timezone.utc


def load() -> dict[str, Any]:
    return json.loads((FIXTURES / "refund-list.json").read_text(encoding="utf-8"))


def brl(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="BRL")


# read by hand from refund-list.json
ITEMS = [
    dict(
        reverse_order_id="6239481780126943", reverse_line_id="6239649418962814",
        trade_order_id="8144543148947317", trade_line_id="8144101709301607",
        reverse_status=4, reverse_type="RETURN", solution_type=1, item_count=1,
        item_title="FENIX MICRO Bravo Hidra Delta 2-in-1 Lima Rubi 3.5mm Delta Rubi Vetor Yuca Neo Prisma Vetor PS4 Tango",
        unit_price=brl("61.25"), sku="SC2; China", shop_name="FENIX Store",
        created_at=datetime(2022, 3, 23, 21, 19, 58, tzinfo=UTC), modified_at=datetime(2022, 3, 27, 2, 19, 10, tzinfo=UTC),
        # the m. host's dispute page, what the list's "Details" opens (refund_details)
        detail_url="https://m.aliexpress.com/p/refund-amount/detail.html?pha_manifest=refund-amount&tradeOrderLineId=8144101709301607",
        buttons=["refund_details", "view_details"],
    ),
    dict(
        reverse_order_id="6234353308960497", reverse_line_id="6234417803672596",
        trade_order_id="8143536486605361", trade_line_id="8143355043086413",
        reverse_status=4, reverse_type="RETURN", solution_type=1, item_count=1,
        item_title="Vetor Eco 12 Eco Indigo Eco PC+ORBITA Jade Fenix Nano Eco Gama Indigo Eco Vetor Eco12 Neo Eco Delta Sigma Kilo Vetor",
        unit_price=brl("52.73"), sku="For iPhone 12 6.1; Black Case", shop_name="Cabo Store",
        created_at=datetime(2022, 1, 29, 5, 37, 4, tzinfo=UTC), modified_at=datetime(2022, 1, 29, 5, 38, 19, tzinfo=UTC),
        detail_url="https://m.aliexpress.com/p/refund-amount/detail.html?pha_manifest=refund-amount&tradeOrderLineId=8143355043086413",
        buttons=["refund_details", "view_details"],
    ),
    dict(
        reverse_order_id="225480838716279", reverse_line_id="230619598499278",
        trade_order_id="8142247025479021", trade_line_id="8142306633611334",
        reverse_status=4, reverse_type="RETURN", solution_type=1, item_count=3,
        item_title="Micro Watt Quartzo Jade Vetor 2 Bt 5.0 Watt Rubi Watt Mi Hidra Orbita 2 Quartzo Sigma Orbita Quartzo Ai Nano",
        unit_price=brl("56.17"), sku="black; China", shop_name="ZETA Store",
        created_at=datetime(2021, 12, 10, 2, 8, 25, tzinfo=UTC), modified_at=datetime(2021, 12, 10, 2, 16, 50, tzinfo=UTC),
        # an older line has only the issue page's link
        detail_url="https://trade.aliexpress.com/issue/fastissue/Detail.htm?reverseOrderLineId=230619598499278&issueId=7100861864905604&from=1",
        buttons=["view_details"],
    ),
]


@pytest.fixture(scope="module")
def page():
    return parse_refund_list(load())


def test_page_counts_items_although_pages_is_zero(page) -> None:
    assert load()["data"]["module"]["pages"] == 0  # the quirk this guards against
    assert len(page.items) == 3
    assert page.total == 3
    assert page.has_more is False
    assert (page.page_index, page.page_size) == (1, 10)


@pytest.mark.parametrize("index", range(3), ids=[i["reverse_line_id"] for i in ITEMS])
def test_item(page, index: int) -> None:
    for field, expected in ITEMS[index].items():
        assert getattr(page.items[index], field) == expected, field


def test_times_are_read_in_the_sites_zone() -> None:
    brt = timezone(timedelta(hours=-3))
    first = parse_refund_list(load(), tz=brt).items[0]
    assert first.created_at == datetime(2022, 3, 24, 0, 19, 58, tzinfo=UTC)


def test_total_below_item_count_is_raised_to_the_count() -> None:
    envelope = load()
    envelope["data"]["module"]["total"] = 0
    assert parse_refund_list(envelope).total == 3


def test_more_pages_when_total_exceeds_this_page() -> None:
    envelope = load()
    envelope["data"]["module"].update(total=25, pageSize=10, pageNum=2)
    page = parse_refund_list(envelope)
    assert page.has_more is True and page.total == 25


def test_empty_list() -> None:
    envelope = load()
    envelope["data"]["module"].update(items=[], total=0)
    page = parse_refund_list(envelope)
    assert page.items == [] and page.total == 0 and page.has_more is False


def test_unreadable_price_is_none_not_zero() -> None:
    envelope = load()
    envelope["data"]["module"]["items"][0]["reverseOrderLines"][0]["aeItemDTO"]["itemUnitPrice"] = {"formatMoney": "?"}
    assert parse_refund_list(envelope).items[0].unit_price is None


@pytest.mark.parametrize(
    "field",
    ["reverseOrderId", "reverseOrderLineId", "tradeOrderId", "tradeOrderLineId", "reverseStatus"],
)
def test_missing_id_names_it(field: str) -> None:
    envelope = load()
    del envelope["data"]["module"]["items"][1]["reverseOrderLines"][0][field]
    with pytest.raises(PageChanged) as caught:
        parse_refund_list(envelope)
    assert str(caught.value).startswith(f"refund.list: data.module.items.1.reverseOrderLines.0.{field} missing")


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda e: e["data"].pop("module"), "refund.list: data.module missing"),
        (lambda e: e["data"]["module"].pop("items"), "refund.list: data.module.items missing"),
        (lambda e: e["data"]["module"]["items"][0].pop("reverseOrderLines"),
         "refund.list: data.module.items.0.reverseOrderLines missing"),
    ],
)
def test_missing_structure_names_it(mutate, message: str) -> None:
    envelope = load()
    mutate(envelope)
    with pytest.raises(PageChanged) as caught:
        parse_refund_list(envelope)
    assert str(caught.value).startswith(message)


def test_not_success_flag_is_an_error() -> None:
    envelope = load()
    envelope["data"]["notSuccess"] = True
    with pytest.raises(SiteUnavailable):
        parse_refund_list(envelope)


def test_the_agent_addresses_a_dispute_page_exactly_as_the_real_list_links_it() -> None:
    from flows import site

    for item in parse_refund_list(load()).items[:2]:
        assert site.dispute_detail_url("https://www.aliexpress.com", item.trade_line_id) == item.detail_url
    assert site.dispute_list_url("https://www.aliexpress.com") == "https://m.aliexpress.com/p/refund-dispute/list.html"
    assert site.dispute_list_url("https://www.aliexpress.com", "https://m.example.org/") == \
        "https://m.example.org/p/refund-dispute/list.html"
