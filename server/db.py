"""PostgreSQL engine and the schema the server runs on: the shared models plus its own tables."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine

from models import Base
from models.local import OutboxEntry, ProfileSecret, SyncConflict, SyncState
from server.tables import server_metadata

ALL_METADATA = (Base.metadata, server_metadata)
#: Tables of the shared metadata that only a workstation's store has: never part of the server's schema.
LOCAL_ONLY_TABLES = frozenset(
    str(model.__tablename__) for model in (OutboxEntry, SyncState, SyncConflict, ProfileSecret)
)


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
    # hide_parameters: a failing statement's error never echoes patient values into a log.
    return create_engine(
        sqlalchemy_url(url),
        hide_parameters=True,
        pool_size=pool_size,
        max_overflow=pool_size * 2,
        pool_pre_ping=True,
        pool_recycle=1800,
    )
