"""The command line run in this process over a state directory a test prepares.

Fixtures (registered in ``tests/unit/conftest.py``): ``agent_home`` isolates the
environment (the state directory is ``<tmp>/agent-state``), ``run_cli`` runs ``agent.cli.commands.main`` as the console script does and returns
``(exit code, stdout, stderr)``; ``seed_database`` writes a real database with one
order; ``digest`` tells whether a file changed by a single byte.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from agent.cli.commands import main
from agent.core.models import (
    Order,
    OrderLine,
    OrderStatus,
    ProtectionTimer,
    TimerSource,
)
from agent.core.money import Money
from agent.storage.store import Store
from tests.support.isolation import isolate_environment

ORDER_ID = "8300000000000001"


@pytest.fixture
def agent_home(tmp_path, monkeypatch):
    isolate_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("DISPUTE_AGENT_STATE__DIR", str(tmp_path / "agent-state"))
    monkeypatch.setenv("COLUMNS", "160")
    umask = os.umask(0o022)  # main() sets the private umask for the process: give it back afterwards
    os.umask(umask)
    yield tmp_path
    os.umask(umask)


@pytest.fixture
def run_cli(capsys):
    def call(*argv: str) -> tuple[int, str, str]:
        try:
            main(list(argv))
            code = 0
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else 1
        out = capsys.readouterr()
        return code, out.out, out.err

    return call


def seed_database(path: Path) -> None:
    """A real database with one order and its timer, closed (its WAL folded into the file)."""
    now = datetime.now(UTC)
    timer = ProtectionTimer(ends_at=now + timedelta(days=9), source=TimerSource.COUNTDOWN, read_at=now)
    store = Store(path)
    store.save_orders([Order(order_id=ORDER_ID, status=OrderStatus.AWAITING_DELIVERY,
                             store_name="Vega Store", total=Money(amount=Decimal("19.99"), currency="USD"),
                             lines=[OrderLine(line_id="83000000000000011", title="Cable", quantity=1)],
                             timer=timer, timers=[timer], site_time=now)])
    store.close()


#: what makes a database of today look like one made before migrations (then versioned by hand)
#: a database as the program before migrations left it: no revision table, its own version
#: row, and none of the columns later revisions add (0002: orders.detail_status; 0003:
#: outbox.message_key, outbox.message; 0004: orders.detail_read_at)
BEFORE_MIGRATIONS = ("DROP TABLE alembic_version", "INSERT INTO meta (key, value) VALUES ('schema_version', '1')",
                     "ALTER TABLE orders DROP COLUMN detail_status", "ALTER TABLE outbox DROP COLUMN message_key",
                     "ALTER TABLE outbox DROP COLUMN message", "ALTER TABLE orders DROP COLUMN detail_read_at")


def alter(database: Path, *statements: str) -> None:
    """Change a database behind the agent's back, as another program or an old version would."""
    connection = sqlite3.connect(database, isolation_level=None)
    for statement in statements:
        connection.execute(statement)
    connection.close()


def digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
