"""The audit trail. Append-only: the store installs triggers that refuse UPDATE and DELETE."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Synced


class AuditEvent(Synced, Base):
    """Who did what to which record, when, from where. ``old_values``/``new_values`` hold only the
    changed fields. Reads are audited too (action "read"), as privacy law expects."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_resource", "resource_type", "resource_id"),)

    user_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    action: Mapped[str] = mapped_column(String(32))
    resource_type: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    old_values: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    new_values: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    reason: Mapped[str | None] = mapped_column(String(500), default=None)
    workstation: Mapped[str | None] = mapped_column(String(120), default=None)
    session_id: Mapped[str | None] = mapped_column(String(64), default=None)
    at: Mapped[datetime]
