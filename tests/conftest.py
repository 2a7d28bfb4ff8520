"""Fixtures shared by every test: the browser pytest-playwright launches.

pytest-playwright would launch its own Chromium download, which cannot be fetched on
machines without internet access; the agent's own resolution (config/env, then
``chromium`` on PATH, then Playwright's build) picks the executable instead.
"""

from __future__ import annotations

import pytest

from flows.browser_path import QUIET_ARGS, resolve_chromium


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    args = dict(browser_type_launch_args)
    executable = resolve_chromium()
    if executable:
        args["executable_path"] = executable
    args["args"] = [*args.get("args", []), *QUIET_ARGS]
    return args
