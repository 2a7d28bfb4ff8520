"""The flows never depend on a generated class name.

Today's pages carry CSS-module classes (``reminder--statusStr--3FMxRSU``) whose hash
changes with every release of the site. A selector may use such a class only by its
stable prefix (``[class*="reminder--statusStr--"]``); this test reads every string in
``flows/site.py`` and fails on a full generated name (decision 0006).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SITE = Path(__file__).resolve().parents[2] / "flows" / "site.py"

#: block--element--HASH as a whole class token (a prefix ends with "--" and has no hash)
_FULL_MODULE_CLASS = re.compile(r"[A-Za-z][\w]*--[\w]+--[A-Za-z0-9_]{3,}")
#: an exact class attribute match on a module class, e.g. [class="a--b--c"]
_EXACT_CLASS_ATTR = re.compile(r"\[class\s*=\s*[\"'][^\"']*--")


def site_strings() -> list[str]:
    tree = ast.parse(SITE.read_text(encoding="utf-8"))
    return [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def generated_names(text: str) -> list[str]:
    return _FULL_MODULE_CLASS.findall(text) + _EXACT_CLASS_ATTR.findall(text)


@pytest.mark.parametrize(("selector", "bad"), [
    ('[class*="reminder--statusStr--"]', False),
    (".commet--textarea--Sg0xapL", True),
    ('[class*="upload--imageThumb--1diFoUj"]', True),
    ('[class="reminder--statusStr--"]', True),
    ("button[data-pl='buyersubmit_btn_submit']", False),
    (".order-item-content-info-number", False),
    (".comet-v2-select-show-arrow", False),
])
def test_the_check_itself(selector, bad):
    assert bool(generated_names(selector)) is bad


def test_no_selector_in_flows_site_carries_a_generated_hash():
    offending = [text for text in site_strings() if generated_names(text)]
    assert offending == [], f"flows/site.py uses generated class names: {offending}"
