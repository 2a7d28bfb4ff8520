"""The two readings of a dispute page — its data and what it shows — held against each other.

Table-driven: each row changes one thing in one reading and says which difference must
be found and which readings see a zero. A zero seen by one reading only is always a
difference; nothing that differs passes silently.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from agent.core.errors import PageChanged
from agent.core.models import (
    DeadlineKind,
    DisputeDeadline,
    DisputeDetail,
    DisputeResult,
    DisputeStage,
    FinishInfo,
    MediatorRequest,
    Proposal,
    ProposalStatus,
    Proposer,
)
from agent.core.money import Money
from flows.parsers.dispute_page import (
    PageTexts,
    ReadingsDisagree,
    check_readings,
    compare_readings,
    read_page,
    zero_seen,
)

UTC = timezone.utc
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
D = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
BRT = timezone(timedelta(hours=-3))


def usd(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="USD")


def offer(refund: Money | None = usd("0.00"), respond_by: datetime | None = D) -> Proposal:
    return Proposal(proposal_id="P2", proposer=Proposer.SELLER, solution_type=1, refund=refund,
                    status=ProposalStatus.PENDING, respond_by=respond_by)


def case(**changes: Any) -> DisputeDetail:
    """The data's reading: the seller offers 0.00 USD, to be answered by D."""
    base = dict(reverse_order_id="RO1", reverse_line_id="R1", trade_order_id="8215", trade_line_id="L1",
                stage=DisputeStage.WAIT_BUYER_RESPONSE, stage_text="Waiting for your response",
                buyer_solution=Proposal(proposer=Proposer.BUYER, solution_type=1, refund=usd("8.75")),
                latest_proposal=offer(), proposals=[offer()], buttons=["ACCEPT", "REJECT", "ADD_EVIDENCE"],
                deadlines=[DisputeDeadline(kind=DeadlineKind.BUYER_RESPOND, ends_at=D)], site_time=NOW)
    return DisputeDetail(**(base | changes))


#: the page's reading of the same case
SHOWN = PageTexts(status="Waiting for your response", amount="US $0.00",
                  deadline="Respond before 2026-11-24 10:00:00 (4 days 00:00:00 left)", escalation_button=False)

FINISHED = dict(stage=DisputeStage.FINISHED, stage_text="Request complete", latest_proposal=None, buttons=[],
                deadlines=[], finish=FinishInfo(result=DisputeResult.WON, refund=usd("15.20")))
SELLER_TURN = dict(stage=DisputeStage.WAIT_SELLER_RESPONSE, stage_text="Waiting for the seller's response",
                   latest_proposal=None, deadlines=[DisputeDeadline(kind=DeadlineKind.SELLER_RESPOND, ends_at=D)])
MEDIATOR = dict(stage=DisputeStage.WAIT_BUYER_INFO, latest_proposal=None, deadlines=[],
                mediator_request=MediatorRequest(text="Send a photo", deadline=D))


def page(**changes: Any) -> PageTexts:
    return replace(SHOWN, **changes)


@pytest.mark.parametrize(("data", "shown", "tz", "differences", "zeros"), [
    pytest.param({}, {}, UTC, [], ("answer", "page"), id="agree-on-a-zero"),
    # the amount: a zero that only one reading sees is never a pass
    pytest.param({}, {"amount": "US $5.00"}, UTC, ["amount"], ("answer",), id="zero-only-in-the-data"),
    pytest.param({"latest_proposal": offer(usd("5.00"))}, {}, UTC, ["amount"], ("page",), id="zero-only-on-the-page"),
    pytest.param({"latest_proposal": offer(None)}, {}, UTC, ["amount"], ("page",), id="data-unreadable-page-zero"),
    pytest.param({}, {"amount": None}, UTC, ["amount"], ("answer",), id="page-shows-no-amount"),
    pytest.param({}, {"amount": "US $--"}, UTC, ["amount"], ("answer",), id="page-amount-unreadable"),
    pytest.param({"latest_proposal": offer(usd("5.00"))}, {"amount": "US $5.01"}, UTC, ["amount"], (), id="a-cent-off"),
    pytest.param({}, {"amount": "0,00 €"}, UTC, ["currency"], ("answer", "page"), id="currency"),
    pytest.param({"latest_proposal": offer(None)}, {"amount": None}, UTC, [], (), id="no-amount-anywhere"),
    # the stage
    pytest.param({}, {"status": "Refund complete"}, UTC, ["stage"], ("answer", "page"), id="stage"),
    pytest.param({"stage": DisputeStage.UNKNOWN}, {"status": "Brand new words"}, UTC, [], ("answer", "page"),
                 id="stage-unknown-to-both-deadline-one-the-data-has"),
    pytest.param({"stage": DisputeStage.UNKNOWN}, {"status": "Brand new words",
                                                   "deadline": "Do it before 2026-11-25 10:00:00"}, UTC,
                 ["deadline"], ("answer", "page"), id="stage-unknown-to-both-deadline-the-data-lacks"),
    pytest.param({"stage": DisputeStage.UNKNOWN}, {"status": "Brand new words",
                                                   "deadline": "Do it before 2026-11-24 10:03:00"}, UTC,
                 ["deadline"], ("answer", "page"), id="stage-unknown-to-both-deadline-3-minutes-off"),
    pytest.param({}, {"status": "Something new on the page"}, UTC, [], ("answer", "page"), id="unknown-page-text"),
    pytest.param({"stage": DisputeStage.UNKNOWN}, {}, UTC, [], ("answer", "page"), id="unknown-data-stage"),
    # the deadline, within its tolerance and beyond it
    pytest.param({}, {"deadline": "Respond before 2026-11-24 10:01:59"}, UTC, [], ("answer", "page"), id="deadline-119s"),
    pytest.param({}, {"deadline": "Respond before 2026-11-24 10:02:01"}, UTC, ["deadline"], ("answer", "page"),
                 id="deadline-121s"),
    pytest.param({}, {"deadline": "Respond before 2026-11-24 07:00:00"}, BRT, [], ("answer", "page"),
                 id="deadline-in-the-sites-zone"),
    pytest.param({}, {"deadline": "Respond before 2026-11-24 10:00:00"}, BRT, ["deadline"], ("answer", "page"),
                 id="deadline-read-in-the-wrong-zone"),
    pytest.param({}, {"deadline": None}, UTC, ["deadline"], ("answer", "page"), id="page-shows-no-deadline"),
    pytest.param({}, {"deadline": "Respond before soon"}, UTC, ["deadline"], ("answer", "page"),
                 id="page-deadline-unreadable"),
    pytest.param({"latest_proposal": offer(respond_by=None), "deadlines": []}, {}, UTC, ["deadline"],
                 ("answer", "page"), id="data-has-no-deadline"),
    # escalation: only what both readings see
    pytest.param({}, {"escalation_button": True}, UTC, ["escalation"], ("answer", "page"), id="button-not-in-data"),
    pytest.param({"buttons": ["ACCEPT", "ESCALATE"]}, {}, UTC, ["escalation"], ("answer", "page"),
                 id="data-offers-no-button"),
    pytest.param({"buttons": ["ESCALATE"]}, {"escalation_button": True}, UTC, [], ("answer", "page"), id="both-offer"),
    # other stages: the amount and deadline the page shows for them
    pytest.param(FINISHED, {"status": "Refund complete", "amount": "US $15.20", "deadline": None}, UTC, [], (),
                 id="finished"),
    pytest.param(FINISHED, {"status": "Refund complete", "amount": "US $8.75", "deadline": None}, UTC, ["amount"],
                 (), id="finished-other-refund"),
    pytest.param(SELLER_TURN, {"status": "Waiting for the seller's response", "amount": "US $8.75",
                               "deadline": "The seller must respond before 2026-11-24 10:00:00"}, UTC, [], (),
                 id="sellers-turn-shows-the-request"),
    pytest.param(MEDIATOR, {"status": "AliExpress needs more information from you", "amount": "US $8.75",
                            "deadline": "Answer before 2026-11-24 10:00:00"}, UTC, [], (), id="mediator"),
])
def test_the_readings_are_compared(data: dict, shown: dict, tz: timezone, differences: list[str],
                                   zeros: tuple[str, ...]) -> None:
    detail, reading = case(**data), read_page(page(**shown), tz)
    found = compare_readings(detail, reading)
    assert [d.what for d in found] == differences, found
    assert zero_seen(detail, reading) == zeros


def test_disagreeing_readings_are_a_changed_page_naming_each_difference_and_a_lone_zero() -> None:
    detail = case(latest_proposal=offer(usd("5.00")))
    with pytest.raises(ReadingsDisagree) as caught:
        check_readings(detail, read_page(page(deadline=None)))
    error = caught.value
    assert isinstance(error, PageChanged)
    assert [d.what for d in error.disagreements] == ["amount", "deadline"]
    assert error.zero_seen == ("page",)
    assert str(error).startswith("dispute R1: the page and its data disagree (amount: the answer says 5.00 USD, "
                                 "the page shows 0.00 USD; deadline: the answer says 2026-11-24 10:00:00 UTC, "
                                 "the page shows nothing) — only the page shows a refund of zero; nothing was decided")


def test_agreeing_readings_keep_the_data_and_the_pages_words() -> None:
    detail = check_readings(case(), read_page(SHOWN))
    assert detail.latest_proposal.refund == usd("0.00") and detail.stage is DisputeStage.WAIT_BUYER_RESPONSE
    assert detail.page_status_text == "Waiting for your response"


def test_where_the_data_does_not_know_the_stage_the_pages_status_line_says_it() -> None:
    detail = check_readings(case(stage=DisputeStage.UNKNOWN, stage_code="7"), read_page(SHOWN))
    assert detail.stage is DisputeStage.WAIT_BUYER_RESPONSE and detail.stage_code == "7"
    unknown = check_readings(case(stage=DisputeStage.UNKNOWN), read_page(page(status="Brand new words")))
    assert unknown.stage is DisputeStage.UNKNOWN


@pytest.mark.parametrize(("text", "hint", "amount"), [
    ("US $0.00", None, usd("0.00")),
    ("R$47.30", None, Money(amount=Decimal("47.30"), currency="BRL")),
    ("27.60 €", None, Money(amount=Decimal("27.60"), currency="EUR")),
    ("$19.99", None, None),  # "$" alone names no currency …
    ("$19.99", "USD", usd("19.99")),  # … unless the data's currency settles it
    ("Refund: US $1.00", None, None),  # prose around the amount is not read
])
def test_the_pages_amount_is_read_with_its_own_currency(text: str, hint: str | None, amount: Money | None) -> None:
    assert read_page(page(amount=text), UTC, hint).amount == amount
