"""Real notification receivers on 127.0.0.1, started and stopped around each test."""

from __future__ import annotations

import pytest

from tests.support.receivers import SmtpReceiver, WebhookReceiver


@pytest.fixture
def smtp():
    with SmtpReceiver() as receiver:
        yield receiver


@pytest.fixture
def hook():
    with WebhookReceiver() as receiver:
        yield receiver
