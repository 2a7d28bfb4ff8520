"""A database opened for reading only: a snapshot in memory, never a write to the file.

Why a copy: the commands that only look (``status``, ``orders``, ``disputes``, ``log``)
must not create a database on a fresh machine, nor migrate an old one behind the
user's back, nor touch a file that may be the only record of a dispute. The file is
read through SQLite's read-only mode (``mode=ro``) in one consistent read, copied
into memory with SQLite's backup API, and the in-memory copy is brought to the
current schema there. A daemon writing at the same time is not disturbed (WAL
readers do not block writers) and the copy sees one committed state.

A state directory that does not exist, or holds no database yet, gives an empty
in-memory database: the commands then say there is nothing yet. On a read-only
folder, where SQLite cannot even set up its shared-memory file, the file is read
as ``immutable`` (nobody can be writing to it there).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.engine import Engine

__all__ = ["snapshot_engine"]

#: SQLite's answers when a read-only open needs to write its -shm file and cannot
_NEEDS_IMMUTABLE = ("SQLITE_READONLY_DIRECTORY", "SQLITE_READONLY_CANTINIT", "SQLITE_READONLY_CANTLOCK")


def snapshot_engine(path: Path, busy_seconds: float) -> Engine:
    """An engine on an in-memory copy of the database at ``path`` (empty if there is none).

    Raises ``sqlite3.Error`` as SQLite does (the caller maps it, naming ``path``).
    """
    from sqlalchemy import create_engine
    from sqlalchemy.pool import StaticPool

    memory = sqlite3.connect(":memory:", check_same_thread=False)
    if path.exists():
        try:
            _copy(path, memory, busy_seconds)
        except BaseException:
            memory.close()
            raise
    return create_engine("sqlite://", creator=lambda: memory, poolclass=StaticPool)


def _copy(path: Path, memory: sqlite3.Connection, busy_seconds: float) -> None:
    try:
        _backup(path, "mode=ro", memory, busy_seconds)
    except sqlite3.Error as error:
        if getattr(error, "sqlite_errorname", "") not in _NEEDS_IMMUTABLE:
            raise
        _backup(path, "mode=ro&immutable=1", memory, busy_seconds)


def _backup(path: Path, flags: str, memory: sqlite3.Connection, busy_seconds: float) -> None:
    source = sqlite3.connect(f"{path.resolve().as_uri()}?{flags}", uri=True, timeout=busy_seconds,
                             isolation_level=None)
    try:
        # take the read lock first, with the busy timeout: the backup itself would retry forever
        source.execute("BEGIN")
        source.execute("SELECT count(*) FROM sqlite_master").fetchone()
        source.backup(memory)
        source.execute("COMMIT")
    finally:
        source.close()
