"""Dictation recordings kept with their note, encrypted at rest (DESIGN.md, "Local store and security").

The audio is already inside the SQLCipher file, but it is sealed a second time with the practice's
data key (app/keyring.py, AES-256-GCM) so that a recording synced or cached as a blob is never clear
audio, and any authorised user's workstation can open it (docs/DESIGN-keys.md). Recordings made
before practice keys existed were encrypted with a per-profile key (``CDA1``), which still opens
them on the workstation that made them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from app import keyring
from app.services import audit
from audio.crypto import decrypt_audio, new_key
from clinicdesk.errors import NotFoundError, ValidationError
from models import ClinicalNote, ProfileSecret, Recording, utcnow
from models.enums import RecordingStatus

KEY_NAME = "recording-key-v1"
DEFAULT_RETENTION_DAYS = 365


@dataclass(frozen=True)
class RecordingRecord:
    id: uuid.UUID
    note_id: uuid.UUID | None
    duration_seconds: float
    size_bytes: int
    status: RecordingStatus
    engine: str | None
    model: str | None
    retention_until: date | None


def recording_key(session: Session) -> bytes:
    secret = session.get(ProfileSecret, KEY_NAME)
    if secret is None:
        secret = ProfileSecret(name=KEY_NAME, value=new_key())
        session.add(secret)
        session.flush()
    return secret.value


def keep_recording(
    session: Session,
    note_id: uuid.UUID,
    wav_bytes: bytes,
    *,
    duration_seconds: float,
    engine: str | None = None,
    model: str | None = None,
    processing_stats: dict[str, float] | None = None,
    retention_days: int = DEFAULT_RETENTION_DAYS,
) -> RecordingRecord:
    if wav_bytes[:4] != b"RIFF" or wav_bytes[8:12] != b"WAVE":
        raise ValidationError("the recording is not WAV audio; it was not kept")
    note = session.get(ClinicalNote, note_id)
    if note is None or note.deleted_at is not None:
        raise NotFoundError("no such note in this profile")
    blob, _key_id = keyring.seal(session, wav_bytes)
    rec = Recording(
        encounter_id=note.encounter_id,
        note_id=note.id,
        duration_seconds=duration_seconds,
        size_bytes=len(wav_bytes),
        mime_type="audio/wav",
        status=RecordingStatus.TRANSCRIBED,
        engine=engine,
        model=model,
        processing_stats=dict(processing_stats or {}),
        retention_until=(utcnow() + timedelta(days=retention_days)).date(),
        audio=blob,
    )
    session.add(rec)
    session.flush()
    audit.record(session, action="create", resource_type="recordings", resource_id=rec.id)
    return _record(rec)


def _record(rec: Recording) -> RecordingRecord:
    return RecordingRecord(
        id=rec.id,
        note_id=rec.note_id,
        duration_seconds=rec.duration_seconds,
        size_bytes=rec.size_bytes,
        status=rec.status,
        engine=rec.engine,
        model=rec.model,
        retention_until=rec.retention_until,
    )


def note_recordings(session: Session, note_id: uuid.UUID) -> list[RecordingRecord]:
    rows = session.scalars(
        select(Recording)
        .where(Recording.note_id == note_id, Recording.deleted_at.is_(None))
        .order_by(Recording.created_at)
    ).all()
    return [_record(r) for r in rows]


def recording_audio(session: Session, recording_id: uuid.UUID) -> bytes:
    """The clear WAV bytes, for playback only; callers keep them in memory, never in a temp file."""
    rec = session.scalars(
        select(Recording).options(undefer(Recording.audio)).where(Recording.id == recording_id)
    ).first()
    if rec is None or rec.deleted_at is not None or rec.audio is None:
        raise NotFoundError("no such recording in this profile")
    audit.record(session, action="read", resource_type="recordings", resource_id=rec.id)
    if keyring.is_sealed(rec.audio):
        return keyring.open_sealed(session, rec.audio, what="recording")
    return decrypt_audio(recording_key(session), rec.audio)
