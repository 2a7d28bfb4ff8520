"""The agent's memory: orders, their lines, and every observation of status and timer.

SQLite in WAL mode by default (one file in the state directory), through SQLAlchemy
so a PostgreSQL URL works too. Observations are appended, never overwritten: a
protection timer that jumps (a seller extension, a page that changed) stays visible
in the history. Every sync writes in one transaction, so a crash leaves the last good
state. The schema is brought up to date when a store is opened (``agent.storage.schema``:
Alembic revisions, a backup taken before any of them changes an existing database).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    create_engine,
    event,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
    sessionmaker,
)
from sqlalchemy.types import TypeDecorator

from agent.core.clock import system_now
from agent.core.models import (
    Order,
    OrderLine,
    OrderStatus,
    ProtectionTimer,
    TimerSource,
)
from agent.core.money import Money
from agent.core.state_errors import database_error, database_path_problem, file_error
from agent.judge.deadlines import DEADLINE_JITTER
from agent.storage.private_files import private_dir, private_file

#: how long a command waits for another writer (the daemon) before it gives up, in seconds
BUSY_TIMEOUT_S = 10.0
#: a countdown read twice gives ends seconds or minutes apart: the same timer (one rule for every deadline)
TIMER_JITTER = DEADLINE_JITTER


class UtcDateTime(TypeDecorator):
    """Stores aware datetimes as UTC and gives them back aware (SQLite keeps no zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: give a timezone")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return value.replace(tzinfo=UTC) if value is not None else None


class ExactDecimal(TypeDecorator):
    """A Decimal kept exactly, as text: SQLite has no decimal type (SQLAlchemy's Numeric
    goes through a float and a fixed scale, so 1.235 KWD came back as 1.24).

    Databases made before keep their NUMERIC columns; SQLite may hand those back as
    numbers, which are read through their shortest text form (1.235, not 1.2349999…).
    """

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"money is stored from Decimal only, got {type(value).__name__}")
        return format(value, "f")

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return Decimal(value if isinstance(value, str) else repr(value))


class Base(DeclarativeBase):
    pass


class Meta(Base):
    """Small facts kept by key (the site clock's offset, the last sync, the poll's health)."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class OrderRow(Base):
    __tablename__ = "orders"
    order_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    store_name: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(32))
    status_text: Mapped[str | None] = mapped_column(String(200))
    placed_on: Mapped[date | None] = mapped_column(Date)
    paid_on: Mapped[date | None] = mapped_column(Date)
    shipped_on: Mapped[date | None] = mapped_column(Date)
    completed_on: Mapped[date | None] = mapped_column(Date)
    total_amount: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    currency: Mapped[str | None] = mapped_column(String(3))
    buttons: Mapped[str] = mapped_column(Text, default="")
    reminder: Mapped[str | None] = mapped_column(Text)
    services: Mapped[str] = mapped_column(Text, default="")
    can_open_dispute: Mapped[int | None] = mapped_column(Integer)
    detail_loaded: Mapped[int] = mapped_column(Integer, default=0)
    #: the status the last detail page showed (``agent.judge.detail_rule``: a status not read yet is read)
    detail_status: Mapped[str | None] = mapped_column(String(32))
    #: when a detail page of it was last read (the store's clock): after a dispute of it ended,
    #: only a page read since says whether another can be opened (``agent.judge.rules``)
    detail_read_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    first_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    lines: Mapped[list[LineRow]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="LineRow.position"
    )


class LineRow(Base):
    __tablename__ = "order_lines"
    line_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.order_id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[str | None] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(Text)
    sku: Mapped[str | None] = mapped_column(Text)
    unit_amount: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    currency: Mapped[str | None] = mapped_column(String(3))
    quantity: Mapped[int] = mapped_column(Integer)
    can_open_dispute: Mapped[int | None] = mapped_column(Integer)
    order: Mapped[OrderRow] = relationship(back_populates="lines")


class TimerObservation(Base):
    __tablename__ = "timer_observations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.order_id", ondelete="CASCADE"), index=True)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    source: Mapped[str] = mapped_column(String(32))
    read_at: Mapped[datetime] = mapped_column(UtcDateTime)
    raw_text: Mapped[str | None] = mapped_column(Text)
    observed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class StatusObservation(Base):
    __tablename__ = "status_observations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.order_id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(32))
    status_text: Mapped[str | None] = mapped_column(String(200))
    observed_at: Mapped[datetime] = mapped_column(UtcDateTime)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
    cursor.close()


def database_url(path_or_url: str | Path) -> str:
    given = str(path_or_url)
    return given if "://" in given else f"sqlite:///{given}"


class Store:
    """Open with a file path (SQLite) or a SQLAlchemy URL; ``now`` is the injected clock."""

    def __init__(self, path_or_url: str | Path, now: Callable[[], datetime] | None = None, *,
                 read_only: bool = False) -> None:
        """``read_only``: a SQLite file is read into memory (``agent.storage.store_snapshot``), never written."""
        url = database_url(path_or_url)
        file = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
        self.where = str(file) if file is not None else url.split("@")[-1]  # never a password
        self.read_only = read_only and file is not None
        problem = database_path_problem(file) if file is not None else None
        if problem is not None:
            raise problem
        try:
            if self.read_only:
                from agent.storage.store_snapshot import snapshot_engine

                self.engine: Engine = snapshot_engine(file, BUSY_TIMEOUT_S)
            else:
                if file is not None:
                    private_dir(file.parent)
                self.engine = create_engine(url)
        except OSError as error:
            raise file_error(error) from error
        except sqlite3.Error as error:
            raise database_error(error, self.where, BUSY_TIMEOUT_S) or error
        event.listen(self.engine, "handle_error", self._storage_error)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.now: Callable[[], datetime] = now or system_now
        self.upgrade()
        if file is not None and not self.read_only:  # SQLite creates it with the umask; -wal and -shm copy it
            private_file(file)

    def _storage_error(self, context) -> None:
        """Every SQLite failure of the machine (damaged, locked, full, read-only) names this database."""
        error = database_error(context.original_exception, self.where, BUSY_TIMEOUT_S)
        if error is not None:
            raise error from context.original_exception

    def check_writable(self) -> None:
        """Fail now, before any work on the site, if a write would fail later (locked, read-only):
        a row is written and rolled back, so the database is left unchanged."""
        with self.engine.connect() as connection:
            connection.execute(Meta.__table__.insert().values(key="write-check", value=""))
            connection.rollback()

    def close(self) -> None:
        self.engine.dispose()

    # --- schema ------------------------------------------------------------------------

    def schema_version(self) -> str | None:
        """The database's schema revision (``agent.storage.migrations.HEAD`` once opened)."""
        from agent.storage.schema import stored_revision

        with self.engine.connect() as connection:
            return stored_revision(connection)

    def upgrade(self) -> None:
        """Bring the database to this program's schema (``agent.storage.schema``); at once when it is there."""
        from agent.storage.schema import ensure_schema

        file = Path(self.engine.url.database) if self.engine.url.get_backend_name() == "sqlite" and \
            self.engine.url.database not in (None, "", ":memory:") else None
        ensure_schema(self.engine, self.where, file, in_memory=self.read_only)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    # --- small facts (site clock offset, last sync) ------------------------------------

    def get_meta(self, key: str) -> str | None:
        with self.transaction() as session:
            row = session.get(Meta, key)
            return row.value if row is not None else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as session:
            session.merge(Meta(key=key, value=value))

    # --- orders ------------------------------------------------------------------------

    def save_orders(self, orders: list[Order]) -> None:
        """Record one sync's orders together: all of them or, on a crash, none."""
        observed = self.now()
        with self.transaction() as session:
            for order in orders:
                self._save_order(session, order, observed)

    def _save_order(self, session: Session, order: Order, observed: datetime) -> None:
        row = session.get(OrderRow, order.order_id)
        if row is None:
            row = OrderRow(order_id=order.order_id, first_seen=observed)
            session.add(row)
        previous_status = row.status
        row.last_seen = observed
        row.store_name = order.store_name
        row.status = order.status.value
        row.status_text = order.status_text
        row.buttons = ",".join(order.buttons)
        row.total_amount = order.total.amount if order.total else None
        row.currency = order.total.currency if order.total else row.currency
        row.placed_on = order.placed_on or row.placed_on
        # a list row knows less than a detail page: keep what a detail read taught us
        if order.detail_loaded or not row.detail_loaded:
            row.paid_on = order.paid_on
            row.shipped_on = order.shipped_on
            row.completed_on = order.completed_on
            row.reminder = order.reminder
            row.services = "\n".join(order.services)
            row.can_open_dispute = _tri(order.can_open_dispute)
        row.detail_loaded = int(bool(order.detail_loaded or row.detail_loaded))
        if order.detail_loaded:
            row.detail_status = order.status.value
            row.detail_read_at = observed
        if order.detail_loaded or not row.lines:
            known = {line.line_id: line for line in row.lines}
            row.lines = [self._line_row(known.get(line.line_id), line, index)
                         for index, line in enumerate(order.lines)]
        if previous_status != row.status:
            session.add(StatusObservation(order_id=order.order_id, status=row.status,
                                          status_text=order.status_text, observed_at=observed))
        if order.timer is not None:
            self._observe_timer(session, order.order_id, order.timer, observed)

    @staticmethod
    def _observe_timer(session: Session, order_id: str, timer: ProtectionTimer, observed: datetime) -> None:
        """A new row only when the timer's end moved (or its source changed); otherwise the
        latest row is confirmed in place, so a daily sync of a quiet account adds nothing."""
        latest = session.scalars(
            select(TimerObservation).where(TimerObservation.order_id == order_id)
            .order_by(TimerObservation.observed_at.desc(), TimerObservation.id.desc()).limit(1)
        ).first()
        if (latest is not None and latest.source == timer.source.value
                and abs(latest.ends_at - timer.ends_at) <= TIMER_JITTER):
            latest.read_at, latest.raw_text = timer.read_at, timer.raw_text
            return
        session.add(TimerObservation(
            order_id=order_id, ends_at=timer.ends_at, source=timer.source.value,
            read_at=timer.read_at, raw_text=timer.raw_text, observed_at=observed,
        ))

    @staticmethod
    def _line_row(row: LineRow | None, line: OrderLine, position: int) -> LineRow:
        row = row or LineRow(line_id=line.line_id)
        row.position = position
        row.product_id = line.product_id
        row.title = line.title
        row.sku = line.sku
        row.unit_amount = line.unit_price.amount if line.unit_price else None
        row.currency = line.unit_price.currency if line.unit_price else None
        row.quantity = line.quantity
        row.can_open_dispute = _tri(line.can_open_dispute)
        return row

    def orders(self) -> list[StoredOrder]:
        """Every order with its histories, in four queries whatever the number of orders
        (one per order made a daily poll of a large account slow); the rows are let go
        of as soon as they are turned into models."""
        from sqlalchemy.orm import selectinload

        with self.transaction() as session:
            timers: dict[str, list[TimerObservation]] = {}
            for t in session.scalars(select(TimerObservation)
                                     .order_by(TimerObservation.observed_at, TimerObservation.id)):
                timers.setdefault(t.order_id, []).append(t)
            statuses: dict[str, list[StatusObservation]] = {}
            for s in session.scalars(select(StatusObservation)
                                     .order_by(StatusObservation.observed_at, StatusObservation.id)):
                statuses.setdefault(s.order_id, []).append(s)
            rows = session.scalars(select(OrderRow).options(selectinload(OrderRow.lines))).all()
            found = [self._stored_from(row, timers.get(row.order_id, []), statuses.get(row.order_id, []))
                     for row in rows]
            session.expunge_all()
            return found

    def order(self, order_id: str) -> StoredOrder | None:
        with self.transaction() as session:
            row = session.get(OrderRow, order_id)
            return self._stored(session, row) if row is not None else None

    def _stored(self, session: Session, row: OrderRow) -> StoredOrder:
        timers = session.scalars(
            select(TimerObservation).where(TimerObservation.order_id == row.order_id)
            .order_by(TimerObservation.observed_at, TimerObservation.id)
        ).all()
        statuses = session.scalars(
            select(StatusObservation).where(StatusObservation.order_id == row.order_id)
            .order_by(StatusObservation.observed_at, StatusObservation.id)
        ).all()
        return self._stored_from(row, list(timers), list(statuses))

    def _stored_from(self, row: OrderRow, timers: list[TimerObservation],
                     statuses: list[StatusObservation]) -> StoredOrder:
        history = [ProtectionTimer(ends_at=t.ends_at, source=TimerSource(t.source), read_at=t.read_at,
                                   raw_text=t.raw_text) for t in timers]
        return StoredOrder(
            order=self._order_model(row, history[-1] if history else None),
            first_seen=row.first_seen,
            last_seen=row.last_seen,
            timer_history=[(t.observed_at, timer) for t, timer in zip(timers, history)],
            status_history=[(s.observed_at, s.status, s.status_text) for s in statuses],
            detail_read_at=row.detail_read_at,
        )

    @staticmethod
    def _order_model(row: OrderRow, timer: ProtectionTimer | None) -> Order:
        def money(amount: Decimal | None, currency: str | None) -> Money | None:
            return Money(amount=amount, currency=currency) if amount is not None and currency else None

        return Order(
            order_id=row.order_id,
            store_name=row.store_name,
            status=OrderStatus(row.status),
            status_text=row.status_text,
            placed_on=row.placed_on,
            paid_on=row.paid_on,
            shipped_on=row.shipped_on,
            completed_on=row.completed_on,
            total=money(row.total_amount, row.currency),
            lines=[OrderLine(line_id=line.line_id, product_id=line.product_id, title=line.title,
                             sku=line.sku, unit_price=money(line.unit_amount, line.currency),
                             quantity=line.quantity, can_open_dispute=_bool(line.can_open_dispute))
                   for line in row.lines],
            buttons=[b for b in row.buttons.split(",") if b],
            timer=timer,
            timers=[timer] if timer else [],
            services=[s for s in row.services.split("\n") if s],
            reminder=row.reminder,
            site_time=timer.read_at if timer else row.last_seen,
            detail_loaded=bool(row.detail_loaded),
            can_open_dispute=_bool(row.can_open_dispute),
        )


class StoredOrder:
    """An order as last seen, with when it was first/last seen (and its page last read) and
    its histories."""

    def __init__(self, order: Order, first_seen: datetime, last_seen: datetime,
                 timer_history: list[tuple[datetime, ProtectionTimer]],
                 status_history: list[tuple[datetime, str, str | None]],
                 detail_read_at: datetime | None = None) -> None:
        self.order = order
        self.first_seen = first_seen
        self.last_seen = last_seen
        self.detail_read_at = detail_read_at
        self.timer_history = timer_history
        self.status_history = status_history


def _tri(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _bool(value: int | None) -> bool | None:
    return None if value is None else bool(value)
