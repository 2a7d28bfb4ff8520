"""A remote browser over CDP (the Docker setup's option): the agent drives a Chromium it
did not start, here one started by the test on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time

import httpx
import pytest

from agent.config.settings import load_settings
from flows.browser import BrowserSession
from flows.browser_path import QUIET_ARGS, resolve_chromium
from tests.support.isolation import isolate_environment
from tests.support.local_site import LocalSite

pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def remote_chromium(tmp_path):
    executable = resolve_chromium()
    if executable is None:
        pytest.skip("no system Chromium to start as a remote browser")
    port = free_port()
    process = subprocess.Popen([executable, "--headless", "--no-sandbox", f"--remote-debugging-port={port}",
                                "--remote-debugging-address=127.0.0.1", f"--user-data-dir={tmp_path / 'profile'}",
                                *QUIET_ARGS, "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/json/version", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail("the remote Chromium did not start")
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        # Debian's chromium-headless-shell is a shell script that does not exec: signal
        # the whole group so the browser itself stops, not just the script around it.
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def test_the_agent_drives_a_remote_browser_and_saves_its_session(remote_chromium, tmp_path, monkeypatch):
    isolate_environment(monkeypatch, tmp_path)
    settings = load_settings(state={"dir": str(tmp_path / "state")}, browser={"cdp_url": remote_chromium})
    with LocalSite() as site, BrowserSession(settings) as session:
        page = session.new_page()
        page.goto(f"{site.url}/login")
        assert page.locator("#done").inner_text() == "logged in"
        saved = session.save_storage_state()
    assert saved.stat().st_mode & 0o777 == 0o600
    assert "sid" in saved.read_text()
