"""How Alembic reaches the database: the connection ``agent.storage.schema`` hands over.

Batch mode (``render_as_batch``) because SQLite alters a table by copying it: a
revision written with ``op.batch_alter_table`` works on SQLite and PostgreSQL alike.
Without a handed-over connection (a maintainer running ``alembic`` by hand), the URL
of the Config's ``sqlalchemy.url`` is used.
"""

from __future__ import annotations

from alembic import context

from agent.storage.schema import model_metadata


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=model_metadata(), render_as_batch=True,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


_given = context.config.attributes.get("connection")
if _given is not None:
    _run(_given)
else:
    from sqlalchemy import create_engine

    _engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
    with _engine.connect() as _connection:
        _run(_connection)
    _engine.dispose()
