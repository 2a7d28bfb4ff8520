"""``open`` refuses what it can refuse for free before the seconds of photo work: an order
already read that has several items needs ``--line`` before any photo is looked at."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from agent.config.settings import load_settings
from agent.core.models import (
    Order,
    OrderLine,
    OrderStatus,
    ProtectionTimer,
    TimerSource,
)
from agent.core.money import Money
from agent.storage.store import Store
from tests.support.cli_state import agent_home, run_cli  # noqa: F401 (fixtures)

ORDER_ID = "8300000000000002"


def two_items(path) -> None:
    now = datetime.now(UTC)
    timer = ProtectionTimer(ends_at=now + timedelta(days=20), source=TimerSource.COUNTDOWN, read_at=now)
    lines = [OrderLine(line_id=f"83000000000000{n}1", title=title, quantity=1,
                       unit_price=Money(amount=Decimal("5.00"), currency="USD"))
             for n, title in ((21, "Cable"), (22, "Charger"))]
    store = Store(path)
    store.save_orders([Order(order_id=ORDER_ID, status=OrderStatus.AWAITING_DELIVERY, lines=lines, timer=timer,
                             timers=[timer], site_time=now)])
    store.close()


def test_several_items_need_line_before_any_photo_is_prepared(agent_home, run_cli):
    two_items(load_settings(None).state.db_path)
    missing_photo = agent_home / "not-there.jpg"
    code, _, err = run_cli("open", ORDER_ID, "--not-received", "--reason", "not_arrived",
                           "--attach", str(missing_photo), "--yes")
    assert code == 2
    assert "has 2 items: choose with --line" in err and "not-there.jpg" not in err
    assert not (load_settings(None).state.dir / "attachments").exists()
