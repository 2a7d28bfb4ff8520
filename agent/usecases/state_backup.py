"""``dispute-agent backup FILE`` / ``restore FILE``: the agent's state in one zip file.

What goes in: the database, copied with SQLite's online backup (one consistent state
even while the daemon writes), the saved browser sessions, the settings file with its
secret values removed, and a manifest (format, program version, schema revision,
time, a checksum per file). The saved sessions are the account's login (their cookies
let whoever holds them into the account), so the file is kept like a password. What
stays out: channel URLs, tokens and passwords are cut from the settings copy, and the
site password kept by the system keyring (or a credentials folder) is not in the file
at all: after a restore on a new machine they are set again.

A restore refuses while the daemon runs (it holds the daemon lock itself meanwhile),
checks the manifest and every checksum before touching anything, keeps the current
database and sessions aside under ``<state>/backups/``, and then opens the restored
database, which migrates an older one (with its own backup first).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from agent.core.errors import StorageError, UserInputError
from agent.storage.private_files import private_dir

__all__ = ["FORMAT", "SECRET_REMOVED", "backup_state", "restore_state", "without_secrets"]

#: the layout of the zip file; a restore refuses formats it does not know
FORMAT = 1
MANIFEST = "manifest.json"
DATABASE = "agent.db"
SESSIONS = "sessions/"
SETTINGS = "settings/agent.toml"
#: where a restore puts the settings copy (the user's own file is never overwritten)
RESTORED_SETTINGS = "restored-settings.toml"
#: what replaces a secret line in the settings copy
SECRET_REMOVED = "(secret removed from the backup: set it again)"
#: settings keys whose values are secret: channel URLs, a remote browser's address, ping URLs, anything named so
#: (found anywhere on a line: an inline table ``{ name = "phone", url = "…" }`` holds one too)
_SECRET_KEY = re.compile(r"(?:^|[\s{,])[\"']?([A-Za-z0-9_-]*(?:url|password|token|secret|api_key|apikey|passwd)"
                         r"[A-Za-z0-9_-]*)[\"']?\s*=", re.IGNORECASE)
#: addresses that name no secret (the site's own, a home page): kept
_PUBLIC_KEYS = frozenset({"base_url", "mobile_url"})


@dataclass(frozen=True)
class BackupReport:
    file: Path
    schema_revision: str | None
    sessions: int
    settings: bool


def program_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("dispute-agent")
    except PackageNotFoundError:
        return "unknown"


def without_secrets(text: str) -> str:
    """The settings file's text with every secret value's line commented out (comments kept)."""
    kept = []
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            kept.append(line)
            continue
        secret = [key for key in _SECRET_KEY.findall(line) if key.lower() not in _PUBLIC_KEYS]
        if secret:
            line = f"# {', '.join(secret)} = {SECRET_REMOVED}"
        kept.append(line)
    return "\n".join(kept) + "\n"


def backup_state(state_dir: Path, database: Path, sessions_dir: Path, config_file: Path | None, target: Path,
                 now: datetime | None = None) -> BackupReport:
    """Write the zip file ``target`` (atomically, 0600) from the state as it is now."""
    from agent.storage.schema import copy_database

    if not database.is_file():
        raise UserInputError(f"there is no database at {database} to back up: check --config (state.dir), or run "
                             "'dispute-agent sync' first")
    target = target.expanduser().resolve()
    if target.is_dir():
        raise UserInputError(f"{target} is a folder: give the backup's file name, e.g. {target / 'dispute-agent.zip'}")
    files: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="backup-", dir=state_dir) as work:
        copy = Path(work) / DATABASE
        copy_database(database, copy)
        files[DATABASE] = copy.read_bytes()
    revision = _revision_of_bytes(files[DATABASE])
    sessions = sorted(sessions_dir.glob("*.json")) if sessions_dir.is_dir() else []
    for session in sessions:
        files[SESSIONS + session.name] = session.read_bytes()
    if config_file is not None and config_file.is_file():
        files[SETTINGS] = without_secrets(config_file.read_text(encoding="utf-8")).encode()
    manifest = {
        "format": FORMAT, "program": "dispute-agent", "version": program_version(), "schema_revision": revision,
        "created_at": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
        "login_session_included": bool(sessions),
        "passwords_included": False,
        "not_included": "channel URLs, tokens and passwords of the settings, and the site password "
                        "(system keyring or credentials folder): set them again after a restore",
    }
    _write_zip(target, {MANIFEST: json.dumps(manifest, indent=2).encode(), **files})
    return BackupReport(target, revision, len(sessions), SETTINGS in files)


def _write_zip(target: Path, files: dict[str, bytes]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    temp = Path(temp_name)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in files.items():
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.external_attr = 0o600 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, data)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _revision_of_bytes(data: bytes) -> str | None:
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / DATABASE
        path.write_bytes(data)
        return _revision_of(path)


def _revision_of(path: Path) -> str | None:
    connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        found = connection.execute("SELECT name FROM sqlite_master WHERE name = 'alembic_version'").fetchone()
        if found is None:
            return None
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        return row[0] if row else None
    finally:
        connection.close()


# --- restore -------------------------------------------------------------------------------


def read_backup(source: Path) -> tuple[dict, dict[str, bytes]]:
    """The manifest and the files of the backup ``source``, every checksum checked."""
    problem = f"{source} is not a dispute-agent backup"
    try:
        with zipfile.ZipFile(source) as archive:
            names = set(archive.namelist())
            if MANIFEST not in names:
                raise UserInputError(f"{problem} (no {MANIFEST} in it): give a file made by 'dispute-agent backup'")
            manifest = json.loads(archive.read(MANIFEST))
            listed = manifest.get("files", {})
            files = {name: archive.read(name) for name in listed if name in names}
    except FileNotFoundError:
        raise UserInputError(f"{source} does not exist: give the path of a file made by 'dispute-agent backup'") \
            from None
    except (zipfile.BadZipFile, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise UserInputError(f"{problem} ({error}): give a file made by 'dispute-agent backup'") from None
    if manifest.get("program") != "dispute-agent" or not isinstance(manifest.get("format"), int):
        raise UserInputError(f"{problem} (its manifest names no dispute-agent format): give a file made by "
                             "'dispute-agent backup'")
    if manifest["format"] > FORMAT:
        raise UserInputError(f"{source} was made by a newer dispute-agent (backup format {manifest['format']}, "
                             f"this one reads {FORMAT}): upgrade dispute-agent, then restore")
    for name, digest in listed.items():
        if name not in files or hashlib.sha256(files[name]).hexdigest() != digest:
            raise UserInputError(f"{source} is damaged ({name} is missing or does not match its checksum); nothing "
                                 "was changed: use another backup")
    if DATABASE not in files:
        raise UserInputError(f"{problem} (no database in it): give a file made by 'dispute-agent backup'")
    return manifest, files


def restore_state(source: Path, state_dir: Path, database: Path, sessions_dir: Path,
                  say: Callable[[str], None], now: datetime | None = None) -> None:
    """Put the backup ``source`` in place of the state, the current one kept aside first."""
    from agent.storage.lock import Locked, browser_lock, daemon_lock
    from agent.storage.schema import BACKUPS, _refuse_newer, backup_database

    manifest, files = read_backup(source.expanduser())
    revision = manifest.get("schema_revision")
    _refuse_newer(revision, str(source))
    private_dir(state_dir)
    lock = daemon_lock(state_dir)
    try:
        lock.acquire()
    except Locked:
        raise StorageError(f"the daemon is running on {state_dir}; nothing was changed: stop it first "
                           "(systemctl --user stop dispute-agent, or docker compose stop), then restore",
                           state_dir) from None
    try:
        with browser_lock(state_dir, timeout=30):
            _put_in_place(manifest, files, state_dir, database, sessions_dir, say, now or datetime.now(UTC),
                          backups=state_dir / BACKUPS, backup=backup_database)
    finally:
        lock.release()


def _put_in_place(manifest: dict, files: dict[str, bytes], state_dir: Path, database: Path, sessions_dir: Path,
                  say: Callable[[str], None], now: datetime, *, backups: Path, backup) -> None:
    from agent.storage.store import Store

    incoming = database.with_name(database.name + ".restoring")
    incoming.unlink(missing_ok=True)
    fd = os.open(incoming, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(files[DATABASE])
        out.flush()
        os.fsync(out.fileno())
    _check_integrity(incoming)
    try:  # an older backup is migrated here, before anything of the current state is touched
        store = Store(incoming)
        try:
            revision = store.schema_version()
        finally:
            store.close()
    except BaseException:
        for left in (incoming, incoming.with_name(incoming.name + "-wal"), incoming.with_name(incoming.name + "-shm")):
            left.unlink(missing_ok=True)
        raise
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    if database.exists():
        kept = backup(database, backups, "before-restore", now=now)
        say(f"kept the current database aside: {kept}")
        _checkpoint(database)
    current_sessions = sorted(sessions_dir.glob("*.json")) if sessions_dir.is_dir() else []
    if current_sessions:
        aside = private_dir(backups / f"sessions-{stamp}-before-restore")
        for session in current_sessions:
            shutil.copy2(session, aside / session.name)
        say(f"kept the current sessions aside: {aside}")
    for leftover in (database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")):
        leftover.unlink(missing_ok=True)
    os.replace(incoming, database)
    say(f"restored the database of {manifest.get('created_at', 'an unknown time')} "
        f"(schema {manifest.get('schema_revision') or 'before migrations'}, dispute-agent {manifest.get('version')})")
    if revision != manifest.get("schema_revision"):
        say(f"migrated it to schema {revision}")
    restored = [name for name in files if name.startswith(SESSIONS)]
    if restored:
        private_dir(sessions_dir)
        for name in restored:
            _write_private(sessions_dir / Path(name).name, files[name])
        say(f"restored {len(restored)} saved session(s) to {sessions_dir}")
    if SETTINGS in files:
        target = state_dir / RESTORED_SETTINGS
        _write_private(target, files[SETTINGS])
        say(f"the settings of the backup are in {target}, without their secrets: compare them with your settings "
            "file, and set the channel URLs and tokens again")
    say("not restored (never in a backup): the site password in the system keyring or credentials folder; "
        "set it again with 'dispute-agent secrets set' if this is a new machine")


def _write_private(path: Path, data: bytes) -> None:
    temp = path.with_name(path.name + ".partial")
    temp.unlink(missing_ok=True)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(temp, path)


def _check_integrity(path: Path) -> None:
    connection = sqlite3.connect(path)
    try:
        verdict = connection.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.Error as error:
        verdict = str(error)
    finally:
        connection.close()
    if verdict != "ok":
        path.unlink(missing_ok=True)
        raise StorageError(f"the database in the backup is damaged ({verdict}); nothing was changed: use another "
                           "backup", path)


def _checkpoint(database: Path) -> None:
    """Fold the current database's WAL into it, so no stale -wal file meets the restored one."""
    connection = sqlite3.connect(database, timeout=10)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
