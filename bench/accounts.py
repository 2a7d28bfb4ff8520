"""Large sandbox accounts for the benchmarks: years of settled history, a few live orders, open disputes.

Why generated: the figures that matter (requests per daily poll, memory, poll time)
depend on how many orders are history and how many can still change, so the
generator takes those counts. Every order is placed on a day of its own, so the
list's order is stable and one pass reads it (the unstable list is bench_sync's
subject, not this one's).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
LOGIN, PASSWORD = "bench@example.com", "bench-pass"


def large_account(orders: int, active: int, disputes: int, page_size: int = 20) -> dict:
    """``orders`` in all: ``active`` on their way, ``disputes`` with an open dispute, the
    rest completed long ago (their dispute window over), as a scenario in JSON form."""
    if active + disputes > orders:
        raise SystemExit("active orders and disputes cannot outnumber the orders")
    made = []
    for n in range(orders):
        line = f"85{n:014d}"
        if n < active:  # shipped in the last weeks, on its way: its countdown runs
            placed = START - timedelta(days=1 + n, hours=1)
            dates = {"paid": placed + timedelta(hours=1), "shipped": placed + timedelta(days=1)}
            extra = {}
        elif n < active + disputes:  # delivered wrong: a dispute opened, the seller's answer awaited
            placed = START - timedelta(days=1 + n, hours=2)
            dates = {"paid": placed + timedelta(hours=1), "shipped": placed + timedelta(days=2)}
            extra = {"disputes": [{"line": line, "opened": (START - timedelta(days=1)).isoformat()}]}
        else:  # history: completed, its 90-day window long over
            placed = START - timedelta(days=200 + n)
            dates = {"paid": placed + timedelta(hours=1), "shipped": placed + timedelta(days=2),
                     "delivered": placed + timedelta(days=15), "completed": placed + timedelta(days=20)}
            extra = {}
        made.append({
            "id": f"84{n:014d}", "store": "s", "currency": ("USD", "EUR", "BRL")[n % 3],
            "placed": placed.isoformat(), **{k: v.isoformat() for k, v in dates.items()},
            "lines": [{"id": line, "title": f"Item {n}", "price": f"{5 + n % 40}.99"}],
            **extra,
        })
    return {
        "name": f"{orders} orders, {active} on their way, {disputes} disputes",
        "clock": {"start": START.isoformat()},
        "account": {"login": LOGIN, "password": PASSWORD},
        "rules": {"page_size": page_size},
        "stores": [{"id": "s", "name": "Bench Store"}],
        "orders": made,
    }
