"""Tables that exist only in a workstation's encrypted cache and never sync as records."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, LargeBinary, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, new_id, str_enum, utcnow
from models.enums import ConflictStatus, OutboxOperation, OutboxStatus


class OutboxEntry(Base):
    """One local change waiting to reach the server. Written in the same transaction as the change.
    ``id`` is the idempotency key: the server applies an entry at most once, however often it is pushed.
    ``seq`` keeps the order in which changes were made. ``payload`` holds the changed fields
    (JSON-safe, see models.serialize); ``base_version`` the server version the change was based on."""

    __tablename__ = "outbox"

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True, default=new_id)
    seq: Mapped[int] = mapped_column(Integer, unique=True, index=True)
    entity: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid())
    operation: Mapped[OutboxOperation] = mapped_column(str_enum(OutboxOperation))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    base_version: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[OutboxStatus] = mapped_column(
        str_enum(OutboxStatus), default=OutboxStatus.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)


class SyncState(Base):
    """Key/value state of the sync engine: pull cursor, last successful sync, device id."""

    __tablename__ = "sync_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class SyncConflict(Base):
    """A version of a record that lost a conflict, kept aside for the user to see and reconcile."""

    __tablename__ = "sync_conflicts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True, default=new_id)
    entity: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid(), index=True)
    outbox_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), default=None)
    fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    local_values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    server_values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[ConflictStatus] = mapped_column(str_enum(ConflictStatus), default=ConflictStatus.OPEN)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    resolution: Mapped[str | None] = mapped_column(String(500), default=None)


class ProfileSecret(Base):
    """Secrets that live inside the encrypted store, such as the recording encryption key."""

    __tablename__ = "profile_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[bytes] = mapped_column(LargeBinary)


#: ``session.info`` key set by the sync engine while it applies server changes, so that applying
#: them does not queue them again as local changes.
REMOTE_APPLY = "clinicdesk.remote_apply"
#: ``session.info`` key holding the acting user's id, for audit events and history entries.
ACTOR_ID = "clinicdesk.actor_id"
