"""The sandbox's lifecycle rules on the virtual clock: each rule, each window edge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from sandbox.lifecycle import BuyerError
from sandbox.scenario import ScenarioError, load_scenario, parse_scenario
from sandbox.world import World

START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
SHIPPED = START - timedelta(days=10)
LINE = "8300000000000101"


def scenario(seller=None, mediator=None, buyer_escalation=False, **rules):
    return parse_scenario({
        "clock": {"start": START.isoformat()},
        "account": {"login": "b@example.com", "password": "pw"},
        "site": {"buyer_escalation": buyer_escalation},
        "rules": rules,
        "stores": [{"id": "s", "name": "Store", "script": {"seller": seller or [], "mediator": mediator or []}}],
        "orders": [{
            "id": "8300000000000001", "store": "s", "currency": "EUR",
            "placed": (SHIPPED - timedelta(days=2)).isoformat(),
            "paid": (SHIPPED - timedelta(days=2)).isoformat(),
            "shipped": SHIPPED.isoformat(),
            "lines": [{"id": LINE, "title": "Cable", "price": "12.50"}],
        }],
    })


def world_with(seller=None, mediator=None, **rules) -> World:
    return World(scenario(seller, mediator, **rules))


def escalating_world(seller=None, mediator=None, **rules) -> World:
    """A site that lets buyers escalate (``[site] buyer_escalation``)."""
    return World(scenario(seller, mediator, buyer_escalation=True, **rules))


def open_dispute(world: World, **overrides):
    args = dict(line_id=LINE, received=False, reason="not_arrived", solution="refund_only",
                amount=None, description="It never arrived.", files=[])
    args.update(overrides)
    return world.open_dispute(**args)


def at(world: World, delta: timedelta) -> None:
    world.clock.set(START + delta)
    world.advance()


def state_of(world: World, dispute) -> dict:
    return next(d for d in world.state()["disputes"] if d["reverse_line_id"] == dispute.reverse_line_id)


# --- orders and timers ---------------------------------------------------------------


def test_protection_timer_runs_down_and_the_order_closes_exactly_at_its_end():
    world = world_with(protection_days=20)
    order = world.order("8300000000000001")
    end = SHIPPED + timedelta(days=20)
    at(world, end - START - timedelta(seconds=1))
    assert world.status(order, world.now()) == "awaiting_delivery"
    assert world.timer_end(order, world.now()) == end
    at(world, end - START)
    assert world.status(order, world.now()) == "completed"
    assert world.completed_at(order, world.now()) == end


def test_dispute_button_appears_only_after_shipment_plus_the_window():
    world = world_with(dispute_button_after_shipment_days=12)
    order = world.order("8300000000000001")
    at(world, SHIPPED + timedelta(days=12) - START - timedelta(minutes=1))
    allowed, why = world.can_open_dispute(order, LINE, world.now())
    assert not allowed and "after shipment" in why
    at(world, SHIPPED + timedelta(days=12) - START)
    assert world.can_open_dispute(order, LINE, world.now()) == (True, "")


def test_completed_order_window_is_counted_in_days_from_the_placing_day():
    world = world_with(protection_days=15, completed_dispute_days=30)
    order = world.order("8300000000000001")
    placed_day = order.placed.replace(hour=0, minute=0)
    at(world, placed_day + timedelta(days=30) - START - timedelta(seconds=1))
    assert world.status(order, world.now()) == "completed"
    assert world.can_open_dispute(order, LINE, world.now())[0]
    at(world, placed_day + timedelta(days=30) - START)
    assert world.can_open_dispute(order, LINE, world.now()) == (False, "the protection period is over")


def test_unshipped_order_cannot_be_disputed():
    data = scenario().model_dump(mode="json")
    data["orders"][0]["shipped"] = None
    world = World(parse_scenario(data))
    with pytest.raises(BuyerError, match="not shipped"):
        open_dispute(world)


# --- the seller --------------------------------------------------------------------


def test_silent_seller_lets_the_buyer_win_after_the_window_edge():
    world = world_with(seller_response_days=5)
    dispute = open_dispute(world)
    at(world, timedelta(days=5) - timedelta(seconds=1))
    assert state_of(world, dispute)["status"] == "WAIT_SELLER_RESPONSE"
    at(world, timedelta(days=5))
    state = state_of(world, dispute)
    assert (state["status"], state["result"], state["refund"]) == ("FINISHED", "WON", "12.50")


def test_unanswered_zero_offer_closes_the_case_with_nothing_at_its_deadline():
    world = world_with(seller=[{"day": 2, "action": "offer", "amount": "0.00", "respond_days": 2}])
    dispute = open_dispute(world)
    at(world, timedelta(days=2))
    state = state_of(world, dispute)
    assert state["status"] == "WAIT_BUYER_RESPONSE"
    assert state["proposals"][-1]["amount"] == "0.00"
    assert state["proposals"][-1]["deadline"] == (START + timedelta(days=4)).isoformat()
    at(world, timedelta(days=4) - timedelta(seconds=1))
    assert state_of(world, dispute)["status"] == "WAIT_BUYER_RESPONSE"
    at(world, timedelta(days=4))
    state = state_of(world, dispute)
    assert (state["status"], state["result"], state["refund"]) == ("FINISHED", "LOST", "0.00")
    assert world.state()["actions"][-1]["action"] == "closed_with_last_proposal"


def test_percent_offer_and_acceptance_close_with_that_amount():
    world = world_with(seller=[{"day": 1, "action": "offer", "percent": 40}])
    dispute = open_dispute(world)
    at(world, timedelta(days=1))
    world.buyer_action(dispute.reverse_line_id, "accept")
    state = state_of(world, dispute)
    assert (state["result"], state["refund"]) == ("WON", "5.00")


def test_changed_solution_accepted_waits_for_the_return_and_loses_if_not_shipped():
    world = world_with(seller=[{"day": 1, "action": "change_solution"}], return_ship_days=10)
    dispute = open_dispute(world)
    at(world, timedelta(days=1))
    assert state_of(world, dispute)["proposals"][-1]["solution"] == "return_and_refund"
    world.buyer_action(dispute.reverse_line_id, "accept")
    assert state_of(world, dispute)["status"] == "WAIT_RETURN_SHIPMENT"
    at(world, timedelta(days=11))
    state = state_of(world, dispute)
    assert (state["result"], state["refund"]) == ("LOST", "0.00")


def test_return_shipped_in_time_wins():
    world = world_with(seller=[{"day": 1, "action": "change_solution"}])
    dispute = open_dispute(world)
    at(world, timedelta(days=1))
    world.buyer_action(dispute.reverse_line_id, "accept")
    world.buyer_action(dispute.reverse_line_id, "ship_return", tracking_number="RT123")
    assert state_of(world, dispute)["result"] == "WON"


def test_agreeing_seller_executes_the_request():
    world = world_with(seller=[{"day": 1, "action": "agree"}])
    dispute = open_dispute(world, amount=Decimal("10.00"))
    at(world, timedelta(days=1))
    state = state_of(world, dispute)
    assert (state["result"], state["refund"]) == ("WON", "10.00")


def test_reject_with_counter_restarts_the_sellers_window():
    world = world_with(seller=[{"day": 1, "action": "offer", "amount": "2.00"}], seller_response_days=5)
    dispute = open_dispute(world)
    at(world, timedelta(days=1, hours=1))
    world.buyer_action(dispute.reverse_line_id, "reject", amount=Decimal("11.00"), message="Not enough")
    state = state_of(world, dispute)
    assert state["status"] == "WAIT_SELLER_RESPONSE"
    assert state["seller_deadline"] == (START + timedelta(days=6, hours=1)).isoformat()
    at(world, timedelta(days=6, hours=1))
    assert state_of(world, dispute)["refund"] == "11.00"


def test_a_new_offer_replaces_the_pending_one():
    world = world_with(seller=[{"day": 1, "action": "offer", "amount": "5.00", "respond_days": 3},
                               {"day": 2, "action": "offer", "amount": "0.00", "respond_days": 3}])
    dispute = open_dispute(world)
    at(world, timedelta(days=2))
    statuses = [(p["amount"], p["status"]) for p in state_of(world, dispute)["proposals"][1:]]
    assert statuses == [("5.00", "WITHDRAWN"), ("0.00", "PENDING")]


# --- escalation and mediation ---------------------------------------------------------


def test_escalation_is_refused_before_the_window_and_allowed_at_its_edge():
    world = escalating_world(escalation_after_days=3)
    dispute = open_dispute(world)
    at(world, timedelta(days=3) - timedelta(seconds=1))
    with pytest.raises(BuyerError, match="escalate this dispute from"):
        world.buyer_action(dispute.reverse_line_id, "escalate")
    at(world, timedelta(days=3))
    world.buyer_action(dispute.reverse_line_id, "escalate")
    assert state_of(world, dispute)["reverse_status"] == 3


def test_mediator_request_unanswered_loses_and_answered_continues():
    mediator = [{"day": 1, "action": "request_info", "respond_days": 2}]
    for answer in (False, True):
        world = escalating_world(mediator=mediator, escalation_after_days=0, mediator_decision_days=10)
        dispute = open_dispute(world)
        world.buyer_action(dispute.reverse_line_id, "escalate")
        at(world, timedelta(days=1))
        assert state_of(world, dispute)["status"] == "WAIT_BUYER_INFO"
        if answer:
            world.buyer_action(dispute.reverse_line_id, "answer", message="Photo attached",
                               files=[("label.jpg", b"\xff\xd8jpeg")])
        at(world, timedelta(days=3))
        state = state_of(world, dispute)
        if answer:
            assert state["status"] == "ESCALATED"
            at(world, timedelta(days=10))
            assert state_of(world, dispute)["result"] == "WON"
        else:
            assert (state["result"], state["refund"]) == ("LOST", "0.00")


def test_offer_expiring_during_mediation_does_not_close_the_case():
    world = escalating_world(seller=[{"day": 1, "action": "offer", "amount": "0", "respond_days": 1}],
                             escalation_after_days=0)
    dispute = open_dispute(world)
    world.buyer_action(dispute.reverse_line_id, "escalate")
    at(world, timedelta(days=2, hours=1))
    state = state_of(world, dispute)
    assert state["status"] == "ESCALATED"
    assert state["proposals"][-1]["status"] == "EXPIRED"


def test_without_buyer_escalation_only_the_platform_escalates_on_its_day():
    world = world_with(platform_escalation_days=7, seller=[{"day": 1, "action": "reject"}])
    dispute = open_dispute(world)
    at(world, timedelta(days=4))
    with pytest.raises(BuyerError, match="Only AliExpress can escalate this dispute: it steps in on 2026-11-08 09:00:00"):
        world.buyer_action(dispute.reverse_line_id, "escalate")
    # the seller stays silent after rejecting: its deadline (day 5) decides first
    at(world, timedelta(days=5))
    assert state_of(world, dispute)["result"] == "WON"


def test_the_platform_steps_in_on_its_day_when_the_sides_still_talk():
    world = world_with(platform_escalation_days=7,
                       seller=[{"day": 1, "action": "offer", "amount": "5.00", "respond_days": 3}])
    dispute = open_dispute(world)
    at(world, timedelta(days=3))  # the counter gives the seller until day 8
    world.buyer_action(dispute.reverse_line_id, "reject", amount=Decimal("12.00"), message="No")
    assert state_of(world, dispute)["platform_escalation_at"] == (START + timedelta(days=7)).isoformat()
    at(world, timedelta(days=7) - timedelta(seconds=1))
    assert state_of(world, dispute)["status"] == "WAIT_SELLER_RESPONSE"
    at(world, timedelta(days=7))
    state = state_of(world, dispute)
    assert (state["status"], state["escalated_at"]) == ("ESCALATED", (START + timedelta(days=7)).isoformat())
    assert state["platform_escalation_at"] is None
    assert [a["action"] for a in world.state()["actions"] if a["actor"] == "platform"] == ["escalated"]


def test_accepting_a_solution_no_longer_on_the_table_is_refused():
    world = world_with(seller=[{"day": 1, "action": "offer", "amount": "5.00"},
                               {"day": 1.5, "action": "offer", "amount": "6.00"}])
    dispute = open_dispute(world)
    at(world, timedelta(days=1))
    stale = state_of(world, dispute)["proposals"][-1]["id"]
    at(world, timedelta(days=1, hours=13))
    with pytest.raises(BuyerError, match="no longer available"):
        world.buyer_action(dispute.reverse_line_id, "accept", proposal_id=stale)
    fresh = state_of(world, dispute)["proposals"][-1]["id"]
    world.buyer_action(dispute.reverse_line_id, "accept", proposal_id=fresh)
    assert (state_of(world, dispute)["result"], state_of(world, dispute)["refund"]) == ("WON", "6.00")


# --- the form's checks -----------------------------------------------------------------


@pytest.mark.parametrize(("overrides", "field"), [
    ({"amount": Decimal("0")}, "amount"),
    ({"amount": Decimal("12.51")}, "amount"),
    ({"reason": "damaged"}, "reason"),  # a "received" reason on the not-received branch
    ({"solution": "return_and_refund"}, "solution"),
    ({"description": "short"}, "description"),
    ({"files": [("virus.exe", b"MZ")]}, "files"),
    ({"files": [(f"p{i}.jpg", b"x") for i in range(4)]}, "files"),
    ({"files": [("big.png", b"x" * (2 * 1024 * 1024 + 1))]}, "files"),
    ({"files": [("empty.png", b"")]}, "files"),
])
def test_bad_form_input_is_refused_and_creates_nothing(overrides, field):
    world = world_with()
    with pytest.raises(BuyerError) as error:
        open_dispute(world, **overrides)
    assert error.value.field == field
    assert world.state()["disputes"] == []


def test_second_dispute_on_the_same_line_is_refused():
    world = world_with()
    open_dispute(world)
    with pytest.raises(BuyerError, match="already exists"):
        open_dispute(world)
    assert len(world.state()["disputes"]) == 1


def test_files_are_kept_with_size_and_sha256():
    world = world_with()
    dispute = open_dispute(world, files=[("a.jpg", b"abc")])
    (attachment,) = state_of(world, dispute)["attachments"]
    assert attachment["size"] == 3
    assert attachment["sha256"] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


# --- sessions, clock, scenario ----------------------------------------------------------


def test_sessions_expire_on_virtual_time():
    world = world_with()
    token = world.new_session()
    assert world.session_valid(token)
    world.clock.advance(timedelta(days=30))
    assert not world.session_valid(token)


def test_clock_never_runs_backwards():
    world = world_with()
    with pytest.raises(ValueError, match="backwards"):
        world.clock.set(START - timedelta(seconds=1))


def test_flowing_clock_moves_at_its_rate():
    ticks = iter([0.0, 0.0, 10.0])
    from sandbox.clock import VirtualClock

    clock = VirtualClock(START, rate=60.0, monotonic=lambda: next(ticks))
    clock.now()  # consumes the anchor tick
    assert clock.now() == START + timedelta(minutes=10)


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: d["orders"][0].update(store="nope"), "unknown store"),
    (lambda d: d["orders"][0].update(currency="XXX"), "unknown currency"),
    (lambda d: d["orders"][0].update(shipped="2020-01-01T00:00:00Z"), "before"),
    (lambda d: d["orders"][0]["lines"][0].update(price="-1"), "orders.0.lines.0.price"),
    (lambda d: d.update(surprise=1), "surprise"),
])
def test_broken_scenarios_name_the_problem(mutate, message):
    data = scenario().model_dump(mode="json")
    mutate(data)
    with pytest.raises(ScenarioError) as error:
        parse_scenario(data, "test.toml")
    assert message in str(error.value)


def test_unreadable_scenario_file_is_one_clear_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[clock\nstart=1")
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load_scenario(bad)
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "missing.toml")


def test_demo_scenario_exercises_every_state():
    world = World(load_scenario())
    state = world.state()
    statuses = {order["status"] for order in state["orders"]}
    assert statuses == {"unpaid", "awaiting_shipment", "awaiting_delivery", "completed", "closed", "cancelled"}
    assert {"USD", "EUR", "BRL"} <= {order["currency"] for order in state["orders"]}
    assert len(state["orders"]) > 2 * world.rules.page_size
    disputes = {d["status"] for d in state["disputes"]}
    assert {"WAIT_BUYER_RESPONSE", "WAIT_SELLER_RESPONSE", "WAIT_BUYER_INFO", "FINISHED"} <= disputes
    assert {d["result"] for d in state["disputes"]} >= {"WON", "LOST"}
    zero = [d for d in state["disputes"] if d["proposals"][-1]["amount"] == "0.00"
            and d["proposals"][-1]["status"] == "PENDING"]
    assert len(zero) == 1
