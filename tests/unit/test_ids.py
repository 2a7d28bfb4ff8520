"""Ids from the command line and from the site are checked before they name a folder or an address."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from agent.cli.commands import app
from agent.core.errors import PageChanged
from flows import site
from flows.parsers.detect import detect_and_parse
from flows.parsers.dispute_form import parse_filed_case
from tests.support.isolation import isolate_environment

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
runner = CliRunner()


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A state directory two levels down, so ``../../../x`` from its attachments stays in tmp_path."""
    isolate_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("DISPUTE_AGENT_STATE__DIR", str(tmp_path / "home" / "state"))
    big = tmp_path / "big.bmp"  # over the form's 2 MB: a resized copy would be written
    Image.linear_gradient("L").resize((1100, 1100)).convert("RGB").save(big)
    return tmp_path


def outside_state(root: Path) -> set[Path]:
    state = root / "home" / "state"
    return {path for path in root.rglob("*") if state not in path.parents and path not in (state, *state.parents)}


@pytest.mark.parametrize(("args", "argument"), [
    (["open", "../../../x", "--not-received", "--reason", "not_arrived", "--attach", "{big}", "--yes"], "ORDER_ID"),
    (["open", "8215000000000001", "--line", "../x", "--not-received", "--reason", "not_arrived", "--yes"], "--line"),
    (["evidence", "../../../x", "--attach", "{big}"], "DISPUTE_ID"),
    (["reject", "64000/../../x"], "DISPUTE_ID"),
    (["accept", "..", "--yes"], "DISPUTE_ID"),
    (["ship-return", "6400000000000001x", "--tracking", "RR123456789CN"], "DISPUTE_ID"),
    (["order", "../x"], "ORDER_ID"),
    (["log", "8215 OR 1=1"], "ORDER_ID"),
])
def test_an_id_that_is_not_one_is_refused_in_one_line_and_nothing_is_written_outside_the_state(home, args, argument):
    before = outside_state(home)
    result = runner.invoke(app, [arg.format(big=home / "big.bmp") for arg in args])
    assert result.exit_code == 2, result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith(f"error: {argument} ") and "is not an id" in line
    assert outside_state(home) == before
    assert not (home / "x").exists()


def test_a_line_the_agent_named_from_the_order_page_is_an_id_for_line():
    from agent.core.ids import check_id

    assert check_id("8215000000000001-2", "--line", line=True) == "8215000000000001-2"


def order_list() -> dict:
    return json.loads((FIXTURES / "order-list-init.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("bad", ["../../x", "8214398062177351/..", "", "8214398062177351 ", "1" * 40])
def test_an_order_id_from_the_site_that_is_not_digits_is_a_changed_page(bad):
    answer = order_list()
    text = json.dumps(answer).replace('"8214398062177351"', json.dumps(bad), 1)
    if bad.strip() == "":
        with pytest.raises(PageChanged, match="orderId"):
            detect_and_parse(json.loads(text))
        return
    if bad.endswith(" "):  # the site's spaces around an id are trimmed: still the same id
        assert detect_and_parse(json.loads(text)).orders[0].order_id == "8214398062177351"
        return
    with pytest.raises(PageChanged, match=r"orderId is not an id of digits"):
        detect_and_parse(json.loads(text))


def test_case_ids_from_the_refund_list_and_the_filing_answer_are_checked():
    refunds = json.loads((FIXTURES / "refund-list.json").read_text(encoding="utf-8"))
    changed = json.loads(json.dumps(refunds).replace('"6239649418962814"', '"../6239649418962814"', 1))
    with pytest.raises(PageChanged, match=r"reverseOrderLineId is not an id of digits"):
        detect_and_parse(changed)
    answer = {"api": site.API_DISPUTE_APPLY, "ret": ["SUCCESS::ok"], "v": "1.0",
              "data": {"module": {"reverseOrderLineId": "../../evidence", "tradeOrderLineId": "8212840438652111"}}}
    with pytest.raises(PageChanged, match=r"reverseOrderLineId is not an id of digits"):
        parse_filed_case(copy.deepcopy(answer), "8212840438652111")
