from __future__ import annotations

import pytest
from sqlalchemy import select

from app.keyring import MAGIC
from app.services import notes, recordings
from clinicdesk.errors import SpeechError
from models import Recording
from tests.unit.services.conftest import Clinic
from tests.unit.services.test_notes import todays_appointment

WAV = b"RIFF" + b"\x00" * 4 + b"WAVE" + b"\x00" * 32 + b"spoken words of a patient visit"


def test_a_recording_is_kept_encrypted_and_plays_back_unchanged(clinic: Clinic) -> None:
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        note = notes.create_note(s, notes.open_encounter(s, todays_appointment(clinic)).id)
        view = recordings.keep_recording(
            s, note.id, WAV, duration_seconds=2.5, engine="whisper", model="base"
        )
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        stored = s.scalars(select(Recording.audio).where(Recording.id == view.id)).one()
        assert stored is not None
        assert stored.startswith(MAGIC)
        assert b"spoken words" not in stored
        assert recordings.recording_audio(s, view.id) == WAV
        assert [r.id for r in recordings.note_recordings(s, note.id)] == [view.id]


def test_a_tampered_recording_gives_a_clear_error(clinic: Clinic) -> None:
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        note = notes.create_note(s, notes.open_encounter(s, todays_appointment(clinic)).id)
        view = recordings.keep_recording(s, note.id, WAV, duration_seconds=1.0)
    with clinic.store.session() as s:
        rec = s.get(Recording, view.id)
        assert rec is not None
        blob = bytearray(s.scalars(select(Recording.audio).where(Recording.id == view.id)).one() or b"")
        blob[-1] ^= 0xFF
        rec.audio = bytes(blob)
    with clinic.store.session() as s, pytest.raises(SpeechError, match="cannot be decrypted"):
        recordings.recording_audio(s, view.id)
