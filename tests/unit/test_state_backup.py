"""backup / restore through the command line, on a real state directory and SQLite file."""

from __future__ import annotations

import json
import sqlite3
import stat
import zipfile
from pathlib import Path

from agent.storage.migrations import HEAD
from agent.storage.store import Store
from agent.usecases.state_backup import SECRET_REMOVED, without_secrets
from tests.support.cli_state import BEFORE_MIGRATIONS, ORDER_ID, alter, seed_database

SETTINGS = """\
# my settings
time_zone = "Europe/Berlin"

[site]
base_url = "https://www.aliexpress.com"

[browser]
cdp_url = "ws://127.0.0.1:9222/devtools/browser/abc?token=s3cr3t"

[[notifications.channels]]
name = "phone"
url = "ntfy://topic-s3cr3t"

[health]
ping_url = "https://hc-ping.com/uuid-s3cr3t"
# a comment about the url = "kept as written"
"""

INLINE = 'channels = [{ name = "mail", url = "mailtos://user:s3cr3t@example.com" }, { "name" = "x", "token" = "s3cr3t" }]\n'



def state_of(home: Path) -> Path:
    return home / "agent-state"


def orders_in(database: Path) -> list[str]:
    with sqlite3.connect(database) as raw:
        found = [order for (order,) in raw.execute("SELECT order_id FROM orders ORDER BY order_id")]
    raw.close()
    return found


def test_the_settings_copy_keeps_everything_but_the_secrets():
    copy = without_secrets(SETTINGS)
    assert "s3cr3t" not in copy
    assert 'base_url = "https://www.aliexpress.com"' in copy and "# my settings" in copy
    assert f"# url = {SECRET_REMOVED}" in copy and f"# cdp_url = {SECRET_REMOVED}" in copy
    assert f"# ping_url = {SECRET_REMOVED}" in copy and '# a comment about the url = "kept as written"' in copy
    assert without_secrets(INLINE) == f"# url, token = {SECRET_REMOVED}\n"


def test_backup_change_restore_brings_the_data_back(agent_home, run_cli, monkeypatch):
    state = state_of(agent_home)
    database = state / "agent.db"
    seed_database(database)
    session = state / "sessions" / "default.json"
    session.parent.mkdir(mode=0o700)
    session.write_text('{"cookies": []}')
    config = agent_home / "agent.toml"
    config.write_text(SETTINGS)
    monkeypatch.setenv("DISPUTE_AGENT_CONFIG", str(config))
    zipped = agent_home / "out" / "backup.zip"

    code, out, err = run_cli("backup", str(zipped))
    assert code == 0, err
    assert "no password or channel URL is in it" in out and "keep this file like a password" in out
    assert stat.S_IMODE(zipped.stat().st_mode) == 0o600
    with zipfile.ZipFile(zipped) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert b"s3cr3t" not in b"".join(archive.read(name) for name in archive.namelist())
    assert manifest["schema_revision"] == HEAD and manifest["passwords_included"] is False
    assert set(manifest["files"]) == {"agent.db", "sessions/default.json", "settings/agent.toml"}

    alter(database, "DELETE FROM orders")  # the change the restore must undo
    session.write_text('{"cookies": ["new"]}')
    assert orders_in(database) == []

    code, out, err = run_cli("restore", str(zipped))
    assert code == 0, err
    assert orders_in(database) == [ORDER_ID]
    assert session.read_text() == '{"cookies": []}'
    assert "kept the current database aside" in out and "keyring" in out
    [aside] = (state / "backups").glob("state-*-before-restore.db")
    assert orders_in(aside) == []  # the state replaced was kept, as it was
    assert (state / "restored-settings.toml").read_text() == without_secrets(SETTINGS)
    assert config.read_text() == SETTINGS


def test_restore_refuses_while_the_daemon_runs_and_changes_nothing(agent_home, run_cli):
    from agent.storage.lock import daemon_lock

    state = state_of(agent_home)
    seed_database(state / "agent.db")
    zipped = agent_home / "backup.zip"
    assert run_cli("backup", str(zipped))[0] == 0
    alter(state / "agent.db", "DELETE FROM orders")
    lock = daemon_lock(state)
    lock.acquire()
    try:
        code, _, err = run_cli("restore", str(zipped))
    finally:
        lock.release()
    assert code == 1 and "the daemon is running" in err and len(err.strip().splitlines()) == 1
    assert orders_in(state / "agent.db") == []


def test_a_backup_from_before_migrations_is_migrated_on_restore(agent_home, run_cli):
    state = state_of(agent_home)
    seed_database(state / "agent.db")
    alter(state / "agent.db", *BEFORE_MIGRATIONS)
    zipped = agent_home / "old.zip"
    assert run_cli("backup", str(zipped))[0] == 0
    (state / "agent.db").unlink()

    code, out, err = run_cli("restore", str(zipped))
    assert code == 0, err
    assert f"migrated it to schema {HEAD}" in out
    store = Store(state / "agent.db")
    try:
        assert store.order(ORDER_ID) is not None
    finally:
        store.close()


def test_a_damaged_or_foreign_file_is_refused_before_anything_changes(agent_home, run_cli):
    state = state_of(agent_home)
    seed_database(state / "agent.db")
    zipped = agent_home / "backup.zip"
    assert run_cli("backup", str(zipped))[0] == 0
    with zipfile.ZipFile(zipped) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    files["agent.db"] = files["agent.db"][:-10] + b"0123456789"
    with zipfile.ZipFile(agent_home / "damaged.zip", "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    (agent_home / "foreign.zip").write_bytes(b"not a zip")
    before = (state / "agent.db").read_bytes()
    for name, says in (("damaged.zip", "does not match its checksum"), ("foreign.zip", "is not a dispute-agent backup")):
        code, _, err = run_cli("restore", str(agent_home / name))
        assert code == 2 and says in err, err
    assert (state / "agent.db").read_bytes() == before and not (state / "backups").exists()


def test_a_backup_that_cannot_be_opened_changes_nothing_of_the_current_state(agent_home, run_cli):
    """Its database newer than this program (its manifest saying otherwise): refused before
    the current database is touched."""
    import hashlib

    state = state_of(agent_home)
    database = state / "agent.db"
    seed_database(database)
    zipped = agent_home / "backup.zip"
    assert run_cli("backup", str(zipped))[0] == 0
    with zipfile.ZipFile(zipped) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    newer = agent_home / "newer.db"
    newer.write_bytes(files["agent.db"])
    with sqlite3.connect(newer) as raw:
        raw.execute("UPDATE alembic_version SET version_num = '9999'")
    raw.close()
    files["agent.db"] = newer.read_bytes()
    manifest = json.loads(files["manifest.json"])
    manifest["files"]["agent.db"] = hashlib.sha256(files["agent.db"]).hexdigest()
    files["manifest.json"] = json.dumps(manifest).encode()
    forged = agent_home / "forged.zip"
    with zipfile.ZipFile(forged, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    before = database.read_bytes()

    code, _out, err = run_cli("restore", str(forged))
    assert code != 0 and "9999" in err
    assert database.read_bytes() == before
    assert not list(state.glob("agent.db.restoring*"))
