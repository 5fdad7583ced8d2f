from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, HTTPException
from sqlalchemy import select

from models import ClinicalNote
from server.api.deps import CurrentUser, ServicesDep
from server.db import scope
from server.policy import may_read_content
from server.services import actions
from server.services.audit import write_event
from server.tables import document_versions
from sync.protocol import AmendRequest, ChangeResult, NoteHistory, NoteRevision

router = APIRouter(tags=["notes"])
REFUSED: dict[int | str, dict[str, Any]] = {
    403: {"description": "The policy refuses it (the reason says why)"},
    409: {"description": "Conflict"},
}


@router.get("/notes/{note_id}/history", response_model=NoteHistory)
def note_history(note_id: uuid.UUID, who: CurrentUser, services: ServicesDep) -> NoteHistory:
    """Every committed version of a note's text and every conflict revision kept for the author."""
    if not may_read_content(who, "clinical_notes"):
        raise HTTPException(403, "your role cannot read note content")
    with services.engine.begin() as conn:
        scope(conn, who.organization_id)
        exists = conn.execute(
            select(ClinicalNote.id).where(
                ClinicalNote.id == note_id, ClinicalNote.organization_id == who.organization_id
            )
        ).first()
        if exists is None:
            raise HTTPException(404, "no such note")
        committed = set(
            conn.execute(
                select(document_versions.c.usn).where(
                    document_versions.c.entity == "clinical_notes", document_versions.c.record_id == note_id
                )
            ).scalars()
        )
        write_event(
            conn,
            user_id=who.user_id,
            organization_id=who.organization_id,
            action="read",
            resource_type="clinical_notes",
            resource_id=note_id,
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


@router.post("/notes/{note_id}/sign", response_model=ChangeResult, responses=REFUSED)
def sign(note_id: uuid.UUID, who: CurrentUser, services: ServicesDep) -> ChangeResult:
    """Sign a draft note as the signed-in doctor (its author); the server records the signer, the
    time and the note's first version."""
    return actions.sign_note(services.engine, services.docs, who, note_id)


@router.post("/notes/{note_id}/amend", response_model=ChangeResult, responses=REFUSED)
def amend(note_id: uuid.UUID, body: AmendRequest, who: CurrentUser, services: ServicesDep) -> ChangeResult:
    """Amend a signed note (its author or an administrator): a new version with a reason."""
    return actions.amend_note(
        services.engine,
        services.docs,
        who,
        note_id,
        content=body.content,
        reason=body.reason,
        base_version=body.base_version,
    )
