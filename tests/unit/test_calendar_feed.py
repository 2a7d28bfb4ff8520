"""The calendar feed, parsed back with icalendar: every deadline of the buyer is an event at its
moment, one UID per case and kind, moved in place when the deadline moves, gone when settled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar

from agent.core.models import DeadlineKind, DisputeStage, OrderStatus
from agent.judge.policy import Policy
from agent.web.calendar_feed import Stamp, calendar_feed
from tests.unit.test_agenda import case, order, state
from tests.unit.test_rules import DAY, POLICY, T0, D, H, offer

ZONE = ZoneInfo("Europe/Paris")
MACHINE = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def events(body: bytes) -> dict[str, object]:
    calendar = Calendar.from_ical(body)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def start(event) -> datetime:
    return event.decoded("DTSTART")


def demo_like():
    """A zero offer with a return to ship, a mediator's question, a seller's move to wait for, an
    order whose protection runs for a month and one already closed with days left to dispute."""
    zero = offer("0.00").model_copy(update={"description": "Please accept, we cannot refund."})
    return state(
        case("R1", zero, deadlines=((DeadlineKind.RETURN_SHIPMENT, T0 + 2 * DAY),
                                     (DeadlineKind.PLATFORM_ESCALATION, T0 + 9 * DAY))),
        case("R2", deadlines=((DeadlineKind.MEDIATOR_INFO, T0 + 5 * H),)),
        case("R3", deadlines=((DeadlineKind.SELLER_RESPOND, T0 + DAY),), stage=DisputeStage.WAIT_SELLER_RESPONSE),
        orders=[order("8301", timedelta(days=30)),
                order("8302", -timedelta(days=2), status=OrderStatus.COMPLETED)])


def feed(watch, now=T0, previous=None, machine=MACHINE, policy=POLICY):
    return calendar_feed(watch, now, policy, ZONE, previous or {}, machine)


def test_every_deadline_of_the_buyer_is_an_event_at_its_moment_and_nothing_else_is():
    body, _ = feed(demo_like())
    found = events(body)
    assert {uid: start(event) for uid, event in found.items()} == {
        "dispute-R1-buyer-respond@dispute-agent": D,
        "dispute-R1-return-shipment@dispute-agent": T0 + 2 * DAY,
        "dispute-R2-mediator-info@dispute-agent": T0 + 5 * H,
        # every protection window, not only those near enough to alert about
        "order-8301-open-dispute@dispute-agent": T0 + 30 * DAY,
        # a closed order: the window after close (policy.after_close_days)
        "order-8302-open-dispute@dispute-agent": T0 - 2 * DAY + POLICY.after_close,
    }
    assert all(start(event).tzinfo is not None and start(event).utcoffset() == timedelta(0) for event in found.values())


def test_a_zero_offer_is_unmistakable_and_says_how_to_reject_it():
    found = events(feed(demo_like())[0])
    zero = found["dispute-R1-buyer-respond@dispute-agent"]
    assert str(zero["SUMMARY"]) == "Reject the ZERO offer (0.00 EUR) on USB cable"
    text = str(zero["DESCRIPTION"])
    assert "dispute-agent reject R1 --counter <amount> --message <why>" in text
    assert "Please accept, we cannot refund." in text
    assert "By Tue 24 Nov 2026, 11:00 CET." in text  # the user's zone in words, UTC in DTSTART
    ship = found["dispute-R1-return-shipment@dispute-agent"]
    assert str(ship["SUMMARY"]) == "Ship the return: USB cable"
    assert "dispute-agent ship-return R1 --tracking <number>" in str(ship["DESCRIPTION"])
    assert str(found["order-8301-open-dispute@dispute-agent"]["SUMMARY"]).startswith("Open a dispute before protection ends")


def test_alarms_ring_before_each_deadline_as_the_policy_says():
    body, _ = feed(demo_like(), policy=Policy(calendar_alarms_hours=(2, 48)))
    for event in events(body).values():
        triggers = sorted(alarm.decoded("TRIGGER") for alarm in event.walk("VALARM"))
        assert triggers == [-timedelta(hours=48), -timedelta(hours=2)]


def test_a_moved_deadline_moves_the_same_event_and_raises_its_sequence():
    body, stamps = feed(demo_like())
    first = events(body)["order-8301-open-dispute@dispute-agent"]
    assert first["SEQUENCE"] == 0
    # fetched again unchanged: the same version
    again, stamps = feed(demo_like(), previous=stamps, machine=MACHINE + H)
    assert events(again)["order-8301-open-dispute@dispute-agent"]["SEQUENCE"] == 0
    assert events(again)["order-8301-open-dispute@dispute-agent"].decoded("LAST-MODIFIED") == MACHINE
    # the seller extended protection by 5 days
    moved = demo_like().model_copy(update={"orders": state(orders=[order("8301", timedelta(days=35))]).orders})
    body, stamps = feed(moved, previous=stamps, machine=MACHINE + 2 * H)
    event = events(body)["order-8301-open-dispute@dispute-agent"]
    assert start(event) == T0 + 35 * DAY and event["SEQUENCE"] == 1
    assert event.decoded("LAST-MODIFIED") == MACHINE + 2 * H == event.decoded("DTSTAMP")
    assert stamps["order-8301-open-dispute@dispute-agent"] == Stamp(T0 + 35 * DAY, 1, MACHINE + 2 * H,
                                                                    "Open a dispute before protection ends: Cable")


def test_a_zero_offer_in_place_of_another_due_at_the_same_moment_is_a_new_version():
    body, stamps = feed(state(case("R6", offer("5.00"))))
    assert events(body)["dispute-R6-buyer-respond@dispute-agent"]["SEQUENCE"] == 0
    body, stamps = feed(state(case("R6", offer("0.00", pid="P7"))), previous=stamps, machine=MACHINE + H)
    event = events(body)["dispute-R6-buyer-respond@dispute-agent"]
    assert event["SEQUENCE"] == 1 and start(event) == D and "ZERO" in str(event["SUMMARY"])


def test_a_settled_case_and_a_passed_deadline_leave_the_feed():
    watch = demo_like()
    settled = watch.disputes[0].latest.model_copy(update={"stage": DisputeStage.FINISHED, "reverse_status": 4})
    watch = watch.model_copy(update={"disputes": [watch.disputes[0].model_copy(update={"latest": settled}),
                                                  *watch.disputes[1:]]})
    body, stamps = feed(watch, now=T0 + 6 * H)
    assert set(events(body)) == {"order-8301-open-dispute@dispute-agent", "order-8302-open-dispute@dispute-agent"}
    assert set(stamps) == set(events(body))


def test_an_order_under_a_dispute_has_no_window_event():
    watch = demo_like()
    disputed = case("R9", deadlines=((DeadlineKind.RETURN_SHIPMENT, T0 + DAY),)).model_copy(
        update={"trade_order_id": "8301"})
    watch = watch.model_copy(update={"disputes": [*watch.disputes, *state(disputed).disputes]})
    uids = set(events(feed(watch)[0]))
    assert "order-8301-open-dispute@dispute-agent" not in uids and "dispute-R9-return-shipment@dispute-agent" in uids


def test_one_event_per_kind_at_its_earliest_moment_and_a_passed_one_is_not_it():
    both = case("R5", offer("5.00"), deadlines=((DeadlineKind.BUYER_RESPOND, T0 + 3 * DAY),
                                                 (DeadlineKind.MEDIATOR_INFO, T0 - H),
                                                 (DeadlineKind.MEDIATOR_INFO, T0 + 6 * DAY),
                                                 (DeadlineKind.MEDIATOR_INFO, T0 + 8 * DAY)))
    found = events(feed(state(both))[0])
    assert {uid: start(event) for uid, event in found.items()} == {
        "dispute-R5-buyer-respond@dispute-agent": T0 + 3 * DAY,  # the page's deadline, before the offer's D
        "dispute-R5-mediator-info@dispute-agent": T0 + 6 * DAY,
    }
    assert str(found["dispute-R5-buyer-respond@dispute-agent"]["SUMMARY"]) == "Answer the offer of 5.00 EUR on USB cable"
