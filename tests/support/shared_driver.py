"""One Playwright driver per test worker thread, shared by every browser the tests start.

Why: each ``BrowserSession`` starts Playwright's driver (a Node.js process) before its
Chromium, and starting it costs about a second of CPU: on a 2-core machine, where the
suite is CPU-bound, that was a sixth of a browser test's time. Tests still get a real,
fresh Chromium for every session; only the driver that launches it is kept. The agent
itself is unchanged: in production each session starts and stops its own driver (a
resident Node.js process on a small home server is memory for nothing).

A test about the driver's own life (a session that must stop it, a poll that must
start it again) opts out with ``@pytest.mark.own_driver``.
"""

from __future__ import annotations

import threading

from playwright.sync_api import Playwright, sync_playwright


class _Borrowed:
    """The shared driver, as a session sees it: ``stop`` leaves it running."""

    def __init__(self, driver: Playwright) -> None:
        self._driver = driver

    def __getattr__(self, name: str):
        return getattr(self._driver, name)

    def stop(self) -> None:  # the driver outlives the session; its Chromium does not
        pass


class SharedDriver:
    """Stands in for ``sync_playwright``: ``SharedDriver()().start()`` lends this thread's driver."""

    def __init__(self) -> None:
        self._local = threading.local()

    def __call__(self) -> SharedDriver:
        return self

    def driver(self) -> Playwright:
        found = getattr(self._local, "driver", None)
        if found is None:
            found = self._local.driver = sync_playwright().start()
        return found

    def start(self) -> _Borrowed:
        return _Borrowed(self.driver())

    def stop_this_thread(self) -> None:
        """Stop this thread's driver (before a test that starts Playwright its own way)."""
        found = getattr(self._local, "driver", None)
        if found is not None:
            self._local.driver = None
            found.stop()
