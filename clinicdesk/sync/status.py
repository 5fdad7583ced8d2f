"""What the UI shows about sync, and the JSON summary of one run."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


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
