"""Alembic environment: migrations run on the connection the store hands over."""

from __future__ import annotations

from alembic import context

from proscribe.store import audit, book, casework, ledger, licenses  # noqa: F401  (their tables)
from proscribe.store.schema import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when alembic is run by hand
    raise RuntimeError("run migrations through proscribe.store.db.migrate()")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
