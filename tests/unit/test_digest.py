"""The daily digest, fed from the store: once the user's hour has come, once a day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from agent.config.settings import load_settings
from agent.core.models import (
    DisputeDetail,
    DisputeResult,
    DisputeStage,
    FinishInfo,
    Order,
    OrderLine,
    OrderStatus,
    ProtectionTimer,
    TimerSource,
)
from agent.core.money import Money
from agent.judge.alerts import AlertKind
from agent.storage.dispute_records import DisputeRecords
from agent.storage.store import Store
from agent.usecases.poll import digest, record
from tests.support.isolation import isolate_environment

NOON = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def order(order_id: str, ends: datetime) -> Order:
    timer = ProtectionTimer(ends_at=ends, source=TimerSource.COUNTDOWN, read_at=NOON)
    return Order(order_id=order_id, status=OrderStatus.AWAITING_DELIVERY, store_name="Vega Store",
                 total=Money(amount=Decimal("5.00"), currency="EUR"), site_time=NOON, timer=timer, timers=[timer],
                 lines=[OrderLine(line_id=order_id + "1", title="Cable", quantity=1)])


def test_digest_lists_coming_deadlines_once_a_day_after_the_users_hour(tmp_path, monkeypatch):
    isolate_environment(monkeypatch, tmp_path)
    settings = load_settings(None, state={"dir": str(tmp_path / "state")},
                             notifications={"digest_hour": 9, "time_zone": "Europe/Berlin"})
    store = Store(settings.state.db_path)
    store.save_orders([order("8300000000000001", NOON + timedelta(days=5)),
                       order("8300000000000002", NOON + timedelta(days=40))])
    assert digest(settings, store, NOON.replace(hour=7)) == []  # 08:00 in Berlin: not yet
    (found,) = digest(settings, store, NOON)
    assert found.kind is AlertKind.DIGEST
    assert "8300000000000001" in found.facts["coming_deadlines"]
    assert "8300000000000002" not in found.facts["coming_deadlines"]  # beyond the 15-day horizon
    assert len(record(settings, store, [found])) == 1
    again = digest(settings, store, NOON + timedelta(hours=3))
    assert record(settings, store, again) == []  # the same day: no second digest
    store.close()


def test_the_digest_leaves_out_cases_that_are_over_by_any_reading(tmp_path, monkeypatch):
    """A case the rules call finished (finish block, list code 4) is no open dispute in the digest."""
    isolate_environment(monkeypatch, tmp_path)
    settings = load_settings(None, state={"dir": str(tmp_path / "state")}, notifications={"digest_hour": 9})
    store = Store(settings.state.db_path)
    records = DisputeRecords(store)
    for order_id, stage, extra in (("8300000000000011", DisputeStage.UNKNOWN, {"reverse_status": 4}),
                                   ("8300000000000012", DisputeStage.UNKNOWN,
                                    {"finish": FinishInfo(result=DisputeResult.LOST)}),
                                   ("8300000000000013", DisputeStage.WAIT_SELLER_RESPONSE, {"reverse_status": 2})):
        records.save_dispute(DisputeDetail(reverse_order_id="RO" + order_id, reverse_line_id="64" + order_id[2:],
                                           trade_order_id=order_id, trade_line_id=order_id + "1", stage=stage,
                                           site_time=NOON, **extra))
    (found,) = digest(settings, store, NOON)
    assert found.facts["open_count"] == "1"
    assert "8300000000000013" in found.facts["open_disputes"]
    assert "8300000000000011" not in found.facts["open_disputes"]
    store.close()
