"""Playwright's driver gets a small young generation through NODE_OPTIONS, and a person's
own NODE_OPTIONS are kept (``flows.browser.frugal_driver``)."""

from __future__ import annotations

import pytest

from flows.browser import DRIVER_NODE_FLAG, frugal_driver


@pytest.mark.parametrize(("before", "after"), [
    (None, DRIVER_NODE_FLAG),
    ("", DRIVER_NODE_FLAG),
    ("--max-old-space-size=4096", f"--max-old-space-size=4096 {DRIVER_NODE_FLAG}"),
    ("--max-semi-space-size=8", "--max-semi-space-size=8"),  # a person's own choice stays
])
def test_node_options(monkeypatch, before, after):
    if before is None:
        monkeypatch.delenv("NODE_OPTIONS", raising=False)
    else:
        monkeypatch.setenv("NODE_OPTIONS", before)
    frugal_driver()
    frugal_driver()  # a second browser session adds nothing
    import os

    assert os.environ["NODE_OPTIONS"] == after
