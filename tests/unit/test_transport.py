"""API bodies as the page receives them: JSON (POSTs) or JSONP (GETs), and nothing else.

Every real capture must read the same whether it arrives bare or wrapped the way the
live site wraps its GET answers (``mtopjsonp3({...})``); a body that is neither is a
changed site, named by API, and never an empty result.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.core.errors import PageChanged
from flows.parsers.detect import detect_and_parse
from flows.parsers.tracking import parse_tracking
from flows.parsers.transport import decode_api_body, unwrap_jsonp

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SAMPLES = ["order-list-init.json", "order-detail.json", "refund-list.json", "logistics-querydetail.json",
           "order-count.json"]


def wrapped(text: str, callback: str = "mtopjsonp3") -> str:
    return f"{callback}({text})"


@pytest.mark.parametrize("name", SAMPLES)
@pytest.mark.parametrize("form", ["json", "jsonp", "jsonp-semicolon", "jsonp-spaced", "jsonp-dotted"])
def test_every_real_sample_decodes_the_same_bare_or_wrapped(name, form):
    text = (FIXTURES / name).read_text(encoding="utf-8")
    body = {
        "json": text,
        "jsonp": wrapped(text),
        "jsonp-semicolon": wrapped(text) + ";",
        "jsonp-spaced": "\n  mtopjsonp12 (\n" + text + "\n) ;\n",
        "jsonp-dotted": wrapped(text, "window.lib.mtopjsonp1"),
    }[form]
    assert decode_api_body(body, "api") == json.loads(text)


@pytest.mark.parametrize("name", ["order-list-init.json", "order-detail.json", "refund-list.json"])
def test_a_wrapped_real_sample_parses_into_the_same_model(name):
    text = (FIXTURES / name).read_text(encoding="utf-8")
    bare = detect_and_parse(json.loads(text))
    from_jsonp = detect_and_parse(decode_api_body(wrapped(text).encode(), "api"))
    assert from_jsonp == bare


def test_the_wrapped_tracking_sample_parses_too():
    text = (FIXTURES / "logistics-querydetail.json").read_text(encoding="utf-8")
    assert parse_tracking(decode_api_body(wrapped(text), "mtop.ae.ld.querydetail")) == \
        parse_tracking(json.loads(text))


def test_bytes_and_a_byte_order_mark_are_read():
    assert decode_api_body("\ufeffmtopjsonp1({\"a\": 1})".encode(), "api") == {"a": 1}


@pytest.mark.parametrize("body", [
    "<!DOCTYPE html><html><body>Sorry, something went wrong</body></html>",
    "",
    "mtopjsonp1(",
    "mtopjsonp1({\"a\": 1}",
    "alert(1); mtopjsonp1({\"a\": 1})",
    "mtopjsonp1({broken json})",
])
def test_a_body_that_is_neither_json_nor_jsonp_is_a_changed_site_named_by_api(body):
    with pytest.raises(PageChanged, match=r"^mtop\.ae\.ld\.querydetail: the answer is neither JSON nor JSONP"):
        decode_api_body(body, "mtop.ae.ld.querydetail")


@pytest.mark.parametrize("body", ["[1, 2]", "mtopjsonp1([1])", "\"SUCCESS\"", "null"])
def test_json_that_is_not_an_object_is_refused(body):
    with pytest.raises(PageChanged, match="^order.detail: the answer is JSON but not an object"):
        decode_api_body(body, "order.detail")


def test_unwrap_only_takes_a_single_call():
    assert unwrap_jsonp("cb({})") == "{}"
    assert unwrap_jsonp("{}") is None
    assert unwrap_jsonp("1cb({})") is None
