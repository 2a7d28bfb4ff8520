"""The rules: (state, now, policy) → alerts, one per incident, never after a deadline.

Table tests pin each alert kind and every threshold edge (just before / at / after);
property tests replay random timelines of offers and polls the way the outbox does
(one stored alert per dedupe key) and check the promises the product makes: a zero
offer seen in time yields exactly one critical alert plus at most one reminder per
threshold, nothing is said about an offer once its deadline passed, and an unknown
amount is never taken for zero.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from agent.core.models import (
    DeadlineKind,
    DisputeDeadline,
    DisputeDetail,
    DisputeResult,
    DisputeStage,
    FinishInfo,
    MediatorRequest,
    Order,
    OrderLine,
    OrderStatus,
    Proposal,
    ProposalStatus,
    Proposer,
    ProtectionTimer,
    TimerSource,
)
from agent.core.money import Money
from agent.judge.alerts import ActionKind, Alert, AlertKind, Severity
from agent.judge.policy import Policy
from agent.judge.rules import (
    DisputeView,
    HealthView,
    OrderView,
    WatchState,
    judge,
    time_left,
)

UTC = timezone.utc
ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
D = T0 + timedelta(days=4)  # the response deadline of the offers below
POLICY = Policy()
SECOND = timedelta(seconds=1)
H = timedelta(hours=1)
DAY = timedelta(days=1)


# --- builders ---------------------------------------------------------------------------------


def money(amount: str, currency: str = "EUR") -> Money:
    return Money(amount=Decimal(amount), currency=currency)


def offer(amount: str | Money | None = "0.00", *, pid: str | None = "P2", currency: str = "EUR",
          respond_by: datetime | None = D, status: ProposalStatus | None = ProposalStatus.PENDING,
          proposer: Proposer = Proposer.SELLER, solution: int = 1, created: datetime | None = T0) -> Proposal:
    refund = amount if isinstance(amount, Money) or amount is None else money(amount, currency)
    return Proposal(proposal_id=pid, proposer=proposer, solution_type=solution, refund=refund, status=status,
                    respond_by=respond_by, created_at=created)


def ask(amount: str | None = "20.00", currency: str = "EUR", solution: int = 1) -> Proposal:
    return Proposal(proposer=Proposer.BUYER, solution_type=solution, created_at=T0 - DAY,
                    refund=money(amount, currency) if amount is not None else None)


def detail(*proposals: Proposal, stage: DisputeStage = DisputeStage.WAIT_BUYER_RESPONSE, site_time: datetime = T0,
           buyer: Proposal | None = None, deadlines: tuple[tuple[DeadlineKind, datetime], ...] = (),
           buttons: tuple[str, ...] = (), **extra: Any) -> DisputeDetail:
    return DisputeDetail(
        reverse_order_id="RO1", reverse_line_id="R1", trade_order_id="8215", trade_line_id="L1",
        reverse_status=4 if stage is DisputeStage.FINISHED else 2, stage=stage,
        buyer_solution=buyer or ask(), proposals=list(proposals),
        deadlines=[DisputeDeadline(kind=kind, ends_at=at) for kind, at in deadlines], buttons=list(buttons),
        site_time=site_time, item_title="USB cable", **extra)


def run(latest: DisputeDetail, now: datetime, previous: DisputeDetail | None = None,
        policy: Policy = POLICY) -> list[Alert]:
    state = WatchState(disputes=[DisputeView(latest=latest, previous=previous, link="https://x/d/R1",
                                             screenshot=Path("/tmp/shot.png"))])
    return judge(state, now, policy)


def keys(alerts: list[Alert]) -> list[str]:
    return sorted(a.dedupe_key for a in alerts)


def only(alerts: list[Alert], kind: AlertKind) -> Alert:
    found = [a for a in alerts if a.kind is kind]
    assert len(found) == 1, alerts
    return found[0]


# --- zero offers -----------------------------------------------------------------------------


@pytest.mark.parametrize("refund", [
    money("0"), money("0.00"), money("-0.00"), money("0E-8"), Money.from_minor(0, "BRL"), Money.zero("JPY"),
    money("0", "CNY"), money("0.000", "KWD"), money("-5.66", "BRL"),
])
def test_zero_offer_in_any_format_is_critical_at_once(refund: Money) -> None:
    alerts = run(detail(offer(refund)), T0)
    alert = only(alerts, AlertKind.ZERO_OFFER)
    assert alert.severity is Severity.CRITICAL
    assert alert.dedupe_key == "zero-offer:R1:P2"
    assert alert.amount == refund and alert.deadline == D
    assert alert.action is not None and alert.action.kind is ActionKind.REJECT and alert.action.not_after == D
    assert alert.action.automatic is False  # policy notify
    assert alert.screenshot == Path("/tmp/shot.png") and alert.link == "https://x/d/R1"
    assert alert.facts["deadline_local"] == "Tue 24 Nov 2026, 10:00 UTC"
    assert not [a for a in alerts if a.kind is AlertKind.OFFER_AWAITING]


@pytest.mark.parametrize("proposer", [Proposer.SELLER, Proposer.PLATFORM, Proposer.UNKNOWN])
def test_zero_offer_from_anyone_but_the_buyer(proposer: Proposer) -> None:
    assert only(run(detail(offer(proposer=proposer)), T0), AlertKind.ZERO_OFFER).severity is Severity.CRITICAL


@pytest.mark.parametrize("status", [ProposalStatus.ACCEPTED, ProposalStatus.REJECTED, ProposalStatus.WITHDRAWN,
                                    ProposalStatus.EXPIRED])
def test_a_zero_offer_no_longer_pending_is_not_alerted(status: ProposalStatus) -> None:
    assert run(detail(offer(status=status), stage=DisputeStage.WAIT_SELLER_RESPONSE), T0) == []


def test_the_buyers_own_proposal_is_not_an_offer() -> None:
    assert run(detail(offer(proposer=Proposer.BUYER), stage=DisputeStage.WAIT_SELLER_RESPONSE), T0) == []


def test_unreadable_status_with_a_deadline_still_counts_as_pending() -> None:
    alerts = run(detail(offer(status=ProposalStatus.UNKNOWN)), T0)
    assert keys(alerts) == ["zero-offer:R1:P2"]


def test_zero_offer_from_the_latest_proposal_when_there_is_no_history() -> None:
    alerts = run(detail(latest_proposal=offer()), T0)
    assert keys(alerts) == ["zero-offer:R1:P2"]


def test_the_page_latest_proposal_overrides_the_history() -> None:
    withdrawn = offer(status=ProposalStatus.WITHDRAWN, respond_by=None)
    assert run(detail(offer(), latest_proposal=withdrawn, stage=DisputeStage.WAIT_SELLER_RESPONSE), T0) == []


@pytest.mark.parametrize(("pid", "created", "key"), [
    ("P7", T0, "zero-offer:R1:P7"),
    (None, T0, "zero-offer:R1:20261120T100000Z"),
    (None, None, "zero-offer:R1:unidentified"),
])
def test_zero_offer_key_names_the_proposal(pid: str | None, created: datetime | None, key: str) -> None:
    assert keys(run(detail(offer(pid=pid, created=created)), T0)) == [key]


# Seen at T0 (four days before D); judged later from the same stored reading, as the
# scheduler's sweep does. Edges of each reminder threshold: just before / at / after.
@pytest.mark.parametrize(("now", "expected"), [
    (T0, []),
    (D - 48 * H - SECOND, []),
    (D - 48 * H, ["48h"]),
    (D - 48 * H + SECOND, ["48h"]),
    (D - 24 * H - SECOND, ["48h"]),
    (D - 24 * H, ["24h"]),
    (D - 6 * H - SECOND, ["24h"]),
    (D - 6 * H, ["6h"]),
    (D - SECOND, ["6h"]),
])
def test_zero_offer_reminders_at_each_threshold(now: datetime, expected: list[str]) -> None:
    alerts = run(detail(offer()), now)
    assert keys(alerts) == sorted(["zero-offer:R1:P2"] + [f"zero-offer:R1:P2:reminder:{h}" for h in expected])
    for alert in alerts:
        assert alert.severity is Severity.CRITICAL
        assert alert.created_at == now < alert.deadline
    reminders = [a for a in alerts if a.kind is AlertKind.ZERO_OFFER_REMINDER]
    assert all(a.facts["reminder"] in expected for a in reminders)


@pytest.mark.parametrize("now", [D, D + SECOND, D + 3 * DAY])
def test_nothing_about_a_zero_offer_once_its_deadline_passed(now: datetime) -> None:
    assert run(detail(offer(), site_time=D - H), now, previous=detail(offer(), site_time=T0)) == []


def test_late_seen_zero_offer_is_one_message_and_stays_one() -> None:
    first_seen = D - 5 * H
    assert keys(run(detail(offer(), site_time=first_seen), first_seen)) == ["zero-offer:R1:P2"]
    # later polls: the previous reading shows it already; no reminder burst appears
    for later in (D - 4 * H, D - H, D - SECOND):
        latest = detail(offer(), site_time=later)
        assert keys(run(latest, later, previous=detail(offer(), site_time=first_seen))) == ["zero-offer:R1:P2"]
    alert = only(run(detail(offer(), site_time=first_seen), first_seen), AlertKind.ZERO_OFFER)
    assert alert.facts["time_left"] == "5 hours"


def test_seen_between_thresholds_gets_only_the_later_reminders() -> None:
    seen = D - 30 * H
    assert keys(run(detail(offer(), site_time=seen), seen)) == ["zero-offer:R1:P2"]
    at_24 = run(detail(offer(), site_time=D - 23 * H), D - 23 * H, previous=detail(offer(), site_time=seen))
    assert keys(at_24) == ["zero-offer:R1:P2", "zero-offer:R1:P2:reminder:24h"]
    # polls resume after a gap that crossed 6 h: only the most recent reminder
    at_6 = run(detail(offer(), site_time=D - 2 * H), D - 2 * H, previous=detail(offer(), site_time=D - 20 * H))
    assert keys(at_6) == ["zero-offer:R1:P2", "zero-offer:R1:P2:reminder:6h"]


def test_zero_offer_with_unknown_deadline_alerts_without_reminders_or_automation() -> None:
    alerts = run(detail(offer(respond_by=None)), T0 + 10 * DAY, policy=Policy(on_zero_offer="reject"))
    alert = only(alerts, AlertKind.ZERO_OFFER)
    assert keys(alerts) == ["zero-offer:R1:P2"]
    assert alert.deadline is None and alert.facts["deadline_local"] == "unknown"
    assert alert.action is not None and alert.action.automatic is False


def test_zero_offer_deadline_falls_back_to_the_pages_respond_deadline() -> None:
    alerts = run(detail(offer(respond_by=None), deadlines=((DeadlineKind.BUYER_RESPOND, D),)), D - 6 * H)
    assert keys(alerts) == ["zero-offer:R1:P2", "zero-offer:R1:P2:reminder:6h"]


@pytest.mark.parametrize(("mode", "buttons", "kind", "automatic"), [
    ("notify", (), ActionKind.REJECT, False),
    ("notify", ("ESCALATE",), ActionKind.ESCALATE, False),
    ("reject", ("ESCALATE",), ActionKind.REJECT, True),
    ("escalate", ("ESCALATE",), ActionKind.ESCALATE, True),
    ("escalate", (), ActionKind.REJECT, True),  # no escalation on the page: reject so it cannot close on $0
])
def test_zero_offer_action_follows_the_policy(mode: str, buttons: tuple[str, ...], kind: ActionKind,
                                              automatic: bool) -> None:
    policy = Policy(on_zero_offer=mode)
    alerts = run(detail(offer(), buttons=buttons), D - 6 * H, policy=policy)
    for alert in (only(alerts, AlertKind.ZERO_OFFER), only(alerts, AlertKind.ZERO_OFFER_REMINDER)):
        assert alert.action is not None
        assert (alert.action.kind, alert.action.automatic, alert.action.not_after) == (kind, automatic, D)


PLATFORM = T0 + 7 * DAY


@pytest.mark.parametrize(("mode", "buttons", "said"), [
    ("escalate", (), "; the page offers no escalation: AliExpress is expected to step in on Fri 27 Nov 2026, 10:00 UTC"),
    ("escalate", ("ESCALATE",), ""),
    ("notify", (), ""),
    ("reject", (), ""),
])
def test_where_the_page_offers_no_escalation_policy_escalate_rejects_and_says_when_aliexpress_steps_in(
        mode: str, buttons: tuple[str, ...], said: str) -> None:
    latest = detail(offer(), buttons=buttons, deadlines=((DeadlineKind.PLATFORM_ESCALATION, PLATFORM),))
    alert = only(run(latest, T0, policy=Policy(on_zero_offer=mode)), AlertKind.ZERO_OFFER)
    assert alert.action.text.endswith(said) if said else "step in" not in alert.action.text
    assert "escalate" not in alert.action.text.lower().replace("policy: escalate", "") or buttons
    # the message says when AliExpress steps in only where the page offers no escalation
    assert alert.facts.get("platform_steps_in") == (None if buttons else "Fri 27 Nov 2026, 10:00 UTC")


@pytest.mark.parametrize("mode", ["notify", "reject", "escalate"])
@pytest.mark.parametrize("amount", ["20.00", "9.00", "12.00", None])
def test_only_zero_offers_are_ever_automatic(mode: str, amount: str | None) -> None:
    alerts = run(detail(offer(amount)), D - H, policy=Policy(on_zero_offer=mode))
    assert alerts and all(a.action is None or not a.action.automatic for a in alerts)


def test_a_request_changed_to_nothing_is_critical_and_not_a_win() -> None:
    seller_by = T0 + 5 * DAY
    latest = detail(buyer=ask("0.00"), stage=DisputeStage.WAIT_SELLER_RESPONSE,
                    deadlines=((DeadlineKind.SELLER_RESPOND, seller_by),))
    alerts = run(latest, T0)
    alert = only(alerts, AlertKind.ZERO_OFFER)
    assert alert.dedupe_key == "zero-request:R1:20261119T100000Z"
    assert alert.severity is Severity.CRITICAL and alert.deadline == seller_by
    assert not [a for a in alerts if a.kind is AlertKind.SELLER_SILENT]
    assert keys(run(latest, seller_by - 24 * H)) == [alert.dedupe_key, f"{alert.dedupe_key}:reminder:24h"]
    assert run(latest, seller_by) == []


# --- unknown amounts and other offers --------------------------------------------------------


def test_an_unreadable_amount_is_never_a_zero_offer() -> None:
    alerts = run(detail(offer(None)), T0)
    alert = only(alerts, AlertKind.OFFER_AWAITING)
    assert alert.severity is Severity.WARNING and alert.amount is None
    assert alert.facts["amount"] == "unreadable" and "could not be read" in alert.title
    assert alert.action is not None and alert.action.kind is ActionKind.CHECK_SITE
    assert not [a for a in alerts if a.kind in (AlertKind.ZERO_OFFER, AlertKind.ZERO_OFFER_REMINDER)]


@pytest.mark.parametrize(("now", "expected"), [(D - SECOND, ["offer:R1:unread:2026-11-24T10:00Z"]), (D, [])])
def test_waiting_for_an_answer_to_an_offer_that_could_not_be_read(now: datetime, expected: list[str]) -> None:
    latest = detail(stage=DisputeStage.WAIT_BUYER_RESPONSE, deadlines=((DeadlineKind.BUYER_RESPOND, D),))
    alerts = run(latest, now)
    assert keys(alerts) == expected
    assert all(a.severity is Severity.WARNING and a.amount is None for a in alerts)


def test_an_unreadable_request_is_not_a_zero_request() -> None:
    latest = detail(buyer=ask(None), stage=DisputeStage.WAIT_SELLER_RESPONSE,
                    deadlines=((DeadlineKind.SELLER_RESPOND, D),))
    assert [a.kind for a in run(latest, T0)] == [AlertKind.SELLER_SILENT]


@pytest.mark.parametrize(("amount", "currency", "solution", "kind", "action"), [
    ("9.99", "EUR", 1, AlertKind.LOWBALL_OFFER, ActionKind.REJECT),
    ("10.00", "EUR", 1, AlertKind.OFFER_AWAITING, ActionKind.NONE),  # exactly the share: not lowball
    ("10.01", "EUR", 1, AlertKind.OFFER_AWAITING, ActionKind.NONE),
    ("20.00", "EUR", 1, AlertKind.OFFER_AWAITING, ActionKind.ACCEPT),
    ("1.00", "USD", 1, AlertKind.OFFER_AWAITING, ActionKind.NONE),  # other currency: not compared
    ("20.00", "EUR", 2, AlertKind.SOLUTION_CHANGED, ActionKind.REJECT),
])
def test_non_zero_offers(amount: str, currency: str, solution: int, kind: AlertKind, action: ActionKind) -> None:
    alerts = run(detail(offer(amount, currency=currency, solution=solution)), T0)
    assert keys(alerts) == ["offer:R1:P2"]
    alert = alerts[0]
    assert (alert.kind, alert.severity, alert.deadline) == (kind, Severity.WARNING, D)
    assert alert.action is not None and (alert.action.kind, alert.action.automatic) == (action, False)
    assert alert.action.not_after == D and alert.amount == money(amount, currency)


def test_a_bad_offer_suggests_escalation_when_the_site_allows_it() -> None:
    alert = run(detail(offer("1.00"), buttons=("ESCALATE",)), T0)[0]
    assert alert.kind is AlertKind.LOWBALL_OFFER
    assert alert.action is not None and alert.action.kind is ActionKind.ESCALATE


def test_lowball_share_comes_from_the_policy() -> None:
    assert run(detail(offer("15.00")), T0, policy=Policy(lowball_share=Decimal("0.8")))[0].kind \
        is AlertKind.LOWBALL_OFFER


@pytest.mark.parametrize(("now", "reminder"), [
    (D - 72 * H - SECOND, False), (D - 72 * H, True), (D - SECOND, True), (D, None),
])
def test_offer_awaiting_gets_one_reminder_when_the_deadline_is_near(now: datetime, reminder: bool | None) -> None:
    alerts = run(detail(offer("12.00")), now)
    if reminder is None:
        assert alerts == []
    else:
        expected = ["offer:R1:P2"] + (["offer:R1:P2:reminder:72h"] if reminder else [])
        assert keys(alerts) == expected


def test_offer_seen_with_less_than_the_soon_window_left_is_one_message() -> None:
    assert keys(run(detail(offer("12.00"), site_time=D - 48 * H), D - 40 * H)) == ["offer:R1:P2"]


def test_withdrawn_offer() -> None:
    previous = detail(offer("5.00"), site_time=T0)
    latest = detail(offer("5.00", status=ProposalStatus.WITHDRAWN, respond_by=None),
                    stage=DisputeStage.WAIT_SELLER_RESPONSE, site_time=T0 + H)
    alert = only(run(latest, T0 + H, previous=previous), AlertKind.PROPOSAL_WITHDRAWN)
    assert (alert.dedupe_key, alert.severity) == ("withdrawn:R1:P2", Severity.WARNING)
    assert "withdrew the offer of 5.00 EUR" in alert.title


def test_replaced_offer_names_both_amounts_and_alerts_the_new_zero_offer() -> None:
    previous = detail(offer("5.00"), site_time=T0)
    latest = detail(offer("5.00", status=ProposalStatus.WITHDRAWN, respond_by=None),
                    offer("0.00", pid="P3", created=T0 + H), site_time=T0 + H)
    alerts = run(latest, T0 + H, previous=previous)
    assert keys(alerts) == ["withdrawn:R1:P2", "zero-offer:R1:P3"]
    assert "replaced the offer of 5.00 EUR with 0.00 EUR" in only(alerts, AlertKind.PROPOSAL_WITHDRAWN).title


@pytest.mark.parametrize("status", [ProposalStatus.REJECTED, ProposalStatus.ACCEPTED, ProposalStatus.EXPIRED])
def test_an_answered_offer_is_not_withdrawn(status: ProposalStatus) -> None:
    latest = detail(offer("5.00", status=status, respond_by=None), stage=DisputeStage.WAIT_SELLER_RESPONSE,
                    site_time=T0 + H)
    assert run(latest, T0 + H, previous=detail(offer("5.00"))) == []


def test_an_offer_missing_from_the_page_is_not_called_withdrawn() -> None:
    latest = detail(stage=DisputeStage.WAIT_SELLER_RESPONSE, site_time=T0 + H)
    assert run(latest, T0 + H, previous=detail(offer("5.00"))) == []


# --- seller silent, escalation, mediator, return -----------------------------------------------


@pytest.mark.parametrize(("now", "expected"), [(D - SECOND, True), (D, False), (D + H, False)])
def test_seller_silent_says_when_the_buyer_wins(now: datetime, expected: bool) -> None:
    latest = detail(stage=DisputeStage.WAIT_SELLER_RESPONSE, deadlines=((DeadlineKind.SELLER_RESPOND, D),))
    alerts = run(latest, now, policy=Policy(time_zone="Europe/Berlin"))
    if not expected:
        assert alerts == []
        return
    alert = only(alerts, AlertKind.SELLER_SILENT)
    assert alert.severity is Severity.INFO and alert.dedupe_key == "seller-silent:R1:2026-11-24T10:00Z"
    assert "you win (20.00 EUR) on Tue 24 Nov 2026, 11:00 CET" in alert.title


def test_seller_silent_key_survives_seconds_of_countdown_jitter() -> None:
    def at(deadline: datetime) -> list[str]:
        latest = detail(stage=DisputeStage.WAIT_SELLER_RESPONSE, deadlines=((DeadlineKind.SELLER_RESPOND, deadline),))
        return keys(run(latest, T0))
    assert at(D - 3 * SECOND) == at(D) == at(D + 2 * SECOND)


@pytest.mark.parametrize(("stage", "deadlines", "buttons", "now", "expected"), [
    # only a button the page shows counts: a date passing does not put one there
    (DisputeStage.WAIT_SELLER_RESPONSE, ((DeadlineKind.ESCALATE_AVAILABLE, T0 + DAY),), (), T0 + DAY, False),
    (DisputeStage.WAIT_SELLER_RESPONSE, ((DeadlineKind.PLATFORM_ESCALATION, T0 + DAY),), (), T0 + 2 * DAY, False),
    (DisputeStage.WAIT_SELLER_RESPONSE, ((DeadlineKind.ESCALATE_AVAILABLE, T0),), ("ESCALATE",), T0, True),
    (DisputeStage.WAIT_BUYER_RESPONSE, (), ("ESCALATE",), T0, True),
    (DisputeStage.UNKNOWN, (), ("ESCALATE",), T0, True),
    (DisputeStage.ESCALATED, ((DeadlineKind.ESCALATE_AVAILABLE, T0),), ("ESCALATE",), T0 + DAY, False),
    (DisputeStage.WAIT_RETURN_SHIPMENT, (), ("ESCALATE",), T0, False),
])
def test_escalation_possible(stage: DisputeStage, deadlines: tuple, buttons: tuple[str, ...], now: datetime,
                             expected: bool) -> None:
    alerts = [a for a in run(detail(stage=stage, deadlines=deadlines, buttons=buttons), now)
              if a.kind is AlertKind.ESCALATION_POSSIBLE]
    assert [a.dedupe_key for a in alerts] == (["escalation:R1"] if expected else [])
    assert all(a.severity is Severity.INFO and not a.action.automatic for a in alerts)


def mediator(deadline: datetime | None = D, **extra: Any) -> DisputeDetail:
    return detail(stage=DisputeStage.WAIT_BUYER_INFO, mediator_request=MediatorRequest(text="Send a video",
                                                                                       deadline=deadline), **extra)


@pytest.mark.parametrize(("now", "expected"), [
    (T0, ["mediator:R1:2026-11-24T10:00Z"]),
    (D - 48 * H, ["mediator:R1:2026-11-24T10:00Z", "mediator:R1:2026-11-24T10:00Z:reminder:48h"]),
    (D - SECOND, ["mediator:R1:2026-11-24T10:00Z", "mediator:R1:2026-11-24T10:00Z:reminder:6h"]),
    (D, []),
])
def test_mediator_request_is_critical_until_its_deadline(now: datetime, expected: list[str]) -> None:
    alerts = run(mediator(), now)
    assert keys(alerts) == expected
    assert all(a.severity is Severity.CRITICAL and a.action.kind is ActionKind.ANSWER_MEDIATOR for a in alerts)


def test_mediator_deadline_from_the_deadline_list() -> None:
    latest = mediator(None, deadlines=((DeadlineKind.MEDIATOR_INFO, D),))
    assert only(run(latest, T0), AlertKind.MEDIATOR_REQUEST).deadline == D


def returning(site_time: datetime = T0) -> DisputeDetail:
    return detail(stage=DisputeStage.WAIT_RETURN_SHIPMENT, deadlines=((DeadlineKind.RETURN_SHIPMENT, D),),
                  site_time=site_time)


@pytest.mark.parametrize(("now", "expected"), [
    (T0, [("return:R1:2026-11-24T10:00Z", Severity.WARNING)]),
    (D - 48 * H, [("return:R1:2026-11-24T10:00Z", Severity.WARNING),
                  ("return:R1:2026-11-24T10:00Z:reminder:48h", Severity.CRITICAL)]),
    (D, []),
])
def test_return_to_ship_warns_then_turns_critical(now: datetime, expected: list) -> None:
    assert sorted((a.dedupe_key, a.severity) for a in run(returning(), now)) == expected


def test_return_first_seen_near_its_deadline_is_one_critical_message() -> None:
    alerts = run(returning(D - 30 * H), D - 30 * H)
    assert [(a.dedupe_key, a.severity) for a in alerts] == [("return:R1:2026-11-24T10:00Z:reminder:48h",
                                                             Severity.CRITICAL)]
    later = run(returning(D - 20 * H), D - 20 * H, previous=returning(D - 30 * H))
    assert keys(later) == ["return:R1:2026-11-24T10:00Z:reminder:24h"]


# --- closed disputes -------------------------------------------------------------------------


@pytest.mark.parametrize(("result", "refund", "severity", "words"), [
    (DisputeResult.WON, money("20.00"), Severity.INFO, "won: refund 20.00 EUR"),
    (DisputeResult.LOST, money("0.00"), Severity.WARNING, "lost: no refund"),
    (DisputeResult.LOST, None, Severity.WARNING, "lost: refund unreadable"),
    (DisputeResult.UNKNOWN, money("3.00"), Severity.INFO, "closed: refund 3.00 EUR"),
])
def test_closed_dispute(result: DisputeResult, refund: Money | None, severity: Severity, words: str) -> None:
    latest = detail(offer(status=ProposalStatus.EXPIRED), stage=DisputeStage.FINISHED,
                    finish=FinishInfo(result=result, refund=refund, finished_at=T0))
    alerts = run(latest, T0 + DAY, previous=detail(offer()))
    assert [(a.kind, a.severity, a.dedupe_key) for a in alerts] == [(AlertKind.DISPUTE_CLOSED, severity, "closed:R1")]
    assert words in alerts[0].title and alerts[0].amount == refund


def test_a_finished_case_says_nothing_about_its_old_offers_and_old_news_is_dropped() -> None:
    latest = detail(offer(), stage=DisputeStage.FINISHED,
                    finish=FinishInfo(result=DisputeResult.LOST, refund=money("0"), finished_at=T0))
    assert keys(run(latest, T0 + 15 * DAY)) == ["closed:R1"]
    assert run(latest, T0 + 15 * DAY + SECOND) == []


# --- orders ----------------------------------------------------------------------------------

END = T0 + 30 * DAY


def order(ends_at: datetime | None = END, status: OrderStatus = OrderStatus.COMPLETED) -> Order:
    timer = ProtectionTimer(ends_at=ends_at, source=TimerSource.COUNTDOWN, read_at=T0) if ends_at else None
    return Order(order_id="8215", status=status, lines=[], timer=timer, site_time=T0, store_name="Shop")


def run_order(now: datetime, **kwargs: Any) -> list[tuple[str, Severity, AlertKind]]:
    view = OrderView(order=order(**kwargs), link="https://x/o/8215")
    return [(a.dedupe_key, a.severity, a.kind) for a in judge(WatchState(orders=[view]), now, POLICY)]


P = "protection:8215:2026-12-20T10:00Z"


@pytest.mark.parametrize(("now", "expected"), [
    (END - 15 * DAY - SECOND, []),
    (END - 15 * DAY, [(f"{P}:15d", Severity.INFO, AlertKind.PROTECTION_ENDING)]),
    (END - 7 * DAY - SECOND, [(f"{P}:15d", Severity.INFO, AlertKind.PROTECTION_ENDING)]),
    (END - 7 * DAY, [(f"{P}:7d", Severity.WARNING, AlertKind.PROTECTION_ENDING)]),
    (END - 3 * DAY, [(f"{P}:3d", Severity.CRITICAL, AlertKind.PROTECTION_ENDING)]),
    (END - 2 * DAY, [(f"{P}:3d", Severity.CRITICAL, AlertKind.PROTECTION_ENDING)]),  # first seen: no burst
    (END - DAY, [(f"{P}:1d", Severity.CRITICAL, AlertKind.PROTECTION_ENDING)]),
    (END - SECOND, [(f"{P}:1d", Severity.CRITICAL, AlertKind.PROTECTION_ENDING)]),
    (END, [("after-close:8215:2026-12-20T10:00Z", Severity.WARNING, AlertKind.AFTER_CLOSE_WINDOW)]),
    (END + 15 * DAY - SECOND, [("after-close:8215:2026-12-20T10:00Z", Severity.WARNING,
                                AlertKind.AFTER_CLOSE_WINDOW)]),
    (END + 15 * DAY, []),
])
def test_protection_thresholds_and_after_close_window(now: datetime, expected: list) -> None:
    assert run_order(now) == expected


def test_protection_alert_wording_and_action() -> None:
    view = OrderView(order=order(), link="https://x/o/8215")
    alert = judge(WatchState(orders=[view]), END - 3 * DAY, Policy(time_zone="Europe/Berlin"))[0]
    assert alert.action is not None and alert.action.kind is ActionKind.OPEN_DISPUTE
    assert alert.action.not_after == END and not alert.action.automatic
    assert alert.facts["deadline_local"] == "Sun 20 Dec 2026, 11:00 CET" and alert.facts["time_left"] == "3 days"
    after = judge(WatchState(orders=[view]), END + DAY, POLICY)[0]
    assert after.deadline == END + 15 * DAY and "until Mon 4 Jan 2027, 10:00 UTC" in after.title


def test_extended_protection_is_a_new_incident() -> None:
    extended = END + 10 * DAY
    assert run_order(END - DAY)[0][0] == f"{P}:1d"
    assert run_order(extended - DAY, ends_at=extended)[0][0] == "protection:8215:2026-12-30T10:00Z:1d"


@pytest.mark.parametrize(("kwargs", "has_dispute"), [
    ({"status": OrderStatus.CANCELLED}, False), ({"status": OrderStatus.AWAITING_PAYMENT}, False),
    ({"ends_at": None}, False), ({}, True),
])
def test_orders_without_protection_to_watch(kwargs: dict, has_dispute: bool) -> None:
    view = OrderView(order=order(**kwargs), has_dispute=has_dispute)
    assert judge(WatchState(orders=[view]), END - DAY, POLICY) == []


def line(can_open: bool | None) -> OrderLine:
    return OrderLine(line_id="82150", title="Lamp", quantity=1, can_open_dispute=can_open)


@pytest.mark.parametrize(("after_dispute", "offers", "warned"), [
    (None, {}, True),  # never disputed: warned whatever the buttons
    (False, {"can_open_dispute": True}, False),  # cases over, the page not read since: not yet
    (True, {"can_open_dispute": True}, True),  # read since, the order offers a dispute
    (True, {"lines": [line(False), line(True)]}, True),  # one item still offers one
    (True, {"can_open_dispute": False, "lines": [line(False)]}, False),  # the site refuses another
    (True, {}, False),  # read since, yet no button read: nothing to invite to
])
def test_an_ended_dispute_silences_its_order_only_while_the_site_offers_no_other(
        after_dispute: bool | None, offers: dict, warned: bool) -> None:
    """A case withdrawn or closed no longer hides the order's protection end for good: the
    order is judged again once a page read after the case ended offers a dispute."""
    view = OrderView(order=order().model_copy(update=offers), after_dispute=after_dispute)
    for now in (END - 3 * DAY, END + DAY):  # the protection's end, then the window after close
        alerts = judge(WatchState(orders=[view]), now, POLICY)
        assert bool(alerts) is warned, (now, alerts)


# --- health ----------------------------------------------------------------------------------

OK_AT = T0 - DAY


def health(**kwargs: Any) -> list[Alert]:
    return judge(WatchState(health=HealthView(last_success_at=OK_AT, **kwargs)), T0, POLICY)


def test_login_needed_is_critical_once_per_streak() -> None:
    first = health(consecutive_failures=1, last_failure_kind="login_needed")
    later = health(consecutive_failures=7, last_failure_kind="login_needed")
    assert [(a.kind, a.severity, a.dedupe_key) for a in first] == [
        (AlertKind.LOGIN_NEEDED, Severity.CRITICAL, f"login-needed:{OK_AT.isoformat()}")]
    assert keys(later) == keys(first)
    assert first[0].action is not None and first[0].action.kind is ActionKind.LOG_IN
    next_streak = judge(WatchState(health=HealthView(consecutive_failures=1, last_failure_kind="login_needed",
                                                     last_success_at=T0)), T0 + H, POLICY)
    assert keys(next_streak) != keys(first)


@pytest.mark.parametrize(("failures", "expected"), [(2, False), (3, True), (9, True)])
def test_automation_broken_after_n_failures_with_the_screenshot(failures: int, expected: bool) -> None:
    alerts = health(consecutive_failures=failures, last_failure_kind="page_changed", last_failure_message="x" * 999,
                    last_screenshot=Path("/s/fail.png"))
    if not expected:
        assert alerts == []
        return
    alert = only(alerts, AlertKind.AUTOMATION_BROKEN)
    assert alert.severity is Severity.CRITICAL and alert.screenshot == Path("/s/fail.png")
    assert alert.dedupe_key == f"automation-broken:{OK_AT.isoformat()}" and len(alert.facts["message"]) == 300
    assert alert.facts["evidence"] == str(Path("/s"))  # the folder to make a bundle of


def test_only_a_changed_page_offers_its_evidence_to_share() -> None:
    from zoneinfo import ZoneInfo

    from agent.notifications.messages import render

    changed = only(health(consecutive_failures=3, last_failure_kind="page_changed", last_failure_message="x",
                          last_screenshot=Path("/s/my evidence/fail.png")), AlertKind.AUTOMATION_BROKEN)
    assert "dispute-agent capture --from-evidence '/s/my evidence'" in render(changed, T0, ZoneInfo("UTC")).body
    down = only(health(consecutive_failures=3, last_failure_kind="site_unavailable", last_failure_message="down",
                       last_screenshot=Path("/s/fail.png")), AlertKind.AUTOMATION_BROKEN)
    assert "evidence" not in down.facts and "capture" not in render(down, T0, ZoneInfo("UTC")).body
    assert down.action.text.startswith("Nothing to do while the site is busy: the agent tries again by itself")
    assert changed.action.text.startswith("Look at the screenshot")


def test_all_clear_only_after_a_breakage() -> None:
    assert health() == []
    alert = only(health(previously_broken=True), AlertKind.ALL_CLEAR)
    assert alert.severity is Severity.INFO and alert.dedupe_key == f"all-clear:{OK_AT.isoformat()}"


# --- keys, wording, policy, purity -----------------------------------------------------------


def test_keys_do_not_depend_on_the_clock() -> None:
    latest = detail(offer("12.00"), stage=DisputeStage.WAIT_BUYER_RESPONSE,
                    deadlines=((DeadlineKind.ESCALATE_AVAILABLE, T0),), buttons=("ESCALATE",))
    seen: dict[str, tuple] = {}
    for step in range(0, 96, 5):
        for alert in run(latest, T0 + step * H):
            meaning = (alert.kind, alert.severity, alert.amount, alert.deadline)
            assert seen.setdefault(alert.dedupe_key, meaning) == meaning
            assert T0.isoformat() not in alert.dedupe_key
    assert set(seen) == {"offer:R1:P2", "offer:R1:P2:reminder:72h", "escalation:R1"}


def test_judge_needs_an_aware_now() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        judge(WatchState(), datetime(2026, 1, 1), POLICY)


@pytest.mark.parametrize(("delta", "text"), [
    (timedelta(days=2, hours=4, minutes=59), "2 days and 4 hours"), (timedelta(days=1), "1 day"),
    (timedelta(hours=5, minutes=30, seconds=59), "5 hours and 30 minutes"), (timedelta(minutes=12), "12 minutes"),
    (timedelta(seconds=-5), "less than a second"),
])
def test_time_left(delta: timedelta, text: str) -> None:
    assert time_left(delta) == text


def test_policy_defaults_and_validation() -> None:
    assert POLICY.protection_thresholds_days == (15, 7, 3, 1)
    assert POLICY.zero_offer_reminders_hours == (48, 24, 6)
    assert (POLICY.lowball_share, POLICY.failures_before_alert, POLICY.on_zero_offer) == (Decimal("0.5"), 3, "notify")
    assert (POLICY.after_close_days, POLICY.deadline_soon_hours, POLICY.time_zone) == (15, 72, "UTC")
    assert Policy(zero_offer_reminders_hours=(6, 48, 24, 6)).zero_offer_reminders_hours == (48, 24, 6)
    summer = datetime(2026, 7, 4, 8, 5, tzinfo=UTC)
    assert Policy(time_zone="Europe/Berlin").local(summer) == "Sat 4 Jul 2026, 10:05 CEST"
    for bad in ({"time_zone": "Mars/Olympus"}, {"lowball_share": "1.5"}, {"lowball_share": "0"},
                {"protection_thresholds_days": (7, 0)}, {"on_zero_offer": "accept"}, {"surprise": 1},
                {"failures_before_alert": 0}):
        with pytest.raises(ValidationError):
            Policy(**bad)
    with pytest.raises(ValidationError):
        POLICY.time_zone = "UTC"  # type: ignore[misc]  # frozen


FORBIDDEN = ("playwright", "sqlalchemy", "apprise", "httpx", "flows")
PURE = ("agent/judge/rules.py", "agent/judge/watch_state.py", "agent/judge/policy.py")


@pytest.mark.parametrize("path", PURE)
def test_rules_modules_import_nothing_impure(path: str) -> None:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {name for name in imported if name.split(".")[0] in FORBIDDEN}
    if path == "agent/judge/rules.py":  # no I/O at all: not even the means to it
        assert not {name for name in imported if name.split(".")[0] in ("os", "io", "socket", "subprocess")}


def test_importing_the_rules_loads_no_browser_database_or_notifier() -> None:
    code = ("import sys, agent.judge.rules; "
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({list(FORBIDDEN)!r})))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.strip() == "[]"


# --- property: random timelines polled like the daemon ---------------------------------------

CURRENCIES = ("EUR", "USD", "BRL", "JPY", "CNY")
ZEROS = st.sampled_from(["0", "0.00", "-0.00", "0E-3"]).map(Decimal)
POSITIVE = st.integers(1, 10_000_000).map(lambda cents: Decimal(cents).scaleb(-2))
AMOUNTS = st.one_of(ZEROS, POSITIVE, st.none())


@dataclass(frozen=True)
class PlannedOffer:
    pid: str
    at: datetime
    refund: Money | None
    deadline: datetime
    end: tuple[str, datetime] | None  # ("reject" | "withdraw", when)

    @property
    def zero(self) -> bool:
        return self.refund is not None and self.refund.amount <= 0


@dataclass(frozen=True)
class Timeline:
    offers: tuple[PlannedOffer, ...]
    polls: tuple[datetime, ...]  # the site is read: a new observation
    sweeps: tuple[datetime, ...]  # judge on the stored observations only
    auto_close: bool  # the platform closes the case with an unanswered offer at its deadline
    policy: Policy
    #: the page shows an escalation button (else the platform steps in by itself at ``platform``)
    escalation_button: bool = False
    platform: datetime | None = None


MINUTES = st.integers(0, 9 * 24 * 60)


@st.composite
def timelines(draw: st.DrawFn) -> Timeline:
    offers, start = [], T0
    for index in range(draw(st.integers(1, 3))):
        start += timedelta(minutes=draw(st.integers(0, 6 * 24 * 60)))
        amount = draw(AMOUNTS)
        refund = None if amount is None else Money(amount=amount, currency=draw(st.sampled_from(CURRENCIES)))
        deadline = start + timedelta(minutes=draw(st.integers(1, 8 * 24 * 60)))
        how = draw(st.sampled_from([None, None, "reject", "withdraw"]))  # most offers stay unanswered
        end = (how, start + timedelta(minutes=draw(MINUTES))) if how else None
        offers.append(PlannedOffer(f"P{index + 2}", start, refund, deadline, end))
    anywhere = st.lists(st.integers(0, 20 * 24 * 60).map(lambda m: T0 + timedelta(minutes=m)), max_size=20)
    # instants in the last three days before some deadline, where the reminders are
    near = st.lists(st.tuples(st.sampled_from(offers), st.integers(-60, 3 * 24 * 60)).map(
        lambda pair: pair[0].deadline - timedelta(minutes=pair[1])), max_size=12)
    polls = draw(anywhere) + draw(near)
    if draw(st.booleans()):  # a daemon polling at a steady pace through the whole story
        step = timedelta(minutes=draw(st.integers(3 * 60, 24 * 60)))
        polls += [T0 + step * k for k in range((max(p.deadline for p in offers) - T0) // step + 2)]
    policy = Policy(on_zero_offer=draw(st.sampled_from(["notify", "reject", "escalate"])))
    platform = draw(st.one_of(st.none(), anywhere.map(lambda moments: moments[0] if moments else T0)))
    return Timeline(tuple(offers), tuple(sorted(set(polls))), tuple(draw(anywhere) + draw(near)),
                    draw(st.booleans()), policy, draw(st.booleans()), platform)


def site_at(timeline: Timeline, t: datetime) -> DisputeDetail:
    """What the dispute page shows at ``t`` (sandbox semantics: a new offer replaces the pending one)."""
    events = []
    for i, planned in enumerate(timeline.offers):
        events.append((planned.at, 2, "create", i))
        if planned.end:
            events.append((planned.end[1], 1, planned.end[0], i))
        if timeline.auto_close:
            events.append((planned.deadline, 0, "deadline", i))
    status: dict[int, ProposalStatus] = {}
    finish: FinishInfo | None = None
    for when, _, what, i in sorted(events):
        if when > t or finish is not None:
            break
        if what == "create":
            status = {j: ProposalStatus.WITHDRAWN if s is ProposalStatus.PENDING else s for j, s in status.items()}
            status[i] = ProposalStatus.PENDING
        elif status.get(i) is ProposalStatus.PENDING:
            if what == "deadline":
                refund = timeline.offers[i].refund
                result = DisputeResult.UNKNOWN if refund is None else \
                    DisputeResult.LOST if refund.amount <= 0 else DisputeResult.WON
                status[i], finish = ProposalStatus.ACCEPTED, FinishInfo(result=result, refund=refund, finished_at=when)
            else:
                status[i] = ProposalStatus.REJECTED if what == "reject" else ProposalStatus.WITHDRAWN
    proposals = [offer(p.refund, pid=p.pid, created=p.at, status=status[i],
                       respond_by=p.deadline if status[i] is ProposalStatus.PENDING else None)
                 for i, p in enumerate(timeline.offers) if i in status]
    pending = any(p.status is ProposalStatus.PENDING for p in proposals)
    stage = DisputeStage.FINISHED if finish else \
        DisputeStage.WAIT_BUYER_RESPONSE if pending else DisputeStage.WAIT_SELLER_RESPONSE
    return detail(*proposals, stage=stage, finish=finish, site_time=t,
                  latest_proposal=proposals[-1] if proposals else None,
                  buttons=("ESCALATE",) if timeline.escalation_button and not finish else (),
                  deadlines=((DeadlineKind.PLATFORM_ESCALATION, timeline.platform),) if timeline.platform else ())


@dataclass(frozen=True)
class Judged:
    now: datetime
    latest: DisputeDetail
    alerts: list[Alert]


def replay(timeline: Timeline) -> tuple[list[Judged], dict[str, Alert]]:
    """Judge at every poll and sweep; the outbox keeps the first alert per key."""
    judged, outbox = [], {}
    for now in sorted(set(timeline.polls) | set(timeline.sweeps)):
        read = [p for p in timeline.polls if p <= now]
        if not read:
            continue
        latest = site_at(timeline, read[-1])
        previous = site_at(timeline, read[-2]) if len(read) > 1 else None
        alerts = run(latest, now, previous, timeline.policy)
        judged.append(Judged(now, latest, alerts))
        for alert in alerts:
            outbox.setdefault(alert.dedupe_key, alert)
    return judged, outbox


def pending_in(observed: DisputeDetail, pid: str) -> bool:
    return observed.stage is not DisputeStage.FINISHED and any(
        p.proposal_id == pid and p.status is ProposalStatus.PENDING for p in observed.proposals)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(timelines())
def test_any_timeline_yields_one_critical_per_zero_offer_and_nothing_late(timeline: Timeline) -> None:
    judged, outbox = replay(timeline)
    thresholds = timeline.policy.zero_offer_reminders_hours
    for planned in timeline.offers:
        base = f"zero-offer:R1:{planned.pid}"
        about = {key: alert for key, alert in outbox.items() if key.startswith(base)}
        if not planned.zero:  # a non-zero or unreadable offer never yields a zero-offer alert
            assert not about
            continue
        seen = [j.latest.site_time for j in judged if j.now < planned.deadline and pending_in(j.latest, planned.pid)]
        if not seen:
            assert not about
            continue
        assert outbox[base].kind is AlertKind.ZERO_OFFER and outbox[base].severity is Severity.CRITICAL
        assert set(about) <= {base} | {f"{base}:reminder:{h}h" for h in thresholds}
        first_seen = min(seen)
        for key, alert in about.items():
            assert alert.created_at < planned.deadline
            if key != base:  # a reminder only for a threshold crossed after the offer was known
                hours = timedelta(hours=int(key.rsplit(":", 1)[1].removesuffix("h")))
                assert first_seen < planned.deadline - hours <= alert.created_at
    meaning: dict[str, tuple] = {}
    for alert in (alert for j in judged for alert in j.alerts):
        assert alert.deadline is None or alert.created_at < alert.deadline
        if alert.kind in (AlertKind.ZERO_OFFER, AlertKind.ZERO_OFFER_REMINDER):
            assert alert.amount is not None and alert.amount.amount <= 0
        if alert.action is not None and alert.action.automatic:
            assert alert.kind in (AlertKind.ZERO_OFFER, AlertKind.ZERO_OFFER_REMINDER)
            assert alert.action.kind is not ActionKind.ACCEPT
            assert alert.action.not_after is not None and alert.created_at < alert.action.not_after
        facts = (alert.kind, alert.severity, alert.dispute_id, alert.amount, alert.deadline)
        assert meaning.setdefault(alert.dedupe_key, facts) == facts
        if not timeline.escalation_button:  # never a button the page does not show
            assert alert.kind is not AlertKind.ESCALATION_POSSIBLE
            assert alert.action is None or alert.action.kind is not ActionKind.ESCALATE
    for key in outbox:
        if key.startswith("withdrawn:"):
            planned = next(p for p in timeline.offers if p.pid == key.rsplit(":", 1)[1])
            replaced = any(p.at > planned.at for p in timeline.offers)
            assert replaced or (planned.end is not None and planned.end[0] == "withdraw")


@settings(max_examples=150, deadline=None)
@given(ends_in=st.integers(-20 * 24 * 60, 40 * 24 * 60),
       polls=st.lists(st.integers(0, 60 * 24 * 60), min_size=1, max_size=40))
def test_any_polling_of_a_protection_timer(ends_in: int, polls: list[int]) -> None:
    end = T0 + timedelta(minutes=ends_in)
    outbox: dict[str, Alert] = {}
    for minute in sorted(polls):
        now = T0 + timedelta(minutes=minute)
        for alert in judge(WatchState(orders=[OrderView(order=order(end))]), now, POLICY):
            assert alert.created_at < alert.deadline
            outbox.setdefault(alert.dedupe_key, alert)
    for key, alert in outbox.items():
        if alert.kind is AlertKind.PROTECTION_ENDING:
            days = int(key.rsplit(":", 1)[1].removesuffix("d"))
            assert days in POLICY.protection_thresholds_days
            assert end - timedelta(days=days) <= alert.created_at < end
            assert alert.severity is {15: Severity.INFO, 7: Severity.WARNING}.get(days, Severity.CRITICAL)
        else:
            assert alert.kind is AlertKind.AFTER_CLOSE_WINDOW
            assert end <= alert.created_at < end + timedelta(days=15)


@pytest.mark.parametrize(("seen_by", "says"), [
    (("page",), "only the dispute page shows a refund of nothing"),
    (("answer",), "only the dispute data shows a refund of nothing"),
    (("answer", "page"), "a refund of nothing is on the table, and the page disagrees with its data"),
])
def test_a_zero_seen_on_a_page_that_disagrees_with_its_data_is_critical_at_once(seen_by, says) -> None:
    from zoneinfo import ZoneInfo

    from agent.judge.dispute_rules import unconfirmed_zero_alert
    from agent.notifications.messages import render

    latest = detail(offer("5.00"), latest_proposal=offer("5.00"))
    alert = unconfirmed_zero_alert(latest, seen_by, T0, POLICY, link="https://x/d/R1")
    assert (alert.kind, alert.severity) == (AlertKind.ZERO_OFFER, Severity.CRITICAL)
    assert alert.dedupe_key == f"zero-unconfirmed:R1:{'+'.join(seen_by)}"
    assert says in alert.title and alert.deadline == D
    assert alert.action.kind is ActionKind.CHECK_SITE and not alert.action.automatic
    message = render(alert, T0, ZoneInfo("UTC"))
    assert "The dispute page and the data behind it disagree" in message.body


@pytest.mark.parametrize(("deadlines", "says"), [
    (((DeadlineKind.ESCALATE_AVAILABLE, T0 + DAY),), "dispute R1: escalation opens on Sat 21 Nov 2026, 10:00 UTC"),
    (((DeadlineKind.ESCALATE_AVAILABLE, T0 + DAY), (DeadlineKind.PLATFORM_ESCALATION, T0 + 3 * DAY)),
     "dispute R1: escalation opens on Sat 21 Nov 2026, 10:00 UTC"),  # the buyer's own date comes first
    (((DeadlineKind.PLATFORM_ESCALATION, T0 + 3 * DAY),), "AliExpress is expected to step in by itself on Mon 23 Nov"),
    ((), "does not say when"),
])
def test_escalate_too_early_says_from_when(deadlines, says) -> None:
    from agent.core.errors import NotEligible
    from agent.usecases.acting import check_escalate

    with pytest.raises(NotEligible) as refused:
        check_escalate(detail(stage=DisputeStage.WAIT_SELLER_RESPONSE, deadlines=deadlines), POLICY.local)
    assert says in str(refused.value)
    check_escalate(detail(stage=DisputeStage.WAIT_SELLER_RESPONSE, buttons=("ESCALATE",)), POLICY.local)  # offered


def test_a_reminder_from_a_reading_hours_old_says_when_that_reading_was() -> None:
    """A sweep reminds from the last reading, which may be hours old: the message claims
    "still unanswered" of that reading, never of now (the seller may have withdrawn it since)."""
    from zoneinfo import ZoneInfo

    from agent.notifications.messages import render

    read = D - 30 * H
    sweep = D - 5 * H  # no poll since the reading: the 6 h reminder comes from the sweep
    reminder = only(run(detail(offer(), site_time=read), sweep, previous=detail(offer(), site_time=read)),
                    AlertKind.ZERO_OFFER_REMINDER)
    assert reminder.facts["last_read"] == POLICY.local(read)
    body = render(reminder, sweep, ZoneInfo("UTC")).body
    assert f"still unanswered when the agent last read the dispute page, {POLICY.local(read)}" in body
