"""The daemon's log: one line per event, under one logger namespace, as text or JSON.

Why these choices:

- Every logger of the agent is ``dispute_agent.<module>`` (flows too:
  ``dispute_agent.flows.<module>``), so one level setting or one filter reaches them
  all (``tests/unit/test_architecture.py`` holds it).
- One event is one line: a message or a traceback with line breaks has them written as
  ``\\n``, so ``grep`` and a log shipper never see half an event.
- No timestamp of our own where the receiver stamps each line already: under systemd
  (``JOURNAL_STREAM`` or ``INVOCATION_ID`` set, journald adds the time) the line
  starts with the syslog priority instead (``<3>`` for an error: ``journalctl -p err``
  then works). In a container, Docker stamps lines too, but it cannot be detected
  reliably, so the image sets ``DISPUTE_AGENT_LOG_TIMESTAMPS=0`` (``1`` forces them).
- ``--log-format json`` (or ``DISPUTE_AGENT_LOG_FORMAT=json``): one JSON object per line
  with ``time``, ``level``, ``logger``, ``message`` and any extra fields given with
  ``extra=``; always with its time (a log shipper wants it in the record).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TextIO

__all__ = ["FORMATS", "NAMESPACE", "JsonFormatter", "LineFormatter", "setup_logging", "wants_timestamps"]

NAMESPACE = "dispute_agent"
FORMATS = ("text", "json")
FORMAT_ENV = "DISPUTE_AGENT_LOG_FORMAT"
TIMESTAMPS_ENV = "DISPUTE_AGENT_LOG_TIMESTAMPS"

#: the attributes every LogRecord has: anything else on a record came with ``extra=``
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}
#: syslog priorities journald reads from a line's start (sd-daemon.h)
_PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3, logging.CRITICAL: 2}


def under_journald(environ: Mapping[str, str]) -> bool:
    return bool(environ.get("JOURNAL_STREAM") or environ.get("INVOCATION_ID"))


def wants_timestamps(environ: Mapping[str, str]) -> bool:
    """Our own time on each line, unless journald or the setting says the receiver adds one."""
    given = environ.get(TIMESTAMPS_ENV, "").strip().lower()
    if given in ("0", "false", "no", "off"):
        return False
    if given in ("1", "true", "yes", "on"):
        return True
    return not under_journald(environ)


def _one_line(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n")


def _extras(record: logging.LogRecord) -> dict[str, object]:
    return {key: value for key, value in vars(record).items() if key not in _STANDARD and not key.startswith("_")}


class LineFormatter(logging.Formatter):
    """``[time ]LEVEL logger message key=value…`` on one line; ``<N>`` first under journald."""

    def __init__(self, timestamps: bool, priority_prefix: bool) -> None:
        super().__init__()
        self.timestamps = timestamps
        self.priority_prefix = priority_prefix

    def format(self, record: logging.LogRecord) -> str:
        parts = []
        if self.timestamps:
            parts.append(datetime.fromtimestamp(record.created, UTC).astimezone().isoformat(timespec="seconds"))
        parts += [record.levelname, record.name, record.getMessage()]
        parts += [f"{key}={value}" for key, value in _extras(record).items()]
        if record.exc_info:
            parts.append(self.formatException(record.exc_info))
        line = _one_line(" ".join(str(part) for part in parts))
        if self.priority_prefix:
            line = f"<{_PRIORITY.get(record.levelno, 6)}>{line}"
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the record's extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in _extras(record).items():
            data.setdefault(key, value)
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str, ensure_ascii=False)


def setup_logging(level: str, log_format: str | None = None, stream: TextIO | None = None,
                  environ: Mapping[str, str] | None = None) -> None:
    """The process's one handler (stdout), replacing any earlier one; quiet libraries."""
    environ = os.environ if environ is None else environ
    chosen = (log_format or environ.get(FORMAT_ENV) or "text").strip().lower()
    if chosen not in FORMATS:
        from agent.core.errors import ConfigError

        raise ConfigError(f"log format {chosen!r} is unknown: use {' or '.join(FORMATS)} "
                          f"(--log-format or {FORMAT_ENV})")
    handler = logging.StreamHandler(stream or sys.stdout)
    if chosen == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(LineFormatter(wants_timestamps(environ), under_journald(environ)))
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, logging.getLogger().level))
