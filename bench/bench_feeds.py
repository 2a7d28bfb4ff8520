"""Benchmark: how long a calendar fetch and a Prometheus scrape take on a large account.

Fills a real database with ``--orders`` orders (protection ending over the next 90 days)
and ``--disputes`` open disputes (an offer each, a third of them zero, a return to ship
on every fifth), then fetches the calendar feed and ``/metrics`` through their routes,
each ``--runs`` times, and prints the median and best wall time and the answer's size
next to the goal: under 1 s each, so a scrape every minute costs the machine nothing.

    python bench/bench_feeds.py [--orders 500] [--disputes 100] [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GOAL_S = 1.0


def fill(state: Path, orders: int, disputes: int, now: datetime) -> None:
    from agent.core.models import (
        DeadlineKind,
        DisputeDeadline,
        DisputeDetail,
        DisputeStage,
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
    from agent.storage.dispute_records import DisputeRecords
    from agent.storage.store import Store

    store = Store(state / "agent.db")
    made = []
    for n in range(orders):
        timer = ProtectionTimer(ends_at=now + timedelta(hours=5 + n * 90 * 24 // max(orders, 1)),
                                source=TimerSource.COUNTDOWN, read_at=now)
        made.append(Order(order_id=f"83{n:014d}", status=OrderStatus.AWAITING_DELIVERY, store_name="Vega Store",
                          total=Money(amount=Decimal("19.99"), currency="USD"), site_time=now, timer=timer,
                          timers=[timer], lines=[OrderLine(line_id=f"83{n:014d}1", title=f"Item {n}", quantity=1)]))
    store.save_orders(made)
    records = DisputeRecords(store, now=lambda: now)
    for n in range(disputes):
        offer = Proposal(proposal_id=f"P{n}", proposer=Proposer.SELLER, solution_type=1,
                         refund=Money(amount=Decimal("0.00" if n % 3 == 0 else "5.00"), currency="EUR"),
                         status=ProposalStatus.PENDING, respond_by=now + timedelta(days=1 + n % 5), created_at=now)
        deadlines = [DisputeDeadline(kind=DeadlineKind.RETURN_SHIPMENT, ends_at=now + timedelta(days=2))] if n % 5 == 0 else []
        records.save_dispute(DisputeDetail(
            reverse_order_id=f"RO{n}", reverse_line_id=f"64{n:014d}", trade_order_id=f"84{n:014d}",
            trade_line_id=f"L{n}", reverse_status=2, stage=DisputeStage.WAIT_BUYER_RESPONSE,
            buyer_solution=Proposal(proposer=Proposer.BUYER, solution_type=1,
                                    refund=Money(amount=Decimal("20.00"), currency="EUR")),
            proposals=[offer], deadlines=deadlines, site_time=now, item_title=f"Disputed item {n}"),
            link=f"http://127.0.0.1:9/dispute/{n}")
    store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--disputes", type=int, default=100)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)

    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from agent.config.settings import load_settings
    from agent.web.feed_files import calendar_secret, new_metrics_token
    from agent.web.feeds import calendar_path, routes

    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as scratch:
        state = Path(scratch) / "state"
        fill(state, args.orders, args.disputes, now)
        settings = load_settings(None, state={"dir": str(state)})
        client = TestClient(Starlette(routes=routes(settings)))
        token = new_metrics_token(state)
        for label, path, headers in (("calendar", calendar_path(calendar_secret(state)), {}),
                                     ("metrics", "/metrics", {"Authorization": f"Bearer {token}"})):
            times, size = [], 0
            for _ in range(max(1, args.runs)):
                started = time.perf_counter()
                answer = client.get(path, headers=headers)
                times.append(time.perf_counter() - started)
                assert answer.status_code == 200, answer.text
                size = len(answer.content)
            median, best = statistics.median(times), min(times)
            print(f"{label:9} median {median:.3f} s, best {best:.3f} s over {len(times)} runs, {size} bytes "
                  f"({args.orders} orders, {args.disputes} disputes; goal < {GOAL_S} s: "
                  f"{'met' if median < GOAL_S else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
