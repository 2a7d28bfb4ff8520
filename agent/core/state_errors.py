"""What the disk and SQLite say, turned into one :class:`StorageError` with a remedy.

A damaged database, a locked one, a full disk or a folder the agent may not write
to must each end a command with one line that names the path and says what to do,
never a traceback. These functions are called at the boundaries where the agent
touches its state (the store's engine, the session file, the CLI's error table), so
the rest of the code raises what the libraries raise.

Nothing here repairs anything: a database that cannot be opened is left exactly as
it is, so that a backup, another version of the agent or ``sqlite3 .recover`` can
still get its data back.
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

from agent.core.errors import StorageError

__all__ = ["as_storage_error", "busy_message", "database_error", "database_path_problem", "file_error", "folder_problem", "not_utf8"]

#: errors of the disk itself, worth one line even when the library did not say which file
_DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO})

#: ``errno`` -> what it means for a file of the agent, and what to do
_OS_REMEDIES: dict[int, str] = {
    errno.ENOSPC: "the disk is full; free space on it and run again",
    errno.EDQUOT: "the disk quota is used up; free space and run again",
    errno.EACCES: "no permission; the state directory and its files must belong to the user running the agent",
    errno.EPERM: "not permitted; the state directory and its files must belong to the user running the agent",
    errno.EROFS: "the file system is read-only; point state.dir at a writable folder",
    errno.EISDIR: "it is a folder where the agent keeps a file; move that folder away",
    errno.ENOTDIR: "a part of the path is a file, not a folder; move that file away or set state.dir elsewhere",
    errno.ENAMETOOLONG: "the path is too long; set state.dir to a shorter path",
    errno.EIO: "the disk reports an I/O error; check the disk (dmesg) before anything else",
}


def file_error(error: OSError, path: Path | str | None = None) -> StorageError:
    """``error`` of reading or writing ``path`` (else the error's own file name) as one line."""
    where = path if path is not None else error.filename
    remedy = _OS_REMEDIES.get(error.errno or 0, "check the path and its permissions")
    reason = error.strerror or str(error) or type(error).__name__
    if where is None:
        return StorageError(f"cannot read or write the agent's files ({reason}): {remedy}")
    return StorageError(f"cannot use {where} ({reason}): {remedy}", Path(where))


def folder_problem(path: Path, what: str, remedy: str) -> StorageError | None:
    """``path``, where the agent keeps a file, is a folder: named, left as it is, with ``remedy``."""
    if path.is_dir():
        return StorageError(f"{what} {path} is a folder, not a file; it was left as it is: {remedy}", path)
    return None


def database_path_problem(database: Path) -> StorageError | None:
    """A database path that is a folder, or whose state directory is a file (or under one)."""
    problem = folder_problem(database, "the database", "move it away (the agent then starts a new database) "
                             "or set state.dir elsewhere")
    if problem is not None:
        return problem
    state_dir = database.parent
    for part in (state_dir, *state_dir.parents):
        if part.exists():
            if part.is_dir():
                return None
            what = "the state directory" if part == state_dir else f"a parent of the state directory {state_dir}"
            return StorageError(f"{what} {part} is a file, not a folder: move that file away, or set "
                                "state.dir (DISPUTE_AGENT_STATE__DIR) to a folder", part)
    return None


def busy_message(path: Path | str, seconds: float) -> str:
    return (f"the database {path} stayed locked by another program for {seconds:g} s (a running daemon "
            "or a second command writing to it); nothing was changed: wait for it to finish, then run again")


def database_error(error: BaseException, path: Path | str, busy_seconds: float) -> StorageError | None:
    """SQLite's ``error`` on the database at ``path`` as a :class:`StorageError`.

    ``None`` for errors that are the program's own (a constraint, a bad statement):
    those are bugs, not a state of the machine, and must keep their traceback.
    """
    if not isinstance(error, sqlite3.Error):
        return None
    name = getattr(error, "sqlite_errorname", "") or ""
    text = str(error)
    kept = "the file was left as it is"
    if name in ("SQLITE_NOTADB", "SQLITE_CORRUPT") or name.startswith("SQLITE_CORRUPT_"):
        return StorageError(f"{path} is not a readable dispute-agent database ({text}); {kept}: restore it from a "
                            "backup, or move it away and run 'dispute-agent sync' to start a new one", Path(path))
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return StorageError(busy_message(path, busy_seconds), Path(path))
    if name == "SQLITE_FULL":
        return StorageError(f"cannot write {path}: the disk is full ({text}); nothing was lost: free space on "
                            "that disk and run again", Path(path))
    if name.startswith("SQLITE_READONLY"):
        return StorageError(f"cannot write {path} ({text}): the file or its folder {Path(path).parent} is "
                            "read-only for this user; they must belong to the user running the agent", Path(path))
    if name.startswith("SQLITE_CANTOPEN"):
        return database_path_problem(Path(path)) or StorageError(
            f"cannot open the database {path} ({text}): check that its folder exists and belongs to the user "
            "running the agent", Path(path))
    if name.startswith("SQLITE_IOERR"):
        return StorageError(f"cannot read or write {path}: the disk reports an I/O error ({name}); check the "
                            "disk and the free space, then run again", Path(path))
    if name in ("SQLITE_PERM", "SQLITE_AUTH"):
        return StorageError(f"access to {path} was refused ({text}): check its permissions", Path(path))
    return None


def as_storage_error(error: BaseException) -> StorageError | None:
    """For the CLI's error table: an ``OSError`` about a file (or the disk) as one line.

    ``None`` for anything else, a network error included: those are not the state's.
    """
    if isinstance(error, OSError) and (error.filename is not None or error.errno in _DISK_ERRNOS):
        return file_error(error)
    return None


def not_utf8(error: UnicodeDecodeError) -> str:
    """``not UTF-8 text (byte 0xff at offset 19)``: where a file given as text stops being text."""
    return f"not UTF-8 text (byte 0x{error.object[error.start]:02x} at offset {error.start})"
