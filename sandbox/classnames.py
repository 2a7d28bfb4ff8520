"""CSS-module class names, as today's React pages of the real site carry them.

The dispute list, the dispute page and the dispute form of the live site are built
with CSS modules: a class is ``<block>--<element>--<hash>`` (``reminder--statusStr--3FMxRSU``,
``orderItem--orderItem--…``), and the hash changes with every release of the site.
An agent that saved a full class name breaks at the next release; one that locates
by role, visible text, a stable attribute or the class's stable prefix
(``[class*="reminder--statusStr--"]``) does not.

The sandbox plays the releases with a seed: the hash is derived from the seed, the
block and the element, and the seed is drawn anew at every start of the sandbox
unless the scenario fixes it (``[site] class_seed``). The ``dom_layout`` fault goes
further, as a redesign would: it draws another hash *and* renames the blocks
(``MODULE_RENAMES``), so even prefix selectors stop matching and the agent must say
so instead of reading nothing.

The page scripts compute the same names (``Site.cm`` in ``static/sandbox.js``) from
the seed and the renames the page carries in ``<body data-cm-seed data-cm-blocks>``;
``tests`` check that both sides agree.
"""

from __future__ import annotations

import json
import secrets

__all__ = ["MODULE_RENAMES", "ClassNames", "new_seed"]

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_FNV_OFFSETS = (0x811C9DC5, 0x050C5D1F)
_FNV_PRIME = 0x01000193

#: blocks a redesign renames (the ``dom_layout`` fault); the elements keep their names
MODULE_RENAMES: dict[str, str] = {
    "reminder": "statusBanner",
    "orderItem": "caseCard",
    "newReverseRefundInfo": "refundSummary",
    "commet": "inputArea",
    "evidence": "proofDialog",
    "upload": "mediaPicker",
    "cco": "choice",
    "solution": "offerCard",
    "verticalSteps": "timeline",
    "deadline": "dueDate",
    "reverseForm": "claimForm",
    "reverseList": "caseList",
    "reverseDetail": "caseDetail",
}


def new_seed() -> str:
    """A fresh seed: what a new release of the site would bring."""
    return secrets.token_hex(4)


def _fnv1a(text: str, offset: int) -> int:
    value = offset
    for byte in text.encode("ascii"):
        value ^= byte
        value = (value * _FNV_PRIME) & 0xFFFFFFFF
    return value


def _digits(value: int, count: int) -> str:
    out = ""
    for _ in range(count):
        value, rest = divmod(value, len(_ALPHABET))
        out += _ALPHABET[rest]
    return out


def module_hash(seed: str, block: str, element: str) -> str:
    """Seven characters, like the real builds' hashes; the page script computes the same."""
    text = f"{seed}|{block}|{element}"
    return _digits(_fnv1a(text, _FNV_OFFSETS[0]), 4) + _digits(_fnv1a(text, _FNV_OFFSETS[1]), 3)


class ClassNames:
    """The class names of one rendering: a seed and the block renames in force."""

    def __init__(self, seed: str, renames: dict[str, str] | None = None) -> None:
        if not seed.isascii():
            raise ValueError("a class seed must be ASCII")
        self.seed = seed
        self.renames = dict(renames or {})

    @classmethod
    def redesigned(cls, seed: str) -> ClassNames:
        """The ``dom_layout`` fault's names: another hash and renamed blocks."""
        return cls(f"{seed}-redesign", MODULE_RENAMES)

    def __call__(self, block: str, element: str) -> str:
        """``cm("reminder", "statusStr")`` → ``reminder--statusStr--3FMxRSU``."""
        block = self.renames.get(block, block)
        return f"{block}--{element}--{module_hash(self.seed, block, element)}"

    def renames_json(self) -> str:
        return json.dumps(self.renames, sort_keys=True)
