"""Audit trail writer. Explicit calls rather than a flush hook, because reads must be audited too and
only the service knows why something happened."""

from __future__ import annotations

import socket
import uuid
from typing import Any

from sqlalchemy.orm import Session

from models import AuditEvent, utcnow
from models.local import ACTOR_ID

#: one id per running process, so a reviewer can group one sitting's events
PROCESS_SESSION_ID = uuid.uuid4().hex
WORKSTATION = socket.gethostname()[:120]


def actor_of(session: Session) -> uuid.UUID | None:
    actor = session.info.get(ACTOR_ID)
    return actor if isinstance(actor, uuid.UUID) else None


def record(
    session: Session,
    *,
    action: str,
    resource_type: str,
    resource_id: uuid.UUID | None,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
    reason: str | None = None,
) -> AuditEvent:
    event = AuditEvent(
        user_id=actor_of(session),
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        old_values=old,
        new_values=new,
        reason=reason,
        workstation=WORKSTATION,
        session_id=PROCESS_SESSION_ID,
        at=utcnow(),
    )
    session.add(event)
    return event
