"""The commands that only look never create, migrate or write a database.

On a fresh machine they say there is nothing yet and leave no file behind; on a
database made by an older version (a column and a table short) they read it as it
is, and its bytes stay the same.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli_state import (
    BEFORE_MIGRATIONS,
    ORDER_ID,
    alter,
    digest,
    seed_database,
)

#: (arguments, exit code on a fresh machine, what the output says there)
READERS = [
    (("status",), 0, "not created yet"),
    (("status", "--json"), 0, '"size_bytes": null'),
    (("orders",), 0, "dispute-agent sync"),
    (("orders", "--all", "--json"), 0, '"orders": []'),
    (("order", ORDER_ID), 2, "dispute-agent sync"),
    (("disputes",), 0, "dispute-agent poll"),
    (("disputes", "--json"), 0, '"disputes": []'),
    (("log",), 0, "has not acted on the site yet"),
    (("log", "--json"), 0, '"entries": []'),
    (("healthcheck",), 1, "does not exist"),
]


def files_under(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


@pytest.mark.parametrize(("argv", "code", "says"), READERS, ids=[" ".join(r[0]) for r in READERS])
def test_on_a_fresh_machine_nothing_is_created(argv, code, says, agent_home, run_cli, monkeypatch):
    monkeypatch.chdir(agent_home)
    before = files_under(agent_home)
    exit_code, out, err = run_cli(*argv)
    assert exit_code == code, err
    assert says in out + err
    assert "Traceback" not in out + err
    assert files_under(agent_home) == before
    assert not (agent_home / "agent-state").exists()


@pytest.fixture
def old_database(agent_home) -> Path:
    """A database from before the orders' reminder column and the alerts table."""
    database = agent_home / "agent-state" / "agent.db"
    seed_database(database)
    alter(database, *BEFORE_MIGRATIONS, "ALTER TABLE orders DROP COLUMN reminder", "DROP TABLE alerts", "VACUUM")
    return database


@pytest.mark.parametrize("argv", [argv for argv, _, _ in READERS], ids=[" ".join(r[0]) for r in READERS])
def test_an_old_database_is_read_and_left_unchanged(argv, old_database, run_cli):
    before = digest(old_database)
    exit_code, out, err = run_cli(*argv)
    assert "Traceback" not in out + err
    assert exit_code in (0, 1), err  # healthcheck: 1, no daemon runs
    assert digest(old_database) == before
    wal = old_database.with_name("agent.db-wal")
    assert not wal.exists() or wal.stat().st_size == 0


def test_the_old_database_shows_its_orders_without_a_migration(old_database, run_cli):
    exit_code, out, err = run_cli("orders", "--json")
    assert exit_code == 0, err
    assert [order["order_id"] for order in json.loads(out)["orders"]] == [ORDER_ID]
    exit_code, out, err = run_cli("order", ORDER_ID)
    assert exit_code == 0, err
    assert "Vega Store" in out


FIXTURES = Path(__file__).parent.parent / "fixtures"


@pytest.mark.parametrize("argv", [("status", "--json"), ("orders", "--all", "--json"), ("order", ORDER_ID, "--json"),
                                  ("disputes", "--json"), ("log", "--json"), ("reasons", "--json"),
                                  ("parse", str(FIXTURES / "order-detail.json"), "--json")],
                         ids=lambda argv: argv[0])
def test_every_json_output_is_an_object_with_now(argv, old_database, run_cli):
    from datetime import datetime

    exit_code, out, err = run_cli(*argv)
    assert exit_code == 0, err
    printed = json.loads(out)
    assert isinstance(printed, dict) and datetime.fromisoformat(printed["now"]).tzinfo is not None
