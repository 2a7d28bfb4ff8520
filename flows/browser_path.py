"""Which Chromium executable to run.

The order is fixed by the design: an explicit path (config or environment), then a
``chromium`` on PATH (Debian's package works where Playwright cannot download its
own), then Playwright's own download (``None`` lets Playwright pick it).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from agent.errors import BrowserUnavailable

#: environment variable naming an explicit browser executable
BROWSER_ENV = "DISPUTE_AGENT_BROWSER"

#: names looked up on PATH, most specific first
PATH_NAMES = ("chromium", "chromium-browser")


def resolve_chromium(explicit: str | os.PathLike[str] | None = None) -> str | None:
    """Return the executable to launch, or ``None`` for Playwright's own build.

    An explicit path that does not exist is an error rather than a silent fallback:
    the user asked for that browser.
    """
    chosen = explicit or os.environ.get(BROWSER_ENV)
    if chosen:
        path = Path(chosen).expanduser()
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
        found = shutil.which(str(chosen))
        if found:
            return found
        raise BrowserUnavailable(
            f"browser executable {chosen!s} not found or not executable; "
            f"fix the 'browser.executable' setting or {BROWSER_ENV}"
        )
    for name in PATH_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


#: flags that keep Chromium quiet on a machine without internet access
QUIET_ARGS = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)
