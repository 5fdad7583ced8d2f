"""What the UI shows about sync, and the JSON summary of one run."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import OutboxEntry, SyncConflict, SyncState
from models.enums import ConflictStatus, OutboxStatus

# SyncState keys the status reads (the engine keeps the rest)
REFRESH_TOKEN = "refresh_token"
USERNAME = "username"
LAST_SUCCESS = "last_success_at"
LAST_ERROR = "last_error"
ONLINE = "online"


@dataclass(frozen=True)
class SyncStatus:
    online: bool
    last_success_at: datetime | None
    pending_changes: int
    open_conflicts: int
    last_error: str | None
    signed_in_as: str | None


@dataclass
class SyncReport:
    pushed: int = 0
    applied: int = 0
    conflicts: int = 0
    rejected: int = 0
    pulled: int = 0
    #: recordings whose audio was uploaded in this run
    uploaded: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        return data


def _state(session: Session, key: str) -> str | None:
    row = session.get(SyncState, key)
    return row.value if row is not None else None


def read_status(session: Session) -> SyncStatus:
    """What the status bar shows, read from the local store alone: it needs no server or sign-in."""
    pending = session.execute(
        select(func.count()).select_from(OutboxEntry).where(OutboxEntry.status == OutboxStatus.PENDING)
    ).scalar_one()
    conflicts = session.execute(
        select(func.count()).select_from(SyncConflict).where(SyncConflict.status == ConflictStatus.OPEN)
    ).scalar_one()
    last = _state(session, LAST_SUCCESS)
    return SyncStatus(
        online=_state(session, ONLINE) == "1",
        last_success_at=datetime.fromisoformat(last) if last else None,
        pending_changes=int(pending),
        open_conflicts=int(conflicts),
        last_error=_state(session, LAST_ERROR),
        signed_in_as=_state(session, USERNAME) if _state(session, REFRESH_TOKEN) else None,
    )
