"""The schema as it was when migrations began, and the adoption of databases made before.

A fresh database gets every table. A database made before migrations (a ``meta`` row
``schema_version = 1`` and no ``alembic_version``) may lack tables or nullable columns
added later, which the program of then added when it opened the file: this revision
adds them once more, the last time, and drops the old version row. The tables are
written out here, not taken from the models: a revision is the schema of its day.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from agent.core.errors import StorageError

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_text, _when, _money = sa.Text, sa.DateTime, sa.String(40)


def _tables(metadata: sa.MetaData) -> None:
    def table(name: str, *items) -> None:
        sa.Table(name, metadata, *items)

    def column(name: str, kind, nullable: bool = True, **extra) -> sa.Column:
        return sa.Column(name, kind, nullable=nullable, **extra)

    table("meta", column("key", sa.String(64), False, primary_key=True), column("value", _text(), False))
    table("orders",
          column("order_id", sa.String(32), False, primary_key=True), column("store_name", sa.String(200)),
          column("status", sa.String(32), False), column("status_text", sa.String(200)),
          column("placed_on", sa.Date()), column("paid_on", sa.Date()), column("shipped_on", sa.Date()),
          column("completed_on", sa.Date()), column("total_amount", _money), column("currency", sa.String(3)),
          column("buttons", _text(), False), column("reminder", _text()), column("services", _text(), False),
          column("can_open_dispute", sa.Integer()), column("detail_loaded", sa.Integer(), False),
          column("first_seen", _when(), False), column("last_seen", _when(), False))
    table("order_lines",
          column("line_id", sa.String(32), False, primary_key=True),
          column("order_id", sa.String(32), False), column("position", sa.Integer(), False),
          column("product_id", sa.String(32)), column("title", _text(), False), column("sku", _text()),
          column("unit_amount", _money), column("currency", sa.String(3)), column("quantity", sa.Integer(), False),
          column("can_open_dispute", sa.Integer()),
          sa.ForeignKeyConstraint(["order_id"], ["orders.order_id"], ondelete="CASCADE"),
          sa.Index("ix_order_lines_order_id", "order_id"))
    table("timer_observations",
          column("id", sa.Integer(), False, primary_key=True, autoincrement=True),
          column("order_id", sa.String(32), False), column("ends_at", _when(), False),
          column("source", sa.String(32), False), column("read_at", _when(), False), column("raw_text", _text()),
          column("observed_at", _when(), False),
          sa.ForeignKeyConstraint(["order_id"], ["orders.order_id"], ondelete="CASCADE"),
          sa.Index("ix_timer_observations_order_id", "order_id"))
    table("status_observations",
          column("id", sa.Integer(), False, primary_key=True, autoincrement=True),
          column("order_id", sa.String(32), False), column("status", sa.String(32), False),
          column("status_text", sa.String(200)), column("observed_at", _when(), False),
          sa.ForeignKeyConstraint(["order_id"], ["orders.order_id"], ondelete="CASCADE"),
          sa.Index("ix_status_observations_order_id", "order_id"))
    table("disputes",
          column("reverse_line_id", sa.String(32), False, primary_key=True),
          column("reverse_order_id", sa.String(32)), column("order_id", sa.String(32), False),
          column("line_id", sa.String(32), False), column("stage", sa.String(40)),
          column("opened_by_agent", sa.Integer(), False), column("opened_at", _when()),
          column("detail_json", _text()), column("previous_json", _text()), column("link", _text()),
          column("screenshot", _text()), column("first_seen", _when(), False), column("last_seen", _when(), False),
          sa.Index("ix_disputes_order_id", "order_id"), sa.Index("ix_disputes_line_id", "line_id"))
    table("dispute_intents",
          column("id", sa.Integer(), False, primary_key=True, autoincrement=True),
          column("order_id", sa.String(32), False), column("line_id", sa.String(32), False),
          column("created_at", _when(), False), column("site_created_at", _when()),
          column("status", sa.String(16), False), column("branch", sa.String(16), False),
          column("reason", sa.String(40), False), column("solution", sa.String(24), False),
          column("amount", _money, False), column("currency", sa.String(3), False),
          column("reverse_line_id", sa.String(32)), column("note", _text()),
          sa.Index("ix_dispute_intents_order_id", "order_id"), sa.Index("ix_dispute_intents_line_id", "line_id"))
    table("audit_log",
          column("id", sa.Integer(), False, primary_key=True, autoincrement=True),
          column("at", _when(), False), column("action", sa.String(40), False),
          column("outcome", sa.String(16), False), column("order_id", sa.String(32)),
          column("dispute_id", sa.String(32)), column("detail", _text(), False), column("evidence", _text()),
          sa.Index("ix_audit_log_at", "at"), sa.Index("ix_audit_log_order_id", "order_id"))
    table("alerts",
          column("dedupe_key", sa.String(255), False, primary_key=True), column("kind", sa.String(40), False),
          column("severity", sa.String(16), False), column("title", _text(), False),
          column("order_id", sa.String(32)), column("dispute_id", sa.String(32)), column("amount", sa.String(40)),
          column("currency", sa.String(3)), column("deadline", _when()), column("action", _text()),
          column("facts", _text(), False), column("link", _text()), column("screenshot", _text()),
          column("created_at", _when(), False),
          sa.Index("ix_alerts_order_id", "order_id"), sa.Index("ix_alerts_created_at", "created_at"))
    table("outbox",
          column("id", sa.Integer(), False, primary_key=True, autoincrement=True),
          column("alert_key", sa.String(255), False), column("channel", sa.String(64), False),
          column("status", sa.String(24), False), column("attempts", sa.Integer(), False),
          column("next_attempt_at", _when(), False), column("last_error", _text()),
          column("delivered_at", _when()), column("claim", sa.String(32)), column("claimed_until", _when()),
          sa.ForeignKeyConstraint(["alert_key"], ["alerts.dedupe_key"], ondelete="CASCADE"),
          sa.UniqueConstraint("alert_key", "channel"),
          sa.Index("ix_outbox_due", "status", "next_attempt_at"), sa.Index("ix_outbox_alert_key", "alert_key"))
    table("channel_health",
          column("channel", sa.String(64), False, primary_key=True),
          column("consecutive_failures", sa.Integer(), False), column("failing_since", _when()),
          column("next_attempt_at", _when()), column("broken_since", _when()), column("last_error", _text()))
    table("order_tracking",
          column("order_id", sa.String(32), False, primary_key=True), column("read_at", _when(), False),
          column("tracking_number", sa.String(64)), column("carrier", sa.String(200)), column("events", sa.Integer()),
          column("last_event_at", _when()), column("last_event", _text()), column("delivered", sa.Integer()),
          column("delivered_at", _when()),
          sa.ForeignKeyConstraint(["order_id"], ["orders.order_id"], ondelete="CASCADE"))


def upgrade() -> None:
    bind = op.get_bind()
    metadata = sa.MetaData()
    _tables(metadata)
    inspector = sa.inspect(bind)
    present = set(inspector.get_table_names())
    missing = [table for table in metadata.sorted_tables if table.name not in present]
    metadata.create_all(bind, tables=missing)
    for table in metadata.sorted_tables:
        if table in missing:
            continue
        have = {column["name"] for column in inspector.get_columns(table.name)}
        added = [column for column in table.columns if column.name not in have]
        for column in added:
            if not column.nullable:
                raise StorageError(f"has no column {table.name}.{column.name}, which this version needs and cannot "
                                   "fill in")
        if added:
            with op.batch_alter_table(table.name) as batch:
                for column in added:
                    batch.add_column(sa.Column(column.name, column.type, nullable=True))
    op.execute(sa.text("DELETE FROM meta WHERE key = 'schema_version'"))


def downgrade() -> None:
    raise NotImplementedError("the first revision is not undone: restore a backup instead")
