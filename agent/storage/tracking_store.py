"""Each order's parcel as its tracking page last showed it: one row per order.

Why one row, overwritten: the rules need only the latest reading (when the newest event
was, whether the parcel was delivered); the events themselves stay on the site. The
reading time is kept so a poll reads an order's tracking again only when the policy's
interval has passed (``agent.usecases.tracking_watch``). A table of its own, declared on the
store's ``Base`` (made by the first revision in ``agent/storage/migrations/``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from agent.core.models import TrackingInfo
from agent.judge.watch_state import TrackingView
from agent.storage.store import Base, Store, UtcDateTime

__all__ = ["TrackingRow", "load_tracking", "save_tracking"]


class TrackingRow(Base):
    __tablename__ = "order_tracking"
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.order_id", ondelete="CASCADE"), primary_key=True)
    read_at: Mapped[datetime] = mapped_column(UtcDateTime)
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    carrier: Mapped[str | None] = mapped_column(String(200))
    events: Mapped[int | None] = mapped_column(Integer)
    last_event_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_event: Mapped[str | None] = mapped_column(Text)
    delivered: Mapped[int | None] = mapped_column(Integer)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


def save_tracking(store: Store, order_id: str, info: TrackingInfo, read_at: datetime) -> TrackingView:
    """Keep ``info`` as the order's latest tracking, read at ``read_at`` (the site's clock)."""
    dated = [event for event in info.events if event.at is not None]
    newest = max(dated, key=lambda event: event.at) if dated else (info.events[0] if info.events else None)
    view = TrackingView(read_at=read_at, tracking_number=info.tracking_number, carrier=info.carrier,
                        events=len(info.events), last_event_at=newest.at if newest else None,
                        last_event=(newest.name or newest.description) if newest else None,
                        delivered=info.delivered, delivered_at=info.delivered_at)
    with store.transaction() as session:
        row = session.get(TrackingRow, order_id) or TrackingRow(order_id=order_id)
        row.read_at, row.tracking_number, row.carrier = view.read_at, view.tracking_number, view.carrier
        row.events, row.last_event_at, row.last_event = view.events, view.last_event_at, view.last_event
        row.delivered, row.delivered_at = int(view.delivered), view.delivered_at
        session.merge(row)
    return view


def load_tracking(store: Store) -> dict[str, TrackingView]:
    """Every order's latest tracking, by order id."""
    with store.transaction() as session:
        rows = session.scalars(select(TrackingRow)).all()
        return {row.order_id: TrackingView(read_at=row.read_at, tracking_number=row.tracking_number,
                                           carrier=row.carrier, events=row.events or 0,
                                           last_event_at=row.last_event_at, last_event=row.last_event,
                                           delivered=bool(row.delivered), delivered_at=row.delivered_at)
                for row in rows}
