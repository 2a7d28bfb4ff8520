"""The store: a real SQLite file, WAL, history kept, all-or-nothing writes, versioned schema
(its migrations: ``test_migrations.py``)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from agent.core.models import (
    Order,
    OrderLine,
    OrderStatus,
    ProtectionTimer,
    TimerSource,
)
from agent.core.money import Money
from agent.storage.migrations import HEAD
from agent.storage.store import TIMER_JITTER, Store

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def make_order(order_id: str = "8300000000000001", ends: datetime | None = T0 + timedelta(days=10),
               status: OrderStatus = OrderStatus.AWAITING_DELIVERY, detail: bool = True) -> Order:
    timer = (ProtectionTimer(ends_at=ends, source=TimerSource.COUNTDOWN, read_at=T0,
                             raw_text="Your order will be closed in: 10 days 00:00:00") if ends else None)
    return Order(
        order_id=order_id, store_name="Vega Store", status=status, status_text="Awaiting delivery",
        placed_on=date(2026, 9, 1), shipped_on=date(2026, 9, 3) if detail else None,
        total=Money(amount=Decimal("25.00"), currency="EUR"),
        lines=[OrderLine(line_id=order_id + "1", title="Cable", quantity=2,
                         unit_price=Money(amount=Decimal("12.50"), currency="EUR"),
                         can_open_dispute=True if detail else None)],
        buttons=["CONFIRM_GOODS", "TRACKING"], timer=timer, timers=[timer] if timer else [],
        site_time=T0, detail_loaded=detail, can_open_dispute=True if detail else None,
    )


@pytest.fixture
def store(tmp_path):
    clock = iter(T0 + timedelta(minutes=i) for i in range(1000))
    opened = Store(tmp_path / "agent.db", now=lambda: next(clock))
    yield opened
    opened.close()


def test_orders_round_trip_with_money_and_dates(store):
    store.save_orders([make_order()])
    stored = store.order("8300000000000001")
    assert stored.order.total == Money(amount=Decimal("25.00"), currency="EUR")
    assert stored.order.lines[0].unit_price.amount == Decimal("12.50")
    assert stored.order.shipped_on == date(2026, 9, 3)
    assert stored.order.timer.ends_at == T0 + timedelta(days=10)
    assert stored.order.timer.ends_at.tzinfo is not None
    assert store.order("nope") is None


def test_a_timer_that_jumps_stays_visible_in_the_history(store):
    store.save_orders([make_order(ends=T0 + timedelta(days=10))])
    store.save_orders([make_order(ends=T0 + timedelta(days=17))])  # the seller extended it
    stored = store.order("8300000000000001")
    assert [t.ends_at for _, t in stored.timer_history] == [T0 + timedelta(days=10), T0 + timedelta(days=17)]
    assert stored.order.timer.ends_at == T0 + timedelta(days=17)


def test_a_timer_read_again_unchanged_adds_no_row_but_is_confirmed(store):
    first = make_order(ends=T0 + timedelta(days=10))
    store.save_orders([first])
    for day in range(1, 40):  # daily syncs; the countdown's end wobbles by a second or two
        again = make_order(ends=T0 + timedelta(days=10, seconds=day % 3))
        timer = again.timer.model_copy(update={"read_at": T0 + timedelta(days=day), "raw_text": f"{10 - day} days"})
        store.save_orders([again.model_copy(update={"timer": timer, "timers": [timer]})])
    stored = store.order("8300000000000001")
    assert len(stored.timer_history) == 1
    assert stored.timer_history[0][0] == T0  # first seen then
    assert stored.order.timer.read_at == T0 + timedelta(days=39)  # last confirmed now
    store.save_orders([make_order(ends=T0 + timedelta(days=10) + TIMER_JITTER + timedelta(seconds=1))])  # a real move
    assert len(store.order("8300000000000001").timer_history) == 2
    with sqlite3.connect(store.engine.url.database) as raw:
        assert raw.execute("SELECT count(*) FROM timer_observations").fetchone() == (2,)


def test_status_changes_are_recorded_once_each(store):
    store.save_orders([make_order()])
    store.save_orders([make_order()])
    store.save_orders([make_order(status=OrderStatus.COMPLETED)])
    statuses = [status for _, status, _ in store.order("8300000000000001").status_history]
    assert statuses == ["awaiting_delivery", "completed"]


def test_a_list_row_does_not_erase_what_a_detail_page_taught(store):
    store.save_orders([make_order(detail=True)])
    store.save_orders([make_order(detail=False, ends=None)])
    order = store.order("8300000000000001").order
    assert order.detail_loaded and order.shipped_on == date(2026, 9, 3)
    assert order.can_open_dispute is True
    assert order.timer is not None  # the last timer read stays the current one


def test_a_crash_mid_sync_leaves_the_last_good_state(store, monkeypatch):
    store.save_orders([make_order("8300000000000001")])
    original = Store._save_order
    calls = {"n": 0}

    def crashing(self, session, order, observed):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("power cut")
        return original(self, session, order, observed)

    monkeypatch.setattr(Store, "_save_order", crashing)
    with pytest.raises(RuntimeError):
        store.save_orders([make_order("8300000000000001", ends=T0 + timedelta(days=3)),
                           make_order("8300000000000002")])
    monkeypatch.undo()
    assert store.order("8300000000000002") is None
    assert store.order("8300000000000001").order.timer.ends_at == T0 + timedelta(days=10)


def test_sqlite_runs_in_wal_mode_with_a_schema_version(store, tmp_path):
    store.save_orders([make_order()])
    with sqlite3.connect(tmp_path / "agent.db") as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.schema_version() == HEAD


def test_meta_values(store):
    assert store.get_meta("x") is None
    store.set_meta("x", "1")
    store.set_meta("x", "2")
    assert store.get_meta("x") == "2"


def test_the_state_directory_and_the_database_are_private_whoever_creates_them(tmp_path):
    import os
    import stat

    from agent.storage.lock import browser_lock

    previous = os.umask(0o022)  # a usual login shell's
    try:
        state = tmp_path / "new" / "state"
        with browser_lock(state, timeout=1):  # `login` takes the lock before anything else
            pass
        store = Store(state / "agent.db")
        store.close()
    finally:
        os.umask(previous)

    def mode(path):
        return stat.S_IMODE(path.stat().st_mode)

    assert mode(state) == 0o700 and mode(state.parent) == 0o700
    assert mode(state / "agent.db") == 0o600
    assert mode(state / "browser.lock") == 0o600


def test_the_command_line_creates_every_file_private(tmp_path):
    import os
    import stat
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    state = tmp_path / "state"
    script = ("import os; os.umask(0o022); from agent.cli.commands import main\n"
              "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
              "from pathlib import Path; folder = Path(os.environ['DISPUTE_AGENT_STATE__DIR'])\n"
              "folder.mkdir(parents=True); (folder / 'probe').write_text('x')\n")
    env = {**os.environ, "DISPUTE_AGENT_STATE__DIR": str(state), "HOME": str(tmp_path)}
    subprocess.run([sys.executable, "-c", script], cwd=root, env=env, check=True, capture_output=True)
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    assert stat.S_IMODE((state / "probe").stat().st_mode) == 0o600


@pytest.mark.parametrize(("amount", "currency"), [("1.235", "KWD"), ("0.001", "BHD"), ("126.59", "BRL"),
                                                  ("1000", "JPY"), ("0.00", "EUR"), ("12345678901.99", "USD")])
def test_money_comes_back_exactly_in_every_currency(tmp_path, amount, currency):
    store = Store(tmp_path / "agent.db")
    try:
        order = make_order()
        money = Money(amount=Decimal(amount), currency=currency)
        line = order.lines[0].model_copy(update={"unit_price": money})
        store.save_orders([order.model_copy(update={"total": money, "lines": [line]})])
        stored = store.order(order.order_id).order
        assert stored.total == money and str(stored.total.amount) == amount
        assert stored.lines[0].unit_price == money
    finally:
        store.close()


@pytest.mark.parametrize(("stored", "read"), [(1.235, "1.235"), (126.59, "126.59"), (5, "5"), ("0.001", "0.001")])
def test_amounts_an_older_version_stored_as_numbers_read_back_exactly(stored, read):
    from agent.storage.store import ExactDecimal

    # a NUMERIC column of an older database may hand back a float or an int
    assert ExactDecimal().process_result_value(stored, None) == Decimal(read)
