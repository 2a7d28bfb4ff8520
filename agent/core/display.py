"""Whether a visible browser can open here, and the login by hand that works either way.

``login --headed`` opens a browser window: on Linux that needs an X11 or Wayland
display (``DISPLAY`` / ``WAYLAND_DISPLAY``), which a home server or a container does
not have. There, the login that works is made on a computer with a screen and handed
over as a saved session (``session export`` there, ``session import`` here), or left
to the agent with the password stored. Every "log in by hand" the agent prints comes
from :func:`login_by_hand`, so it names the way that works on the machine it runs on.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

#: the way that works without a display: a login made elsewhere, handed over
ELSEWHERE = ("log in on a computer with a screen ('dispute-agent login --headed', then "
             "'dispute-agent session export FILE'), copy FILE here and run 'dispute-agent session import FILE'")


def has_display(environ: Mapping[str, str] | None = None, platform: str | None = None) -> bool:
    """True where a browser window can open: macOS and Windows always, elsewhere with
    ``DISPLAY`` or ``WAYLAND_DISPLAY`` set."""
    env = os.environ if environ is None else environ
    if (platform or sys.platform) in ("darwin", "win32", "cygwin"):
        return True
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))


def login_by_hand(environ: Mapping[str, str] | None = None) -> str:
    """The remedy of a "login needed", for the machine it is printed on."""
    if has_display(environ):
        return "log in by hand with 'dispute-agent login --headed' or 'dispute-agent session import FILE'"
    return f"this machine has no display: {ELSEWHERE}"


def no_display_for_headed() -> str:
    """Why ``login --headed`` cannot work here, and what to do instead."""
    return ("login --headed opens a browser window and this machine has no display (DISPLAY and WAYLAND_DISPLAY "
            f"are not set); {ELSEWHERE}; or store the password ('dispute-agent secrets set') and run "
            "'dispute-agent login' without --headed")
