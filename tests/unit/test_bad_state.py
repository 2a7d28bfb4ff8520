"""A broken state, a bad file or an absurd argument: one line, the path, the exit code, nothing lost.

Each case breaks one thing for real (a damaged SQLite file, a folder where the
database belongs, a lock held by another connection, a database that hits its size
limit, bytes that are not UTF-8), runs the real command line in this process, and
checks: the exit code the README documents, exactly one line on stderr that names the
path, no traceback, and the database file byte for byte as it was.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.cli_state import BEFORE_MIGRATIONS, alter, digest, seed_database

ROOT = Path(__file__).resolve().parents[2]


# --- the broken states -------------------------------------------------------------------


@dataclass
class State:
    home: Path
    state: Path
    monkeypatch: pytest.MonkeyPatch
    request: pytest.FixtureRequest

    @property
    def db(self) -> Path:
        return self.state / "agent.db"


def garbage_database(s: State) -> Path:
    s.state.mkdir()
    s.db.write_bytes(bytes(range(256)) * 40)
    return s.db


def truncated_database(s: State) -> Path:
    seed_database(s.db)
    data = s.db.read_bytes()
    s.db.write_bytes(data[: len(data) // 3])
    return s.db


def database_is_a_folder(s: State) -> Path:
    (s.db / "inside").mkdir(parents=True)
    return s.db


def column_missing(s: State) -> Path:
    """A database whose orders lost their (not nullable) status column: no value can be made up."""
    seed_database(s.db)
    alter(s.db, *BEFORE_MIGRATIONS, "ALTER TABLE orders DROP COLUMN status")
    return s.db


def state_is_a_file(s: State) -> Path:
    s.state.write_text("not a folder")
    return s.state


def session_is_a_folder(s: State) -> Path:
    seed_database(s.db)
    session = s.state / "sessions" / "default.json"
    session.mkdir(parents=True)
    return session


def database_locked(s: State) -> Path:
    """Another connection holds SQLite's write lock for longer than the agent waits."""
    seed_database(s.db)
    s.monkeypatch.setattr("agent.storage.store.BUSY_TIMEOUT_S", 0.2)
    holder = sqlite3.connect(s.db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("INSERT INTO meta (key, value) VALUES ('held', 'by another program')")
    s.request.addfinalizer(holder.close)
    s.request.addfinalizer(lambda: holder.execute("ROLLBACK"))
    return s.db


def database_disk_full(s: State) -> Path:
    """SQLite's own 'database or disk is full': an old database (one table short) may not grow."""
    seed_database(s.db)
    alter(s.db, *BEFORE_MIGRATIONS, "DROP TABLE status_observations", "VACUUM")  # VACUUM: no free page left for the table
    import agent.storage.store

    pragmas = agent.storage.store._sqlite_pragmas

    def full_disk(connection, record) -> None:
        pragmas(connection, record)
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
        connection.execute(f"PRAGMA max_page_count = {pages}")

    s.monkeypatch.setattr(agent.storage.store, "_sqlite_pragmas", full_disk)
    return s.db


def session_disk_full(s: State) -> Path:
    """The disk fills while the session file is written: the old session must survive."""
    session = s.state / "sessions" / "default.json"
    session.parent.mkdir(parents=True)
    session.write_text('{"cookies": [{"name": "old"}], "origins": []}')
    (s.home / "new.json").write_text('{"cookies": [], "origins": []}')

    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    s.monkeypatch.setattr(os, "fsync", no_space)
    return session


def config_not_utf8(s: State) -> Path:
    config = s.home / "agent.toml"
    config.write_bytes(b'[site]\nbase_url = "https://www.aliexpress.com/\xff\xfe"\n')
    return config


def message_file_binary(s: State) -> Path:
    seed_database(s.db)
    message = s.home / "message.txt"
    message.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    return message


def nested_json(s: State) -> Path:
    body = s.home / "deep.json"
    body.write_text('{"data":' * 50_000 + "1" + "}" * 50_000)
    return body


def nothing(s: State) -> Path:
    seed_database(s.db)
    return s.db


@dataclass
class Case:
    name: str
    breaks: Callable[[State], Path]
    argv: tuple[str, ...]
    code: int
    says: str
    names_path: bool = True


NOT_A_DATABASE = "is not a readable dispute-agent database"
CASES = [
    Case("garbage database: status", garbage_database, ("status",), 1, NOT_A_DATABASE),
    Case("garbage database: orders", garbage_database, ("orders",), 1, NOT_A_DATABASE),
    Case("garbage database: sync", garbage_database, ("sync",), 1, NOT_A_DATABASE),
    Case("truncated database: orders", truncated_database, ("orders", "--json"), 1, NOT_A_DATABASE),
    Case("truncated database: disputes", truncated_database, ("disputes",), 1, NOT_A_DATABASE),
    Case("truncated database: poll", truncated_database, ("poll",), 1, NOT_A_DATABASE),
    Case("database is a folder: status", database_is_a_folder, ("status",), 1, "is a folder, not a file"),
    Case("database is a folder: sync", database_is_a_folder, ("sync",), 1, "is a folder, not a file"),
    Case("column missing: orders", column_missing, ("orders",), 1, "has no column orders.status"),
    Case("column missing: sync", column_missing, ("sync",), 1, "has no column orders.status"),
    Case("state path is a file: status", state_is_a_file, ("status",), 1, "is a file, not a folder"),
    Case("state path is a file: log", state_is_a_file, ("log",), 1, "is a file, not a folder"),
    Case("state path is a file: sync", state_is_a_file, ("sync",), 1, "is a file, not a folder"),
    Case("session is a folder: poll", session_is_a_folder, ("poll",), 1, "is a folder, not a file"),
    Case("session is a folder: login", session_is_a_folder, ("login",), 1, "is a folder, not a file"),
    Case("session is a folder: export", session_is_a_folder, ("session", "export", "out.json"), 2,
         "is a folder, not a saved browser session"),
    Case("database locked: sync", database_locked, ("sync",), 1, "stayed locked by another program"),
    Case("database locked: poll", database_locked, ("poll",), 1, "stayed locked by another program"),
    Case("disk full: sync", database_disk_full, ("sync",), 1, "the disk is full"),
    Case("disk full: session import", session_disk_full, ("session", "import", "{home}/new.json"), 1,
         "the disk is full"),
    Case("config not UTF-8", config_not_utf8, ("orders", "--config", "{path}"), 2, "not UTF-8 text (byte 0xff"),
    Case("binary --message-file", message_file_binary,
         ("open", "8300000000000001", "--received", "--reason", "damaged", "--message-file", "{path}"), 2,
         "not UTF-8 text (byte 0x89"),
    Case("--amount 1e999", nothing, ("open", "8300000000000001", "--received", "--reason", "damaged", "--refund",
                                     "partial", "--amount", "1e999", "--yes"), 2, "--amount '1e999' is not an amount", names_path=False),
    Case("--counter 1e999", nothing, ("reject", "6400000000000001", "--counter", "1e999"), 2,
         "--counter '1e999' is not an amount", names_path=False),
    Case("--counter NaN", nothing, ("reject", "6400000000000001", "--counter", "NaN"), 2,
         "--counter 'NaN' is not an amount", names_path=False),
    Case("parse: JSON nested 50 000 deep", nested_json, ("parse", "{path}"), 2, "deeper than JSON can be read"),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_broken_state_is_one_line_naming_the_path(case: Case, agent_home, run_cli, monkeypatch, request):
    state = State(agent_home, agent_home / "agent-state", monkeypatch, request)
    path = case.breaks(state)
    before = digest(state.db)
    argv = [part.format(path=path, home=agent_home) for part in case.argv]
    monkeypatch.chdir(agent_home)

    code, out, err = run_cli(*argv)

    lines = err.strip().splitlines()
    assert "Traceback" not in err + out
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert case.says in lines[0]
    assert str(path) in lines[0] or not case.names_path
    assert code == case.code, err
    assert digest(state.db) == before, "the database was changed"


def test_the_session_survives_a_full_disk(agent_home, run_cli, monkeypatch, request):
    session = session_disk_full(State(agent_home, agent_home / "agent-state", monkeypatch, request))
    before = session.read_bytes()
    code, _, err = run_cli("session", "import", str(agent_home / "new.json"))
    assert code == 1, err
    assert session.read_bytes() == before
    assert [p.name for p in session.parent.iterdir()] == ["default.json"]  # no temporary file left behind


def test_an_unforeseen_error_is_one_line_and_a_report(agent_home, run_cli, monkeypatch):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug nobody foresaw")

    monkeypatch.setattr("agent.usecases.ops.status_report", broken)
    code, _, err = run_cli("status")
    lines = err.strip().splitlines()
    assert code == 1
    assert len(lines) == 1, err
    assert lines[0].startswith("error: unexpected ZeroDivisionError: a bug nobody foresaw; the traceback is in ")
    report = Path(lines[0].split("the traceback is in ", 1)[1].split(":", 1)[0])
    assert report.is_file()
    assert "Traceback" in report.read_text() and "a bug nobody foresaw" in report.read_text()


# --- a state directory the agent may not write to -----------------------------------------


def _as_an_ordinary_user(argv: list[str]) -> list[str]:
    """Root ignores file modes; run the command as root without the capabilities that do that."""
    if os.geteuid() != 0:
        pytest.skip("needs a folder the test's user does not own (the agent makes its own folders writable)")
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: file modes would not be enforced")
    caps = "-dac_override,-dac_read_search,-fowner"
    return ["setpriv", f"--bounding-set={caps}", f"--inh-caps={caps}", *argv]


@pytest.mark.parametrize(("command", "code"), [("sync", 1), ("status", 0), ("orders", 0)])
def test_a_state_directory_of_another_user(agent_home, command, code):
    """Writing commands stop at once, naming the folder; reading ones still read, and nothing changes."""
    state = agent_home / "agent-state"
    seed_database(state / "agent.db")
    before = digest(state / "agent.db")
    argv = _as_an_ordinary_user([sys.executable, "-m", "agent.cli", command])
    for path in (state, state / "agent.db"):
        os.chown(path, 65534, 65534)
    state.chmod(0o755)
    (state / "agent.db").chmod(0o644)  # readable by all, writable by its owner only
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(argv, check=False, capture_output=True, text=True, env=env, cwd=agent_home, timeout=120)
    assert "Traceback" not in done.stderr
    assert done.returncode == code, done.stderr
    if code:
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and str(state) in lines[0], done.stderr
        assert "belong to the user running the agent" in lines[0]
    else:
        assert "8300000000000001" in done.stdout or "agent.db" in done.stdout
    assert digest(state / "agent.db") == before
    assert sorted(p.name for p in state.iterdir()) == ["agent.db"]
