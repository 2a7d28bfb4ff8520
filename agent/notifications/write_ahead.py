"""The message a delivery is about to send, written on its rows before it is sent.

Why: the outbox marks rows delivered after the channel took the message; a process
killed in between leaves rows that look unsent, and the next run sent them again, worded
anew and perhaps grouped differently — a second message the receiver cannot tell from a
new one. So before a send, the rows it settles record the message: a key (the lowest row
id and a random part, chosen once) and its words (subject, body, severity, attachment,
and the outcomes it also says). A row still holding them once its claim has expired may
have been sent: it goes out again as exactly that message, under that key, with exactly
the rows it was recorded with — never worded again, never merged into a summary — and a
receiver that honours the key (:mod:`agent.notifications.idempotency`) drops the repeat.
The words are cleared once the rows are marked delivered; the key stays, as history.

A send the channel refused clears the record: the message did not arrive, so the next
attempt is worded afresh ("in 5 h" true when it lands; a first summary takes what was
found meanwhile). A resend of a recorded message that fails keeps it: the first attempt's
fate is still unknown. See ``docs/decisions/0023-one-message-one-key.md``.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from agent.judge.alerts import Severity
from agent.notifications.messages import Message

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.orm import Session

__all__ = ["Recorded", "decode", "encode", "new_key", "record", "whole_messages"]

logger = logging.getLogger("dispute_agent.outbox")


@dataclass(frozen=True)
class Recorded:
    """A message written ahead of its send: what is sent again after a crash."""

    key: str
    message: Message
    #: the outcome alerts it says whose own rows may wait outside its batch (settled with it)
    settles: tuple[str, ...] = ()


def new_key(row_ids: Sequence[int]) -> str:
    """A key unique to one message: its lowest row id, for reading, and 64 random bits.

    Letters, digits and dashes only: it must be valid inside a ``Message-ID`` and an
    HTTP structured-field string as it is.
    """
    return f"dispute-agent-{min(row_ids)}-{secrets.token_hex(8)}"


def encode(message: Message, settles: Sequence[str] = ()) -> str:
    return json.dumps({
        "subject": message.subject, "body": message.body, "severity": message.severity.value,
        "attachment": str(message.attachment) if message.attachment is not None else None,
        "settles": list(settles)}, ensure_ascii=False, sort_keys=True)


def decode(key: str | None, text: str | None) -> Recorded | None:
    """The recorded message, if any. An attachment whose file is gone by now (evidence
    pruned) is left out rather than failing the resend for ever; the words are the same.
    A record that cannot be read is no record (the rows are worded afresh): it must not
    stop the channel's deliveries on every run."""
    if not key or not text:
        return None
    try:
        data = json.loads(text)
        attachment = Path(data["attachment"]) if data.get("attachment") else None
        message = Message(subject=data["subject"], body=data["body"], severity=Severity(data["severity"]),
                          attachment=attachment if attachment is None or attachment.is_file() else None)
        return Recorded(key=key, message=message, settles=tuple(data.get("settles", ())))
    except (ValueError, KeyError, TypeError):
        logger.warning("the message recorded under key %s cannot be read; worded again under a new key", key)
        return None


def record(session: Session, row_ids: Sequence[int], token: str, key: str, message: Message,
           settles: Sequence[str] = ()) -> bool:
    """Write ``message`` under ``key`` on the rows, while ``token`` still holds every one
    of them (pending); True when it did. Committed by the caller before the send."""
    from sqlalchemy import update

    from agent.notifications.outbox import DeliveryStatus, OutboxRow

    result = session.execute(update(OutboxRow).where(
        OutboxRow.id.in_(list(row_ids)), OutboxRow.claim == token,
        OutboxRow.status == DeliveryStatus.PENDING.value,
    ).values(message_key=key, message=encode(message, settles)))
    return int(result.rowcount or 0) == len(set(row_ids))


def whole_messages(session: Session, channel: str, ids: Sequence[int]) -> list[int]:
    """The pending rows of ``channel`` recorded under the same key as any of ``ids``, not
    in ``ids``: a recorded message is claimed with all its rows or not at all."""
    from sqlalchemy import select

    from agent.notifications.outbox import DeliveryStatus, OutboxRow

    pending = (OutboxRow.channel == channel, OutboxRow.status == DeliveryStatus.PENDING.value,
               OutboxRow.message.is_not(None))
    keys = select(OutboxRow.message_key).where(OutboxRow.id.in_(list(ids)), *pending)
    return list(session.scalars(select(OutboxRow.id).where(
        OutboxRow.message_key.in_(keys), OutboxRow.id.not_in(list(ids)), *pending).order_by(OutboxRow.id)))
