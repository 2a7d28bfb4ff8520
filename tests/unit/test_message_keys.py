"""A message's key on the wire: an e-mail's one ``Message-ID``, a webhook's ``Idempotency-Key``.

Real Apprise plugins send to real receivers on 127.0.0.1 (aiosmtpd, ``http.server``).
The e-mail case rests on how Apprise builds a mail (it calls ``make_msgid`` of
``apprise.plugins.email.base``): if an Apprise release changes that, the first test fails.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agent.config.settings import NotificationsSettings, load_settings
from agent.judge.alerts import Severity
from agent.notifications.idempotency import Carrier, carrier_of
from agent.notifications.messages import Message
from agent.notifications.notify import Notifier
from tests.support.outbox_env import _isolated  # noqa: F401 (an autouse fixture)
from tests.support.receivers import (
    QUIET_AUTH_WARNING,
    SmtpReceiver,
    WebhookReceiver,
    mail_key,
    webhook_key,
)

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
KEY = "dispute-agent-7-0123456789abcdef"
MESSAGE = Message(subject="Seller offers 0.00 EUR", body="Reject it before Tue 24 Nov 2026, 10:00 CET.",
                  severity=Severity.CRITICAL)
pytestmark = pytest.mark.filterwarnings(QUIET_AUTH_WARNING)


def notifications(*channels: dict) -> NotificationsSettings:
    return load_settings(notifications={"channels": list(channels), "time_zone": "Europe/Berlin"}).notifications


def test_an_email_carries_its_key_as_its_one_message_id(smtp: SmtpReceiver) -> None:
    """Apprise writes a Message-ID of its own into every mail; the agent's must be the only
    one (a second Message-ID header makes Gmail refuse the mail). Fails loudly when an
    Apprise upgrade builds mails another way."""
    import apprise.plugins.email.base as email_base

    real = email_base.make_msgid
    notifier = Notifier(notifications({"name": "mail", "url": smtp.url(to="a@example.com,b@example.com")}))

    assert notifier.send("mail", MESSAGE, key=KEY).ok
    assert notifier.send("mail", MESSAGE).ok  # no key: Apprise's own, as before

    assert len(smtp.inbox) == 4
    for mail in smtp.inbox:
        assert len(mail.get_all("Message-ID")) == 1, mail.as_string()
    first, second = [mail for mail in smtp.inbox if mail_key(mail) == f"<{KEY}@127.0.0.1>"]
    plain_a, plain_b = [mail for mail in smtp.inbox if mail not in (first, second)]
    assert mail_key(first) == mail_key(second) == f"<{KEY}@127.0.0.1>"  # each recipient's copy: one message
    assert {str(first["To"]), str(second["To"])} == {"a@example.com", "b@example.com"}
    assert KEY not in mail_key(plain_a) and KEY not in mail_key(plain_b)
    assert mail_key(plain_a) != mail_key(plain_b)
    assert first["Subject"] == MESSAGE.subject and first.get_body(("plain",)).get_content().strip() == MESSAGE.body
    assert email_base.make_msgid is real  # scoped to the one send


def test_a_webhook_carries_its_key_as_an_idempotency_key_header_for_that_send_only(hook: WebhookReceiver) -> None:
    notifier = Notifier(notifications({"name": "hook", "url": hook.url() + "?+X-Token=abc123"}))

    assert notifier.send("hook", MESSAGE, key=KEY).ok
    assert notifier.send("hook", MESSAGE).ok

    keyed, plain = hook.requests
    assert keyed["headers"]["Idempotency-Key"] == f'"{KEY}"'  # a structured-field string, as the draft says
    assert webhook_key(keyed["headers"]) == KEY
    assert "Idempotency-Key" not in plain["headers"]
    assert keyed["headers"]["X-Token"] == plain["headers"]["X-Token"] == "abc123"  # the user's headers are kept
    assert keyed["json"]["title"] == MESSAGE.subject


@pytest.mark.parametrize(("url", "carrier"), [
    ("mailto://user:pass@mail.example.com?to=a@example.com", Carrier.MESSAGE_ID),
    ("json://127.0.0.1:9/hook", Carrier.HEADER),
    ("form://127.0.0.1:9/hook", Carrier.HEADER),
    ("xml://127.0.0.1:9/hook", Carrier.HEADER),
    ("ntfy://ntfy.example.com/alerts", Carrier.NONE),
    ("tgram://123456789:abcdefghijklmnopqrstuvwxyz0123456789/12345", Carrier.NONE),
])
def test_where_each_kind_of_channel_carries_the_key(url: str, carrier: Carrier) -> None:
    import apprise

    assert carrier_of(apprise.Apprise.instantiate(url)) is carrier


def test_receivers_that_honour_keys_keep_one_copy() -> None:
    with SmtpReceiver(drop_repeats=True) as mail, WebhookReceiver(drop_repeats=True) as webhook:
        notifier = Notifier(notifications({"name": "mail", "url": mail.url()}, {"name": "hook", "url": webhook.url()}))
        for _ in range(2):
            assert notifier.send("mail", MESSAGE, key=KEY).ok
            assert notifier.send("hook", MESSAGE, key=KEY).ok
        assert notifier.send("mail", MESSAGE, key=KEY + "0").ok
        assert (len(mail.inbox), len(mail.repeats)) == (2, 1)
        assert (len(webhook.requests), len(webhook.repeats)) == (1, 1)
