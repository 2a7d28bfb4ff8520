"""How long evidence is kept, and what it takes on disk.

Every poll photographs each open dispute's page (about 140 KB with its HTML): kept
forever, that is gigabytes a year on a home server's SD card. The audit trail — what
the agent did on the site, before and after — is kept for good; routine poll snapshots
and what failed steps left are pruned by age, except a snapshot that is still the
latest of its dispute or is waiting to go out attached to an alert. Folder names say
which kind a folder is (``flows/browser.py`` names them ``<UTC time>-<kind>-<label>``
for snapshots and actions, ``<UTC time>-<label>`` for failures).
"""

from __future__ import annotations

import logging
import re
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from agent.config.settings import StateSettings
from agent.storage.store import Store

__all__ = ["EvidenceUse", "evidence_use", "prune_evidence"]

log = logging.getLogger("dispute_agent.retention")

_NAME = re.compile(r"^(?P<stamp>\d{8}T\d{6}Z)-(?P<rest>.+)$")
ROUTINE, ACTION, FAILURE = "routine", "action", "failure"


def kind_of(folder: Path) -> str | None:
    """``routine`` (a poll's snapshot), ``action`` (the audit trail, dry runs included),
    ``failure``, or None for a name the agent did not make (left alone)."""
    match = _NAME.match(folder.name)
    if not match:
        return None
    rest = match.group("rest")
    if rest.startswith("poll-"):
        return ROUTINE
    if rest.startswith(("action-", "dry-run-")):
        return ACTION
    return FAILURE


def _made_at(folder: Path) -> datetime | None:
    match = _NAME.match(folder.name)
    if not match:
        return None
    return datetime.strptime(match.group("stamp"), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def _size(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*"):
        try:
            if path.is_file() and not path.is_symlink():
                total += path.stat().st_size
        except OSError:
            continue
    return total


def _still_needed(store: Store, evidence_dir: Path) -> set[Path]:
    """Folders the database still points at: each dispute's latest snapshot, and the
    screenshot of every alert not yet delivered everywhere."""
    queries = {
        "disputes": "SELECT screenshot FROM disputes WHERE screenshot IS NOT NULL",
        "alerts": "SELECT a.screenshot FROM alerts a WHERE a.screenshot IS NOT NULL AND EXISTS "
                  "(SELECT 1 FROM outbox o WHERE o.alert_key = a.dedupe_key AND o.status = 'pending')",
    }
    needed: set[Path] = set()
    with store.engine.connect() as connection:
        for table, sql in queries.items():
            if not store.engine.dialect.has_table(connection, table):
                continue
            for (value,) in connection.execute(text(sql)):
                path = Path(value)
                for candidate in (path, *path.parents):
                    if candidate.parent == evidence_dir:
                        needed.add(candidate)
                        break
    return needed


@dataclass
class EvidenceUse:
    """Bytes and folder counts by kind, and what a pruning run removed."""

    bytes_by_kind: dict[str, int] = field(default_factory=dict)
    folders_by_kind: dict[str, int] = field(default_factory=dict)
    removed: int = 0
    freed_bytes: int = 0

    @property
    def total_bytes(self) -> int:
        return sum(self.bytes_by_kind.values())


def evidence_use(evidence_dir: Path) -> EvidenceUse:
    use = EvidenceUse()
    if not evidence_dir.is_dir():
        return use
    for folder in evidence_dir.iterdir():
        if not folder.is_dir() or folder.is_symlink():
            continue
        kind = kind_of(folder) or "other"
        use.bytes_by_kind[kind] = use.bytes_by_kind.get(kind, 0) + _size(folder)
        use.folders_by_kind[kind] = use.folders_by_kind.get(kind, 0) + 1
    return use


def prune_evidence(state: StateSettings, store: Store, now: datetime) -> EvidenceUse:
    """Remove routine snapshots and failure evidence past their age; never the audit trail,
    never a folder the database still points at. Returns what is left and what went."""
    evidence_dir = state.evidence_dir
    removed, freed = 0, 0
    if evidence_dir.is_dir():
        keep_for = {ROUTINE: timedelta(days=state.keep_poll_evidence_days),
                    FAILURE: timedelta(days=state.keep_failure_evidence_days)}
        needed = _still_needed(store, evidence_dir)
        for folder in sorted(evidence_dir.iterdir()):
            kind, made = kind_of(folder), _made_at(folder)
            if (kind not in keep_for or made is None or folder in needed or folder.is_symlink()
                    or not folder.is_dir() or now - made < keep_for[kind]):
                continue
            size = _size(folder)
            try:
                shutil.rmtree(folder)
            except OSError as error:
                log.warning("could not remove old evidence %s: %s", folder.name, error)
                continue
            removed, freed = removed + 1, freed + size
    use = evidence_use(evidence_dir)
    use.removed, use.freed_bytes = removed, freed
    if removed:
        log.info("evidence pruned folders=%s freed_bytes=%s left_bytes=%s", removed, freed, use.total_bytes)
    return use
