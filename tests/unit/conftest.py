"""Real notification receivers on 127.0.0.1, started and stopped around each test."""

from __future__ import annotations

import pytest

from tests.support.cli_state import agent_home, run_cli  # noqa: F401 (fixtures: the CLI over a prepared state)
from tests.support.receivers import SmtpReceiver, WebhookReceiver


@pytest.fixture
def smtp():
    with SmtpReceiver() as receiver:
        yield receiver


@pytest.fixture
def hook():
    with WebhookReceiver() as receiver:
        yield receiver
