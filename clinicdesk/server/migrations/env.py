"""Alembic environment for the central PostgreSQL: the shared models plus the server's own tables."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection

from clinicdesk.server.db import ALL_METADATA, in_server_schema, make_engine

config = context.config
target_metadata = list(ALL_METADATA)


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Leave the workstation-only tables (and their indexes) out of the server's schema."""
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return table is None or in_server_schema(str(table))


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
