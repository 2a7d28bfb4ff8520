"""Make sure a Chromium the agent can drive is on this machine.

The resolution order is the design's (config/env, a Chromium on PATH, Playwright's own
build). When none is usable, Playwright's download is tried first (it brings the
headless shell too); on machines that cannot reach Playwright's download host but can
reach Debian's mirrors (as root), Debian's ``chromium`` and ``chromium-headless-shell``
packages are installed instead. Anything else gets a one-line instruction rather than
a guess.

Where apt has no headless-shell package (Ubuntu ships Chromium as a snap) every
``make`` would otherwise spend an apt run on it: a note in the user's cache folder
remembers that until someone deletes it. Other failures (a busy apt lock, a mirror
out of reach) are tried again on the next run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from agent.config.settings import BROWSER_ENV
from agent.core.errors import BrowserUnavailable
from flows.browser_path import is_headless_shell, resolve_chromium


def playwright_own_chromium() -> str | None:
    """Path of Playwright's downloaded Chromium, if it is really there."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        path = playwright.chromium.executable_path
    return path if path and Path(path).is_file() else None


def find_browser(explicit: str | None = None) -> str | None:
    return resolve_chromium(explicit) or playwright_own_chromium()


def _run(command: list[str], say: Callable[[str], None], timeout: int) -> bool:
    say("$ " + " ".join(command))
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        done = subprocess.run(command, timeout=timeout, env=env, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as error:
        say(f"  failed: {error}")
        return False
    return done.returncode == 0


def shell_failure_note() -> Path:
    """Where a failed attempt to add the headless shell is remembered."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("dispute-agent")) / "headless-shell-not-installable"


def install_browser(explicit: str | None = None, say: Callable[[str], None] = print, *,
                    note: Path | None = None) -> str:
    """Return a usable browser executable, installing one when none is found.

    Debian's full ``chromium`` found on PATH gets its headless shell added where apt
    can (it is what headless runs then use); nothing is installed over an explicit
    choice (``explicit`` is the ``--executable`` option or the ``browser.executable``
    setting).
    """
    note = note or shell_failure_note()
    found = find_browser(explicit)
    if found is None:
        found = _install_chromium(explicit, say, note)
    elif _can_add_headless_shell(explicit, found):
        if note.exists():
            say(f"chromium-headless-shell could not be installed before; the full Chromium runs "
                f"headless (delete {note} to try again)")
        else:
            _add_headless_shell(say, note)
            found = find_browser(explicit) or found
    say(f"browser: {found}")
    return found


def _install_chromium(explicit: str | None, say: Callable[[str], None], note: Path) -> str:
    say("no Chromium found: trying Playwright's download")
    if _run([sys.executable, "-m", "playwright", "install", "chromium"], say, timeout=900):
        found = find_browser(explicit)
        if found:
            return found
    if _apt_usable():
        say("Playwright's download is not reachable: installing Debian's chromium package")
        if _run(["apt-get", "update", "-qq"], say, timeout=900) and _apt_install("chromium", say):
            _add_headless_shell(say, note, updated=True)
            found = find_browser(explicit)
            if found:
                return found
    raise BrowserUnavailable(
        "no browser could be installed: install Chromium (Debian/Ubuntu: "
        "'sudo apt-get install chromium') or run 'python -m playwright install chromium', "
        "or set DISPUTE_AGENT_BROWSER to a Chromium executable"
    )


def _can_add_headless_shell(explicit: str | None, found: str) -> bool:
    """Only beside a full Chromium from PATH that nobody chose explicitly."""
    if explicit or os.environ.get(BROWSER_ENV) or is_headless_shell(found):
        return False
    return found == resolve_chromium(headless=False)


def _add_headless_shell(say: Callable[[str], None], note: Path, *, updated: bool = False) -> None:
    """Best effort: without it the full Chromium runs headless, using more memory."""
    package = "chromium-headless-shell"
    if not _apt_usable():
        say("tip: Debian's chromium-headless-shell package makes headless runs lighter "
            f"(sudo apt-get install {package})")
        return
    say(f"adding Debian's {package} package (lighter for headless runs)")
    if _apt_install(package, say):
        return
    refreshed = updated or _run(["apt-get", "update", "-qq"], say, timeout=900)
    if not updated and refreshed and _apt_install(package, say):
        return
    say("  not installed: the full Chromium will run headless")
    # remembered only when the package does not exist here; a lock held by another
    # apt run, a full disk or a mirror out of reach are tried again next time
    if refreshed and not _apt_candidate(package):
        try:
            note.parent.mkdir(parents=True, exist_ok=True)
            note.write_text(f"apt has no {package} package on this system; delete this file to retry\n")
        except OSError:
            pass  # only a memo: the next run tries again


def _apt_candidate(package: str) -> bool:
    """Whether apt's freshly updated lists offer ``package``; True when that is unknown."""
    try:
        done = subprocess.run(["apt-cache", "policy", package], capture_output=True, text=True,
                              timeout=60, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return True
    if done.returncode != 0:
        return True
    candidates = [line.split(":", 1)[1].strip() for line in done.stdout.splitlines()
                  if line.strip().startswith("Candidate:")]
    return any(candidate != "(none)" for candidate in candidates)


def _apt_usable() -> bool:
    return bool(shutil.which("apt-get")) and hasattr(os, "geteuid") and os.geteuid() == 0


def _apt_install(package: str, say: Callable[[str], None]) -> bool:
    return _run(["apt-get", "install", "-y", "-qq", package], say, timeout=1800)
