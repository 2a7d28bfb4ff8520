"""The site's clock.

Why not ``datetime.now()``: a countdown such as "closed in: 2 days 03:04:05" is
relative to the moment the SITE rendered it. The home server's clock may be wrong, the
page may have been read minutes before it is parsed, and in the demo both sides run on
a virtual clock. So every relative time is anchored on the time the response carries.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from agent.core.errors import PageChanged
from flows.parsers.fields import as_int, get_path

__all__ = ["epoch_ms_to_utc", "site_now"]

# Epoch milliseconds between 2001-09-09 and 2286-11-20: a value in seconds (or garbage)
# falls outside and is refused instead of becoming a date in 1970.
_MS_MIN, _MS_MAX = 10**12, 10**13
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def epoch_ms_to_utc(value: Any) -> datetime | None:
    """An aware UTC datetime from epoch milliseconds (int or digit string), else None."""
    ms = as_int(value)
    if ms is None or not _MS_MIN <= ms < _MS_MAX:
        return None
    return _EPOCH + timedelta(milliseconds=ms)  # exact: no float on the way


def _from_date_header(header: str | None) -> datetime | None:
    if not header:
        return None
    try:
        parsed = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:  # "-0000" means UTC per RFC 5322
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def site_now(envelope: dict[str, Any], date_header: str | None = None, *, where: str = "response") -> datetime:
    """The site's time: ``data.global.curTime`` (epoch ms), else the HTTP Date header.

    Raises PageChanged when neither is readable: guessing with the local clock would
    move every countdown deadline silently.
    """
    now = epoch_ms_to_utc(get_path(envelope, "data.global.curTime"))
    if now is None:
        now = _from_date_header(date_header)
    if now is None:
        raise PageChanged(
            f"{where}: data.global.curTime missing and no HTTP Date header: the site's time cannot be read",
            hint="pass the response's Date header, or update flows/parsers if the site changed",
        )
    return now
