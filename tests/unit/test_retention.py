"""Evidence retention: the audit trail stays, routine snapshots and failure evidence go
by age, and nothing the database still points at is removed. A real SQLite file and real
folders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from agent.config.settings import load_settings
from agent.judge.alerts import Alert, AlertKind, Severity
from agent.notifications.outbox import record_alerts
from agent.storage.retention import (
    ACTION,
    FAILURE,
    ROUTINE,
    evidence_use,
    kind_of,
    prune_evidence,
)
from agent.storage.store import Store

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def folder(root: Path, age: timedelta, rest: str, size: int = 1000) -> Path:
    stamp = (NOW - age).strftime("%Y%m%dT%H%M%SZ")
    path = root / f"{stamp}-{rest}"
    path.mkdir(parents=True)
    (path / "screenshot.png").write_bytes(b"x" * size)
    return path


@pytest.fixture
def world(tmp_path):
    settings = load_settings(state={"dir": str(tmp_path / "state")},
                             notifications={"channels": [{"name": "hook", "url": "json://127.0.0.1:9/h"}]})
    store = Store(settings.state.db_path)
    yield settings, store
    store.close()


@pytest.mark.parametrize(("name", "kind"), [
    ("20261120T090000Z-poll-dispute", ROUTINE), ("20261120T090000Z-action-dispute-reject-done", ACTION),
    ("20261120T090000Z-dry-run-dispute-form", ACTION), ("20261120T090000Z-order-list", FAILURE),
    ("20261120T090000Z-dispute-detail-2", FAILURE), ("notes", None), ("2026-11-20-poll", None),
])
def test_folders_are_told_apart_by_name(name, kind):
    assert kind_of(Path(name)) == kind


def test_old_snapshots_and_failures_go_the_audit_trail_and_what_is_still_needed_stay(world):
    settings, store = world
    root = settings.state.evidence_dir
    old_poll = folder(root, timedelta(days=20), "poll-dispute")
    fresh_poll = folder(root, timedelta(days=2), "poll-dispute")
    latest_of_a_dispute = folder(root, timedelta(days=60), "poll-dispute-2")
    waiting_with_an_alert = folder(root, timedelta(days=25), "poll-dispute-3")
    old_failure = folder(root, timedelta(days=40), "order-list")
    fresh_failure = folder(root, timedelta(days=10), "order-list")
    old_action = folder(root, timedelta(days=400), "action-dispute-reject-done")
    old_dry_run = folder(root, timedelta(days=400), "dry-run-dispute-form")
    foreign = root / "my-notes"
    foreign.mkdir()
    with store.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO disputes (reverse_line_id, order_id, line_id, opened_by_agent, screenshot, first_seen, "
            "last_seen) VALUES ('64', '82', '821', 0, :shot, '2026-10-01 00:00:00', '2026-10-01 00:00:00')"),
            {"shot": str(latest_of_a_dispute / "screenshot.png")})
    with store.transaction() as session:
        record_alerts(session, [Alert(kind=AlertKind.ZERO_OFFER, severity=Severity.CRITICAL, dedupe_key="z",
                                      title="zero", screenshot=waiting_with_an_alert / "screenshot.png",
                                      created_at=NOW)], settings.notifications.channels)

    use = prune_evidence(settings.state, store, NOW)

    left = {p for p in root.iterdir()}
    assert left == {fresh_poll, latest_of_a_dispute, waiting_with_an_alert, fresh_failure, old_action, old_dry_run,
                    foreign}
    assert old_poll not in left and old_failure not in left
    assert (use.removed, use.freed_bytes) == (2, 2000)
    assert use.bytes_by_kind == {ROUTINE: 3000, FAILURE: 1000, ACTION: 2000, "other": 0}


def test_the_ages_follow_the_settings(world, tmp_path):
    settings, store = world
    root = settings.state.evidence_dir
    poll = folder(root, timedelta(days=3), "poll-dispute")
    failure = folder(root, timedelta(days=3), "tracking")
    short = settings.state.model_copy(update={"keep_poll_evidence_days": 2, "keep_failure_evidence_days": 4})

    prune_evidence(short, store, NOW)

    assert not poll.exists() and failure.exists()


def test_status_shows_what_evidence_takes(world):
    from agent.usecases.ops import format_status, status_report

    settings, store = world
    folder(settings.state.evidence_dir, timedelta(days=1), "poll-dispute", size=1500)
    folder(settings.state.evidence_dir, timedelta(days=1), "action-dispute-reject-done", size=500)
    assert evidence_use(settings.state.evidence_dir).total_bytes == 2000
    [line] = [line for line in format_status(status_report(settings, store, NOW)) if line.startswith("evidence")]
    assert "(2.0 KiB;" in line and "actions, kept: 500 bytes in 1" in line and "poll snapshots, 14 days: 1.5 KiB in 1" in line
