"""Reading nested JSON with failures that say exactly what is missing.

Why: when the site renames a field the user must get "order.list:
data.hierarchy.structure missing", not a KeyError deep in a parser, and a value that
is merely absent must become ``None`` rather than a default that looks real.
"""

from __future__ import annotations

from typing import Any

from agent.core.errors import PageChanged
from agent.core.ids import is_id

__all__ = ["as_id", "as_int", "as_text", "get_path", "missing", "require", "require_id", "site_id"]

_REMEDY = "the site changed; save the response and update flows/parsers"


def missing(where: str, path: str, problem: str = "missing") -> PageChanged:
    """The error for a required field that is absent or unreadable."""
    return PageChanged(f"{where}: {path} {problem} — {_REMEDY}")


def get_path(obj: Any, path: str) -> Any:
    """The value at a dotted ``path`` (list indexes as numbers), or None if any step is absent."""
    current = obj
    for step in path.split("."):
        if isinstance(current, dict):
            current = current.get(step)
        elif isinstance(current, list) and step.isdigit() and int(step) < len(current):
            current = current[int(step)]
        else:
            return None
        if current is None:
            return None
    return current


def require(
    obj: Any,
    path: str,
    where: str,
    *,
    shown_as: str | None = None,
    kind: type | tuple[type, ...] | None = None,
) -> Any:
    """The value at ``path``; raises PageChanged naming ``shown_as`` (or ``path``) if absent or of the wrong kind."""
    value = get_path(obj, path)
    name = shown_as or path
    if value is None or value == "":
        raise missing(where, name)
    if kind is not None:
        kinds = kind if isinstance(kind, tuple) else (kind,)
        # bool is an int in Python; a True where a count belongs is a changed page
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            raise missing(where, name, f"has an unexpected type ({type(value).__name__})")
    return value


def require_id(obj: Any, name: str, where: str, shown_as: str) -> str:
    """The id under ``name`` as text; raises PageChanged naming ``shown_as`` if absent or not an id."""
    value = site_id(require(obj, name, where, shown_as=shown_as), where, shown_as)
    if value is None:
        raise missing(where, shown_as, "is not an id")
    return value


def site_id(value: Any, where: str, shown_as: str) -> str | None:
    """An id of an order, a line or a case, or None if absent; PageChanged naming ``shown_as`` if not digits.

    These ids name folders and page addresses: anything but an id (``agent.core.ids.is_id``)
    is a changed page, refused before it is used.
    """
    text = as_id(value)
    if text is not None and not is_id(text):
        raise missing(where, shown_as, f"is not an id of digits ({text[:40]!r})")
    return text


def as_id(value: Any) -> str | None:
    """An identifier as text: the site sends the same ids as numbers in one place and strings in another."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def as_int(value: Any) -> int | None:
    """An integer from an int or a string of digits; anything else is unknown."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def as_text(value: Any) -> str | None:
    """A stripped non-empty string, else None (Portuguese labels arrive with trailing spaces)."""
    if isinstance(value, str):
        stripped = value.strip()
        return stripped or None
    return None
