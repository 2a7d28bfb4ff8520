"""Which Chromium executable to run.

The order is fixed by the design: an explicit path (config or environment), then a
Chromium on PATH (Debian's packages work where Playwright cannot download its own),
then Playwright's own download (``None`` lets Playwright pick it).

On PATH, a headless launch prefers Chromium's headless shell (Debian's
``chromium-headless-shell``, the build Playwright itself runs headless): it has no
desktop browser UI, and the agent's long syncs peak about 200 MB lower with it
(docs/decisions/0005-headless-shell.md). A visible browser (``login --headed``) needs
the full ``chromium``.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from agent.config.settings import BROWSER_ENV
from agent.core.errors import BrowserUnavailable

log = logging.getLogger("dispute_agent.flows.browser_path")

#: names looked up on PATH for a headless launch, before the full browser's
HEADLESS_NAMES = ("chromium-headless-shell",)

#: names of the full browser looked up on PATH, most specific first
PATH_NAMES = ("chromium", "chromium-browser")

#: file names of headless-only builds: Debian's wrapper, Playwright's own download
#: (``chrome-headless-shell``; ``headless_shell`` in older releases)
SHELL_FILE_NAMES = (*HEADLESS_NAMES, "chrome-headless-shell", "chrome-headless-shell.exe",
                    "headless_shell", "headless_shell.exe")


def resolve_chromium(explicit: str | os.PathLike[str] | None = None, *, headless: bool = True) -> str | None:
    """Return the executable to launch, or ``None`` for Playwright's own build.

    An explicit path that does not exist is an error rather than a silent fallback:
    the user asked for that browser.
    """
    chosen = explicit or os.environ.get(BROWSER_ENV)
    if chosen:
        found = _explicit(chosen)
        return found if headless or not is_headless_shell(found) else _window_capable_instead_of(found)
    for name in (*HEADLESS_NAMES, *PATH_NAMES) if headless else PATH_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _explicit(chosen: str | os.PathLike[str]) -> str:
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


def _window_capable_instead_of(shell: str) -> str:
    """A visible login cannot run in the headless shell (it would wait, unseen, for a
    person): take the full browser from PATH, or say what to install."""
    for name in PATH_NAMES:
        found = shutil.which(name)
        if found:
            log.warning("%s cannot show a window: using %s for this visible browser", shell, found)
            return found
    raise BrowserUnavailable(
        f"{shell} is Chromium's headless shell and cannot show a window; install the full "
        "browser (apt install chromium) or point browser.executable at it for a visible login"
    )


def is_headless_shell(executable: str | None) -> bool:
    return executable is not None and Path(executable).name in SHELL_FILE_NAMES


#: flags that keep Chromium quiet on a machine without internet access
QUIET_ARGS = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)
