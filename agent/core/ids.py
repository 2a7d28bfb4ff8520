"""Ids of orders, order lines and disputes: digits, checked before they name a folder or an address.

Why: an id becomes a folder under the state directory (``attachments/<id>``) and part of
a page's address. ``open ../../../x`` must not write outside the state directory, and a
site answer whose id is not one is a changed page, not a path to follow. Every id is
held to ``is_id``: the command line refuses in one line naming the argument
(``check_id``), the parsers with a ``PageChanged`` naming the field.
"""

from __future__ import annotations

import re

from agent.core.errors import UserInputError

__all__ = ["check_id", "is_id"]

#: the site's ids are 15 to 19 digits; the store's columns hold 32 characters
_ID = re.compile(r"\d{1,32}")
#: the order page's own markup shows no line id: the agent names those lines <order>-<n>
_PAGE_LINE = re.compile(r"\d{1,28}-\d{1,3}")


def is_id(value: object, *, line: bool = False) -> bool:
    """Whether ``value`` is an id (``line``: also an order line the agent named <order>-<n>)."""
    if not isinstance(value, str):
        return False
    return bool(_ID.fullmatch(value) or (line and _PAGE_LINE.fullmatch(value)))


def check_id(value: str, argument: str, *, line: bool = False) -> str:
    """The id a person typed (spaces trimmed), or ``UserInputError`` naming the argument."""
    text = value.strip()
    if not is_id(text, line=line):
        raise UserInputError(f"{argument} {value!r} is not an id: ids are digits, as the site shows them "
                             "(see 'dispute-agent orders' and 'dispute-agent disputes')")
    return text
