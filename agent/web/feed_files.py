"""The calendar feed's secret, the metrics token and what the feed last said: 0600 files in the state.

Why files beside the database and not settings: the calendar address is made by the
agent, shown again whenever asked and replaced with ``--new`` (a leaked address is
revoked by one command, no config edit); the metrics token is shown once and kept only
as its SHA-256 (a random 256-bit token needs no slow hash: nobody can guess it, and the
digest gives nothing back). Both are compared with ``hmac.compare_digest``, in time
that does not depend on how much of a guess was right.

The calendar's stamps (``agent.web.calendar_feed.Stamp``) live in their own file, so a
fetch of the feed never writes the database.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from agent.core.errors import StorageError
from agent.storage.private_files import private_dir

__all__ = ["SECRETS_FILE", "STAMPS_FILE", "calendar_secret", "calendar_secret_matches", "load_stamps",
           "metrics_token_matches", "new_metrics_token", "save_stamps"]

SECRETS_FILE = "feeds.json"
STAMPS_FILE = "calendar-stamps.json"
_CALENDAR = "calendar_secret"
_METRICS = "metrics_token_sha256"


def calendar_secret(state_dir: Path, *, new: bool = False) -> str:
    """The secret in the calendar's address: made the first time, replaced when ``new``."""
    stored = _read(state_dir / SECRETS_FILE)
    if new or not stored.get(_CALENDAR):
        stored[_CALENDAR] = secrets.token_urlsafe(32)
        _write(state_dir, SECRETS_FILE, stored)
    return str(stored[_CALENDAR])


def calendar_secret_matches(state_dir: Path, given: str) -> bool:
    """Whether ``given`` is the calendar's secret (False while none was made)."""
    stored = _read(state_dir / SECRETS_FILE).get(_CALENDAR)
    return bool(stored) and hmac.compare_digest(given.encode(), str(stored).encode())


def new_metrics_token(state_dir: Path) -> str:
    """A new bearer token for ``/metrics`` (the old one stops working); only its digest is kept."""
    token = secrets.token_urlsafe(32)
    stored = _read(state_dir / SECRETS_FILE)
    stored[_METRICS] = _digest(token)
    _write(state_dir, SECRETS_FILE, stored)
    return token


def metrics_token_matches(state_dir: Path, given: str) -> bool:
    """Whether ``given`` is the metrics token (False while none was made)."""
    stored = _read(state_dir / SECRETS_FILE).get(_METRICS)
    return bool(stored) and hmac.compare_digest(_digest(given).encode(), str(stored).encode())


def load_stamps(state_dir: Path) -> dict[str, Any]:
    """What the feed said of each event last time (``{}`` at first)."""
    from agent.web.calendar_feed import Stamp

    raw = _read(state_dir / STAMPS_FILE)
    try:
        return {uid: Stamp(datetime.fromisoformat(value["start"]), int(value["sequence"]),
                           datetime.fromisoformat(value["modified"]), str(value["summary"]))
                for uid, value in raw.items()}
    except (KeyError, TypeError, ValueError):
        return {}  # a memory that cannot be read only costs the calendar one re-numbering


def save_stamps(state_dir: Path, stamps: Mapping[str, Any]) -> None:
    _write(state_dir, STAMPS_FILE, {uid: {"start": stamp.start.isoformat(), "sequence": stamp.sequence,
                                          "modified": stamp.modified.isoformat(), "summary": stamp.summary}
                                          for uid, stamp in stamps.items()})


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _read(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        raise StorageError(f"{path} cannot be read ({error}); delete it and make a new address or token "
                           "with 'dispute-agent feeds calendar-url --new' or 'dispute-agent feeds metrics-token'",
                           path) from None
    return value if isinstance(value, dict) else {}


def _write(state_dir: Path, name: str, value: Mapping[str, Any]) -> None:
    """Atomically, owner-only: a reader sees the old file or the new one, never half of it."""
    private_dir(state_dir)
    target = state_dir / name
    partial = state_dir / f".{name}.{os.getpid()}.partial"
    try:
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            json.dump(value, file)
        os.chmod(partial, 0o600)
        os.replace(partial, target)
    except OSError as error:
        raise StorageError(f"cannot write {target} ({error.strerror or error}); make the state directory "
                           "writable by this user", target) from None
