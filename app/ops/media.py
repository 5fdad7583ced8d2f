"""Documents and recordings as the window opens them: attaching a file, and opening what was made on
this or any other workstation (the sealed bytes are downloaded on demand, then opened with the
practice's key: app/keyring.py). Clear bytes are handed back in memory, never written to a
temporary file; saving a copy writes only where the user chose."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.ops.base import operation, query
from app.ops.changes import Outcome
from app.ops.prescribing import write_pdf
from app.services import audit, documents, recordings
from app.services.documents import DocumentRecord, NotHere
from app.services.recordings import RecordingRecord
from clinicdesk.errors import NotFoundError, SyncError, ValidationError
from models import Encounter, Recording
from models.enums import DocumentCategory

if TYPE_CHECKING:
    from app.workspace import Workspace

#: fetches a record's sealed bytes from the server (SyncService.download), or None when offline-only
Fetch = Callable[[str, uuid.UUID], bytes] | None
ELSEWHERE = (
    "this {what} was made on another workstation and is not on this one yet; it is downloaded when the "
    "sync server can be reached (set it up in Settings)"
)

of_patient = query(documents.patient_documents)
of_note = query(recordings.note_recordings)


def attach_file(
    workspace: Workspace,
    patient_id: uuid.UUID,
    path: Path,
    *,
    title: str,
    category: DocumentCategory = DocumentCategory.SCAN,
    encounter_id: uuid.UUID | None = None,
) -> Outcome[DocumentRecord]:
    """Reads the file (refusing an oversized one before reading it), checks and seals it."""
    try:
        size = path.stat().st_size
        documents.check_size(size)
        data = path.read_bytes()
    except OSError as exc:
        raise ValidationError(f"cannot read {path.name} ({exc.strerror or type(exc).__name__})") from None
    return attach_bytes(workspace, patient_id, data, title=title, filename=path.name, category=category,
                   encounter_id=encounter_id)  # fmt: skip


@operation
def attach_bytes(
    session: Session,
    patient_id: uuid.UUID,
    data: bytes,
    *,
    title: str,
    filename: str,
    category: DocumentCategory,
    encounter_id: uuid.UUID | None,
) -> DocumentRecord:
    """Checks, seals and keeps bytes already in memory (a scanned page, a generated PDF)."""
    return documents.attach(
        session,
        patient_id,
        data,
        title=title,
        filename=filename,
        category=category,
        encounter_id=encounter_id,
    )


def _fetched(fetch: Fetch, entity: str, record_id: uuid.UUID, what: str) -> None:
    if fetch is None:
        raise SyncError(ELSEWHERE.format(what=what))
    fetch(entity, record_id)


def open_document(
    workspace: Workspace, document_id: uuid.UUID, *, fetch: Fetch = None
) -> tuple[DocumentRecord, bytes]:
    """The document's clear bytes; downloaded first when they were attached elsewhere."""
    with workspace.reading() as session:
        _doc, here = documents.stored(session, document_id)
    if not here:
        _fetched(fetch, "documents", document_id, "document")
    with workspace.reading() as session:
        try:
            return documents.document_bytes(session, document_id)
        except NotHere:
            raise SyncError(ELSEWHERE.format(what="document")) from None


def save_document(
    workspace: Workspace, document_id: uuid.UUID, out: Path, *, fetch: Fetch = None
) -> DocumentRecord:
    """A copy of the document where the user chose (printing a kept PDF again); audited as a print."""
    record, data = open_document(workspace, document_id, fetch=fetch)
    write_pdf(out, data)
    with workspace.reading() as session:
        audit.record(session, action="print", resource_type="documents", resource_id=document_id)
    return record


def open_recording(workspace: Workspace, recording_id: uuid.UUID, *, fetch: Fetch = None) -> bytes:
    """A recording's clear WAV bytes, for playing in memory; downloaded first when it was made on
    another workstation."""
    with workspace.reading() as session:
        found = session.execute(
            select(Recording.id, Recording.audio.is_not(None)).where(Recording.id == recording_id)
        ).first()
    if found is None:
        raise NotFoundError("no such recording in this profile")
    if not found[1]:
        _fetched(fetch, "recordings", recording_id, "recording")
    with workspace.reading() as session:
        return recordings.recording_audio(session, recording_id)


def recordings_of(
    workspace: Workspace, *, encounter_id: uuid.UUID | None = None, patient_id: uuid.UUID | None = None
) -> list[RecordingRecord]:
    """The recordings of one visit, or of all of a patient's visits, oldest first."""
    where = Recording.encounter_id == encounter_id
    if patient_id is not None:
        where = Recording.encounter_id.in_(select(Encounter.id).where(Encounter.patient_id == patient_id))
    with workspace.reading() as session:
        rows = session.scalars(
            select(Recording.note_id).where(where, Recording.deleted_at.is_(None)).distinct()
        ).all()
        return [
            r for note_id in rows if note_id is not None for r in recordings.note_recordings(session, note_id)
        ]
