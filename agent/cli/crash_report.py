"""The last resort of the command line: an error nobody foresaw, in one line and a file.

Every failure the agent knows of is typed (``agent.core.errors``) and printed by the CLI's
error table. Anything else is a bug: the user still gets one line, with the kind of
error and the file that holds the full traceback to report, never a screen of
frames. The file is the user's only (the CLI's umask) and holds no local variables.
"""

from __future__ import annotations

import os
import tempfile
import traceback
from datetime import UTC, datetime
from pathlib import Path

from agent.core.errors import DisputeAgentError

__all__ = ["last_resort"]

APP_NAME = "dispute-agent"


def last_resort(error: BaseException) -> tuple[int, str]:
    """``(exit code, one line)`` for an error that reached the top of the command line."""
    from agent.core.state_errors import as_storage_error

    known = error if isinstance(error, DisputeAgentError) else as_storage_error(error)
    if known is not None:
        return known.exit_code, str(known)
    report = _write_report(error)
    summary = " ".join(str(error).split())[:300] or "no message"
    where = f"the traceback is in {report}" if report else "no report could be written"
    return 1, (f"unexpected {type(error).__name__}: {summary}; {where}: "
               "please report it with that file (check it for personal data first)")


def _write_report(error: BaseException) -> Path | None:
    text = "".join(traceback.format_exception(error))
    name = f"crash-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{os.getpid()}.txt"
    for folder in _report_folders():
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            path = folder / name
            path.write_text(text, encoding="utf-8")
            return path
        except OSError:
            continue
    return None


def _report_folders() -> list[Path]:
    import platformdirs

    return [Path(platformdirs.user_log_dir(APP_NAME)), Path(tempfile.gettempdir())]
