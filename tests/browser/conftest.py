"""One sandbox (the demo world) for the browser tests of a session.

Each test resets its world through the control API before it starts, so sharing the
server costs nothing in isolation and saves a server start per module. A module that
needs another world defines its own ``server`` fixture.
"""

from __future__ import annotations

import pytest

from sandbox.server import SandboxServer


@pytest.fixture(scope="session")
def server():
    with SandboxServer() as running:
        yield running


@pytest.fixture
def fresh_world(server):
    """The demo world back at its start (the sandbox page tests use it on every test)."""
    server.control("POST", "reset")
