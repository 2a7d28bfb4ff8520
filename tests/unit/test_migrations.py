"""Migrations: the models and the revisions agree, an old database is adopted with every row,
a failing revision changes nothing, a newer database is refused; real SQLite files."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from agent.core.errors import StorageError
from agent.storage.migrations import HEAD
from agent.storage.store import Store

ROOT = Path(__file__).resolve().parents[2]
OLD_SCHEMA = ROOT / "tests" / "fixtures" / "schema_before_migrations.sql"
MIGRATIONS = ROOT / "agent" / "storage" / "migrations"

#: one row in every table of the old schema (the order first: the others refer to it)
OLD_ROWS = [
     "INSERT INTO meta VALUES ('site_clock_offset', '12.5')",
    ("INSERT INTO orders VALUES ('8300000000000001', 'Vega', 'awaiting_delivery', 'Awaiting delivery', '2026-09-01', "
     "NULL, '2026-09-03', NULL, '1.235', 'KWD', 'TRACKING', NULL, '', 1, 1, '2026-11-01 09:00:00.000000', "
     "'2026-11-02 09:00:00.000000')"),
    ("INSERT INTO order_lines VALUES ('83000000000000011', '8300000000000001', 0, '1005', 'Cable', NULL, '1.235', "
     "'KWD', 1, 1)"),
    ("INSERT INTO timer_observations VALUES (1, '8300000000000001', '2026-11-11 09:00:00.000000', 'countdown', "
     "'2026-11-01 09:00:00.000000', '10 days', '2026-11-01 09:00:00.000000')"),
    ("INSERT INTO status_observations VALUES (1, '8300000000000001', 'awaiting_delivery', NULL, "
     "'2026-11-01 09:00:00.000000')"),
    ("INSERT INTO disputes VALUES ('5000000000000001', NULL, '8300000000000001', '83000000000000011', 'negotiation', "
     "1, NULL, '{}', NULL, NULL, NULL, '2026-11-01 09:00:00.000000', '2026-11-01 09:00:00.000000')"),
    ("INSERT INTO dispute_intents VALUES (1, '8300000000000001', '83000000000000011', '2026-11-01 09:00:00.000000', "
     "NULL, 'submitted', 'not_received', 'never_arrived', 'refund_only', '1.235', 'KWD', NULL, NULL)"),
    "INSERT INTO audit_log VALUES (1, '2026-11-01 09:00:00.000000', 'file', 'ok', '8300000000000001', NULL, '', NULL)",
    ("INSERT INTO alerts VALUES ('zero:1', 'zero_offer', 'critical', 'Zero offer', '8300000000000001', "
     "'5000000000000001', '0.00', 'KWD', NULL, NULL, '{}', NULL, NULL, '2026-11-01 09:00:00.000000')"),
    ("INSERT INTO outbox VALUES (1, 'zero:1', 'mail', 'pending', 0, '2026-11-01 09:00:00.000000', NULL, NULL, NULL, "
     "NULL)"),
    "INSERT INTO channel_health VALUES ('mail', 0, NULL, NULL, NULL, NULL)",
    ("INSERT INTO order_tracking VALUES ('8300000000000001', '2026-11-01 09:00:00.000000', 'LP1', 'Cainiao', 3, "
     "NULL, NULL, 0, NULL)"),
]


def old_database(path: Path, *, older: bool = False) -> Path:
    """A database as the program before migrations left it, one row in each table.

    ``older``: as an earlier program left it, before the tracking table and the outbox's
    claim columns existed (the program of then added those when it opened the file)."""
    with sqlite3.connect(path) as raw:
        raw.executescript(OLD_SCHEMA.read_text())
        for row in OLD_ROWS:
            raw.execute(row)
        if older:
            raw.execute("DROP TABLE order_tracking")
            raw.execute("ALTER TABLE outbox DROP COLUMN claimed_until")
            raw.execute("ALTER TABLE outbox DROP COLUMN claim")
    raw.close()
    return path


def rows(path: Path) -> dict[str, list[tuple]]:
    with sqlite3.connect(path) as raw:
        tables = [name for (name,) in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                                    "AND name != 'alembic_version' ORDER BY name")]
        found = {table: sorted(raw.execute(f"SELECT * FROM {table}").fetchall(), key=repr) for table in tables}
    raw.close()
    return found


def dump(path: Path) -> list[str]:
    raw = sqlite3.connect(path)
    try:
        return list(raw.iterdump())
    finally:
        raw.close()


def test_head_is_the_newest_revision():
    from alembic.script import ScriptDirectory

    from agent.storage.schema import _config

    assert ScriptDirectory.from_config(_config()).get_current_head() == HEAD


def test_the_models_and_the_migrations_describe_the_same_schema(tmp_path):
    """A model changed without a revision fails here: the revisions, run on an empty
    database, must give exactly the models' tables, columns, types and indexes."""
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import create_engine

    from agent.storage.schema import _config, model_metadata

    engine = create_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
    try:
        with engine.begin() as connection:
            command.upgrade(_config(connection), HEAD)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, model_metadata()) == []
    finally:
        engine.dispose()


def test_every_module_declaring_tables_is_known_to_the_schema():
    from agent.storage.schema import MODEL_MODULES

    declaring = {f"agent.{path.stem}" for path in (ROOT / "agent").glob("*.py")
                 if "(Base)" in path.read_text(encoding="utf-8")}
    assert declaring <= set(MODEL_MODULES)


@pytest.mark.parametrize("older", [False, True], ids=["as-left-by-main", "older-still"])
def test_an_old_database_is_adopted_keeping_every_row_with_a_backup_first(tmp_path, older):
    db = old_database(tmp_path / "agent.db", older=older)
    before = rows(db)
    store = Store(db)
    try:
        assert store.schema_version() == HEAD
        assert store.get_meta("site_clock_offset") == "12.5"
        assert store.order("8300000000000001").order.total.amount.as_tuple() == (0, (1, 2, 3, 5), -3)
    finally:
        store.close()
    after = rows(db)
    before["meta"] = [row for row in before["meta"] if row[0] != "schema_version"]
    # 0002: detail_status, 0004: detail_read_at, both unread
    assert [row[-2:] for row in after["orders"]] == [(None, None)] * len(after["orders"])
    after["orders"] = [row[:-2] for row in after["orders"]]
    assert [row[-2:] for row in after["outbox"]] == [(None, None)]  # 0003: message_key, message, none written
    after["outbox"] = [row[:-2] for row in after["outbox"]]
    if older:
        assert after.pop("order_tracking") == []
        before.pop("order_tracking", None)
        after["outbox"] = [row[:-2] for row in after["outbox"]]  # the claim columns were added, empty
        assert rows(db)["outbox"][0][-2:] == (None, None)
    assert after == before
    [backup] = (tmp_path / "backups").glob(f"state-*-before-{HEAD}.db")
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    with sqlite3.connect(backup) as raw:  # the backup is the database as it was
        assert raw.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("1",)
    raw.close()


def test_a_failing_migration_leaves_the_database_as_it_was_and_names_the_backup(tmp_path, monkeypatch):
    from agent.storage import schema

    db = tmp_path / "agent.db"
    Store(db).close()
    store = Store(db)
    store.set_meta("kept", "yes")
    store.close()
    before = dump(db)
    scripts = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    following = f"{int(HEAD) + 1:04d}"  # a revision after the newest, which breaks half-way
    (scripts / "versions" / f"{following}_breaks.py").write_text(
        f'import sqlalchemy as sa\nfrom alembic import op\n\nrevision = "{following}"\ndown_revision = "{HEAD}"\n'
        "branch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n"
        '    op.create_table("half", sa.Column("id", sa.Integer, primary_key=True))\n'
        '    with op.batch_alter_table("orders", recreate="always") as batch:\n'
        '        batch.add_column(sa.Column("extra", sa.Text))\n'
        '    op.execute("DELETE FROM order_lines")\n'
        '    raise RuntimeError("the second step broke")\n')
    original = schema._config

    def config(connection=None):
        made = original(connection)
        made.set_main_option("script_location", str(scripts))
        return made

    monkeypatch.setattr(schema, "_config", config)
    monkeypatch.setattr(schema, "HEAD", following)
    with pytest.raises(StorageError) as failure:
        Store(db)
    message = str(failure.value)
    [backup] = (tmp_path / "backups").glob(f"state-*-before-{following}.db")
    assert "\n" not in message and "the second step broke" in message and str(backup) in message
    assert dump(db) == before
    assert dump(backup) == before


def test_a_database_newer_than_the_program_is_refused_in_one_line_and_left_alone(tmp_path):
    db = tmp_path / "agent.db"
    Store(db).close()
    with sqlite3.connect(db) as raw:
        raw.execute("UPDATE alembic_version SET version_num = '9999'")
    raw.close()
    before = dump(db)
    with pytest.raises(StorageError, match=r"schema revision 9999, newer than this dispute-agent.*upgrade "
                                           r"dispute-agent$") as refused:
        Store(db)
    assert "\n" not in str(refused.value)
    with pytest.raises(StorageError, match="upgrade dispute-agent"):
        Store(db, read_only=True)
    assert dump(db) == before and not (tmp_path / "backups").exists()


def test_an_old_database_of_an_unknown_version_is_refused(tmp_path):
    db = old_database(tmp_path / "agent.db")
    with sqlite3.connect(db) as raw:
        raw.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    raw.close()
    with pytest.raises(StorageError, match="schema version 2.*upgrade dispute-agent"):
        Store(db)


def test_a_read_only_open_of_an_old_database_reads_it_and_never_writes(tmp_path):
    db = old_database(tmp_path / "agent.db", older=True)
    before = db.read_bytes()
    store = Store(db, read_only=True)
    try:
        assert store.order("8300000000000001") is not None and store.schema_version() == HEAD
    finally:
        store.close()
    assert db.read_bytes() == before and not (tmp_path / "backups").exists()


def test_only_the_last_backups_are_kept(tmp_path):
    from datetime import UTC, datetime, timedelta

    from agent.storage.schema import KEEP_BACKUPS, backup_database

    db = tmp_path / "agent.db"
    Store(db).close()
    start = datetime(2026, 11, 1, tzinfo=UTC)
    made = [backup_database(db, tmp_path / "backups", "before-0001", now=start + timedelta(days=day))
            for day in range(KEEP_BACKUPS + 2)]
    assert sorted((tmp_path / "backups").iterdir()) == made[-KEEP_BACKUPS:]


def test_opening_a_database_at_head_does_not_load_alembic(tmp_path):
    db = tmp_path / "agent.db"
    Store(db).close()
    script = (f"import sys\nfrom agent.storage.store import Store\nStore({str(db)!r}).close()\n"
              "print('alembic' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.stdout.strip() == "False"


def test_the_revisions_are_part_of_an_installed_package():
    """A wheel or the container has no checkout: the revisions travel as package modules."""
    import tomllib

    from setuptools import find_packages

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    found = find_packages(str(ROOT), include=project["tool"]["setuptools"]["packages"]["find"]["include"])
    assert {"agent.storage.migrations", "agent.storage.migrations.versions"} <= set(found)
    assert "storage/migrations/script.py.mako" in project["tool"]["setuptools"]["package-data"]["agent"]
