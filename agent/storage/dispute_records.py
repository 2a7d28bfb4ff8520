"""What the agent knows and did about disputes: cases, filing intents, the audit log.

Filing intents exist so that a dispute is never filed twice because of the agent:
the intent is written *before* the form is submitted, and a run that finds an
intent still "pending" (the previous process died after pressing Submit, or the site
failed to answer it) looks for the case on the site and links it instead of filing
again; only when the site has had long enough to show the case, on its own clock,
is the intent given up.

The audit log is the user's record of every action the agent took on the site, each
with the folder of its screenshots.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from agent.core.models import DisputeDetail
from agent.judge.deadlines import steady_dispute
from agent.judge.watch_state import is_finished
from agent.storage.store import Base, ExactDecimal, Store, UtcDateTime


class DisputeRow(Base):
    __tablename__ = "disputes"
    reverse_line_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    reverse_order_id: Mapped[str | None] = mapped_column(String(32))
    order_id: Mapped[str] = mapped_column(String(32), index=True)
    line_id: Mapped[str] = mapped_column(String(32), index=True)
    stage: Mapped[str | None] = mapped_column(String(40))
    opened_by_agent: Mapped[int] = mapped_column(Integer, default=0)
    opened_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    detail_json: Mapped[str | None] = mapped_column(Text)
    previous_json: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(Text)
    screenshot: Mapped[str | None] = mapped_column(Text)
    first_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime)


class IntentRow(Base):
    __tablename__ = "dispute_intents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(String(32), index=True)
    line_id: Mapped[str] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    #: the same moment on the site's clock: how long the site has had to list the case
    site_created_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: pending (about to submit) | submitted | linked (found after a crash) | abandoned
    status: Mapped[str] = mapped_column(String(16))
    branch: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(40))
    solution: Mapped[str] = mapped_column(String(24))
    amount: Mapped[Decimal] = mapped_column(ExactDecimal)
    currency: Mapped[str] = mapped_column(String(3))
    reverse_line_id: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)


class AuditRow(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    action: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(16))
    order_id: Mapped[str | None] = mapped_column(String(32), index=True)
    dispute_id: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[str | None] = mapped_column(Text)


@dataclass(frozen=True)
class Intent:
    id: int
    order_id: str
    line_id: str
    status: str
    created_at: datetime
    reverse_line_id: str | None
    #: on the site's clock (None for an intent recorded before this was kept)
    site_created_at: datetime | None = None

    @property
    def site_time(self) -> datetime:
        """When it was recorded, on the site's clock as far as known."""
        return self.site_created_at or self.created_at


@dataclass(frozen=True)
class TrackedDispute:
    reverse_line_id: str
    order_id: str
    line_id: str
    stage: str | None
    opened_by_agent: bool
    opened_at: datetime | None
    detail: DisputeDetail | None
    previous: DisputeDetail | None
    link: str | None
    screenshot: Path | None
    last_seen: datetime

    @property
    def finished(self) -> bool:
        """Over, by the one reading of "finished" the rules use (``agent.judge.watch_state.is_finished``)."""
        return self.detail is not None and is_finished(self.detail)


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    action: str
    outcome: str
    order_id: str | None
    dispute_id: str | None
    detail: str
    evidence: str | None
    #: the row's number: how the page names an entry's screenshot (never by its path)
    id: int | None = None


class CaseCover(NamedTuple):
    """The orders' disputes as the judge reads them (``DisputeRecords.case_cover``)."""

    #: the orders a dispute covers: a case read at least once and not over. One notion for
    #: two readers: the judge says nothing of such an order's timer
    #: (``agent.judge.rules.order_alerts``, through ``agent.usecases.poll.watch_state``), so
    #: the sync need not read its page again (``agent.judge.detail_rule``). An order the sync
    #: skipped whose case ends in the same poll is not judged on its old page: the judge
    #: waits for a page read after the case ended (``ended``).
    covered: set[str]
    #: the orders whose cases are all over, each with the last time one of them was read
    #: (the store's clock; an ended case is not read again): a page of the order read after
    #: it says whether the site lets another dispute be opened (decision 0027)
    ended: dict[str, datetime]


class DisputeRecords:
    """Dispute-side tables of the agent's store; ``now`` is the injected clock, the store's by
    default (a case's times are compared with its order's, ``CaseCover.ended``)."""

    def __init__(self, store: Store, now: Callable[[], datetime] | None = None) -> None:
        self.store = store
        self._now = now or store.now

    # --- intents ---------------------------------------------------------------------

    def record_intent(self, *, order_id: str, line_id: str, branch: str, reason: str, solution: str,
                      amount: Decimal, currency: str, site_time: datetime | None = None) -> int:
        with self.store.transaction() as session:
            row = IntentRow(order_id=order_id, line_id=line_id, created_at=self._now(), site_created_at=site_time,
                            status="pending", branch=branch, reason=reason, solution=solution, amount=amount,
                            currency=currency)
            session.add(row)
            session.flush()
            return row.id

    def mark_intent(self, intent_id: int, status: str, reverse_line_id: str | None = None,
                    note: str | None = None) -> None:
        with self.store.transaction() as session:
            row = session.get(IntentRow, intent_id)
            row.status = status
            row.reverse_line_id = reverse_line_id or row.reverse_line_id
            row.note = note or row.note

    def intents_for_line(self, line_id: str, status: str | None = None) -> list[Intent]:
        with self.store.transaction() as session:
            query = select(IntentRow).where(IntentRow.line_id == line_id)
            if status is not None:
                query = query.where(IntentRow.status == status)
            return [Intent(r.id, r.order_id, r.line_id, r.status, r.created_at, r.reverse_line_id, r.site_created_at)
                    for r in session.scalars(query.order_by(IntentRow.id))]

    # --- cases ---------------------------------------------------------------------------

    def save_dispute(self, detail: DisputeDetail, *, link: str | None = None, screenshot: Path | None = None,
                     opened_by_agent: bool | None = None, opened_at: datetime | None = None) -> None:
        """Record the latest reading of a case, keeping the one before it for comparison."""
        now = self._now()
        with self.store.transaction() as session:
            row = session.get(DisputeRow, detail.reverse_line_id)
            if row is None:
                row = DisputeRow(reverse_line_id=detail.reverse_line_id, first_seen=now, opened_by_agent=0)
                session.add(row)
            # a deadline read again keeps its first reading, so its alerts keep their keys
            known = DisputeDetail.model_validate_json(row.detail_json) if row.detail_json else None
            detail = steady_dispute(detail, known)
            new_json = detail.model_dump_json()
            if row.detail_json is not None and row.detail_json != new_json:
                row.previous_json = row.detail_json
            row.detail_json = new_json
            row.reverse_order_id = detail.reverse_order_id
            row.order_id = detail.trade_order_id
            row.line_id = detail.trade_line_id
            row.stage = detail.stage.value
            row.last_seen = now
            row.link = link or row.link
            row.screenshot = str(screenshot) if screenshot else row.screenshot
            if opened_by_agent is not None:
                row.opened_by_agent = int(opened_by_agent or row.opened_by_agent)
            if opened_at is not None and row.opened_at is None:
                row.opened_at = opened_at

    def disputes(self) -> list[TrackedDispute]:
        with self.store.transaction() as session:
            return [self._tracked(row) for row in session.scalars(select(DisputeRow))]

    def case_cover(self) -> CaseCover:
        """Which orders a dispute covers and which had their disputes end, in one read of
        the cases (see ``CaseCover``)."""
        covered: set[str] = set()
        ended: dict[str, datetime] = {}
        with self.store.transaction() as session:
            rows = session.execute(select(DisputeRow.order_id, DisputeRow.detail_json, DisputeRow.last_seen)
                                   .where(DisputeRow.detail_json.is_not(None)))
            for order_id, detail_json, last_seen in rows:
                if is_finished(DisputeDetail.model_validate_json(detail_json)):
                    ended[order_id] = max(last_seen, ended.get(order_id, last_seen))
                else:
                    covered.add(order_id)
        return CaseCover(covered, {order_id: at for order_id, at in ended.items() if order_id not in covered})

    def by_order(self) -> dict[str, list[TrackedDispute]]:
        """The disputes by order id (an order can have one per item), for the order views."""
        found: dict[str, list[TrackedDispute]] = {}
        for tracked in self.disputes():
            found.setdefault(tracked.order_id, []).append(tracked)
        return found

    def dispute(self, reverse_line_id: str) -> TrackedDispute | None:
        with self.store.transaction() as session:
            row = session.get(DisputeRow, reverse_line_id)
            return self._tracked(row) if row else None

    @staticmethod
    def _tracked(row: DisputeRow) -> TrackedDispute:
        def load(text: str | None) -> DisputeDetail | None:
            return DisputeDetail.model_validate_json(text) if text else None

        return TrackedDispute(
            reverse_line_id=row.reverse_line_id, order_id=row.order_id, line_id=row.line_id, stage=row.stage,
            opened_by_agent=bool(row.opened_by_agent), opened_at=row.opened_at, detail=load(row.detail_json),
            previous=load(row.previous_json), link=row.link,
            screenshot=Path(row.screenshot) if row.screenshot else None, last_seen=row.last_seen,
        )

    # --- audit log -------------------------------------------------------------------------

    def audit(self, action: str, outcome: str, *, order_id: str | None = None, dispute_id: str | None = None,
              detail: str = "", evidence: Path | None = None) -> None:
        with self.store.transaction() as session:
            session.add(AuditRow(at=self._now(), action=action, outcome=outcome, order_id=order_id,
                                 dispute_id=dispute_id, detail=detail, evidence=str(evidence) if evidence else None))

    def audit_entries(self, order_id: str | None = None) -> list[AuditEntry]:
        with self.store.transaction() as session:
            query = select(AuditRow).order_by(AuditRow.at, AuditRow.id)
            if order_id is not None:
                query = query.where(AuditRow.order_id == order_id)
            return [AuditEntry(r.at, r.action, r.outcome, r.order_id, r.dispute_id, r.detail, r.evidence, r.id)
                    for r in session.scalars(query)]
