"""A second sync reads again only the order pages that can still change (agent.judge.detail_rule).

The sandbox counts the requests it served (``/__sandbox__/requests``); the store says
which orders were read (a page read confirms the stored timer's reading time).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from agent.config.settings import load_settings
from agent.storage.store import Store
from agent.usecases.sync import sync_orders
from flows import site
from sandbox.scenario import parse_scenario
from tests.support.agent_env import logged_in_already
from tests.support.isolation import isolate_environment

pytestmark = pytest.mark.browser

HISTORY, IN_TRANSIT, RECENT = "8800000000000001", "8800000000000002", "8800000000000003"


def world():
    def order(order_id: str, **dates: str) -> dict:
        return {"id": order_id, "store": "s", "currency": "USD", **dates,
                "lines": [{"id": "9" + order_id[1:], "title": f"Item {order_id[-1]}", "price": "9.99"}]}

    return parse_scenario({
        "name": "history and active orders", "clock": {"start": "2026-11-20T09:00:00Z"},
        "account": {"login": "buyer@example.com", "password": "sandbox-pass"},
        "stores": [{"id": "s", "name": "Scale Store"}],
        "orders": [
            order(HISTORY, placed="2026-04-01T09:00:00Z", paid="2026-04-01T10:00:00Z",
                  shipped="2026-04-03T09:00:00Z", delivered="2026-04-20T09:00:00Z",
                  completed="2026-04-25T09:00:00Z"),
            order(IN_TRANSIT, placed="2026-11-10T09:00:00Z", paid="2026-11-10T10:00:00Z",
                  shipped="2026-11-12T09:00:00Z"),
            order(RECENT, placed="2026-11-01T09:00:00Z", paid="2026-11-01T10:00:00Z",
                  shipped="2026-11-03T09:00:00Z", delivered="2026-11-10T09:00:00Z",
                  completed="2026-11-12T09:00:00Z"),
        ],
    })


def api_reads(counts: dict[str, int], api: str) -> int:
    return counts.get(f"api {api.lower()}", 0)


def detail_reads(counts: dict[str, int]) -> int:
    return api_reads(counts, site.API_ORDER_DETAIL)


def list_reads(counts: dict[str, int]) -> int:
    return api_reads(counts, site.API_ORDER_LIST)


def agent_on(scenario, server, tmp_path, monkeypatch) -> tuple:
    """Settings and a store for an agent logged in to the sandbox loaded with ``scenario``."""
    isolate_environment(monkeypatch, tmp_path)
    server.load(scenario)
    settings = load_settings(None, site={"base_url": server.url}, state={"dir": str(tmp_path / "state")},
                             politeness={"min_delay_ms": 0, "max_delay_ms": 20}, browser={"timeout_ms": 10_000})
    logged_in_already(server, settings.state.dir)
    return settings, Store(settings.state.db_path)


def test_a_settled_order_is_not_read_again_while_an_active_one_is(server, tmp_path, monkeypatch):
    settings, store = agent_on(world(), server, tmp_path, monkeypatch)
    try:
        server.clear_requests()
        sync_orders(settings, store)
        assert detail_reads(server.requests()) == 3  # the first sync reads every page
        first = {order_id: store.order(order_id).order.timer for order_id in (HISTORY, IN_TRANSIT, RECENT)}
        assert all(first.values())

        server.advance(days=1)
        server.move_protection(IN_TRANSIT, 5)  # the seller extends the protection of the parcel on its way
        server.clear_requests()
        report = sync_orders(settings, store)
        counts = server.requests()

        assert report.orders == 3 and report.details == 2
        assert detail_reads(counts) == 2
        assert counts.get("page /p/order/detail.html") == 2
        later = {order_id: store.order(order_id).order.timer for order_id in (HISTORY, IN_TRANSIT, RECENT)}
        assert later[HISTORY].read_at == first[HISTORY].read_at  # its window is over: not read
        assert later[RECENT].read_at > first[RECENT].read_at  # its window is open: read
        assert later[IN_TRANSIT].ends_at - first[IN_TRANSIT].ends_at == timedelta(days=5)  # the extension is seen
    finally:
        store.close()


def long_history_world():
    """12 orders, 3 to a page, on 12 days: the newest three can still change (two on their
    way, one completed with its window open), the nine after them are settled history."""
    def order(n: int, placed: str, **dates: str) -> dict:
        return {"id": f"88{n:014d}", "store": "s", "currency": "USD", "placed": placed, "paid": placed, **dates,
                "lines": [{"id": f"89{n:014d}", "title": f"Item {n}", "price": "9.99"}]}

    active = [order(1, "2026-11-11T09:00:00Z", shipped="2026-11-12T09:00:00Z"),
              order(2, "2026-11-10T09:00:00Z", shipped="2026-11-11T09:00:00Z"),
              order(3, "2026-11-01T09:00:00Z", shipped="2026-11-03T09:00:00Z", delivered="2026-11-10T09:00:00Z",
                    completed="2026-11-12T09:00:00Z")]
    history = [order(10 + n, f"2026-0{n // 3 + 3}-{10 + n:02d}T09:00:00Z", shipped=f"2026-0{n // 3 + 3}-2{n}T09:00:00Z",
                     delivered=f"2026-0{n // 3 + 4}-0{n + 1}T09:00:00Z", completed=f"2026-0{n // 3 + 4}-1{n}T09:00:00Z")
               for n in range(9)]
    return parse_scenario({
        "name": "a long history", "clock": {"start": "2026-11-20T09:00:00Z"},
        "account": {"login": "buyer@example.com", "password": "sandbox-pass"}, "rules": {"page_size": 3},
        "stores": [{"id": "s", "name": "Scale Store"}], "orders": active + history,
    })


def test_a_daily_sync_reads_the_list_down_to_its_settled_history_and_the_whole_list_weekly(
        server, tmp_path, monkeypatch):
    settings, store = agent_on(long_history_world(), server, tmp_path, monkeypatch)
    try:
        server.clear_requests()
        first = sync_orders(settings, store)
        assert first.orders == 12 and first.settled_unread == 0
        assert list_reads(server.requests()) == 4  # the first sync reads the whole list

        server.advance(days=1)
        server.clear_requests()
        daily = sync_orders(settings, store)
        # page 1 holds what can change, page 2 only history: pages 3 and 4 are not read
        assert list_reads(server.requests()) == 2
        assert (daily.orders, daily.settled_unread) == (6, 6)
        assert len(store.orders()) == 12  # nothing is forgotten

        server.advance(days=6)  # a week after the last WHOLE read (a day after the last read)
        server.clear_requests()
        weekly = sync_orders(settings, store)
        assert list_reads(server.requests()) == 4 and weekly.orders == 12 and weekly.settled_unread == 0
    finally:
        store.close()
