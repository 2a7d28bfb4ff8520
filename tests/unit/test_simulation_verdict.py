"""The simulation's verdict: each count must catch the failure it names (and only that)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.support.simulation_world import COUNTS, Lifecycle, Received, count

T = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
ORDER = "8300000000000001"
CHANNELS = ["mail", "hook"]
HOUR = timedelta(hours=1)


def iso(value: datetime) -> str:
    return value.isoformat()


def world(amount: str = "0.00", status: str = "PENDING") -> dict:
    proposal = {"id": "P3", "proposer": "SELLER", "amount": amount, "created_at": iso(T + HOUR),
                "deadline": iso(T + 30 * HOUR), "status": status}
    return {"disputes": [{"reverse_line_id": "6400000000000001", "order_id": ORDER, "line_id": "9300000000000001",
                          "proposals": [{"id": "P2", "proposer": "BUYER", "amount": "10.00",
                                         "created_at": iso(T), "deadline": None, "status": "PENDING"},
                                        proposal]}],
            "actions": []}


def flag(channel: str, at: datetime, critical: bool = True) -> Received:
    return Received(channel, at, f"Act now: the seller offers 0.00 USD on order {ORDER}", "reject it", critical)


def verdict(state, received, alerts=(), drawn=(), end=T + 48 * HOUR):
    return count(list(drawn), state, list(alerts), received, CHANNELS, end, resolution=13 * HOUR).counts


def test_a_zero_offer_flagged_critical_on_every_channel_before_its_deadline_counts_nothing():
    assert verdict(world(), [flag("mail", T + 5 * HOUR), flag("hook", T + 5 * HOUR)]) == dict.fromkeys(COUNTS, 0)


def test_a_zero_offer_missing_on_one_channel_late_or_not_critical_is_unflagged():
    assert verdict(world(), [flag("mail", T + 5 * HOUR)])["zero_offers_unflagged"] == 1
    late = [flag("mail", T + 31 * HOUR), flag("hook", T + 5 * HOUR)]
    assert verdict(world(), late)["zero_offers_unflagged"] == 1
    calm = [flag("mail", T + 5 * HOUR, critical=False), flag("hook", T + 5 * HOUR)]
    assert verdict(world(), calm)["zero_offers_unflagged"] == 1


def test_a_zero_offer_gone_before_a_poll_could_see_it_is_not_counted():
    state = world(status="WITHDRAWN")
    state["actions"] = [{"at": iso(T + 3 * HOUR), "actor": "seller", "dispute": "6400000000000001"}]
    assert verdict(state, [])["zero_offers_unflagged"] == 0


def test_a_protection_end_without_a_warning_on_a_channel_is_counted():
    life = Lifecycle(order_id="8300000000000009", kind="protection", protection_end=T + 20 * HOUR)
    warned = Received("mail", T + 2 * HOUR, "Protection of order 8300000000000009 ends", "", False)
    counts = verdict({"disputes": [], "actions": []}, [warned], drawn=[life])
    assert counts["protection_lapsed_unwarned"] == 1  # the webhook never said it


def test_lost_and_duplicated_compare_the_agents_alerts_with_what_each_channel_got():
    alert = {"kind": "seller_silent", "title": "Order 8300000000000002: the seller is silent", "order_id": None}
    said = Received("mail", T, alert["title"], "", False)
    counts = verdict({"disputes": [], "actions": []}, [said, said], alerts=[alert])
    assert counts["notifications_duplicated"] == 1  # twice by mail
    assert counts["notifications_lost"] == 1  # never by webhook


def test_an_expired_order_named_or_a_non_zero_offer_called_zero_is_a_false_alert():
    expired = Lifecycle(order_id="8300000000000007", kind="expired")
    named = Received("hook", T, "Open a dispute on order 8300000000000007", "", False)
    zero = {"kind": "zero_offer", "title": f"0.00 on order {ORDER}", "order_id": ORDER}
    counts = verdict(world(amount="4.00"), [named], alerts=[zero], drawn=[expired])
    assert counts["false_alerts"] == 2


def test_a_channel_down_nearly_all_the_time_an_offer_stood_is_not_owed_its_flag():
    state = world(status="WITHDRAWN")
    state["actions"] = [{"at": iso(T + 16 * HOUR), "actor": "seller", "dispute": "6400000000000001"}]
    hook_only = [flag("hook", T + 5 * HOUR)]
    assert verdict(state, hook_only)["zero_offers_unflagged"] == 1  # 15 h up: mail was owed it
    down = {"mail": [(T + 3 * HOUR, T + 20 * HOUR)]}
    counts = count([], state, [], hook_only, CHANNELS, T + 48 * HOUR, resolution=13 * HOUR, outages=down).counts
    assert counts["zero_offers_unflagged"] == 0


def test_a_dispute_the_buyer_asked_for_is_counted_opened_only_when_the_site_holds_it():
    asked = Lifecycle(order_id=ORDER, kind="file", file_at=T)
    other = Lifecycle(order_id="8300000000000002", kind="file", file_at=T)
    found = count([asked, other], world(amount="5.00"), [], [], CHANNELS, T + 48 * HOUR, resolution=13 * HOUR)
    assert (found.filings_asked, found.filings_done) == (2, 1)
    assert [line for line in found.failures if line.startswith("filing:")] == [
        f"filing: order 8300000000000002: the buyer asked for a dispute from {T.isoformat().replace('+00:00', 'Z')} "
        "on, and none was opened"]


def test_two_cases_on_one_line_are_filed_twice():
    state = world(amount="5.00")
    state["disputes"].append(dict(state["disputes"][0], reverse_line_id="6400000000000002"))
    assert verdict(state, [])["filed_twice"] == 1
