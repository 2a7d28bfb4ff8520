"""Each outbox row keeps the key and words of the message it goes out in (``outbox.message_key``,
``outbox.message``), written before the send (decision 0023).

A process killed between a send and its mark leaves them behind; the next delivery sends
that very message again under the same key, which the receiver can drop as a repeat.
Existing rows start at NULL: nothing recorded, worded at their next delivery as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("message_key", sa.String(64), nullable=True))
        batch.add_column(sa.Column("message", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("message")
        batch.drop_column("message_key")
