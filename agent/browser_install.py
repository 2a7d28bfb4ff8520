"""Make sure a Chromium the agent can drive is on this machine.

The resolution order is the design's (config/env, ``chromium`` on PATH, Playwright's
own build). When none is usable, Playwright's download is tried first; on machines
that cannot reach Playwright's download host but can reach Debian's mirrors (as root),
Debian's ``chromium`` package is installed instead. Anything else gets a one-line
instruction rather than a guess.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from agent.errors import BrowserUnavailable
from flows.browser_path import resolve_chromium


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


def install_browser(explicit: str | None = None, say: Callable[[str], None] = print) -> str:
    """Return a usable browser executable, installing one when none is found."""
    found = find_browser(explicit)
    if found:
        say(f"browser: {found}")
        return found
    say("no Chromium found: trying Playwright's download")
    if _run([sys.executable, "-m", "playwright", "install", "chromium"], say, timeout=900):
        found = find_browser(explicit)
        if found:
            say(f"browser: {found}")
            return found
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        say("Playwright's download is not reachable: installing Debian's chromium package")
        if _run(["apt-get", "update", "-qq"], say, timeout=900) and _run(
            ["apt-get", "install", "-y", "-qq", "chromium"], say, timeout=1800
        ):
            found = find_browser(explicit)
            if found:
                say(f"browser: {found}")
                return found
    raise BrowserUnavailable(
        "no browser could be installed: install Chromium (Debian/Ubuntu: "
        "'sudo apt-get install chromium') or run 'python -m playwright install chromium', "
        "or set DISPUTE_AGENT_BROWSER to a Chromium executable"
    )
