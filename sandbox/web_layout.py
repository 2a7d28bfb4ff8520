"""The ``dom_layout`` fault: the same pages with renamed classes and ids.

A redesign of the real site renames its CSS classes overnight; the agent's DOM
selectors must then fail loudly instead of reading the wrong element. The sandbox
plays that by renaming every class/id token that starts with one of the known
families (``order-item`` → ``ord-card``, ``reverse-`` → ``rfd-`` …) in three places
kept consistent by one table: the rendered HTML (``rename_html``), the stylesheet
(``rename_css``, so the page still looks right) and the page scripts, which receive
the table in ``<body data-renames>`` and pass every class, id and selector through
the same function (``Site.C`` / ``Site.S`` in ``static/sandbox.js``).
"""

from __future__ import annotations

import json
import re

#: (old prefix, new prefix); the first match wins, so longer prefixes come first
RENAMES: tuple[tuple[str, str], ...] = (
    ("order-item", "ord-card"),
    ("order-more", "ord-load-more"),
    ("order-", "ord-"),
    ("reverse-", "rfd-"),
    ("dispute-", "case-"),
    ("tracking-", "trk-"),
    ("comet-", "cmt-"),
    ("fm-", "fmx-"),
    ("login-", "signin-"),
    ("nc_1_", "nc_2_"),
    ("nc-", "ncx-"),
    ("nc_", "ncx_"),
)

_ATTRIBUTE = re.compile(r'(?<![\w-])(class|id|for)="([^"]*)"')
_SELECTOR_TOKEN = re.compile(r"([.#])([A-Za-z_][\w-]*)")


def rename(token: str) -> str:
    for old, new in RENAMES:
        if token.startswith(old):
            return new + token[len(old):]
    return token


def rename_html(html: str) -> str:
    def attribute(match: re.Match[str]) -> str:
        tokens = " ".join(rename(token) for token in match.group(2).split())
        return f'{match.group(1)}="{tokens}"'

    return _ATTRIBUTE.sub(attribute, html)


#: a CSS-module prefix in an attribute selector: [class*="block--element--"]
_MODULE_PREFIX = re.compile(r'(\[class\*=")([A-Za-z][\w]*)(--)')


def rename_css(css: str) -> str:
    """The stylesheet for a redesigned page: plain classes renamed by prefix, and the
    CSS-module selectors (written by their prefix) follow the redesigned blocks."""
    from .classnames import MODULE_RENAMES

    css = _MODULE_PREFIX.sub(lambda m: m.group(1) + MODULE_RENAMES.get(m.group(2), m.group(2)) + m.group(3), css)
    return _SELECTOR_TOKEN.sub(lambda m: m.group(1) + rename(m.group(2)), css)


def renames_json() -> str:
    return json.dumps([list(pair) for pair in RENAMES])
