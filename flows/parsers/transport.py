"""An API answer's body as the page received it: JSON, or JSON wrapped as JSONP.

Why both: the live site loads its GET calls (order list page 1, order detail,
tracking) by JSONP, ``mtopjsonp3({...})``, and its POST calls as plain JSON; a
saved answer may be either. A body that is neither is a changed site, named by API,
never an empty result.
"""

from __future__ import annotations

import json
import re
from typing import Any

from agent.core.errors import PageChanged

__all__ = ["decode_api_body", "unwrap_jsonp"]

#: ``callbackName( … )`` with an optional ``;`` — the callback is a JavaScript name,
#: dotted names included (``window.mtopjsonp1``)
_JSONP = re.compile(r"^\s*(?:/\*\*/\s*)?[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*\s*\((?P<body>.*)\)\s*;?\s*$",
                    re.DOTALL)


def unwrap_jsonp(text: str) -> str | None:
    """The JSON text inside a JSONP call, or None when ``text`` is not one."""
    match = _JSONP.match(text)
    return match.group("body") if match else None


def decode_api_body(text: str | bytes, api: str) -> dict[str, Any]:
    """The answer as a JSON object; ``PageChanged`` naming ``api`` when it is not one."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    stripped = text.strip().lstrip("\ufeff")
    candidates = [stripped]
    inner = unwrap_jsonp(stripped)
    if inner is not None:
        candidates.append(inner)
    too_deep = False
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except json.JSONDecodeError:
            continue
        except RecursionError:  # thousands of nested brackets: no site answer looks like that
            too_deep = True
            continue
        if isinstance(value, dict):
            return value
        raise PageChanged(f"{api}: the answer is JSON but not an object ({type(value).__name__}) — "
                          "the site changed; save the answer and update flows/parsers")
    shown = " ".join(stripped[:60].split()) or "an empty body"
    if too_deep:
        raise PageChanged(f"{api}: the answer nests its brackets deeper than JSON can be read (it starts "
                          f"with {shown[:20]!r}), which no answer of the site does; check where it came from")
    raise PageChanged(f"{api}: the answer is neither JSON nor JSONP (it starts with {shown!r}) — "
                      "the site changed; save the answer and update flows/parsers")
