"""Server-side audit trail: every change and every read of patient data writes an AuditEvent.

Each event belongs to the organisation of the user it is about (None only for sign-in attempts on
usernames that do not exist). The service's own role may add events and never change them."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, insert

from models import AuditEvent, new_id

_table = AuditEvent.__table__
assert isinstance(_table, Table)
AUDIT_TABLE: Table = _table


def audit_row(
    *,
    user_id: uuid.UUID | None,
    organization_id: uuid.UUID | None,
    action: str,
    resource_type: str,
    resource_id: uuid.UUID | None = None,
    old_values: Mapping[str, Any] | None = None,
    new_values: Mapping[str, Any] | None = None,
    reason: str | None = None,
    device_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "id": new_id(),
        "created_at": now,
        "updated_at": now,
        "version": None,
        "deleted_at": None,
        "user_id": user_id,
        "action": action,
        "resource_type": resource_type,
        "resource_id": resource_id,
        "old_values": dict(old_values) if old_values is not None else None,
        "new_values": dict(new_values) if new_values is not None else None,
        "reason": reason,
        "workstation": str(device_id) if device_id else None,
        "session_id": None,
        "at": now,
        "organization_id": organization_id,
    }


def write_audit(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(AUDIT_TABLE), rows)


def write_event(conn: Connection, **fields: Any) -> None:
    """One event (the arguments of :func:`audit_row`), written at once."""
    write_audit(conn, [audit_row(**fields)])
