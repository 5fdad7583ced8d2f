"""Alembic environment for the central PostgreSQL: the shared models plus the server's own tables."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from server.db import ALL_METADATA, include_object, make_engine

config = context.config
target_metadata = list(ALL_METADATA)


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "", pool_size=1)
    with engine.connect() as conn:
        run(conn)
    engine.dispose()
