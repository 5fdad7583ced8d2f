"""The clinical note as the doctor works on it: save, save a dictation with its recording, sign,
amend, read its history.

Each is one transaction. A dictation's text and its recording are saved together, and a save and
the signature that follows it are one step: when the second half fails (a recording that is not
audio, an empty note that cannot be signed), the first is not kept either, and the editor still
holds the text. A save names the note as the editor loaded it (``loaded_at``); when a sync brought
another workstation's text meanwhile, the editor's text is kept beside it as a conflict and nothing
is signed (notes.save_edited_draft).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.ops.base import operation, query
from app.services import notes, recordings
from app.services.notes import EditorSave, NoteRecord
from models import ClinicalNote
from models.enums import NoteStatus


@dataclass(frozen=True)
class NoteState:
    """The note as an editor holds it: a draft, or a signed or amended note read from its history."""

    id: uuid.UUID
    status: NoteStatus
    content: dict[str, Any]
    version: int
    #: the stored note's ``updated_at`` when the editor loaded or last saved it (drafts only)
    loaded_at: datetime | None = None

    @classmethod
    def of(cls, record: NoteRecord) -> NoteState:
        return cls(record.id, record.status, dict(record.content), record.current_version, record.updated_at)


@dataclass(frozen=True)
class DictatedAudio:
    """A dictation's recording, kept (encrypted) with the note it was dictated into."""

    wav: bytes
    seconds: float
    engine: str
    model: str
    stats: dict[str, float] = field(default_factory=dict)


def _save(
    session: Session,
    note_id: uuid.UUID,
    content: dict[str, Any],
    *,
    loaded_at: datetime | None,
    **extra: Any,
) -> EditorSave:
    if loaded_at is None:  # a note the editor did not load from the store: a plain save
        return EditorSave(notes.save_draft(session, note_id, content, **extra))
    return notes.save_edited_draft(session, note_id, content, loaded_at=loaded_at, **extra)


@operation
def save_draft(
    session: Session, note_id: uuid.UUID, content: dict[str, Any], *, loaded_at: datetime | None
) -> EditorSave:
    """The editor's text as the draft (or, when the note changed meanwhile, as a conflict beside it)."""
    return _save(session, note_id, content, loaded_at=loaded_at)


@operation
def save_dictation(
    session: Session,
    note_id: uuid.UUID,
    content: dict[str, Any],
    *,
    loaded_at: datetime | None,
    soap: dict[str, Any],
    audio: DictatedAudio | None,
) -> EditorSave:
    """The dictated note and its recording. The recording is kept whether the text is saved or set
    aside as a conflict: it belongs to the note, not to this version of its text."""
    saved = _save(
        session,
        note_id,
        content,
        loaded_at=loaded_at,
        raw_transcription=soap.get("raw_transcription") or None,
        utterances=soap.get("utterances") or [],
        recording_seconds=audio.seconds if audio is not None else None,
    )
    if audio is not None and audio.wav:
        recordings.keep_recording(
            session,
            note_id,
            audio.wav,
            duration_seconds=audio.seconds,
            engine=audio.engine,
            model=audio.model,
            processing_stats=audio.stats,
        )
    return saved


@operation
def sign(
    session: Session,
    note_id: uuid.UUID,
    content: dict[str, Any],
    *,
    loaded_at: datetime | None,
    unreviewed_confirmed: int = 0,
) -> EditorSave:
    """Saves the editor's text and signs it. When the note changed elsewhere meanwhile, the text is
    set aside as a conflict and nothing is signed unseen (``conflict_id`` says so). Dictation marks
    still unreviewed need ``unreviewed_confirmed`` (their number, as the doctor confirmed it); the
    confirmation is kept with the note (notes.sign_note)."""
    saved = _save(session, note_id, content, loaded_at=loaded_at)
    if saved.conflict_id is not None:
        return saved
    return EditorSave(notes.sign_note(session, note_id, unreviewed_confirmed=unreviewed_confirmed))


#: a new version of a signed note, with the reason (refused when the note moved on meanwhile)
amend = operation(notes.amend_note)
#: every signed version with who, when and why
history = query(notes.note_history)


@query
def changed_since(session: Session, note_id: uuid.UUID, *, content: dict[str, Any], version: int) -> bool:
    """Whether the note changed since an editor showed it (a sync, a reconciled conflict): a draft's
    text, or a signed note's version. Compares without displaying anything, so it reads no chart."""
    row = session.execute(
        select(ClinicalNote.status, ClinicalNote.content, ClinicalNote.current_version).where(
            ClinicalNote.id == note_id
        )
    ).first()
    if row is None:
        return False
    if row.status is NoteStatus.DRAFT:
        return dict(row.content or {}) != dict(content)
    return bool(row.current_version != version)
