"""The database's schema history: Alembic revisions shipped inside the package.

Why in the package and not beside it: an installed agent (a wheel, the container) has no
checkout and no ``alembic.ini``; ``agent.storage.schema`` runs these revisions with a Config made
in code. ``HEAD`` is read by every store that opens, so it lives here, free of Alembic:
a store at ``HEAD`` never imports it (``tests/unit/test_migrations.py`` holds ``HEAD``
equal to the newest revision).
"""

#: the newest revision in ``versions/``
HEAD = "0004"
