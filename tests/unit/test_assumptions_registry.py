"""The registry of guesses about the live site stays whole and documented.

``flows/assumptions.py`` is the one list of what the agent assumes without a public
source; ``sandbox/README.md`` ("Sandbox assumptions") is where a person reads which
shape of the sandbox each guess rests on. A key used in ``flows/`` but not registered
would fail at run time with a ``KeyError`` instead of naming the guess; a registered key
missing from the README leaves a guess nobody can look up. Both are caught here.
"""

from __future__ import annotations

import re
from pathlib import Path

from flows.assumptions import ASSUMPTIONS

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "sandbox" / "README.md"
FLOWS = ROOT / "flows"
SECTION = "## Sandbox assumptions"

#: ``unconfirmed("key", …)`` or ``guess("key")``, the key possibly on the next line
_USE = re.compile(r"\b(?:unconfirmed|guess)\(\s*[\"']([^\"']+)[\"']")
_CODE = re.compile(r"`([^`]+)`")


def _assumptions_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.find(SECTION)
    assert start >= 0, f"{README} has no '{SECTION}' section"
    end = text.find("\n## ", start + len(SECTION))
    return text[start:] if end < 0 else text[start:end]


def _table_rows(section: str) -> list[list[str]]:
    """The cells of the section's table rows (header and separator left out)."""
    rows = []
    for line in section.splitlines():
        if not line.startswith("|") or set(line) <= set("|- "):
            continue
        # a pipe escaped inside a cell (\|) is not a cell boundary
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
        rows.append(cells)
    return rows[1:]


def _used_keys() -> dict[str, list[str]]:
    used: dict[str, list[str]] = {}
    for path in sorted(FLOWS.rglob("*.py")):
        for key in _USE.findall(path.read_text(encoding="utf-8")):
            used.setdefault(key, []).append(str(path.relative_to(ROOT)))
    return used


def test_every_registered_guess_is_in_the_readme_table():
    quoted = set(_CODE.findall(_assumptions_section()))
    missing = sorted(key for key in ASSUMPTIONS if key not in quoted)
    assert not missing, f"sandbox/README.md ('{SECTION}') does not name these guesses: {missing}"


def test_the_readme_table_names_only_registered_guesses():
    rows = _table_rows(_assumptions_section())
    assert rows, "the assumptions section has no table"
    named = {key for row in rows for key in _CODE.findall(row[-1])}
    unknown = sorted(named - set(ASSUMPTIONS))
    assert not unknown, f"the README's guess column names keys flows/assumptions.py does not register: {unknown}"


def test_every_guess_used_in_flows_is_registered():
    used = _used_keys()
    assert used, "no unconfirmed(...)/guess(...) call found in flows/: the pattern no longer matches the code"
    unregistered = {key: places for key, places in used.items() if key not in ASSUMPTIONS}
    assert not unregistered, f"flows/ uses guesses flows/assumptions.py does not register: {unregistered}"
