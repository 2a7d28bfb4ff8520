"""The outbox: every alert, and its delivery to each channel, kept in the database.

Why in the database, written in the caller's transaction: an alert exists exactly when
the observation that raised it was stored, so a crash between the two can neither lose
a warning nor send one about something never recorded. Why a row per (alert, channel):
a channel that is down delays only its own copy, and a restart finds every pending row
where it was left. Why the dedupe key is the primary key: one incident is one message;
recording the same alert on every poll sends nothing new.

Delivery happens outside any open transaction (a slow SMTP server must not hold the
database). Why per channel, with the channel's own backoff: a channel that is down
must never delay another, however many of its rows wait; the rows of each channel are
taken on their own, critical first. Why a claim (a lease that expires) before sending:
the daemon's outbox job and a command-line ``poll`` may deliver at the same moment;
a row claimed by one is left alone by the other, and a claim left by a process that
died expires, so the row is sent again rather than lost. Each success is marked right
after the send, so a row is sent at most once unless the process dies in that
instant; then it is sent again after the lease, because a duplicate warning is
better than a lost one — and as the very message of the first attempt, under its key,
which a receiver can drop as a repeat (:mod:`agent.notifications.write_ahead`, decision 0023).

Why "broken": a channel failing for ``channel_broken_after_hours`` is marked broken,
shown by ``status``, and announced on the other channels; it is still tried (at the
longest backoff), and its old rows are given up once their alert reached another
channel. An alert that reached no channel is never given up.

Why some rows go out together (:mod:`agent.notifications.message_groups`): a zero offer the agent
acted on is one message with the action's outcome, and a channel's first delivery is one
summary (``first_summary``, asked for by the use cases); each row is still marked on its
own. Why a poll holds the rows of an offer it is about to act on (``hold_deliveries``):
another process's outbox must not send "reject it or get nothing" while the agent is
rejecting it; the hold is a claim, so a poll that dies mid-action lets the plain message
go once the lease expires.

    record_alerts(session, alerts, channels)   in the caller's transaction, idempotent
    Outbox(store, settings).deliver_due(now)   sends what is due, retries with backoff
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Update,
    and_,
    case,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, selectinload

from agent.config.settings import Channel, NotificationsSettings
from agent.core.clock import system_now
from agent.core.money import Money
from agent.judge.alerts import ActionKind, Alert, AlertKind, Severity, SuggestedAction
from agent.notifications.messages import Message
from agent.notifications.notify import Notifier, mask_secrets
from agent.notifications.write_ahead import (
    Recorded,
    decode,
    new_key,
    record,
    whole_messages,
)
from agent.storage.store import Base, Store, UtcDateTime

__all__ = [
    "AlertRow",
    "ChannelHealth",
    "ChannelState",
    "Delivery",
    "DeliveryReport",
    "DeliveryStatus",
    "Outbox",
    "OutboxRow",
    "RecordedAlert",
    "backoff",
    "hold_deliveries",
    "record_alerts",
    "release_deliveries",
]

logger = logging.getLogger("dispute_agent.outbox")

#: a failure reason is kept short: it is for a status line, not a log
_ERROR_LENGTH = 500
#: how long a claimed row is left alone by other senders (a send takes seconds)
CLAIM_LEASE = timedelta(minutes=5)
#: rows taken per channel and run: a backlog is sent over a few runs, and no channel's
#: backlog can crowd out another's rows
PER_CHANNEL_BATCH = 100
_SEVERITY_RANK = {Severity.CRITICAL.value: 0, Severity.WARNING.value: 1, Severity.INFO.value: 2}


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
    #: the sender that holds the row, and until when (None: free)
    claim: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: the key of the message this row goes (or went) out in, written before the send
    #: (:mod:`agent.notifications.write_ahead`): every attempt of one message has one key
    message_key: Mapped[str | None] = mapped_column(String(64))
    #: that message's words (JSON) until it is known delivered; a row holding them after
    #: its claim expired may have been sent: it is sent again as these words, under that key
    message: Mapped[str | None] = mapped_column(Text)
    alert: Mapped[AlertRow] = relationship(back_populates="deliveries")


class ChannelHealth(Base):
    """How a channel has fared lately: its own backoff, and since when it fails."""

    __tablename__ = "channel_health"
    channel: Mapped[str] = mapped_column(String(64), primary_key=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    failing_since: Mapped[datetime | None] = mapped_column(UtcDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    broken_since: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


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


def _insert_ignoring_duplicates(session: Session, table, values: dict) -> bool:
    """INSERT that does nothing when the key exists; True when the row was written.

    Two processes may record the same incident at once (the daemon and a command-line
    poll): the second must neither fail nor roll back the rest of its batch.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    result = session.execute(insert(table).values(**values).on_conflict_do_nothing())
    return bool(result.rowcount)


def record_alerts(session: Session, alerts: Sequence[Alert], channels: Sequence[Channel]) -> list[Alert]:
    """Store the alerts whose key is new, each with one pending delivery per channel.

    Runs in ``session``, the caller's transaction: the alerts commit (or roll back)
    together with the observations that raised them. A key already stored is skipped
    (one incident, one message), also when another process stores it at the same
    moment; so is a repeat within ``alerts``. A channel receives an alert when its
    ``severities`` include the alert's. Returns the new alerts.
    """
    new: list[Alert] = []
    seen: set[str] = set()
    for alert in alerts:
        if alert.dedupe_key in seen:
            continue
        seen.add(alert.dedupe_key)
        row = _row_of(alert)
        values = {column.key: getattr(row, column.key) for column in AlertRow.__table__.columns}
        if not _insert_ignoring_duplicates(session, AlertRow.__table__, values):
            continue
        takers = [channel for channel in channels if alert.severity in channel.severities]
        for channel in takers:
            _insert_ignoring_duplicates(session, OutboxRow.__table__, {
                "alert_key": alert.dedupe_key, "channel": channel.name, "status": DeliveryStatus.PENDING.value,
                "attempts": 0, "next_attempt_at": alert.created_at})
        new.append(alert)
        if not takers:
            logger.info("alert %s (%s) recorded; no channel takes %s alerts",
                        alert.dedupe_key, alert.kind.value, alert.severity.value)
    return new


def hold_deliveries(session: Session, keys: Sequence[str], token: str, until: datetime) -> int:
    """Claim the pending, unclaimed rows of ``keys`` for ``token`` until ``until`` (machine
    time): no sender touches them meanwhile. In the caller's transaction."""
    if not keys:
        return 0
    result = session.execute(update(OutboxRow).where(
        OutboxRow.alert_key.in_(list(keys)), OutboxRow.status == DeliveryStatus.PENDING.value,
        or_(OutboxRow.claim.is_(None), OutboxRow.claimed_until < system_now()),
    ).values(claim=token, claimed_until=until))
    return int(result.rowcount or 0)


def release_deliveries(session: Session, token: str) -> None:
    """Let go of what :func:`hold_deliveries` claimed: the rows are due again at once."""
    session.execute(update(OutboxRow).where(OutboxRow.claim == token).values(claim=None, claimed_until=None))


# --- delivering ---------------------------------------------------------------------------------


def backoff(attempts: int, base_seconds: int, max_seconds: int) -> timedelta:
    """The wait after the ``attempts``-th failure: base, 2×base, 4×base … capped at max."""
    exponent = min(max(attempts - 1, 0), 32)
    return timedelta(seconds=min(max_seconds, base_seconds * 2**exponent))


@dataclass
class DeliveryReport:
    """What one :meth:`Outbox.deliver_due` run did."""

    delivered: int = 0
    #: messages sent (a summary or a zero offer with its outcome is one message for several rows)
    messages: int = 0
    #: failed this time, scheduled again with backoff
    retrying: int = 0
    #: not tried: their channel already failed in this run (one timeout per channel, not per message)
    deferred: int = 0
    #: given up for good (their channel is no longer configured)
    abandoned: int = 0
    #: ``"<channel>: <reason>"`` per failure, privacy-safe
    failures: list[str] = field(default_factory=list)
    #: channels that became broken in this run
    broken: list[str] = field(default_factory=list)
    #: deliveries given up because their channel is broken and their alert reached another
    given_up: int = 0

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
    #: the message written ahead of an earlier send, when one was (it may have arrived)
    recorded: Recorded | None = None


@dataclass
class _Unit:
    """One message: the claimed rows it settles and the alert it is worded from."""

    rows: list[_Due]
    alert: Alert
    #: the offer and its outcome, when the message merges them
    offer: Alert | None = None
    outcome: Alert | None = None
    #: already worded (a summary: worded before it replaces the single messages)
    message: Message | None = None
    #: the outcomes this message says (their rows outside this batch are settled with it)
    outcomes: list[Alert] = field(default_factory=list)
    #: a message written ahead of an earlier send: sent again as it is, under its key
    recorded: Recorded | None = None

    @property
    def settles(self) -> list[str]:
        if self.recorded is not None:
            return list(self.recorded.settles)
        return [outcome.dedupe_key for outcome in self.outcomes]


@dataclass(frozen=True)
class ChannelState:
    """A channel's health, as a plain value for ``status``."""

    channel: str
    consecutive_failures: int
    failing_since: datetime | None
    next_attempt_at: datetime | None
    broken_since: datetime | None
    last_error: str | None
    pending: int


class Outbox:
    """Delivers what :func:`record_alerts` stored; all state is in the database.

    ``lease_clock`` gives the machine's time for claims (they coordinate processes,
    whatever clock the deliveries are judged by); injectable for tests.
    """

    def __init__(self, store: Store, settings: NotificationsSettings, notifier: Notifier | None = None,
                 *, lease_clock: Callable[[], datetime] | None = None) -> None:
        self._store = store
        self._settings = settings
        self._notifier = notifier if notifier is not None else Notifier(settings)
        self._lease_clock = lease_clock or system_now

    @property
    def notifier(self) -> Notifier:
        return self._notifier

    def record(self, alerts: Sequence[Alert]) -> list[Alert]:
        """:func:`record_alerts` in a transaction of its own (for callers without one)."""
        with self._store.transaction() as session:
            return record_alerts(session, alerts, self._settings.channels)

    def deliver_due(self, now: datetime, limit: int = PER_CHANNEL_BATCH, *,
                    first_summary: bool = False) -> DeliveryReport:
        """Send every pending delivery due at ``now``: each channel on its own (at most
        ``limit`` rows each, critical first), a channel that is down skipped until its
        backoff ends.

        ``first_summary``: a channel that never delivered anything gets what is due as
        one summary message (the use cases ask for it; see :mod:`agent.notifications.message_groups`).
        """
        report = DeliveryReport()
        configured = list(self._notifier.channel_names)
        report.abandoned += self._abandon_unconfigured(configured)
        for channel in configured:
            health = self._health(channel)
            if health is not None and health.next_attempt_at is not None and health.next_attempt_at > now:
                report.deferred += self._due_count(channel, now)
                continue
            self._deliver_channel(channel, now, limit, report, first_summary)
        return report

    # --- one channel -------------------------------------------------------------------------

    def _deliver_channel(self, channel: str, now: datetime, limit: int, report: DeliveryReport,
                         first_summary: bool = False) -> None:
        """Messages written ahead of a send that may have arrived go first, each exactly as
        written (decision 0023); then the rest, worded now (a first summary if asked)."""
        token = secrets.token_hex(8)
        claimed = self._claim(channel, now, limit, token)
        if not claimed:
            return
        handled: set[int] = set()

        def send(unit: _Unit, *, first_attempt: bool = False) -> bool:
            handled.update(due.id for due in unit.rows)
            if self._send_unit(channel, unit, token, now, report, first_attempt=first_attempt):
                return True
            self._release(token)  # what this run did not try is let go, untouched, for a later run
            report.deferred += sum(1 for due in claimed if due.id not in handled)
            return False

        again: dict[str, _Unit] = {}
        for due in claimed:
            if due.recorded is not None:
                unit = again.setdefault(due.recorded.key, _Unit(rows=[], alert=due.alert, recorded=due.recorded))
                unit.rows.append(due)
        for unit in again.values():
            if not send(unit):
                return
        fresh = [due for due in claimed if due.recorded is None]
        if not fresh:
            return
        units = self._units(fresh)
        if first_summary and len(units) > 1 and not self._ever_delivered(channel):
            summary = self._summary(channel, units, now)
            if summary is not None:  # a summary that cannot be worded must not hold anything back
                units = [summary]
        for unit in units:
            try:
                message = self._word(channel, unit, now)
            except Exception as error:  # a template bug must not stop the other deliveries
                logger.exception("cannot word alert %s", unit.alert.dedupe_key)
                handled.update(due.id for due in unit.rows)
                for due in unit.rows:
                    self._failed_row(due, token, f"the message could not be built: {type(error).__name__}: "
                                                 f"{error}", now, report)
                continue
            key = new_key([due.id for due in unit.rows])
            with self._store.transaction() as session:  # committed before the send
                written = record(session, [due.id for due in unit.rows], token, key, message, unit.settles)
            if not written:  # the lease ran out and another sender took a row: it is theirs now
                logger.warning("alert %s to %s: the claim expired before the send; left to the other sender",
                               unit.alert.dedupe_key, channel)
                handled.update(due.id for due in unit.rows)
                continue
            unit.recorded = Recorded(key=key, message=message, settles=tuple(unit.settles))
            if not send(unit, first_attempt=True):
                return

    def _send_unit(self, channel: str, unit: _Unit, token: str, now: datetime, report: DeliveryReport,
                   *, first_attempt: bool = False) -> bool:
        """Send the recorded message under its key; False when the channel failed (its rows
        are scheduled again: worded afresh after a first attempt, as recorded after a resend)."""
        assert unit.recorded is not None
        result = self._notifier.send(channel, unit.recorded.message, key=unit.recorded.key)
        if result.ok:
            self._delivered(unit.rows, token, now)
            for key in unit.settles:  # its own row may wait outside this batch: never a second "done"
                self._settle(channel, key, now)
            report.delivered += len(unit.rows)
            report.messages += 1
            self._channel_ok(channel, now)
            return True
        error = mask_secrets(result.error or "failed")[:_ERROR_LENGTH]
        for due in unit.rows:
            self._failed_row(due, token, error, now, report, forget=first_attempt)
        self._channel_failed(channel, error, now, report)
        return False

    def _units(self, claimed: list[_Due]) -> list[_Unit]:
        """The claimed rows as messages: a zero offer whose outcome is recorded is one
        message with it (the outcome's row, if claimed too, goes with it)."""
        from agent.notifications.message_groups import (
            OFFER_KINDS,
            is_outcome_of,
            outcome_keys,
        )

        offers = [due.alert for due in claimed if due.alert.kind in OFFER_KINDS]
        outcomes: dict[str, Alert] = {}
        if offers:
            wanted = sorted({key for offer in offers for key in outcome_keys(offer.dedupe_key)})
            with self._store.transaction() as session:
                found = [_alert_of(row) for row in
                         session.scalars(select(AlertRow).where(AlertRow.dedupe_key.in_(wanted)))]
            for outcome in found:  # an offer and its reminders may share a failure's key: match by name
                for offer in offers:
                    if is_outcome_of(outcome, offer):
                        outcomes[offer.dedupe_key] = outcome
        merged_outcomes = {outcome.dedupe_key for outcome in outcomes.values()}
        rows_of = {due.alert.dedupe_key: due for due in claimed}
        units: list[_Unit] = []
        for due in claimed:
            key = due.alert.dedupe_key
            if key in merged_outcomes:
                continue  # goes out with its offer
            outcome = outcomes.get(key)
            if outcome is None:
                units.append(_Unit(rows=[due], alert=due.alert))
                continue
            rows = [due] + ([rows_of[outcome.dedupe_key]] if outcome.dedupe_key in rows_of else [])
            units.append(_Unit(rows=rows, alert=outcome, offer=due.alert, outcome=outcome, outcomes=[outcome]))
        return units

    def _word(self, channel: str, unit: _Unit, now: datetime) -> Message:
        if unit.message is not None:
            return unit.message
        if unit.offer is not None and unit.outcome is not None:
            return self._notifier.render_for(channel, self._notifier.handled(unit.offer, unit.outcome), now)
        return self._notifier.render_for(channel, unit.alert, now)

    def _summary(self, channel: str, units: list[_Unit], now: datetime) -> _Unit | None:
        """All of ``units`` as one message, or ``None`` (then they go one by one) if it
        cannot be worded."""
        alerts = [self._notifier.handled(u.offer, u.outcome) if u.offer is not None and u.outcome is not None
                  else u.alert for u in units]
        try:
            message = self._notifier.render_summary_for(channel, alerts, now)
        except Exception:
            logger.exception("cannot word the summary for channel %s; sending one message per alert", channel)
            return None
        outcomes = [u.outcome for u in units if u.outcome is not None]
        return _Unit(rows=[due for u in units for due in u.rows], alert=alerts[0], message=message,
                     outcomes=outcomes)

    def _ever_delivered(self, channel: str) -> bool:
        with self._store.transaction() as session:
            return session.scalar(select(OutboxRow.id).where(
                OutboxRow.channel == channel, OutboxRow.status == DeliveryStatus.DELIVERED.value).limit(1)) is not None

    def _settle(self, channel: str, key: str, now: datetime) -> None:
        """``key``'s row for ``channel`` was said in another message: delivered, unless
        another sender holds it."""
        with self._store.transaction() as session:
            session.execute(update(OutboxRow).where(
                OutboxRow.alert_key == key, OutboxRow.channel == channel,
                OutboxRow.status == DeliveryStatus.PENDING.value,
                or_(OutboxRow.claim.is_(None), OutboxRow.claimed_until < self._lease_clock()),
            ).values(status=DeliveryStatus.DELIVERED.value, delivered_at=now, claim=None, claimed_until=None,
                     message=None))

    def _claim(self, channel: str, now: datetime, limit: int, token: str) -> list[_Due]:
        """Take up to ``limit`` of the channel's due rows that nobody else holds, and every
        row of a message written ahead on one of them (due or not, beyond ``limit``): a
        message that may have arrived is sent again with all its rows, never split."""
        lease_now = self._lease_clock()
        free = or_(OutboxRow.claimed_until.is_(None), OutboxRow.claimed_until < lease_now)
        due = and_(OutboxRow.channel == channel, OutboxRow.status == DeliveryStatus.PENDING.value,
                   OutboxRow.next_attempt_at <= now, free)
        rank = case(_SEVERITY_RANK, value=AlertRow.severity, else_=3)
        with self._store.transaction() as session:
            ids = list(session.scalars(
                select(OutboxRow.id).join(AlertRow, OutboxRow.alert_key == AlertRow.dedupe_key).where(due)
                .order_by(rank, OutboxRow.next_attempt_at, OutboxRow.id).limit(limit)))
            if not ids:
                return []
            siblings = whole_messages(session, channel, ids)
            # the conditions again: another sender may have claimed one since the SELECT
            session.execute(update(OutboxRow).where(OutboxRow.id.in_(ids), due)
                            .values(claim=token, claimed_until=lease_now + CLAIM_LEASE))
            if siblings:  # in the same write transaction: a message's rows are taken together
                session.execute(update(OutboxRow).where(
                    OutboxRow.id.in_(siblings), OutboxRow.status == DeliveryStatus.PENDING.value, free,
                ).values(claim=token, claimed_until=lease_now + CLAIM_LEASE))
            rows = session.scalars(
                select(OutboxRow).options(selectinload(OutboxRow.alert)).where(OutboxRow.claim == token)).all()
            by_id = {row.id: row for row in rows}
            return [_Due(id=row.id, channel=row.channel, attempts=row.attempts, alert=_alert_of(row.alert),
                         recorded=decode(row.message_key, row.message))
                    for row in (by_id[i] for i in ids + siblings if i in by_id)]

    def _release(self, token: str) -> None:
        with self._store.transaction() as session:
            session.execute(update(OutboxRow).where(OutboxRow.claim == token)
                            .values(claim=None, claimed_until=None))

    @staticmethod
    def _held(due: _Due, token: str) -> Update:
        """An UPDATE of ``due``'s row only while this sender holds it and it is pending."""
        return update(OutboxRow).where(OutboxRow.id == due.id, OutboxRow.claim == token,
                                       OutboxRow.status == DeliveryStatus.PENDING.value)

    def _delivered(self, rows: list[_Due], token: str, now: datetime) -> None:
        """The rows of one message, marked together: a crash leaves all or none of them to
        send again. The message's words are dropped; its key stays, as history."""
        with self._store.transaction() as session:
            for due in rows:
                session.execute(self._held(due, token).values(
                    status=DeliveryStatus.DELIVERED.value, delivered_at=now, attempts=due.attempts + 1,
                    last_error=None, claim=None, claimed_until=None, message=None))
        for due in rows:
            logger.info("alert %s delivered to %s", due.alert.dedupe_key, due.channel)

    def _failed_row(self, due: _Due, token: str, error: str, now: datetime, report: DeliveryReport, *,
                    forget: bool = False) -> None:
        """``forget``: the channel refused a first attempt, so the message it recorded is
        dropped and the next attempt is worded afresh under a new key."""
        attempts = due.attempts + 1
        retry_at = now + backoff(attempts, self._settings.retry_backoff_seconds, self._settings.retry_max_seconds)
        error = mask_secrets(error)[:_ERROR_LENGTH]
        forgotten = {"message_key": None, "message": None} if forget else {}
        with self._store.transaction() as session:
            session.execute(self._held(due, token).values(attempts=attempts, next_attempt_at=retry_at,
                                                         last_error=error, claim=None, claimed_until=None,
                                                         **forgotten))
        report.retrying += 1
        report.failures.append(f"{due.channel}: {error}")
        logger.warning("alert %s to %s failed (attempt %d), next try at %s: %s",
                       due.alert.dedupe_key, due.channel, attempts, retry_at.isoformat(), error)

    def _abandon_unconfigured(self, configured: list[str]) -> int:
        why = "channel {!r} is no longer configured"
        with self._store.transaction() as session:
            gone = session.execute(
                select(OutboxRow.id, OutboxRow.channel, OutboxRow.alert_key)
                .where(OutboxRow.status == DeliveryStatus.PENDING.value, OutboxRow.channel.not_in(configured))
            ).all()
            for row_id, channel, key in gone:
                session.execute(update(OutboxRow).where(OutboxRow.id == row_id).values(
                    status=DeliveryStatus.FAILED_PERMANENTLY.value, last_error=why.format(channel)))
                logger.warning("alert %s: %s; not delivered there", key, why.format(channel))
        return len(gone)

    # --- channel health ----------------------------------------------------------------------

    def _health(self, channel: str) -> ChannelHealth | None:
        with self._store.transaction() as session:
            return session.get(ChannelHealth, channel)

    def _due_count(self, channel: str, now: datetime) -> int:
        with self._store.transaction() as session:
            return int(session.scalar(select(func.count()).select_from(OutboxRow).where(
                OutboxRow.channel == channel, OutboxRow.status == DeliveryStatus.PENDING.value,
                OutboxRow.next_attempt_at <= now)) or 0)

    def _channel_ok(self, channel: str, now: datetime) -> None:
        with self._store.transaction() as session:
            health = session.get(ChannelHealth, channel)
            if health is None or (health.consecutive_failures == 0 and health.broken_since is None):
                return
            was_broken = health.broken_since
            health.consecutive_failures, health.failing_since, health.next_attempt_at = 0, None, None
            health.broken_since, health.last_error = None, None
            if was_broken is not None:
                logger.warning("channel %s works again (broken since %s)", channel, was_broken.isoformat())
                record_alerts(session, [_channel_alert(channel, was_broken, now, recovered=True)],
                              self._settings.channels)

    def _channel_failed(self, channel: str, error: str, now: datetime, report: DeliveryReport) -> None:
        settings = self._settings
        with self._store.transaction() as session:
            health = session.get(ChannelHealth, channel)
            if health is None:
                health = ChannelHealth(channel=channel, consecutive_failures=0)
                session.add(health)
            health.consecutive_failures = (health.consecutive_failures or 0) + 1
            health.failing_since = health.failing_since or now
            health.last_error = error
            health.next_attempt_at = now + backoff(health.consecutive_failures, settings.retry_backoff_seconds,
                                                   settings.retry_max_seconds)
            broken_after = timedelta(hours=settings.channel_broken_after_hours)
            if health.broken_since is None and now - health.failing_since >= broken_after:
                health.broken_since = now
                report.broken.append(channel)
                others = [c for c in settings.channels if c.name != channel]
                record_alerts(session, [_channel_alert(channel, health.failing_since, now, error=error)], others)
                logger.error("channel %s is broken: failing since %s (%s)", channel,
                             health.failing_since.isoformat(), error)
            if health.broken_since is not None:
                report.given_up += self._give_up_delivered_elsewhere(session, channel, now)

    def _give_up_delivered_elsewhere(self, session: Session, channel: str, now: datetime) -> int:
        """A broken channel's rows older than the give-up window, whose alert reached
        another channel, are closed; an alert that reached nobody stays pending."""
        cutoff = now - timedelta(hours=self._settings.channel_give_up_hours)
        delivered_elsewhere = select(OutboxRow.alert_key).where(
            OutboxRow.channel != channel, OutboxRow.status == DeliveryStatus.DELIVERED.value)
        result = session.execute(update(OutboxRow).where(
            OutboxRow.channel == channel, OutboxRow.status == DeliveryStatus.PENDING.value,
            OutboxRow.alert_key.in_(delivered_elsewhere),
            OutboxRow.alert_key.in_(select(AlertRow.dedupe_key).where(AlertRow.created_at < cutoff)),
        ).values(status=DeliveryStatus.FAILED_PERMANENTLY.value,
                 last_error=f"channel {channel!r} is broken; the alert reached other channels"))
        return int(result.rowcount or 0)

    def channel_states(self) -> list[ChannelState]:
        """Every configured channel's health and pending count (``status`` shows them)."""
        states = []
        with self._store.transaction() as session:
            for channel in self._notifier.channel_names:
                health = session.get(ChannelHealth, channel)
                pending = int(session.scalar(select(func.count()).select_from(OutboxRow).where(
                    OutboxRow.channel == channel, OutboxRow.status == DeliveryStatus.PENDING.value)) or 0)
                states.append(ChannelState(
                    channel=channel, consecutive_failures=health.consecutive_failures if health else 0,
                    failing_since=health.failing_since if health else None,
                    next_attempt_at=health.next_attempt_at if health else None,
                    broken_since=health.broken_since if health else None,
                    last_error=health.last_error if health else None, pending=pending))
        return states

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


def _channel_alert(channel: str, failing_since: datetime, now: datetime, *, error: str | None = None,
                   recovered: bool = False) -> Alert:
    """"Channel broken" (to the other channels) or "works again" (to all)."""
    stamp = failing_since.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    if recovered:
        return Alert(kind=AlertKind.ALL_CLEAR, severity=Severity.INFO, dedupe_key=f"channel-recovered:{channel}:{stamp}",
                     title=f"Notification channel {channel!r} works again", facts={"channel": channel},
                     created_at=now)
    return Alert(kind=AlertKind.CHANNEL_BROKEN, severity=Severity.CRITICAL,
                 dedupe_key=f"channel-broken:{channel}:{stamp}",
                 title=f"Notification channel {channel!r} is broken: alerts no longer reach it",
                 facts={"channel": channel, "failing_since": failing_since.isoformat(), "error": error or ""},
                 action=SuggestedAction(kind=ActionKind.CHECK_SITE,
                                        text=f"Fix channel {channel!r} (see `dispute-agent status`), then "
                                             f"`dispute-agent notify-test {channel}`"),
                 created_at=now)
