"""Each order keeps when its detail page was last read (``orders.detail_read_at``).

A dispute that ended no longer silences its order's protection warnings: only a page of
the order read after the case ended says whether the site lets another dispute be opened
(decision 0027). Existing rows start at NULL, read as "not read since": such an order is
read once more by the next poll before anything is said of it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("detail_read_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("detail_read_at")
