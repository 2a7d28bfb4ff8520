"""The agenda: what needs the user, by when — the buyer's deadline, never the seller's or an
escalation date; soonest first; the same items for the table, the JSON and the digest."""

from __future__ import annotations

from datetime import timedelta

import pytest

from agent.core.models import (
    DeadlineKind,
    DisputeStage,
    Order,
    OrderLine,
    OrderStatus,
    ProposalStatus,
    Proposer,
    ProtectionTimer,
    TimerSource,
)
from agent.judge.agenda import build_agenda, buyer_deadline, command_for
from agent.judge.alerts import ActionKind, Severity
from agent.judge.rules import DisputeView, OrderView, WatchState
from tests.unit.test_rules import DAY, POLICY, T0, D, H, detail, money, offer

SELLER_BY = T0 + 1 * DAY
ESCALATE_FROM = T0 + 2 * DAY
PLATFORM = T0 + 3 * DAY


def order(order_id: str, ends_in: timedelta, status: OrderStatus = OrderStatus.AWAITING_DELIVERY) -> Order:
    timer = ProtectionTimer(ends_at=T0 + ends_in, source=TimerSource.COUNTDOWN, read_at=T0)
    return Order(order_id=order_id, status=status, store_name="Vega Store", status_text="Awaiting delivery",
                 total=money("9.99", "USD"), site_time=T0, timer=timer, timers=[timer], detail_loaded=True,
                 can_open_dispute=True, lines=[OrderLine(line_id=order_id + "1", title="Cable", quantity=1)])


def state(*disputes, orders=()) -> WatchState:
    return WatchState(disputes=[DisputeView(latest=d, link=f"https://x/{d.reverse_line_id}") for d in disputes],
                      orders=[OrderView(order=o) for o in orders])


def case(reverse_line_id: str, *proposals, **kwargs):
    made = detail(*proposals, **kwargs)
    return made.model_copy(update={"reverse_line_id": reverse_line_id, "trade_order_id": "82" + reverse_line_id})


def test_the_deadline_is_the_buyers_not_the_sellers_nor_an_escalation_date():
    waiting = case("R1", offer("5.00"), deadlines=((DeadlineKind.SELLER_RESPOND, SELLER_BY),
                                                    (DeadlineKind.ESCALATE_AVAILABLE, ESCALATE_FROM),
                                                    (DeadlineKind.PLATFORM_ESCALATION, PLATFORM)))
    (item,) = build_agenda(state(waiting), T0, POLICY)
    assert (item.deadline, item.deadline_what) == (D, "answer the offer")  # the offer's respond_by
    assert (item.escalation_from, item.platform_steps_in) == (ESCALATE_FROM, PLATFORM)


@pytest.mark.parametrize(("kind", "what"), [(DeadlineKind.MEDIATOR_INFO, "answer the mediator"),
                                            (DeadlineKind.RETURN_SHIPMENT, "ship the return"),
                                            (DeadlineKind.BUYER_RESPOND, "answer the offer"),
                                            (DeadlineKind.UNKNOWN, "act on the case")])
def test_each_kind_of_buyer_deadline_counts_and_the_soonest_wins(kind, what):
    dispute = case("R1", deadlines=((kind, T0 + H), (DeadlineKind.SELLER_RESPOND, T0 + 30 * 60 * timedelta(seconds=1)),
                                    (DeadlineKind.MEDIATOR_INFO, T0 + 2 * H)), stage=DisputeStage.WAIT_BUYER_RESPONSE)
    assert buyer_deadline(dispute, T0) == (T0 + H, what)


@pytest.mark.parametrize("kind", [DeadlineKind.SELLER_RESPOND, DeadlineKind.ESCALATE_AVAILABLE,
                                  DeadlineKind.PLATFORM_ESCALATION])
def test_a_moment_that_asks_nothing_of_the_buyer_is_no_deadline(kind):
    dispute = case("R1", deadlines=((kind, T0 + H),), stage=DisputeStage.WAIT_SELLER_RESPONSE)
    assert buyer_deadline(dispute, T0) is None
    (item,) = build_agenda(state(dispute), T0, POLICY)
    assert item.deadline is None and item.what_to_do == "nothing now: the seller has the next move"


def test_a_passed_deadline_is_not_the_next_one():
    dispute = case("R1", deadlines=((DeadlineKind.MEDIATOR_INFO, T0), (DeadlineKind.RETURN_SHIPMENT, T0 + DAY)))
    assert buyer_deadline(dispute, T0) == (T0 + DAY, "ship the return")
    assert buyer_deadline(dispute, T0 - timedelta(seconds=1)) == (T0, "answer the mediator")


def test_a_zero_offer_is_flagged_with_the_sellers_words_and_the_command_to_answer_it():
    zero = offer("0.00").model_copy(update={"description": "Please accept, we cannot refund."})
    (item,) = build_agenda(state(case("R1", zero)), T0, POLICY)
    assert item.offer_is_zero and item.offer == money("0.00") and item.seller_said == "Please accept, we cannot refund."
    assert item.severity is Severity.CRITICAL and item.deadline == D
    assert item.command == "dispute-agent reject R1 --counter <amount> --message <why>"


def test_the_buyers_own_ask_is_never_shown_as_the_offer_and_a_rejected_zero_is_no_threat():
    mine = case("R1", offer("20.00", proposer=Proposer.BUYER), stage=DisputeStage.WAIT_SELLER_RESPONSE)
    rejected = case("R2", latest_proposal=offer("0.00", status=ProposalStatus.REJECTED),
                    stage=DisputeStage.WAIT_SELLER_RESPONSE)
    items = {item.dispute_id: item for item in build_agenda(state(mine, rejected), T0, POLICY)}
    assert items["R1"].offer is None
    assert items["R2"].offer == money("0.00") and not items["R2"].offer_is_zero


def test_orders_join_only_when_their_time_to_dispute_runs_out_and_the_soonest_comes_first():
    soon, later, far = order("8301", 2 * DAY), order("8302", 10 * DAY), order("8303", 40 * DAY)
    done = order("8304", 5 * DAY, OrderStatus.COMPLETED)
    dispute = case("R1", offer("5.00", respond_by=T0 + 6 * DAY))
    items = build_agenda(state(dispute, orders=(far, later, soon, done)), T0, POLICY)
    assert [(i.order_id, i.dispute_id) for i in items] == [("8301", None), ("8304", None), ("82R1", "R1"),
                                                           ("8302", None)]
    assert items[0].deadline == T0 + 2 * DAY and items[0].deadline_what == "open a dispute before protection ends"
    assert items[0].command == "dispute-agent open 8301 --reason <reason> --not-received"
    assert items[1].command == "dispute-agent open 8304 --reason <reason> --received"


def test_an_order_covered_by_a_dispute_and_a_closed_case_are_not_listed():
    covered = order("82R1", 2 * DAY)
    closed = case("R2", stage=DisputeStage.FINISHED)
    items = build_agenda(state(case("R1", offer("5.00")), closed, orders=(covered,)), T0, POLICY)
    assert [(i.order_id, i.dispute_id) for i in items] == [("82R1", "R1")]


def test_every_suggested_action_has_a_command_but_none():
    for kind in ActionKind:
        made = command_for(kind, "8301", "R1")
        assert (made is None) == (kind is ActionKind.NONE), kind


def test_an_offer_whose_answer_time_passed_is_not_the_next_deadline():
    late = case("R1", offer("5.00", respond_by=T0 - H), deadlines=((DeadlineKind.MEDIATOR_INFO, T0 + DAY),))
    assert buyer_deadline(late, T0) == (T0 + DAY, "answer the mediator")


def test_a_message_names_the_same_runnable_command_as_the_agenda():
    from agent.judge.rules import health_alerts, judge
    from agent.judge.watch_state import HealthView
    from agent.notifications.message_groups import command_for as message_command

    in_transit, done = order("8301", 2 * DAY), order("8302", 2 * DAY, OrderStatus.COMPLETED)
    alerts = {a.order_id: a for a in judge(state(orders=(in_transit, done)), T0, POLICY)}
    assert message_command(alerts["8301"]) == "dispute-agent open 8301 --reason <reason> --not-received"
    assert message_command(alerts["8302"]) == "dispute-agent open 8302 --reason <reason> --received"
    login = health_alerts(HealthView(consecutive_failures=1, last_failure_kind="login_needed"), T0, POLICY)
    assert login and all(message_command(a) is None for a in login)  # its words give both ways
