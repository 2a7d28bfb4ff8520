"""Everything the agent writes under its state directory is the owner's only.

The state directory holds the site session, the database of orders and disputes,
screenshots of the account's pages and traces: nothing in it is for other users of
the machine. Whichever command happens to create it first (``login`` creates it to
take the browser lock) creates it 0700, and the command line runs with umask 077 so
every file created afterwards, by the agent or by SQLite and Chromium on its behalf,
is 0600.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["PRIVATE_UMASK", "private_dir", "private_file", "use_private_umask"]

PRIVATE_UMASK = 0o077


def use_private_umask() -> None:
    """From now on this process creates files 0600 and folders 0700."""
    os.umask(PRIVATE_UMASK)


def private_dir(path: Path) -> Path:
    """``path`` as a folder readable by the owner only (created with its missing parents)."""
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            pass
    os.chmod(path, 0o700)
    return path


def private_file(path: Path) -> None:
    """Best effort: a file another program created (SQLite's database) made 0600."""
    try:
        os.chmod(path, 0o600)
    except OSError:
        pass
