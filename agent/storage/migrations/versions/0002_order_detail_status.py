"""Each order keeps the status its last detail page showed (``orders.detail_status``).

A sync reads an order's page again only when something about it can still change
(``agent.judge.detail_rule``); a status that differs from what its page last showed is
one such change. Existing rows start at NULL, which the rule reads as "read it".
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("detail_status", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("detail_status")
