"""Bringing a database to the schema of this program: Alembic revisions, a backup first.

Why the shape of it:

- Opening a store is frequent (every command, every test) and almost always finds the
  database at ``HEAD``: one query of ``alembic_version`` says so, and Alembic is never
  imported (``--help`` and most commands stay fast).
- A new, empty database is made from the models (``create_all``) and stamped ``HEAD``,
  as Alembic's own guide advises; ``tests/unit/test_migrations.py`` proves the models
  and the revisions describe the same schema, so both roads end at the same tables.
- An existing database that needs a revision is first copied with SQLite's online
  backup to ``<state>/backups/state-<time>-before-<rev>.db`` (the last few are kept).
  The revisions then run in one transaction on a connection of their own, with foreign
  keys off (SQLite's batch mode drops and re-creates tables; with them on, a dropped
  ``orders`` would cascade into its lines). A failing revision rolls back, and the
  error names the backup.
- A database written by a newer program is refused in one line and left as it is.
"""

from __future__ import annotations

import importlib
import logging
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from agent.core.errors import DisputeAgentError, StorageError
from agent.core.state_errors import database_error, file_error
from agent.storage.migrations import HEAD

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy import MetaData
    from sqlalchemy.engine import Connection, Engine

__all__ = ["BACKUPS", "HEAD", "KEEP_BACKUPS", "MODEL_MODULES", "backup_database", "ensure_schema",
           "model_metadata", "stored_revision"]

log = logging.getLogger("dispute_agent.schema")

#: modules that declare tables on ``agent.storage.store.Base`` (all of them, for ``create_all`` and the comparison)
MODEL_MODULES: tuple[str, ...] = ("agent.storage.store", "agent.storage.dispute_records", "agent.notifications.outbox", "agent.storage.tracking_store")
#: the folder of the state directory where backups taken before a migration go
BACKUPS = "backups"
#: backups taken before migrations that are kept (older ones are deleted)
KEEP_BACKUPS = 5
#: the revision of a database made before migrations (its ``meta`` row ``schema_version``)
_LEGACY_VERSION = "1"


def model_metadata() -> MetaData:
    """The tables of every model module: what the newest revision must have made."""
    for module in MODEL_MODULES:
        importlib.import_module(module)
    from agent.storage.store import Base

    return Base.metadata


def stored_revision(connection: Connection) -> str | None:
    """The database's Alembic revision; ``None`` when it has none (new, or made before migrations)."""
    if not connection.dialect.has_table(connection, "alembic_version"):
        return None
    from sqlalchemy import text

    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def ensure_schema(engine: Engine, where: str, file: Path | None, *, in_memory: bool = False) -> None:
    """Bring the database behind ``engine`` to ``HEAD`` (``file``: its SQLite file, for the backup).

    ``in_memory``: a read-only snapshot; migrated in memory, nothing backed up or written.
    """
    with engine.connect() as connection:
        revision = stored_revision(connection)
        if revision == HEAD:
            return
        tables = set(connection.dialect.get_table_names(connection))
    if revision is None and not tables:
        _create_fresh(engine)
        return
    if revision is None:
        _check_legacy(engine, where)
    _refuse_newer(revision, where)
    if in_memory or file is None:
        _upgrade(engine, where, backup=None)
        return
    try:
        backup = backup_database(file, file.parent / BACKUPS, f"before-{HEAD}")
    except OSError as error:
        raise file_error(error) from error
    except sqlite3.Error as error:
        raise database_error(error, where, 10.0) or StorageError(
            f"the database {where} could not be backed up before its migration ({error}); it was left as it "
            "is: check the disk and run again", Path(where)) from error
    log.info("migrating the database %s from %s to %s; backup %s", where, revision or "before migrations", HEAD,
             backup)
    migrating = _migration_engine(file)
    try:
        _upgrade(migrating, where, backup)
    finally:
        migrating.dispose()


def _create_fresh(engine: Engine) -> None:
    from sqlalchemy import text

    metadata = model_metadata()
    with engine.begin() as connection:
        metadata.create_all(connection)
        connection.execute(text("CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL, "
                                "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"))
        connection.execute(text("DELETE FROM alembic_version"))
        connection.execute(text("INSERT INTO alembic_version (version_num) VALUES (:head)"), {"head": HEAD})


def _check_legacy(engine: Engine, where: str) -> None:
    """A database made before migrations: adopted by the first revision, unless it is newer."""
    from sqlalchemy import text

    with engine.connect() as connection:
        version = None
        if connection.dialect.has_table(connection, "meta"):
            version = connection.execute(text("SELECT value FROM meta WHERE key = 'schema_version'")).scalar()
    if version is not None and version != _LEGACY_VERSION:
        raise StorageError(f"the database {where} is at schema version {version}, which this dispute-agent does "
                           "not know; it was left as it is: upgrade dispute-agent")


def _refuse_newer(revision: str | None, where: str) -> None:
    if revision is None:
        return
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        ScriptDirectory.from_config(_config()).get_revision(revision)
    except (CommandError, KeyError):
        raise StorageError(f"the database {where} is at schema revision {revision}, newer than this dispute-agent "
                           f"({HEAD}); it was left as it is: upgrade dispute-agent") from None


def _config(connection: Connection | None = None):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _migration_engine(file: Path) -> Engine:
    """A connection of its own: the store's pragmas but foreign keys off, and the DDL
    inside the transaction (SQLite's driver would otherwise commit each ``CREATE`` or
    ``ALTER`` as it runs)."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.pool import NullPool

    import agent.storage.store

    engine = create_engine(f"sqlite:///{file}", poolclass=NullPool)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, record) -> None:
        agent.storage.store._sqlite_pragmas(dbapi_connection, record)
        dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _upgrade(engine: Engine, where: str, backup: Path | None) -> None:
    from alembic import command

    try:
        with engine.begin() as connection:
            command.upgrade(_config(connection), HEAD)
    except Exception as error:
        kept = f"the backup taken before it is {backup}" if backup else "nothing was written"
        if isinstance(error, DisputeAgentError):  # a revision that knows why it cannot go on
            raise StorageError(f"the database {where} {error}; it was left as it was and {kept}: restore it from "
                               "a backup, or move it away and run 'dispute-agent sync' to start a new one",
                               Path(where)) from error
        machine = _machine_error(error, where)
        if machine is not None:  # the disk or a lock, not the revision: said as every such failure is
            said, _, remedy = machine.rpartition(": ")
            raise StorageError(f"{said}; {kept}: {remedy}", Path(where)) from error
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise StorageError(f"migrating the database {where} to schema {HEAD} failed ({reason}); it was left as it "
                           f"was and {kept}: report this, and keep using the previous dispute-agent meanwhile",
                           Path(where)) from error


def _machine_error(error: BaseException, where: str) -> str | None:
    seen: BaseException | None = error
    while seen is not None:
        mapped = database_error(seen, where, 10.0)
        if mapped is not None:
            return str(mapped)
        seen = getattr(seen, "orig", None) or seen.__cause__ or seen.__context__
    return None


def backup_database(file: Path, folder: Path, label: str, now: datetime | None = None) -> Path:
    """A consistent copy of the SQLite ``file`` (SQLite's online backup: safe while another
    process writes) as ``<folder>/state-<time>-<label>.db``, 0600; the oldest beyond
    ``KEEP_BACKUPS`` of the same kind are deleted."""
    from agent.storage.private_files import private_dir

    private_dir(folder)
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    target = folder / f"state-{stamp}-{label}.db"
    copy_database(file, target)
    kind = sorted(folder.glob(f"state-*-{label}.db"))
    for old in kind[:-KEEP_BACKUPS]:
        old.unlink(missing_ok=True)
    return target


def copy_database(source: Path, target: Path, busy_seconds: float = 10.0) -> None:
    """``source`` copied page by page with SQLite's backup API into a new ``target`` (0600),
    written beside it and renamed into place, so a half-written copy is never seen."""
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    reading = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=busy_seconds)
    writing = sqlite3.connect(partial)
    try:
        reading.backup(writing)
        writing.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        writing.close()
        reading.close()
    os.chmod(partial, 0o600)
    os.replace(partial, target)
