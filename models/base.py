"""Declarative base, column types and the mixins every synced table shares.

Shared by the workstation's SQLCipher cache and the central PostgreSQL, so nothing here may depend on
one engine: UUIDs use SQLAlchemy's portable ``Uuid`` and datetimes go through :class:`UTCDateTime`,
which keeps them timezone-aware on SQLite too (SQLite has no timezone type and would hand back naive
values, and a naive datetime compared with an aware one is a bug waiting for daylight saving time).
"""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, MetaData, TypeDecorator, Uuid
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import Enum as SAEnum
from uuid6 import uuid7

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_id() -> uuid.UUID:
    """A time-ordered UUIDv7, generated on the client so offline rows have their final key."""
    value: uuid.UUID = uuid7()
    return uuid.UUID(bytes=value.bytes)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC, always returns an aware datetime; rejects naive input rather than guessing a zone."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a timezone-aware one is required")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def str_enum(enum_cls: type[enum.StrEnum]) -> SAEnum:
    """Enums are stored as their string values in a VARCHAR, so adding a member needs no type migration."""
    return SAEnum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime(),
        uuid.UUID: Uuid(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
        list[dict[str, Any]]: JSON(),
        list[str]: JSON(),
    }


class Synced:
    """Columns every synced row carries (DESIGN.md, "Data model").

    ``version`` is the server's update sequence number: null until the row first reaches the server.
    ``deleted_at`` is a tombstone; synced rows are never hard-deleted.
    ``organization_id`` is the practice group the row belongs to on the central server, which sets it
    from the signed-in user and keeps organisations apart with it (row-level security). It never
    travels in a payload, so a workstation, which holds one organisation's data, leaves it empty.
    """

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True, default=new_id)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )
    version: Mapped[int | None] = mapped_column(Integer, nullable=True, default=None)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, default=None)
    organization_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True, default=None)
