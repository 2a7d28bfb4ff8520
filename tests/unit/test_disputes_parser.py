"""The dispute detail parser, on envelopes in the shape the sandbox serves.

No whole capture of this API exists: the fields a public extension reads from live
answers (a numeric ``reverseDetailStatus``, ``applyReason``, ``reachSolution`` with
``refundMoney{cent, currency, unit, formatMoney}``, ``reverseFinishInfo.refundInfo``
as an object) are kept as it shows them, the rest is the agreed shape. The builder
writes one such answer so each test changes one thing.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from agent.core.errors import LoginRequired, PageChanged
from agent.core.models import (
    DeadlineKind,
    DisputeResult,
    DisputeStage,
    ProposalStatus,
    Proposer,
)
from agent.core.money import Money
from flows.parsers.disputes import parse_dispute_detail

UTC = timezone.utc
NOW = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)
NOW_MS = int(NOW.timestamp()) * 1000


def ms(moment: datetime) -> int:
    return int(moment.timestamp()) * 1000


def money(cent: int, currency: str = "BRL", text: str | None = None) -> dict[str, Any]:
    return {"cent": cent, "currency": currency, "unit": f"{cent // 100}.{cent % 100:02d}",
            "formatMoney": text or f"R${cent // 100},{cent % 100:02d}"}


def brl(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="BRL")


def proposal(**overrides: Any) -> dict[str, Any]:
    base = {
        "proposalId": "p-2",
        "proposer": "SELLER",
        "solutionType": 1,
        "solutionTypeText": "Refund only",
        "refundMoney": money(0),
        "status": "PENDING",
        "gmtCreateFormat": "2026-11-21 09:30:00",
        "respondDeadline": {
            "time": ms(NOW + timedelta(days=2)),
            "timeFormat": "2026-11-24 10:00:00",
            "countdownText": "Respond within: 1 day 23:59:59",
        },
    }
    return base | overrides


def build(module: dict[str, Any] | None = None, *, cur_time: int | None = NOW_MS, **overrides: Any) -> dict[str, Any]:
    """A SUCCESS envelope: a dispute in negotiation where the seller now offers R$0."""
    base = {
        "reverseOrderId": "6239481780126943",
        "reverseOrderLineId": "6239649418962814",
        "tradeOrderId": "8144543148947317",
        "tradeOrderLineId": "8144101709301607",
        "reverseStatus": 2,
        "reverseDetailStatus": 20,
        "reverseDetailStatusText": "Waiting for your response",
        "aeItemDTO": {"itemTitle": "USB cable 2m", "itemCount": 1, "itemUnitPrice": money(6125)},
        "paidAmount": money(6125, text="R$61.25"),
        "applyReason": {"reasonId": 17003, "reasonKey": "not_as_described", "reasonName": "Item not as described",
                        "received": True},
        "buyerSolution": {
            "solutionType": 1,
            "solutionTypeText": "Refund only",
            "refundMoney": money(6125, text="R$61.25"),
            "description": "The cable does not work.",
            "gmtCreateFormat": "2026-11-18 08:00:00",
        },
        "reachSolution": proposal(),
        "proposalHistory": [
            proposal(proposalId="p-1", refundMoney=money(3000), status="REJECTED", respondDeadline=None,
                     gmtCreateFormat="2026-11-19 12:00:00"),
            proposal(),
        ],
        "deadlines": [
            {"type": "BUYER_RESPOND", "title": "Respond to the offer", "time": ms(NOW + timedelta(days=2)),
             "timeFormat": "2026-11-24 10:00:00", "countdownText": "Respond within: 2 days 00:00:00"},
            {"type": "ESCALATE_AVAILABLE", "title": "Escalate from", "countdownText": "1 day 00:00:00"},
        ],
        "mediatorRequest": None,
        "evidence": [{"fileName": "cable.jpg", "size": 123456, "sha256": "ab" * 32}],
        "buttons": [{"type": "ACCEPT", "text": "Accept"}, {"type": "REJECT", "text": "Reject"},
                    {"type": "ESCALATE", "text": "Escalate"}],
        "reverseFinishInfo": None,
    }
    body = (module if module is not None else base) | overrides
    data: dict[str, Any] = {"module": body}
    if cur_time is not None:
        data["global"] = {"curTime": cur_time}
    return {"api": "mtop.aliexpress.buyer.reverse.reverseOrderLineRenderForBuyer", "data": data,
            "ret": ["SUCCESS::调用成功"], "v": "1.0"}


def test_negotiation_with_a_zero_offer() -> None:
    d = parse_dispute_detail(build())
    assert (d.reverse_order_id, d.reverse_line_id, d.trade_order_id, d.trade_line_id) == (
        "6239481780126943", "6239649418962814", "8144543148947317", "8144101709301607",
    )
    assert d.reverse_status == 2
    assert d.stage is DisputeStage.WAIT_BUYER_RESPONSE
    assert d.stage_text == "Waiting for your response"
    assert d.item_title == "USB cable 2m"
    assert d.paid_amount == brl("61.25")
    assert (d.reason_key, d.reason_name, d.received) == ("not_as_described", "Item not as described", True)
    assert d.site_time == NOW

    assert d.buyer_solution.proposer is Proposer.BUYER
    assert d.buyer_solution.status is None
    assert d.buyer_solution.refund == brl("61.25")
    assert d.buyer_solution.description == "The cable does not work."
    assert d.buyer_solution.created_at == datetime(2026, 11, 18, 8, tzinfo=UTC)

    offer = d.latest_proposal
    assert offer.proposer is Proposer.SELLER
    assert offer.status is ProposalStatus.PENDING
    assert offer.refund is not None and offer.refund.is_zero()
    assert offer.respond_by == NOW + timedelta(days=2)  # the absolute time wins
    assert offer.respond_by_text == "Respond within: 1 day 23:59:59"

    assert [(p.proposal_id, p.status, p.refund) for p in d.proposals] == [
        ("p-1", ProposalStatus.REJECTED, brl("30.00")),
        ("p-2", ProposalStatus.PENDING, brl("0")),
    ]
    assert d.proposals[0].respond_by is None
    assert [(x.kind, x.ends_at) for x in d.deadlines] == [
        (DeadlineKind.BUYER_RESPOND, NOW + timedelta(days=2)),
        (DeadlineKind.ESCALATE_AVAILABLE, NOW + timedelta(days=1)),
    ]
    assert d.evidence[0].file_name == "cable.jpg" and d.evidence[0].size == 123456
    assert d.buttons == ["ACCEPT", "REJECT", "ESCALATE"]
    assert d.mediator_request is None and d.finish is None


BRT = timezone(timedelta(hours=-3))


@pytest.mark.parametrize(
    "deadline, tz, expected",
    [
        # absolute epoch first, even when the other two disagree
        ({"time": ms(NOW + timedelta(hours=5)), "timeFormat": "2030-01-01 00:00:00", "countdownText": "9 days"},
         UTC, NOW + timedelta(hours=5)),
        ({"time": str(ms(NOW + timedelta(hours=5)))}, UTC, NOW + timedelta(hours=5)),
        # then the countdown, on the site's clock
        ({"countdownText": "Respond within: 1 day 23:59:59", "timeFormat": "2030-01-01 00:00:00"},
         UTC, NOW + timedelta(days=1, hours=23, minutes=59, seconds=59)),
        ({"time": "soon", "countdownText": "03:00:00"}, UTC, NOW + timedelta(hours=3)),
        # then the zone-less text, in the site's zone
        ({"timeFormat": "2026-11-24 10:00:00"}, UTC, datetime(2026, 11, 24, 10, tzinfo=UTC)),
        ({"timeFormat": "2026-11-24 10:00:00"}, BRT, datetime(2026, 11, 24, 13, tzinfo=UTC)),
    ],
)
def test_deadline_time_precedence(deadline: dict[str, Any], tz: timezone, expected: datetime) -> None:
    envelope = build(deadlines=[{"type": "BUYER_RESPOND", "title": "Respond"} | deadline])
    assert parse_dispute_detail(envelope, tz=tz).deadlines[0].ends_at == expected


@pytest.mark.parametrize("deadline", [{}, {"countdownText": "soon"}, {"time": 12, "timeFormat": "tomorrow"}])
def test_unreadable_deadline_is_a_changed_page(deadline: dict[str, Any]) -> None:
    envelope = build(deadlines=[{"type": "SELLER_RESPOND"} | deadline])
    with pytest.raises(PageChanged) as caught:
        parse_dispute_detail(envelope)
    assert str(caught.value).startswith("dispute.detail: data.module.deadlines.0 has no readable time")


def test_unreadable_respond_deadline_is_a_changed_page() -> None:
    envelope = build(reachSolution=proposal(respondDeadline={"countdownText": "later"}))
    with pytest.raises(PageChanged, match="data.module.reachSolution.respondDeadline has no readable time"):
        parse_dispute_detail(envelope)


def test_unreadable_offer_amount_is_none_never_zero() -> None:
    envelope = build(reachSolution=proposal(refundMoney={"currency": "BRL", "formatMoney": "--"}))
    assert parse_dispute_detail(envelope).latest_proposal.refund is None


def test_countdown_uses_the_date_header_without_cur_time() -> None:
    header_time = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
    envelope = build(cur_time=None, deadlines=[{"type": "BUYER_RESPOND", "countdownText": "2 days"}])
    detail = parse_dispute_detail(envelope, date_header="Mon, 23 Nov 2026 00:00:00 GMT")
    assert detail.deadlines[0].ends_at == header_time + timedelta(days=2)
    assert detail.site_time == header_time


def test_no_clock_at_all_is_a_changed_page() -> None:
    with pytest.raises(PageChanged, match="dispute.detail: data.global.curTime missing"):
        parse_dispute_detail(build(cur_time=None))


@pytest.mark.parametrize(
    "code, text, stage",
    [
        (100, "Request complete", DisputeStage.FINISHED),  # the one code seen live
        (100, "Something else", DisputeStage.FINISHED),  # a known code wins over the text
        (20, "Waiting for your response", DisputeStage.WAIT_BUYER_RESPONSE),  # unknown code: the text says
        (None, "Waiting for AliExpress's feedback", DisputeStage.ESCALATED),
        (None, "  Waiting for  your response ", DisputeStage.WAIT_BUYER_RESPONSE),
        (None, "Waiting for AliExpress\u2019s feedback", DisputeStage.ESCALATED),
        (7, "Something new", DisputeStage.UNKNOWN),  # neither known: never guessed
        (None, None, DisputeStage.UNKNOWN),
    ],
)
def test_stage_from_the_code_where_known_else_from_the_text(code, text, stage) -> None:
    d = parse_dispute_detail(build(reverseDetailStatus=code, reverseDetailStatusText=text))
    assert d.stage is stage
    assert d.stage_code == (str(code) if code is not None else None)


def test_unknown_codes_become_unknown_and_keep_the_raw_code() -> None:
    envelope = build(
        reverseDetailStatus="WAIT_SOMETHING_NEW",
        reverseDetailStatusText="Something new",
        reachSolution=proposal(proposer="ROBOT", status="THINKING"),
        deadlines=[{"type": "NEW_KIND", "countdownText": "1 day"}],
    )
    d = parse_dispute_detail(envelope)
    assert d.stage is DisputeStage.UNKNOWN and d.stage_code == "WAIT_SOMETHING_NEW"
    assert d.latest_proposal.proposer is Proposer.UNKNOWN
    assert d.latest_proposal.status is ProposalStatus.UNKNOWN
    assert d.deadlines[0].kind is DeadlineKind.UNKNOWN


def test_escalated_with_a_mediator_request() -> None:
    envelope = build(
        reverseStatus=3,
        reverseDetailStatus=31,
        reverseDetailStatusText="AliExpress needs more information",
        mediatorRequest={"requestText": "Please upload a video of the cable.",
                         "deadline": {"timeFormat": "2026-11-25 10:00:00", "countdownText": "Respond within: 3 days 00:00:00"}},
        buttons=[{"type": "ANSWER_MEDIATOR", "text": "Answer"}, {"type": "ADD_EVIDENCE", "text": "Add evidence"}],
    )
    d = parse_dispute_detail(envelope)
    assert d.reverse_status == 3 and d.stage is DisputeStage.WAIT_BUYER_INFO
    assert d.mediator_request.text == "Please upload a video of the cable."
    assert d.mediator_request.deadline == NOW + timedelta(days=3)  # countdown before the zone-less text
    assert d.buttons == ["ANSWER_MEDIATOR", "ADD_EVIDENCE"]


def refund_info(**overrides: Any) -> dict[str, Any]:
    """``refundInfo`` as [EM] reads it: an object, not a money value."""
    base = {"refundNewestStatus": "FINISHED", "refundNewestTime": ms(datetime(2026, 11, 30, 12, tzinfo=UTC)),
            "refundChannel": "Original payment method",
            "refundDetails": {"cashMoney": money(6125, text="R$61.25"), "totalMoney": money(6125, text="R$61.25")},
            "refundChannelDetails": [{"refundStatus": "FINISHED", "refundFinished": True,
                                      "aeRefundFinishTime": ms(datetime(2026, 11, 30, 12, tzinfo=UTC)),
                                      "money": money(6125)}]}
    return base | overrides


def finished(info: dict[str, Any] | None) -> dict[str, Any]:
    return build(reverseStatus=4, reverseDetailStatus=100, reverseDetailStatusText="Request complete",
                 reachSolution=None, proposalHistory=[], deadlines=[], buttons=[],
                 reverseFinishInfo={"refundInfo": info})


def test_finished_case() -> None:
    d = parse_dispute_detail(finished(refund_info()))
    assert d.stage is DisputeStage.FINISHED and d.latest_proposal is None
    assert d.finish.result is DisputeResult.WON
    assert d.finish.refund == brl("61.25")
    assert d.finish.finished_at == datetime(2026, 11, 30, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    "details, channels, refund",
    [
        ({"cashMoney": money(500), "totalMoney": money(900)}, [], brl("5.00")),  # cash first
        ({"totalMoney": money(900)}, [], brl("9.00")),  # then the total
        ({"cashMoney": {"currency": "BRL", "unit": "7.25"}}, [], brl("7.25")),  # unit when no cents
        ({}, [{"money": money(300)}, {"money": money(450)}], brl("7.50")),  # then the channels' sum
        ({}, [{"money": money(300)}, {"money": {"currency": "BRL"}}], None),  # one unreadable: no sum
        ({}, [{"money": money(300)}, {"money": money(100, "EUR")}], None),  # mixed currencies: no sum
        ({}, [], None),
    ],
)
def test_the_final_refund_is_read_as_the_public_extension_reads_it(details, channels, refund) -> None:
    d = parse_dispute_detail(finished(refund_info(refundDetails=details, refundChannelDetails=channels)))
    assert d.finish.refund == refund
    expected = DisputeResult.UNKNOWN if refund is None else DisputeResult.WON
    assert d.finish.result is expected


def test_a_case_closed_with_nothing_is_lost_and_an_unreadable_refund_is_not() -> None:
    lost = parse_dispute_detail(finished(refund_info(refundDetails={"cashMoney": money(0)}, refundChannelDetails=[])))
    assert lost.finish.result is DisputeResult.LOST and lost.finish.refund == brl("0.00")
    unknown = parse_dispute_detail(finished(None))
    assert unknown.finish.result is DisputeResult.UNKNOWN and unknown.finish.refund is None


def test_refund_info_must_be_an_object_and_a_bare_money_value_is_not_read() -> None:
    with pytest.raises(PageChanged, match="data.module.reverseFinishInfo.refundInfo is not an object"):
        parse_dispute_detail(finished("R$61.25"))  # type: ignore[arg-type]
    # the old guess (refundInfo as a money value) is not what the live answer holds: unread, not misread
    assert parse_dispute_detail(finished(money(6125))).finish.refund is None


def test_item_title_from_the_item_object_and_reverse_status_optional() -> None:
    module = copy.deepcopy(build()["data"]["module"])
    del module["reverseStatus"]
    d = parse_dispute_detail(build(module))
    assert d.item_title == "USB cable 2m" and d.reverse_status is None


def test_optional_lists_may_be_absent() -> None:
    module = copy.deepcopy(build()["data"]["module"])
    for key in ("proposalHistory", "deadlines", "evidence", "buttons", "mediatorRequest", "reverseFinishInfo"):
        del module[key]
    d = parse_dispute_detail(build(module))
    assert d.proposals == [] and d.deadlines == [] and d.evidence == [] and d.buttons == []


@pytest.mark.parametrize("field", ["reverseOrderId", "reverseOrderLineId", "tradeOrderId", "tradeOrderLineId"])
def test_missing_identity_names_the_field(field: str) -> None:
    envelope = build()
    del envelope["data"]["module"][field]
    with pytest.raises(PageChanged) as caught:
        parse_dispute_detail(envelope)
    assert str(caught.value).startswith(f"dispute.detail: data.module.{field} missing")


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"deadlines": {"type": "BUYER_RESPOND"}}, "dispute.detail: data.module.deadlines is not a list"),
        ({"evidence": [{"size": 3}]}, "dispute.detail: data.module.evidence.0.fileName missing"),
    ],
)
def test_malformed_parts_name_their_path(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(PageChanged) as caught:
        parse_dispute_detail(build(**overrides))
    assert str(caught.value).startswith(message)


def test_missing_module_and_failure_codes() -> None:
    envelope = build()
    del envelope["data"]["module"]
    with pytest.raises(PageChanged, match="dispute.detail: data.module missing"):
        parse_dispute_detail(envelope)
    envelope = build()
    envelope["ret"] = ["FAIL_SYS_SESSION_EXPIRED::Session expired"]
    with pytest.raises(LoginRequired):
        parse_dispute_detail(envelope)
