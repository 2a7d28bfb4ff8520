"""Operations: is the daemon healthy, what is it doing, is this machine set up right.

Three questions an operator asks of an agent left running for months, one function
each:

- :func:`healthcheck`, for Docker's ``HEALTHCHECK`` and any monitor: healthy when the
  daemon's heartbeat is fresh and the last successful poll is recent. It runs every
  few minutes for months, so this module imports the standard library only at its
  top: no settings model, no SQLAlchemy (the store's ``meta`` table is read with
  ``sqlite3``, read-only), no Playwright, no Apprise.
- :func:`status_report`, what a person wants at a glance (``dispute-agent status``).
- ``agent.usecases.doctor``, every precondition of an unattended run checked, one line each
  with its remedy (a module of its own).

The daemon's side of the contract (``agent/usecases/daemon.py``): ``<state>/heartbeat.json``
written every minute and after each job, ``{"pid", "started_at", "at" (UTC, the
machine's clock), "next_runs": {job: iso | null}, "version": 1}``. The last good poll
is ``agent.storage.health``'s record in the store's ``meta`` table.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple
from zoneinfo import ZoneInfo

from agent.core.site_text import plain

if TYPE_CHECKING:  # pragma: no cover
    from agent.config.settings import Settings
    from agent.storage.store import Store

__all__ = [
    "DEFAULT_MAX_HEARTBEAT_AGE",
    "DEFAULT_MAX_POLL_AGE",
    "HEARTBEAT_FILE",
    "Heartbeat",
    "format_status",
    "healthcheck",
    "read_heartbeat",
    "resolve_state_dir",
    "status_report",
]

#: ``agent.usecases.daemon.HEARTBEAT``, ``StateSettings.db_path``'s name and ``agent.storage.health.KEY``,
#: repeated here so the healthcheck needs neither pydantic nor SQLAlchemy (a test pins them)
HEARTBEAT_FILE = "heartbeat.json"
DB_FILE = "agent.db"
HEALTH_KEY = "health"
STATE_DIR_ENV = "DISPUTE_AGENT_STATE__DIR"

DEFAULT_MAX_POLL_AGE = timedelta(hours=36)
DEFAULT_MAX_HEARTBEAT_AGE = timedelta(minutes=10)
#: "open alerts" in ``status``: the alerts recorded this recently
RECENT_ALERTS = timedelta(days=7)


# --- the heartbeat ------------------------------------------------------------------------


class Heartbeat(NamedTuple):
    pid: int | None
    started_at: datetime | None
    at: datetime
    next_runs: dict[str, datetime | None]


def read_heartbeat(state_dir: Path) -> Heartbeat | None:
    """The daemon's last heartbeat, ``None`` if it never wrote one; ``ValueError`` if unreadable.

    Read twice before giving up: a daemon that writes the file in place rather than
    atomically may be caught half-way through.
    """
    path = state_dir / HEARTBEAT_FILE
    for attempt in (1, 2):
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            at = _parse_time(raw["at"])
            if at is None:
                raise KeyError("at")
            runs = raw.get("next_runs") or {}
            return Heartbeat(
                pid=int(raw["pid"]) if raw.get("pid") is not None else None,
                started_at=_parse_time(raw.get("started_at")),
                at=at,
                next_runs={str(job): _parse_time(when) for job, when in runs.items()},
            )
        except FileNotFoundError:
            return None
        except OSError as error:
            raise ValueError(f"cannot read {path} ({error.strerror}); check its permissions") from None
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            if attempt == 2:
                raise ValueError(f"{path} is not a heartbeat ({type(error).__name__}: {error}); "
                                 "restart the daemon, it rewrites the file every minute") from None
            time.sleep(0.05)
    raise AssertionError("unreachable")


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _pid_alive(pid: int | None) -> bool:
    if not pid or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    except OSError:
        return False
    return True


# --- healthcheck ----------------------------------------------------------------------------


def resolve_state_dir(config_file: Path | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """The state directory, found as ``load_settings`` finds it, without loading the settings.

    Why not ``load_settings``: pydantic alone costs more than the whole healthcheck, and
    validating the channels imports Apprise. Same order: ``DISPUTE_AGENT_STATE__DIR``,
    then ``[state] dir`` of the TOML file, then the user state directory. A test holds
    the two in agreement. ``OSError``/``ValueError`` say what is wrong with the file.
    """
    env = os.environ if environ is None else environ
    for name, value in env.items():
        if name.upper() == STATE_DIR_ENV and value:
            return Path(value).expanduser()
    import platformdirs

    from_settings = "dispute-agent"  # agent.config.settings.APP_NAME
    path = Path(config_file).expanduser() if config_file is not None else None
    if path is None:
        default = Path(platformdirs.user_config_dir(from_settings)) / "agent.toml"
        path = default if default.is_file() else None
    if path is not None:
        import tomllib

        try:
            with path.open("rb") as handle:
                data = tomllib.load(handle)
        except FileNotFoundError:
            raise FileNotFoundError(f"configuration file {path} does not exist") from None
        except tomllib.TOMLDecodeError as error:
            raise ValueError(f"{path}: TOML syntax error ({error})") from None
        except UnicodeDecodeError as error:
            from agent.core.state_errors import not_utf8

            raise ValueError(f"{path}: {not_utf8(error)}; save the file as UTF-8 text") from None
        configured = (data.get("state") or {}).get("dir")
        if configured:
            return Path(str(configured)).expanduser()
    return Path(platformdirs.user_state_dir(from_settings))


def _read_health(db_path: Path) -> dict[str, Any]:
    """The health record from the store's ``meta`` table, read-only; ``{}`` when none yet."""
    if not db_path.is_file():
        return {}
    connection = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    try:
        row = connection.execute("SELECT value FROM meta WHERE key = ?", (HEALTH_KEY,)).fetchone()
    except sqlite3.OperationalError as error:
        if "no such table" in str(error):
            return {}
        raise
    finally:
        connection.close()
    if row is None or not row[0]:
        return {}
    value = json.loads(row[0])
    if not isinstance(value, dict):
        raise ValueError("the health record is not a JSON object")
    return value


def healthcheck(state_dir: Path, now: datetime, max_poll_age: timedelta,
                max_heartbeat_age: timedelta) -> tuple[bool, str]:
    """``(healthy, one line)``: a fresh heartbeat AND a successful poll within ``max_poll_age``.

    A daemon that has never polled successfully is given ``max_poll_age`` from its start
    (the first poll may wait for its schedule). A daemon restarted after a long outage
    gets no such grace: the data really is that old until its catch-up poll succeeds.
    """
    if not state_dir.is_dir():
        return False, (f"unhealthy: state directory {state_dir} does not exist; start the daemon "
                       f"('dispute-agent run') or point {STATE_DIR_ENV} at its directory")
    try:
        beat = read_heartbeat(state_dir)
    except ValueError as error:
        return False, f"unhealthy: {error}"
    if beat is None:
        return False, (f"unhealthy: no heartbeat in {state_dir}: the daemon is not running; "
                       "start it with 'dispute-agent run'")
    age = now - beat.at
    if age > max_heartbeat_age:
        return False, (f"unhealthy: last heartbeat {_span(age)} ago (limit {_span(max_heartbeat_age)}): "
                       "the daemon is stopped or stuck; read its log and restart it")
    if -age > max_heartbeat_age:
        return False, (f"unhealthy: the heartbeat is dated {_span(-age)} in the future: "
                       "the clock was changed; restart the daemon")
    try:
        health = _read_health(state_dir / DB_FILE)
        # the machine's clock of the last success (the site's may be skewed or virtual)
        last = _parse_time(health.get("last_success_local_at") or health.get("last_success_at"))
    except (sqlite3.Error, ValueError) as error:
        return False, f"unhealthy: cannot read the poll health from {state_dir / DB_FILE} ({error})"
    failures = int(health.get("consecutive_failures") or 0)
    streak = (f"; {failures} failed in a row, the last: {health.get('last_failure_kind') or 'other'}"
              if failures else "")
    alive = f"heartbeat {_span(max(age, timedelta(0)))} ago (pid {beat.pid})"
    if last is None:
        since = now - beat.started_at if beat.started_at else None
        if since is not None and since <= max_poll_age:
            return True, (f"healthy: {alive}; no successful poll yet, the daemon started "
                          f"{_span(since)} ago (grace {_span(max_poll_age)}){streak}")
        started = f" since the daemon started {_span(since)} ago" if since is not None else ""
        return False, (f"unhealthy: no successful poll{started}{streak}; "
                       "see 'dispute-agent status' and 'dispute-agent doctor'")
    poll_age = now - last
    if poll_age > max_poll_age:
        return False, (f"unhealthy: last successful poll {_span(poll_age)} ago (limit {_span(max_poll_age)})"
                       f"{streak}; see 'dispute-agent status' and 'dispute-agent doctor'")
    return True, f"healthy: {alive}, last successful poll {_span(max(poll_age, timedelta(0)))} ago{streak}"


# --- status ---------------------------------------------------------------------------------


def status_report(settings: Settings, store: Store, now: datetime | None = None) -> dict[str, Any]:
    """Everything ``dispute-agent status`` shows, as JSON-ready values (times in ISO 8601).

    Reads only; tables that a version of the agent may not have yet (``alerts``,
    ``outbox``) give ``None`` rather than an error.
    """
    from agent.storage import health as health_store
    from agent.usecases.sync import LAST_SYNC_KEY

    now = now or datetime.now(UTC)
    state_dir = settings.state.dir
    try:
        beat, beat_error = read_heartbeat(state_dir), None
    except ValueError as error:
        beat, beat_error = None, str(error)
    fresh = beat is not None and abs(now - beat.at) <= DEFAULT_MAX_HEARTBEAT_AGE
    alive = beat is not None and _pid_alive(beat.pid)
    health = health_store.load(store)
    by_severity = _alerts_by_severity(store, now - RECENT_ALERTS)
    session, db = settings.session_file, settings.state.db_path
    return {
        "now": now.isoformat(),
        "state_dir": str(state_dir),
        "daemon": {
            "running": bool(fresh and alive),
            "pid": beat.pid if beat else None,
            "pid_alive": alive,
            "started_at": _iso(beat.started_at) if beat else None,
            "heartbeat_at": _iso(beat.at) if beat else None,
            "heartbeat_age_seconds": round((now - beat.at).total_seconds(), 1) if beat else None,
            "heartbeat_error": beat_error,
        },
        "next_runs": {job: _iso(when) for job, when in beat.next_runs.items()} if beat else {},
        "last_successful_poll": health.last_success_at,
        "last_attempt": health.last_attempt_at,
        "last_sync": store.get_meta(LAST_SYNC_KEY),
        "consecutive_failures": health.consecutive_failures,
        "last_failure": ({"kind": health.last_failure_kind, "message": health.last_failure_message}
                         if health.last_failure_kind else None),
        "open_alerts": sum(by_severity.values()) if by_severity is not None else None,
        "open_alerts_by_severity": by_severity,
        "pending_outbox": _count(store, "outbox", "SELECT count(*) FROM outbox WHERE status = 'pending'"),
        "channels": _failing_channels(store),
        "session": {"path": str(session), "saved_at": _mtime(session),
                    "age_seconds": round(now.timestamp() - session.stat().st_mtime, 1)
                    if session.is_file() else None},
        "database": {"path": str(db), "size_bytes": _db_size(db)},
        "evidence": _evidence(settings),
    }


def _alerts_by_severity(store: Store, since: datetime) -> dict[str, int] | None:
    from sqlalchemy import DateTime, bindparam, text

    query = text("SELECT severity, count(*) FROM alerts WHERE created_at >= :since GROUP BY severity")
    # typed as DateTime so the dialect writes it in its own storage format (naive UTC, as UtcDateTime)
    query = query.bindparams(bindparam("since", type_=DateTime()))
    with store.engine.connect() as connection:
        if not store.engine.dialect.has_table(connection, "alerts"):
            return None
        rows = connection.execute(query, {"since": since.astimezone(UTC).replace(tzinfo=None)})
        return {str(severity): int(count) for severity, count in rows}


def _count(store: Store, table: str, sql: str) -> int | None:
    from sqlalchemy import text

    with store.engine.connect() as connection:
        if not store.engine.dialect.has_table(connection, table):
            return None
        return int(connection.execute(text(sql)).scalar_one())


def _evidence(settings: Settings) -> dict[str, Any]:
    from agent.storage.retention import evidence_use

    use = evidence_use(settings.state.evidence_dir)
    return {"path": str(settings.state.evidence_dir), "size_bytes": use.total_bytes,
            "bytes_by_kind": use.bytes_by_kind, "folders_by_kind": use.folders_by_kind,
            "keep_poll_days": settings.state.keep_poll_evidence_days,
            "keep_failure_days": settings.state.keep_failure_evidence_days}


def _failing_channels(store: Store) -> list[dict[str, Any]]:
    """Channels failing now (``broken_since`` set once one fails for long), failing first."""
    from sqlalchemy import text

    query = text("SELECT channel, consecutive_failures, failing_since, broken_since, last_error "
                 "FROM channel_health WHERE consecutive_failures > 0 ORDER BY failing_since, channel")
    with store.engine.connect() as connection:
        if not store.engine.dialect.has_table(connection, "channel_health"):
            return []
        rows = connection.execute(query).all()

    def iso(value: Any) -> str | None:
        if value is None:
            return None
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()

    return [{"channel": channel, "failures": int(failures), "failing_since": iso(since), "broken_since": iso(broken),
             "last_error": error} for channel, failures, since, broken, error in rows]


def _db_size(path: Path) -> int | None:
    """The database file plus its write-ahead log: what it really takes on disk."""
    if not path.is_file():
        return None
    wal = path.with_name(path.name + "-wal")
    return path.stat().st_size + (wal.stat().st_size if wal.is_file() else 0)


def _mtime(path: Path) -> str | None:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat() if path.is_file() else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def format_status(report: Mapping[str, Any], zone: ZoneInfo = ZoneInfo("UTC")) -> list[str]:
    """The report as aligned lines for a person, times in the user's ``zone``; ``--json``
    prints ``report`` itself."""
    now = datetime.fromisoformat(report["now"])

    def when(iso: str | None, never: str = "—") -> str:
        return _when_in(now, iso, never, zone)

    daemon = report["daemon"]
    if daemon["running"]:
        started = _parse_time(daemon["started_at"])
        up = f", up {_span(now - started)}" if started else ""
        state = f"running (pid {daemon['pid']}, heartbeat {_span(_age(now, daemon['heartbeat_at']))} ago{up})"
    elif daemon["heartbeat_error"]:
        state = f"unknown: {daemon['heartbeat_error']}"
    elif daemon["heartbeat_at"] is None:
        state = f"not running (no heartbeat in {report['state_dir']})"
    elif daemon["pid_alive"]:
        state = (f"stuck? pid {daemon['pid']} is alive but its last heartbeat is "
                 f"{_span(_age(now, daemon['heartbeat_at']))} old")
    else:
        state = (f"not running (last heartbeat {_span(_age(now, daemon['heartbeat_at']))} ago; "
                 f"pid {daemon['pid']} is not running here)")
    failure = report["last_failure"]
    failures = (f"{report['consecutive_failures']} in a row; last: {failure['kind']}: {failure['message']}"
                if report["consecutive_failures"] and failure else "none")
    runs = "; ".join(f"{job.replace('_', ' ')} {when(at)}" for job, at in report["next_runs"].items())
    alerts = report["open_alerts_by_severity"]
    session, database = report["session"], report["database"]
    lines = [
        ("daemon", state),
        ("last poll", when(report["last_successful_poll"], never="never succeeded")),
        ("failures", failures),
        ("next runs", runs or "unknown (no heartbeat)"),
        ("open alerts", "unknown (no alerts table yet)" if alerts is None else
         f"{report['open_alerts']} in the last 7 days" + (
             f" ({', '.join(f'{n} {kind}' for kind, n in sorted(alerts.items()))})" if alerts else "")),
        ("pending outbox", "unknown (no outbox table yet)" if report["pending_outbox"] is None
         else str(report["pending_outbox"])),
        *[("channel", f"{c['channel']}: " + ("BROKEN since " + when(c["broken_since"]) if c["broken_since"]
                                             else f"failing since {when(c['failing_since'])}")
           + f" ({c['failures']} failed attempts; last: {c['last_error'] or 'unknown'})")
          for c in report["channels"]],
        ("session", f"saved {when(session['saved_at'])} ({session['path']})" if session["saved_at"]
         else f"none saved ({session['path']})"),
        ("database", f"{database['path']} ({_bytes(database['size_bytes'])})" if database["size_bytes"] is not None
         else f"{database['path']} (not created yet)"),
        ("evidence", _evidence_line(report["evidence"])),
    ]
    # a failure's message or a channel's error may quote the site: control characters written out
    return [plain(f"{name:<15} {value}") for name, value in lines]


def _evidence_line(evidence: Mapping[str, Any]) -> str:
    by_kind = evidence["bytes_by_kind"]
    if not by_kind:
        return f"{evidence['path']} (empty)"
    names = {"action": "actions, kept", "routine": f"poll snapshots, {evidence['keep_poll_days']:g} days",
             "failure": f"failures, {evidence['keep_failure_days']:g} days", "other": "other"}
    parts = ", ".join(f"{names.get(kind, kind)}: {_bytes(size)} in {evidence['folders_by_kind'][kind]}"
                      for kind, size in sorted(by_kind.items()))
    return f"{evidence['path']} ({_bytes(evidence['size_bytes'])}; {parts})"


def _age(now: datetime, iso: str | None) -> timedelta:
    moment = _parse_time(iso)
    return now - moment if moment else timedelta(0)


def _when_in(now: datetime, iso: str | None, never: str, zone: ZoneInfo) -> str:
    from agent.core.readable import short_moment

    moment = _parse_time(iso)
    if moment is None:
        return never
    delta = moment - now
    relative = f"in {_span(delta)}" if delta > timedelta(0) else f"{_span(-delta)} ago"
    return f"{short_moment(moment, zone)} ({relative})"


def _span(delta: timedelta) -> str:
    from agent.core.readable import duration

    return duration(abs(delta))


def _bytes(size: int) -> str:
    from agent.core.readable import size as worded

    return worded(size)
