"""The account's saved browser session: a file of live cookies, kept private.

The file is what makes logins rare, and whoever holds it is logged in: it is written
atomically with mode 0600 in a 0700 folder, and can be moved to another machine
(a desktop login used on a headless server) with ``session export`` / ``import``.
A broken file means "log in again", never a crash.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from agent.config.settings import Settings
from agent.core.errors import UserInputError
from agent.storage.private_files import private_dir

__all__ = [
    "dump_json",
    "export_storage_state",
    "import_storage_bytes",
    "import_storage_state",
    "make_private_dir",
    "read_session_quietly",
    "write_private",
]

log = logging.getLogger("dispute_agent.flows.session_file")


def export_storage_state(settings: Settings, dest: Path | str) -> Path:
    """Copy the account's saved session to ``dest`` (mode 0600), e.g. to log in elsewhere.

    ``dest`` may be a folder; the file is then named after the account.
    """
    state = _load_storage_state(settings.session_file)
    target = Path(dest).expanduser()
    if target.is_dir():
        target = target / settings.session_file.name
    write_private(target, dump_json(state), private_dir=False)
    log.info("browser session exported to %s", target)
    return target


def import_storage_state(settings: Settings, src: Path | str) -> Path:
    """Install a session saved elsewhere as the account's session (mode 0600)."""
    state = _load_storage_state(Path(src).expanduser())
    path = settings.session_file
    write_private(path, dump_json(state), private_dir=True)
    log.info("browser session imported into %s", path)
    return path


def import_storage_bytes(settings: Settings, data: bytes, what: str = "the uploaded file") -> Path:
    """Install a session file received whole (an upload), with the checks of ``session import``."""
    state = _parse_storage_state(data, what)
    path = settings.session_file
    write_private(path, dump_json(state), private_dir=True)
    log.info("browser session received into %s", path)
    return path


_REMEDY = "export it with 'dispute-agent session export' or log in with 'dispute-agent login'"


def _load_storage_state(path: Path) -> dict[str, Any]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UserInputError(f"no saved browser session at {path}; {_REMEDY}") from None
    except IsADirectoryError:
        raise UserInputError(f"{path} is a folder, not a saved browser session; move it away, then log in "
                             "with 'dispute-agent login'") from None
    except OSError as exc:
        raise UserInputError(f"{path} cannot be read as JSON ({exc}); {_REMEDY}") from None
    return _parse_storage_state(data, str(path))


def _parse_storage_state(raw: bytes, what: str) -> dict[str, Any]:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserInputError(f"{what} cannot be read as JSON ({exc}); {_REMEDY}") from None
    problem = _storage_state_problem(data)
    if problem:
        raise UserInputError(f"{what} is not a saved browser session ({problem}); {_REMEDY}")
    return data


def _storage_state_problem(data: Any) -> str | None:
    if not isinstance(data, dict):
        return "not a JSON object"
    for key in ("cookies", "origins"):
        if not isinstance(data.get(key), list):
            return f"no {key!r} list"
    return None


def read_session_quietly(path: Path) -> dict[str, Any] | None:
    """The saved session, or ``None``: a broken file means "log in again", not a crash."""
    if not path.exists():
        return None
    try:
        return _load_storage_state(path)
    except UserInputError as exc:
        log.warning("ignoring the saved session: %s", exc)
        return None


def make_private_dir(path: Path) -> None:
    private_dir(path)


def write_private(path: Path, data: bytes, *, private_dir: bool) -> None:
    """Atomically replace ``path`` with ``data``, readable by the owner only.

    The temporary file is created 0600 in the same folder, so the secret is never
    readable by others, even for a moment, and a crash leaves the old file intact.
    A failure of the disk (full, read-only, a folder in the way) is a ``StorageError``
    naming ``path``, not the temporary file.
    """
    from agent.core.state_errors import file_error

    try:
        if private_dir:
            make_private_dir(path.parent)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise file_error(exc, path) from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise file_error(exc, path) from exc
        raise


def dump_json(data: Any) -> bytes:
    return json.dumps(data, indent=1, ensure_ascii=False).encode("utf-8")
