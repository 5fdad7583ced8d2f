"""Alembic environment for the workstation store. The caller hands over an open connection
(``config.attributes["connection"]``) because only the store knows the SQLCipher key."""

from __future__ import annotations

from alembic import context

from models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("the ClinicDesk store runs its migrations itself; use app.store")

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
