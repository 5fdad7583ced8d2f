"""PostgreSQL engines and the schema the server runs on: the shared models plus its own tables.

Two engines over one database. The *owner* engine (the configured login, which owns the tables)
migrates, signs users in and reserves update sequence numbers: work that must see every
organisation. The *data* engine runs every read and write of records: each of its connections
switches to :data:`APP_ROLE`, a role that owns nothing and does not bypass row-level security, and
each transaction names its organisation (:func:`scope`). PostgreSQL then shows and accepts only that
organisation's rows, whatever a query forgets to filter: the second wall behind the service's own
filters. A transaction that names no organisation sees no records at all.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, func, select

from models import Base
from models.local import OutboxEntry, ProfileSecret, SyncConflict, SyncState
from server.tables import server_metadata

ALL_METADATA = (Base.metadata, server_metadata)
#: Tables of the shared metadata that only a workstation's store has: never part of the server's schema.
LOCAL_ONLY_TABLES = frozenset(
    str(model.__tablename__) for model in (OutboxEntry, SyncState, SyncConflict, ProfileSecret)
)
#: The role the data engine acts as (made by migration 0005). Row-level security does not apply to
#: a table's owner or to a superuser, so the service must not read records as either.
APP_ROLE = "clinicdesk_app"
#: The setting that names a transaction's organisation; the row-level security policies read it.
ORG_SETTING = "clinicdesk.organization"


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic's filter: the workstation-only tables (and their indexes) are not the server's."""
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return table is None or str(table) not in LOCAL_ONLY_TABLES


def sqlalchemy_url(url: str) -> str:
    """Accept the usual ``postgresql://`` URL and pick the psycopg 3 driver for it."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """The owner engine: migrations, accounts, sequence numbers. Sees every organisation."""
    # hide_parameters: a failing statement's error never echoes patient values into a log.
    return create_engine(
        sqlalchemy_url(url),
        hide_parameters=True,
        pool_size=pool_size,
        max_overflow=pool_size * 2,
        pool_pre_ping=True,
        pool_recycle=1800,
    )


def make_data_engine(url: str, *, pool_size: int = 10) -> Engine:
    """The data engine: every connection acts as :data:`APP_ROLE`, so row-level security applies."""
    engine = make_engine(url, pool_size=pool_size)

    @event.listens_for(engine, "connect")
    def _act_as_app_role(dbapi_conn: Any, _record: Any) -> None:
        # Session-wide, and committed at once: a rollback of the first transaction must not undo it.
        with dbapi_conn.cursor() as cur:
            cur.execute(f"SET ROLE {APP_ROLE}")
        dbapi_conn.commit()

    return engine


def scope(conn: Connection, organization_id: uuid.UUID) -> None:
    """Name the organisation of the transaction ``conn`` is in; it ends with the transaction, so a
    pooled connection never carries one request's organisation into the next."""
    conn.execute(select(func.set_config(ORG_SETTING, str(organization_id), True)))
