"""Each channel's sending pace is chosen, not Apprise's generic 5.5 s between two e-mails.

Apprise spaces two sends of one plugin by ``request_rate_per_sec``; a plugin without a
pace of its own (e-mail, ntfy) inherits a generic 5.5 s. The agent keeps the pace Apprise
declares for a service, uses 1 s where there is none, and lets a channel set its own.
A real SMTP server on 127.0.0.1 receives the mails.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agent.config.settings import load_settings
from agent.notifications.messages import Message
from agent.notifications.notify import DEFAULT_SEND_INTERVAL, Notifier
from tests.support.isolation import isolate_environment
from tests.support.receivers import QUIET_AUTH_WARNING, SmtpReceiver

pytestmark = pytest.mark.filterwarnings(QUIET_AUTH_WARNING)
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_environment(monkeypatch, tmp_path)


def pace(url: str, **channel) -> float:
    settings = load_settings(notifications={"channels": [{"name": "c", "url": url, **channel}]})
    notifier = Notifier(settings.notifications)
    (plugin,) = list(notifier._get("c").apprise)
    return plugin.request_rate_per_sec


def test_the_pace_apprise_knows_for_a_service_is_kept_else_a_fifth_of_a_second_else_the_channels_own():
    assert DEFAULT_SEND_INTERVAL == 0.2
    assert pace("mailto://127.0.0.1:2525?from=a@example.com&to=b@example.com") == 0.2  # generic 5.5 s replaced
    assert pace("ntfy://my-topic") == 0.2
    assert pace("json://127.0.0.1:9/hook") == 0  # Apprise: no pace for a webhook
    assert pace("tgram://123456789:abcdefg_hijklmnop/456") == 0.001  # Apprise's own for Telegram
    assert pace("mailto://127.0.0.1:2525?from=a@example.com&to=b@example.com", send_interval_seconds=3) == 3


def test_three_mails_of_one_channel_go_out_a_fifth_of_a_second_apart_not_five_and_a_half():
    with SmtpReceiver() as smtp:
        settings = load_settings(notifications={"channels": [{"name": "mail", "url": smtp.url()}]})
        notifier = Notifier(settings.notifications)
        started = time.monotonic()
        for n in range(3):
            assert notifier.send("mail", Message(subject=f"message {n}", body="text")).ok
        took = time.monotonic() - started
        assert [m["subject"] for m in smtp.inbox] == ["message 0", "message 1", "message 2"]
    assert 0.4 <= took < 11.0  # two gaps of 0.2 s were kept; two of Apprise's 5.5 s would be 11 s
