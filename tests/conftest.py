"""Fixtures shared by every test: the browser pytest-playwright launches.

pytest-playwright would launch its own Chromium download, which cannot be fetched on
machines without internet access; the agent's own resolution (config/env, then a
Chromium on PATH, then Playwright's build) picks the executable instead.
"""

from __future__ import annotations

import pytest

from flows.browser_path import QUIET_ARGS, resolve_chromium


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    args = dict(browser_type_launch_args)
    executable = resolve_chromium(headless=args.get("headless", True))
    if executable:
        args["executable_path"] = executable
    args["args"] = [*args.get("args", []), *QUIET_ARGS]
    return args


#: pytest-playwright's fixtures: they keep one Playwright (an event loop in the main
#: thread) alive until the end of the session
_PYTEST_PLAYWRIGHT_FIXTURES = {"page", "context", "browser", "playwright", "browser_type"}


def pytest_collection_modifyitems(session, config, items):
    """Run the tests that use pytest-playwright's page fixtures last.

    The agent starts its own Playwright (sync API) in each flow; once pytest-playwright's
    session-wide Playwright is running in the main thread, no other sync Playwright can
    start there ("Sync API inside the asyncio loop"). Running those tests at the end keeps
    both kinds in one session.
    """
    agent_side = [item for item in items if not _PYTEST_PLAYWRIGHT_FIXTURES & set(item.fixturenames)]
    page_side = [item for item in items if _PYTEST_PLAYWRIGHT_FIXTURES & set(item.fixturenames)]
    items[:] = agent_side + page_side
