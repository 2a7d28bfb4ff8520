"""Recognising a saved response and parsing it (what `dispute-agent parse FILE` runs)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agent.core.errors import PageChanged, RateLimited
from agent.core.models import DisputeDetail, Order, OrderListPage, RefundListPage
from flows.parsers.detect import detect_and_parse, detect_api

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


DISPUTE = {
    "api": "mtop.aliexpress.buyer.reverse.reverseOrderLineRenderForBuyer",
    "ret": ["SUCCESS::调用成功"],
    "data": {
        "global": {"curTime": 1795860000000},
        "module": {
            "reverseOrderId": "1", "reverseOrderLineId": "2", "tradeOrderId": "3", "tradeOrderLineId": "4",
            "reverseStatus": 2, "reverseDetailStatus": "WAIT_SELLER_RESPONSE",
        },
    },
}


@pytest.mark.parametrize(
    "obj, model, api",
    [
        (load("order-list-init.json"), OrderListPage, "mtop.aliexpress.trade.buyer.order.list"),
        (load("order-detail.json"), Order, "mtop.aliexpress.trade.buyer.order.detail"),
        (load("refund-list.json"), RefundListPage, "mtop.aliexpress.buyer.reverse.queryreverseorderpagelistforbuyer"),
        (DISPUTE, DisputeDetail, "mtop.aliexpress.buyer.reverse.reverseOrderLineRenderForBuyer"),
    ],
    ids=["order-list", "order-detail", "refund-list", "dispute-detail"],
)
def test_by_api_field_and_by_shape(obj: dict[str, Any], model: type, api: str) -> None:
    assert detect_api(obj) == api
    assert isinstance(detect_and_parse(obj), model)
    without_api = {k: v for k, v in obj.items() if k != "api"}
    assert detect_api(without_api) == api
    assert isinstance(detect_and_parse(without_api), model)


def test_api_name_is_case_insensitive() -> None:
    obj = dict(DISPUTE, api="MTOP.ALIEXPRESS.BUYER.REVERSE.REVERSEORDERLINERENDERFORBUYER")
    assert isinstance(detect_and_parse(obj), DisputeDetail)


def test_parsed_values_come_through() -> None:
    detail = detect_and_parse(load("order-detail.json"))
    assert detail.order_id == "8212313961591322" and detail.detail_loaded is True
    refunds = detect_and_parse(load("refund-list.json"))
    assert [i.reverse_line_id for i in refunds.items] == ["6239649418962814", "6234417803672596", "230619598499278"]


def test_known_api_without_a_parser() -> None:
    with pytest.raises(PageChanged, match="no parser for api 'mtop.aliexpress.trade.buyer.order.count'"):
        detect_and_parse(load("order-count.json"))


def test_tracking_is_read_with_or_without_its_api_field() -> None:
    body = load("logistics-querydetail.json")
    tracking = detect_and_parse(body)
    assert tracking.delivered and tracking.events[0].name == "Delivered"
    del body["api"]
    assert detect_and_parse(body) == tracking


def test_the_dispute_form_is_recognised_by_its_shape() -> None:
    body = {"ret": ["SUCCESS::ok"], "data": {"module": {"canApply": False, "notApplicableReason": "Too late",
                                                        "reverseOrder": None}}}
    state = detect_and_parse(body)
    assert (state.can_apply, state.refusal) == (False, "Too late")


@pytest.mark.parametrize(
    "obj",
    [{}, {"data": {"foo": 1}}, {"ret": ["SUCCESS::ok"], "data": {"module": {"shipped": "2"}}}],
)
def test_unrecognised_shape_names_what_was_looked_for(obj: dict[str, Any]) -> None:
    with pytest.raises(PageChanged) as caught:
        detect_and_parse(obj)
    message = str(caught.value)
    assert "unrecognised response" in message
    for path in ("data.hierarchy.root", "data.module.items", "data.module.reverseOrderLineId"):
        assert path in message


@pytest.mark.parametrize("obj", [[], "text", None, 3])
def test_not_an_object(obj: Any) -> None:
    with pytest.raises(PageChanged, match="not a JSON object"):
        detect_and_parse(obj)


def test_a_saved_failure_raises_its_typed_error() -> None:
    obj = load("refund-list.json")
    obj["ret"] = ["FAIL_SYS_TRAFFIC_LIMIT::slow down"]
    with pytest.raises(RateLimited):
        detect_and_parse(obj)


def test_recognised_but_broken_names_the_missing_field() -> None:
    obj = load("order-list-init.json")
    del obj["data"]["hierarchy"]["structure"]
    with pytest.raises(PageChanged, match="order.list: data.hierarchy.structure missing"):
        detect_and_parse(obj)
