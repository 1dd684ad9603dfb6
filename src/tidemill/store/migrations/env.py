"""Alembic environment: runs migrations on the connection handed over by tidemill.store.db."""

from __future__ import annotations

from alembic import context

from tidemill.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when alembic's own CLI is pointed here
    raise RuntimeError("run migrations through tidemill.store.db.open_database")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
