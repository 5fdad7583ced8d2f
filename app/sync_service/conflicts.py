"""Reconciling sync conflicts: what the user decides about a record changed in two places.

Nothing is ever dropped (DESIGN.md): the losing text stays in the SyncConflict row, which is marked
resolved with who resolved it and how; a reconciled clinical note is written through the notes
service, so a signed note gets an amendment (a new version with a reason) and a draft a normal save,
both of which sync as ordinary changes. These are session functions; :mod:`app.ops.conflicts` runs
each as one operation.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.services import notes
from clinicdesk.errors import NotFoundError, ValidationError
from models import ClinicalNote, SyncConflict, utcnow
from models.enums import SOAP_SECTIONS, ConflictStatus, NoteStatus
from models.registry import SYNCED_MODELS

NOTE_ENTITY = ClinicalNote.__tablename__
RECONCILED_REASON = "Reconciled a sync conflict"
#: Fields that are bookkeeping, not anybody's work: a conflict on these alone is settled silently.
BOOKKEEPING: dict[str, frozenset[str]] = {"users": frozenset({"last_login_at"})}


@dataclass(frozen=True)
class ConflictRecord:
    id: uuid.UUID
    entity: str
    record_id: uuid.UUID
    fields: list[str]
    local_values: dict[str, Any]
    server_values: dict[str, Any]
    detected_at: datetime
    status: ConflictStatus
    resolution: str | None

    @property
    def is_note(self) -> bool:
        return self.entity == NOTE_ENTITY

    def note_sections(self) -> dict[str, tuple[str, str]]:
        """Per SOAP section: (server's text, this workstation's text), for the side-by-side view."""
        server = self.server_values.get("content") or {}
        local = self.local_values.get("content") or {}
        return {
            s: (str(server.get(s, "") or ""), str(local.get(s, "") or ""))
            for s in SOAP_SECTIONS
            if isinstance(server, dict) and isinstance(local, dict)
        }


def _record(c: SyncConflict) -> ConflictRecord:
    return ConflictRecord(
        id=c.id,
        entity=c.entity,
        record_id=c.record_id,
        fields=list(c.fields or []),
        local_values=dict(c.local_values or {}),
        server_values=dict(c.server_values or {}),
        detected_at=c.detected_at,
        status=c.status,
        resolution=c.resolution,
    )


def list_conflicts(session: Session, *, include_resolved: bool = False) -> list[ConflictRecord]:
    query = select(SyncConflict).order_by(SyncConflict.detected_at)
    if not include_resolved:
        query = query.where(SyncConflict.status == ConflictStatus.OPEN)
    return [_record(c) for c in session.scalars(query)]


def _open_conflict(session: Session, conflict_id: uuid.UUID) -> SyncConflict:
    conflict = session.get(SyncConflict, conflict_id)
    if conflict is None:
        raise NotFoundError("no such sync conflict in this profile")
    if conflict.status is not ConflictStatus.OPEN:
        raise ValidationError("this conflict is already resolved")
    return conflict


def _close(session: Session, conflict: SyncConflict, resolution: str) -> ConflictRecord:
    conflict.status = ConflictStatus.RESOLVED
    conflict.resolved_at = utcnow()
    conflict.resolution = resolution[:500]
    session.flush()
    return _record(conflict)


def settle_bookkeeping(session: Session) -> int:
    """Closes conflicts on bookkeeping alone (a sign-in time written by every unlock, so one user on
    two workstations always collides on it): the server's value stays, both stay readable in the
    conflict row, and nobody is asked about it. Returns how many."""
    settled = 0
    query = select(SyncConflict).where(
        SyncConflict.status == ConflictStatus.OPEN,
        SyncConflict.entity.in_(list(BOOKKEEPING)),
        SyncConflict.resolution.is_(None),
    )
    for conflict in session.scalars(query).all():
        if conflict.fields and set(conflict.fields) <= BOOKKEEPING[conflict.entity]:
            _close(session, conflict, "kept the server's value: bookkeeping, not clinical data")
            settled += 1
    return settled


def _write_note(session: Session, note: ClinicalNote, content: dict[str, str]) -> None:
    """A draft is saved; a signed note is amended, with the reason saying why."""
    if note.status is NoteStatus.DRAFT:
        notes.save_draft(session, note.id, content)
    else:
        notes.amend_note(session, note.id, content, reason=RECONCILED_REASON)


def _conflict_note(session: Session, conflict: SyncConflict) -> ClinicalNote:
    note = session.get(ClinicalNote, conflict.record_id)
    if note is None:
        raise NotFoundError("the note of this conflict is not in this profile yet; sync first")
    return note


def reconcile_note(session: Session, conflict_id: uuid.UUID, merged: dict[str, str]) -> ConflictRecord:
    """Writes the reconciled SOAP text as the note's new content (an amendment of a signed note, a
    save of a draft) and closes the conflict; both versions stay in the conflict row."""
    conflict = _open_conflict(session, conflict_id)
    if conflict.entity != NOTE_ENTITY:
        raise ValidationError("only a clinical note conflict is reconciled by text")
    note = _conflict_note(session, conflict)
    content = {s: str(merged.get(s, "")) for s in SOAP_SECTIONS}
    if any(content[s] != str(note.content.get(s, "")) for s in SOAP_SECTIONS):
        _write_note(session, note, content)
    return _close(session, conflict, "reconciled: both texts kept, merged text saved")


def keep_server(session: Session, conflict_id: uuid.UUID) -> ConflictRecord:
    """The server's values stay; this workstation's remain readable in the conflict row."""
    conflict = _open_conflict(session, conflict_id)
    return _close(session, conflict, "kept the server's version; this workstation's is kept in the conflict")


def keep_mine(session: Session, conflict_id: uuid.UUID) -> ConflictRecord:
    """Re-applies this workstation's values as a new local change, which the next sync pushes."""
    conflict = _open_conflict(session, conflict_id)
    if conflict.entity == NOTE_ENTITY:
        local = conflict.local_values.get("content")
        if not isinstance(local, dict):
            raise ValidationError("this conflict holds no note text from this workstation")
        note = _conflict_note(session, conflict)
        _write_note(session, note, {s: str(local.get(s, "")) for s in SOAP_SECTIONS})
    else:
        model = SYNCED_MODELS.get(conflict.entity)
        row = session.get(model, conflict.record_id) if model is not None else None
        if row is None:
            raise NotFoundError("the record of this conflict is not in this profile")
        for name, value in conflict.local_values.items():
            if name in conflict.fields and hasattr(row, name):
                setattr(row, name, value)
    return _close(session, conflict, "kept this workstation's version; the server's is kept in the conflict")
