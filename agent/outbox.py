"""The outbox: every alert, and its delivery to each channel, kept in the database.

Why in the database, written in the caller's transaction: an alert exists exactly when
the observation that raised it was stored, so a crash between the two can neither lose
a warning nor send one about something never recorded. Why a row per (alert, channel):
a channel that is down delays only its own copy, and a restart finds every pending row
where it was left. Why the dedupe key is the primary key: one incident is one message;
recording the same alert on every poll sends nothing new.

Delivery happens outside any open transaction (a slow SMTP server must not hold the
database), and each success is marked in its own transaction right after the send, so
a row is sent at most once unless the process dies in that instant; then it is sent
again on restart, because a duplicate warning is better than a lost one.

    record_alerts(session, alerts, channels)   in the caller's transaction
    Outbox(store, settings).deliver_due(now)   sends what is due, retries with backoff
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, Update, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, selectinload

from agent.alerts import Alert, AlertKind, Severity, SuggestedAction
from agent.money import Money
from agent.notify import Notifier, mask_secrets
from agent.settings import Channel, NotificationsSettings
from agent.store import Base, Store, UtcDateTime

__all__ = [
    "AlertRow",
    "Delivery",
    "DeliveryReport",
    "DeliveryStatus",
    "Outbox",
    "OutboxRow",
    "RecordedAlert",
    "backoff",
    "record_alerts",
]

logger = logging.getLogger(__name__)

#: a failure reason is kept short: it is for a status line, not a log
_ERROR_LENGTH = 500


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    #: never retried again (the channel was removed from the configuration)
    FAILED_PERMANENTLY = "failed-permanently"


class AlertRow(Base):
    """One incident, as the rules described it (the message is worded at delivery)."""

    __tablename__ = "alerts"
    dedupe_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    order_id: Mapped[str | None] = mapped_column(String(32), index=True)
    dispute_id: Mapped[str | None] = mapped_column(String(32))
    #: the exact decimal as text: SQLite has no exact numeric type, and money is never a float
    amount: Mapped[str | None] = mapped_column(String(40))
    currency: Mapped[str | None] = mapped_column(String(3))
    deadline: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: the suggested action (JSON), so a message sent after a restart still says what to do
    action: Mapped[str | None] = mapped_column(Text)
    facts: Mapped[str] = mapped_column(Text, default="{}")
    link: Mapped[str | None] = mapped_column(Text)
    screenshot: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    deliveries: Mapped[list[OutboxRow]] = relationship(
        back_populates="alert", cascade="all, delete-orphan", order_by="OutboxRow.id"
    )


class OutboxRow(Base):
    """One alert for one channel, until it is delivered."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("alert_key", "channel"),
        Index("ix_outbox_due", "status", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_key: Mapped[str] = mapped_column(ForeignKey("alerts.dedupe_key", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(24), default=DeliveryStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    #: why the last attempt failed, privacy-safe (no secret of the channel's URL)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    alert: Mapped[AlertRow] = relationship(back_populates="deliveries")


# --- recording (in the caller's transaction) ------------------------------------------------


def _row_of(alert: Alert) -> AlertRow:
    return AlertRow(
        dedupe_key=alert.dedupe_key, kind=alert.kind.value, severity=alert.severity.value, title=alert.title,
        order_id=alert.order_id, dispute_id=alert.dispute_id,
        amount=str(alert.amount.amount) if alert.amount is not None else None,
        currency=alert.amount.currency if alert.amount is not None else None,
        deadline=alert.deadline, action=alert.action.model_dump_json() if alert.action is not None else None,
        facts=json.dumps(alert.facts, sort_keys=True, ensure_ascii=False), link=alert.link,
        screenshot=str(alert.screenshot) if alert.screenshot is not None else None, created_at=alert.created_at,
    )


def _alert_of(row: AlertRow) -> Alert:
    amount = Money(amount=row.amount, currency=row.currency) if row.amount is not None and row.currency else None
    return Alert(
        kind=AlertKind(row.kind), severity=Severity(row.severity), dedupe_key=row.dedupe_key, title=row.title,
        order_id=row.order_id, dispute_id=row.dispute_id, amount=amount, deadline=row.deadline,
        action=SuggestedAction.model_validate_json(row.action) if row.action else None,
        facts=json.loads(row.facts or "{}"), link=row.link,
        screenshot=Path(row.screenshot) if row.screenshot else None, created_at=row.created_at,
    )


def record_alerts(session: Session, alerts: Sequence[Alert], channels: Sequence[Channel]) -> list[Alert]:
    """Store the alerts whose key is new, each with one pending delivery per channel.

    Runs in ``session``, the caller's transaction: the alerts commit (or roll back)
    together with the observations that raised them. A key already stored is skipped
    (one incident, one message); so is a repeat within ``alerts``. A channel receives
    an alert when its ``severities`` include the alert's. Returns the new alerts.
    """
    keys = {alert.dedupe_key for alert in alerts}
    known = set(session.scalars(select(AlertRow.dedupe_key).where(AlertRow.dedupe_key.in_(keys)))) if keys else set()
    new: list[Alert] = []
    for alert in alerts:
        if alert.dedupe_key in known:
            continue
        known.add(alert.dedupe_key)
        row = _row_of(alert)
        row.deliveries = [
            OutboxRow(channel=channel.name, status=DeliveryStatus.PENDING.value, attempts=0,
                      next_attempt_at=alert.created_at)
            for channel in channels if alert.severity in channel.severities
        ]
        session.add(row)
        new.append(alert)
        if not row.deliveries:
            logger.info("alert %s (%s) recorded; no channel takes %s alerts",
                        alert.dedupe_key, alert.kind.value, alert.severity.value)
    return new


# --- delivering ---------------------------------------------------------------------------------


def backoff(attempts: int, base_seconds: int, max_seconds: int) -> timedelta:
    """The wait after the ``attempts``-th failure: base, 2×base, 4×base … capped at max."""
    exponent = min(max(attempts - 1, 0), 32)
    return timedelta(seconds=min(max_seconds, base_seconds * 2**exponent))


@dataclass
class DeliveryReport:
    """What one :meth:`Outbox.deliver_due` run did."""

    delivered: int = 0
    #: failed this time, scheduled again with backoff
    retrying: int = 0
    #: not tried: their channel already failed in this run (one timeout per channel, not per message)
    deferred: int = 0
    #: given up for good (their channel is no longer configured)
    abandoned: int = 0
    #: ``"<channel>: <reason>"`` per failure, privacy-safe
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.retrying or self.abandoned)


@dataclass(frozen=True)
class Delivery:
    """One alert's delivery to one channel, as a plain value for status commands."""

    channel: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    delivered_at: datetime | None


@dataclass(frozen=True)
class RecordedAlert:
    alert: Alert
    deliveries: tuple[Delivery, ...]


@dataclass(frozen=True)
class _Due:
    id: int
    channel: str
    attempts: int
    alert: Alert


class Outbox:
    """Delivers what :func:`record_alerts` stored; all state is in the database."""

    def __init__(self, store: Store, settings: NotificationsSettings, notifier: Notifier | None = None) -> None:
        self._store = store
        self._settings = settings
        self._notifier = notifier if notifier is not None else Notifier(settings)

    @property
    def notifier(self) -> Notifier:
        return self._notifier

    def record(self, alerts: Sequence[Alert]) -> list[Alert]:
        """:func:`record_alerts` in a transaction of its own (for callers without one)."""
        with self._store.transaction() as session:
            return record_alerts(session, alerts, self._settings.channels)

    def deliver_due(self, now: datetime, limit: int = 500) -> DeliveryReport:
        """Send every pending delivery due at ``now`` (oldest first, at most ``limit``)."""
        report = DeliveryReport()
        down: set[str] = set()
        configured = set(self._notifier.channel_names)
        for due in self._due(now, limit):
            if due.channel not in configured:
                self._abandon(due, f"channel {due.channel!r} is no longer configured")
                report.abandoned += 1
                continue
            if due.channel in down:
                report.deferred += 1
                continue
            try:
                message = self._notifier.render_for(due.channel, due.alert, now)
            except Exception as error:  # a template bug must not stop the other deliveries
                logger.exception("cannot word alert %s", due.alert.dedupe_key)
                self._failed(due, f"the message could not be built: {type(error).__name__}: {error}", now, report)
                continue
            result = self._notifier.send(due.channel, message)
            if result.ok:
                self._delivered(due, now)
                report.delivered += 1
            else:
                down.add(due.channel)
                self._failed(due, result.error or "failed", now, report)
        return report

    def _due(self, now: datetime, limit: int) -> list[_Due]:
        with self._store.transaction() as session:
            rows = session.scalars(
                select(OutboxRow).options(selectinload(OutboxRow.alert))
                .where(OutboxRow.status == DeliveryStatus.PENDING.value, OutboxRow.next_attempt_at <= now)
                .order_by(OutboxRow.next_attempt_at, OutboxRow.id).limit(limit)
            ).all()
            return [_Due(id=row.id, channel=row.channel, attempts=row.attempts, alert=_alert_of(row.alert))
                    for row in rows]

    @staticmethod
    def _pending(due: _Due) -> Update:
        """An UPDATE of ``due``'s row only while it is pending: a settled row stays settled."""
        return update(OutboxRow).where(OutboxRow.id == due.id, OutboxRow.status == DeliveryStatus.PENDING.value)

    def _delivered(self, due: _Due, now: datetime) -> None:
        with self._store.transaction() as session:
            session.execute(self._pending(due).values(
                status=DeliveryStatus.DELIVERED.value, delivered_at=now, attempts=due.attempts + 1, last_error=None))
        logger.info("alert %s delivered to %s", due.alert.dedupe_key, due.channel)

    def _failed(self, due: _Due, error: str, now: datetime, report: DeliveryReport) -> None:
        attempts = due.attempts + 1
        retry_at = now + backoff(attempts, self._settings.retry_backoff_seconds, self._settings.retry_max_seconds)
        error = mask_secrets(error)[:_ERROR_LENGTH]
        with self._store.transaction() as session:
            session.execute(self._pending(due).values(attempts=attempts, next_attempt_at=retry_at, last_error=error))
        report.retrying += 1
        report.failures.append(f"{due.channel}: {error}")
        logger.warning("alert %s to %s failed (attempt %d), next try at %s: %s",
                       due.alert.dedupe_key, due.channel, attempts, retry_at.isoformat(), error)

    def _abandon(self, due: _Due, why: str) -> None:
        with self._store.transaction() as session:
            session.execute(self._pending(due).values(status=DeliveryStatus.FAILED_PERMANENTLY.value, last_error=why))
        logger.warning("alert %s: %s; not delivered there", due.alert.dedupe_key, why)

    # --- status ------------------------------------------------------------------------------

    def pending_count(self, channel: str | None = None) -> int:
        """Deliveries not yet made (due or waiting for a retry)."""
        query = select(func.count()).select_from(OutboxRow).where(OutboxRow.status == DeliveryStatus.PENDING.value)
        if channel is not None:
            query = query.where(OutboxRow.channel == channel)
        with self._store.transaction() as session:
            return int(session.scalar(query) or 0)

    def recent_alerts(self, limit: int = 20) -> list[RecordedAlert]:
        """The latest alerts, newest first, each with its deliveries."""
        with self._store.transaction() as session:
            rows = session.scalars(
                select(AlertRow).options(selectinload(AlertRow.deliveries))
                .order_by(AlertRow.created_at.desc(), AlertRow.dedupe_key).limit(limit)
            ).all()
            return [RecordedAlert(alert=_alert_of(row), deliveries=tuple(
                Delivery(channel=d.channel, status=DeliveryStatus(d.status), attempts=d.attempts,
                         next_attempt_at=d.next_attempt_at, last_error=d.last_error, delivered_at=d.delivered_at)
                for d in row.deliveries)) for row in rows]
