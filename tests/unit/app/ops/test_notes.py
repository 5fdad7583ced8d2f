"""The note's operations: each one transaction, all or nothing, with the change set pages refresh from."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from app.ops import encounters, notes
from app.ops.notes import DictatedAudio, NoteState
from app.services import notes as note_service
from app.services import recordings
from app.workspace import Workspace
from clinicdesk.errors import ValidationError
from models import ClinicalNote, OutboxEntry, Recording
from models.enums import NoteStatus
from tests.unit.app.conftest import make_note, open_appointment_id

WAV = b"RIFF" + b"\x00" * 4 + b"WAVE" + b"\x00" * 40


def _draft(ws: Workspace) -> NoteState:
    opened = encounters.open_visit(ws, open_appointment_id(ws)).value
    assert opened.note is not None and opened.note.status is NoteStatus.DRAFT
    return opened.note


def _stored(ws: Workspace, note_id: uuid.UUID) -> tuple[dict[str, object], int, int, int]:
    """The note's text and edit count, its recordings, and the outbox's size."""
    with ws.store.session() as s:
        note = s.get(ClinicalNote, note_id)
        assert note is not None
        kept = s.scalar(select(func.count()).select_from(Recording).where(Recording.note_id == note_id))
        outbox = s.scalar(select(func.count()).select_from(OutboxEntry))
        return dict(note.content), int(note.note_metadata["edit_count"]), int(kept or 0), int(outbox or 0)


def test_saving_a_dictation_keeps_its_text_and_recording_together_and_says_what_changed(
    workspace: Workspace,
) -> None:
    note = _draft(workspace)
    audio = DictatedAudio(wav=WAV, seconds=2.5, engine="whisper", model="tiny.en")
    soap = {"raw_transcription": "cough for three days", "utterances": [{"text": "cough", "confidence": 0.9}]}
    outcome = notes.save_dictation(
        workspace,
        note.id,
        {"subjective": "Cough for three days."},
        loaded_at=note.loaded_at,
        soap=soap,
        audio=audio,
    )
    assert outcome.value.conflict_id is None
    content, _edits, kept, _outbox = _stored(workspace, note.id)
    assert content["subjective"] == "Cough for three days." and kept == 1
    (recording,) = workspace.call(recordings.note_recordings, note.id)
    assert outcome.changes.notes == {note.id} and outcome.changes.recordings == {recording.id}
    assert outcome.changes.outbox >= 2 and not outcome.changes.appointments and not outcome.changes.tasks


def test_a_dictation_whose_recording_cannot_be_kept_saves_nothing_of_its_text_either(
    workspace: Workspace,
) -> None:
    note = _draft(workspace)
    before = _stored(workspace, note.id)
    not_audio = DictatedAudio(wav=b"text, not a recording", seconds=2.5, engine="whisper", model="tiny.en")
    with pytest.raises(ValidationError, match="not WAV audio"):
        notes.save_dictation(
            workspace,
            note.id,
            {"subjective": "Cough for three days."},
            loaded_at=note.loaded_at,
            soap={"raw_transcription": "cough for three days"},
            audio=not_audio,
        )
    assert _stored(workspace, note.id) == before  # not the text, not the edit count, no outbox entry


def test_signing_saves_the_editors_text_and_signs_it_in_one_step(workspace: Workspace) -> None:
    note = _draft(workspace)
    outcome = notes.sign(
        workspace, note.id, {"subjective": "Cough.", "plan": "Rest."}, loaded_at=note.loaded_at
    )
    assert outcome.value.conflict_id is None and outcome.value.note.status is NoteStatus.SIGNED
    assert outcome.value.note.content["plan"] == "Rest."
    assert outcome.changes.notes == {note.id} and outcome.changes.outbox >= 1


def test_a_note_that_cannot_be_signed_keeps_its_last_saved_text(workspace: Workspace) -> None:
    note = _draft(workspace)
    before = _stored(workspace, note.id)
    empty = {"subjective": "", "objective": "", "assessment": "", "plan": ""}
    with pytest.raises(ValidationError, match="empty note cannot be signed"):
        notes.sign(workspace, note.id, empty, loaded_at=note.loaded_at)
    assert _stored(workspace, note.id) == before  # the save half was rolled back with the signature


def test_a_note_changed_elsewhere_is_not_signed_and_the_editors_text_is_kept_beside_it(
    workspace: Workspace,
) -> None:
    note = _draft(workspace)
    notes.save_draft(workspace, note.id, {"plan": "Fluids."}, loaded_at=note.loaded_at)  # another save
    outcome = notes.sign(workspace, note.id, {"plan": "Rest."}, loaded_at=note.loaded_at)  # stale editor
    assert outcome.value.conflict_id is not None and outcome.value.note.status is NoteStatus.DRAFT
    assert outcome.changes.conflicts == {outcome.value.conflict_id} and not outcome.changes.notes


def test_the_window_can_tell_whether_a_sync_changed_the_note_it_shows(workspace: Workspace) -> None:
    note_id = make_note(workspace, sign=False)
    with workspace.store.session() as session:
        note = session.get(ClinicalNote, note_id)
        assert note is not None
        shown, version = dict(note.content), note.current_version
    assert not notes.changed_since(workspace, note_id, content=shown, version=version)
    workspace.call(note_service.save_draft, note_id, {"plan": "rest, fluids"})  # as a pulled change would
    assert notes.changed_since(workspace, note_id, content=shown, version=version)
    assert not notes.changed_since(workspace, uuid.uuid4(), content=shown, version=version)
