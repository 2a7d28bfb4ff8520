"""What the filing flow reads: the item's dispute button in the real order.detail capture,
the form's data and filing answers (guessed shapes that must fail naming the guess), and
the reason texts the agent looks for, which must be the ones the sandbox shows."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from agent.core.errors import NotEligible, NotFound, PageChanged
from agent.core.reasons import REASONS
from flows import site
from flows.parsers.dispute_form import (
    order_products,
    parse_filed_case,
    parse_form_state,
)
from flows.parsers.transport import decode_api_body
from sandbox.lifecycle import REASONS as SANDBOX_REASONS

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DETAIL = json.loads((FIXTURES / "order-detail.json").read_text(encoding="utf-8"))
LINE = "8212840438652111"


def envelope(module=None, ret="SUCCESS::调用成功"):
    return {"api": site.API_DISPUTE_APPLY, "data": {} if module is None else {"module": module}, "ret": [ret],
            "v": "1.0"}


def test_the_real_capture_names_the_items_button_and_its_question():
    wrapped = decode_api_body(f"mtopjsonp2({json.dumps(DETAIL)})", site.API_ORDER_DETAIL)
    (product,) = order_products(wrapped)
    assert product.line_id == LINE and product.title.startswith("Neo XENON 2.1")
    assert product.dispute is not None
    assert (product.dispute.text, product.dispute.question, product.dispute.yes, product.dispute.no) == (
        "Returns/refunds", "Have you received your package?", "Yes", "No")


def test_an_item_without_open_dispute_has_no_button_and_a_changed_shape_names_the_field():
    changed = copy.deepcopy(DETAIL)
    block = next(c for c in changed["data"]["data"].values() if c.get("tag") == site.TAG_DETAIL_PRODUCT)
    product = block["fields"]["productVOList"][0]
    product["buttonVOS"] = [b for b in product["buttonVOS"] if b["type"] != "OPEN_DISPUTE"]
    assert order_products(changed)[0].dispute is None
    del product["itemTitle"]
    with pytest.raises(PageChanged, match=r"productVOList\.0\.itemTitle missing"):
        order_products(changed)


def test_form_state_reads_the_refusal_and_the_existing_case():
    state = parse_form_state(envelope({"canApply": False, "notApplicableReason": "You can't open a dispute.",
                                       "reverseOrder": {"reverseOrderLineId": "6400000000000003",
                                                        "tradeOrderLineId": LINE}}))
    assert (state.can_apply, state.refusal, state.existing) == (False, "You can't open a dispute.",
                                                                ("6400000000000003", LINE))
    assert parse_form_state(envelope({"canApply": True})).can_apply is True
    with pytest.raises(PageChanged, match=r"form-calls"):
        parse_form_state(envelope({"canApply": "yes"}))
    with pytest.raises(NotFound):
        parse_form_state(envelope(ret="FAIL_BIZ_NOT_FOUND::unknown order line id '1'"))


def test_the_filing_answer_gives_both_ids_or_the_sites_words():
    filed = parse_filed_case(envelope({"reverseOrderId": 6300000000000014, "reverseOrderLineId": "6400000000000014",
                                       "tradeOrderLineId": LINE}), LINE)
    assert (filed.reverse_order_id, filed.reverse_line_id, filed.trade_line_id) == (
        "6300000000000014", "6400000000000014", LINE)
    with pytest.raises(NotEligible, match="refused the dispute: The refund amount must be greater than 0."):
        parse_filed_case(envelope(ret="FAIL_BIZ_PARAM::The refund amount must be greater than 0."), LINE)
    with pytest.raises(PageChanged, match=r"reverseOrderLineId is missing.*\[form-calls"):
        parse_filed_case(envelope({"caseId": "1"}), LINE)
    with pytest.raises(PageChanged, match="names item 1, but item"):
        parse_filed_case(envelope({"reverseOrderLineId": "6400000000000014", "tradeOrderLineId": "1"}), LINE)


def test_every_reason_has_the_text_the_sandbox_form_shows():
    shown = {key: text for names in SANDBOX_REASONS.values() for key, text in names.items()}
    assert set(site.FORM_REASON_TEXTS) == {reason.key for reason in REASONS}
    assert site.FORM_REASON_TEXTS == shown
    assert site.FORM_REASON_TEXTS["returned_to_sender"] == "Tracked as returned/canceled/lost"  # quoted [ARC]


def test_form_selectors_keep_to_stable_prefixes():
    selectors = [value for name, value in vars(site).items()
                 if name.startswith("SEL_FORM") or name == "SEL_RECEIVED_DIALOG"]
    assert selectors
    for selector in selectors:
        assert not re.search(r"--[A-Za-z0-9]{5,}\b(?!--)", selector), selector  # no hash after "--"
        assert "#" not in selector and "data-type" not in selector, selector
