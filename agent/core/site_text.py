"""Text a seller or the site wrote, made safe to print: never markup, never a terminal command.

A store may be named "Acme [/] Store", a title may say "[new version]", a name may
carry "\\x1b[31m". Printed through Rich as markup, the first crashes the table and the
second vanishes (also from the plan a person confirms before filing); written to a
terminal as is, an escape sequence recolours it, moves the cursor or rewrites what was
printed before it. So every piece of site text on screen goes through ``safe_markup`` (inside
Rich markup) or ``plain`` (a plain line): control characters are written out visibly
(``\\x1b``), and markup is escaped. Rich is imported only by ``safe_markup``: the CLI's
error line uses ``plain``. Site text that goes back into a form (the dispute's
description names the store and the item) loses its control characters (``clean``).
"""

from __future__ import annotations

import re

__all__ = ["clean", "plain", "safe_markup"]

#: C0 and C1 controls (but tab and newline) and the bidirectional overrides, which can
#: make a line read differently from what it holds
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def plain(text: object) -> str:
    """``text`` with every control character written out (ESC → ``\\x1b``): safe on a terminal."""
    return _CONTROL.sub(_visible, "" if text is None else str(text))


def clean(text: str | None) -> str | None:
    """Site text to write back to the site (the dispute's description): control characters dropped."""
    return None if text is None else _CONTROL.sub("", text)


def safe_markup(text: object) -> str:
    """``plain(text)`` escaped for Rich markup: printed exactly as the site wrote it."""
    from rich.markup import escape

    return escape(plain(text))
