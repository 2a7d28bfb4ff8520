"""Fixtures shared by every test: the browser pytest-playwright launches.

pytest-playwright would launch its own Chromium download, which cannot be fetched on
machines without internet access; the agent's own resolution (config/env, then a
Chromium on PATH, then Playwright's build) picks the executable instead.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright

from flows.browser_path import QUIET_ARGS, resolve_chromium
from tests.support.shared_driver import SharedDriver


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    args = dict(browser_type_launch_args)
    executable = resolve_chromium(headless=args.get("headless", True))
    if executable:
        args["executable_path"] = executable
    args["args"] = [*args.get("args", []), *QUIET_ARGS]
    return args


# One Playwright driver per worker thread serves the agent's sessions and
# pytest-playwright's page fixtures alike (tests/support/shared_driver.py): a second sync
# Playwright in a thread where one runs cannot start ("Sync API inside the asyncio
# loop"), and starting one costs a second of CPU per browser session.
SHARED_DRIVER = SharedDriver()


@pytest.fixture(scope="session", autouse=True)
def _shared_playwright_driver():
    import flows.browser

    real = flows.browser.sync_playwright
    flows.browser.sync_playwright = SHARED_DRIVER
    yield
    flows.browser.sync_playwright = real


@pytest.fixture(autouse=True)
def _own_driver(request):
    """A test marked ``own_driver`` gets the agent's real driver life: started and stopped
    by each session, as in production."""
    if request.node.get_closest_marker("own_driver") is None:
        yield
        return
    import flows.browser

    SHARED_DRIVER.stop_this_thread()
    flows.browser.sync_playwright = sync_playwright
    try:
        yield
    finally:
        flows.browser.sync_playwright = SHARED_DRIVER


@pytest.fixture(scope="module")
def playwright(_pw_api_request_contexts):
    driver = SHARED_DRIVER.driver()
    if _pw_api_request_contexts:
        _pw_api_request_contexts.instrument(driver)
    return driver


@pytest.fixture(scope="module")
def browser_type(playwright, browser_name):
    return getattr(playwright, browser_name)


@pytest.fixture(scope="module")
def launch_browser(browser_type_launch_args, browser_type):
    def launch(**kwargs):
        return browser_type.launch(**{**browser_type_launch_args, **kwargs})

    return launch


@pytest.fixture(scope="module")
def browser(launch_browser):
    launched = launch_browser()
    yield launched
    launched.close()


@pytest.fixture(scope="module")
def browser_context_args(pytestconfig, playwright, device, base_url, _pw_artifacts_folder):
    args = dict(playwright.devices[device]) if device else {}
    if base_url:
        args["base_url"] = base_url
    if pytestconfig.getoption("--video") in ("on", "retain-on-failure"):
        args["record_video_dir"] = _pw_artifacts_folder.name
    return args


@pytest.fixture(autouse=True)
def _machine_zone_is_utc(monkeypatch):
    """The user's zone defaults to the machine's (``TZ``): every test states the zone it reads
    in, whatever the zone of the machine that runs the suite."""
    monkeypatch.setenv("TZ", "UTC")
