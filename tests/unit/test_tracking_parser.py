"""The tracking answer, on the real capture (tests/fixtures/logistics-querydetail.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.core.errors import LoginRequired, PageChanged
from flows.parsers.tracking import parse_tracking

FIXTURE = Path(__file__).parent.parent / "fixtures" / "logistics-querydetail.json"


def sample() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def test_real_capture():
    info = parse_tracking(sample())
    assert info.tracking_number == "AA000000000BR"
    assert info.carrier == "AliExpress standard shipping"
    assert info.delivered
    assert info.events[0].description == "Package delivered."
    assert info.events[0].name == "Delivered"
    assert info.events[1].description == "Package out for delivery"
    assert info.events[2].location == "Cidade Exemplo,UF"
    assert all(event.at is not None and event.at.tzinfo for event in info.events)
    assert info.delivered_at == info.events[0].at  # the "delivered" event's own time


def test_not_delivered_when_no_signed_event():
    data = sample()
    details = data["data"]["module"]["trackingDetailLineList"][0]["detailList"]
    data["data"]["module"]["trackingDetailLineList"][0]["detailList"] = details[1:]
    assert not parse_tracking(data).delivered
    assert parse_tracking(data).delivered_at is None


def test_missing_list_names_the_field():
    data = sample()
    del data["data"]["module"]["trackingDetailLineList"]
    with pytest.raises(PageChanged, match="trackingDetailLineList"):
        parse_tracking(data)


def test_session_gone():
    with pytest.raises(LoginRequired):
        parse_tracking({"api": "mtop.ae.ld.querydetail", "data": {}, "ret": ["FAIL_SYS_SESSION_EXPIRED::x"], "v": "1.0"})
