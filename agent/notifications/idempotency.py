"""A message's key on the wire, where the receiving side can honour it.

Why: the outbox sends a message and then marks it delivered; a process killed between
the two sends it again (at least once, decision 0003). A message sent again carries the
same key as the first time (decision 0023), and a receiver that knows the key drops the
repeat:

- e-mail: the key is the message's ``Message-ID``; a mailbox such as Gmail keeps one
  message per ``Message-ID``. Apprise's e-mail plugin always writes a ``Message-ID`` of its
  own (``base["Message-ID"] = make_msgid(domain=smtp_host)`` in
  ``apprise.plugins.email.base``, appended after any header given to it), and a mail with
  two ``Message-ID`` headers is refused. So for the one send, the ``make_msgid`` that module
  calls answers with ours (under a lock: no other send of this process can pick it up);
  ``tests/unit/test_message_keys.py`` fails if an Apprise release stops calling it.
- JSON, form and XML webhooks: an ``Idempotency-Key`` header (the IETF draft "The
  Idempotency-Key HTTP Header Field": a structured-field string, so in double quotes),
  set on the plugin's own extra headers (what ``+Header=value`` in the URL fills) for the
  one send.
- any other service (ntfy, Telegram, Slack …) has no field for it: the key is not sent.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Any

__all__ = ["IDEMPOTENCY_HEADER", "Carrier", "carrier_of", "carrying", "message_id", "send_lock"]

logger = logging.getLogger("dispute_agent.notify")

IDEMPOTENCY_HEADER = "Idempotency-Key"

#: every send of this process goes through it: while an e-mail's ``Message-ID`` is ours,
#: no other e-mail may be built, and a plugin's headers are changed by one send at a time
send_lock = threading.Lock()


class Carrier(StrEnum):
    """Where a channel's messages carry their key."""

    MESSAGE_ID = "message-id"
    HEADER = "idempotency-key-header"
    NONE = "none"


def carrier_of(plugin: Any) -> Carrier:
    """How ``plugin`` (a loaded Apprise plugin) carries a key, if at all."""
    from apprise.plugins.custom_form import NotifyForm
    from apprise.plugins.custom_json import NotifyJSON
    from apprise.plugins.custom_xml import NotifyXML
    from apprise.plugins.email import NotifyEmail

    if isinstance(plugin, NotifyEmail):
        return Carrier.MESSAGE_ID
    if isinstance(plugin, NotifyJSON | NotifyForm | NotifyXML) and isinstance(getattr(plugin, "headers", None), dict):
        return Carrier.HEADER
    return Carrier.NONE


def message_id(key: str, domain: str | None) -> str:
    """The ``Message-ID`` of the e-mail sent under ``key``: ``<key@domain>``, the domain
    Apprise would have used (the SMTP host)."""
    return f"<{key}@{domain or 'localhost'}>"


@contextmanager
def carrying(plugin: Any, carrier: Carrier, key: str | None) -> Iterator[list[str]]:
    """For the block (one send, under :data:`send_lock`), ``plugin``'s message carries
    ``key``. Yields a list that names each ``Message-ID`` handed out: empty after an e-mail
    send means Apprise no longer asks for one where the agent answers (then the mail went
    out with Apprise's own, and the caller says so)."""
    used: list[str] = []
    if key is None or carrier is Carrier.NONE:
        yield used
        return
    if carrier is Carrier.HEADER:
        headers: dict[str, str] = plugin.headers
        before = headers.get(IDEMPOTENCY_HEADER)
        headers[IDEMPOTENCY_HEADER] = f'"{key}"'
        try:
            yield used
        finally:
            if before is None:
                headers.pop(IDEMPOTENCY_HEADER, None)
            else:
                headers[IDEMPOTENCY_HEADER] = before
        return
    import apprise.plugins.email.base as email_base

    real = getattr(email_base, "make_msgid", None)
    if real is None:
        logger.warning("this Apprise release builds e-mails differently: the message goes out without its key "
                       "(a repeat after a crash is possible); report it with the Apprise version")
        yield used
        return

    def ours(idstring: str | None = None, domain: str | None = None) -> str:
        used.append(message_id(key, domain))
        return used[-1]

    email_base.make_msgid = ours
    try:
        yield used
    finally:
        email_base.make_msgid = real
