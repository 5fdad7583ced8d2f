from __future__ import annotations

import uuid

from fastapi import APIRouter, HTTPException
from sqlalchemy import select

from models import ClinicalNote
from server.api.deps import CurrentUser, ServicesDep
from server.permissions import can_read_note_text
from server.services.audit import audit_row, write_audit
from server.tables import document_versions
from sync.protocol import NoteHistory, NoteRevision

router = APIRouter(tags=["notes"])


@router.get("/notes/{note_id}/history", response_model=NoteHistory)
def note_history(note_id: uuid.UUID, who: CurrentUser, services: ServicesDep) -> NoteHistory:
    """Every committed version of a note's text and every conflict revision kept for the author."""
    if not can_read_note_text(who):
        raise HTTPException(403, "your role cannot read note content")
    with services.engine.begin() as conn:
        exists = conn.execute(select(ClinicalNote.id).where(ClinicalNote.id == note_id)).first()
        if exists is None:
            raise HTTPException(404, "no such note")
        committed = set(
            conn.execute(
                select(document_versions.c.usn).where(
                    document_versions.c.entity == "clinical_notes", document_versions.c.record_id == note_id
                )
            ).scalars()
        )
        write_audit(
            conn,
            [
                audit_row(
                    user_id=who.user_id, action="read", resource_type="clinical_notes", resource_id=note_id
                )
            ],
        )
    revisions = []
    for doc in services.docs.history(note_id):
        if doc.get("kind") == "version" and doc.get("version") not in committed:
            continue  # written by a push that rolled back: never visible
        revisions.append(
            NoteRevision(
                version=int(doc.get("version", 0)),
                kind=str(doc.get("kind")),
                fields=dict(doc.get("fields") or {}),
                device_id=doc.get("device_id"),
                user_id=doc.get("user_id"),
                at=str(doc.get("at")),
            )
        )
    return NoteHistory(note_id=note_id, revisions=revisions)
