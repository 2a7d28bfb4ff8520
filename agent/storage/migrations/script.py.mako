"""${message}

Revision ${up_revision}, after ${down_revision | comma,n}. Write changes to an existing
table inside ``op.batch_alter_table`` (SQLite copies the table), and set ``HEAD`` in
``agent/storage/migrations/__init__.py`` to this revision.
"""

from alembic import op
import sqlalchemy as sa
${imports if imports else ""}

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = ${repr(branch_labels)}
depends_on = ${repr(depends_on)}


def upgrade() -> None:
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    ${downgrades if downgrades else "pass"}
