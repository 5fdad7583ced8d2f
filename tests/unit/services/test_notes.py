from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from app.services import notes
from clinicdesk.errors import PermissionDeniedError, ValidationError
from models import Appointment, AuditEvent, ClinicalNote, NoteVersion, SyncConflict
from models.enums import AppointmentStatus, AppointmentType, ConflictStatus, NoteStatus
from tests.unit.services.conftest import Clinic


def todays_appointment(clinic: Clinic) -> uuid.UUID:
    with clinic.store.session() as s:
        appt = Appointment(
            patient_id=clinic.patients[0].id,
            clinician_id=clinic.doctor.id,
            start_at=datetime.now(UTC) + timedelta(minutes=5),
            duration_minutes=30,
            appointment_type=AppointmentType.ROUTINE,
            reason="cough",
        )
        s.add(appt)
    return appt.id


def signed_note(clinic: Clinic) -> notes.NoteRecord:
    appt = todays_appointment(clinic)
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        enc = notes.open_encounter(s, appt)
        note = notes.create_note(s, enc.id)
        notes.save_draft(s, note.id, {"subjective": "Cough for 3 days.", "plan": "Rest."})
        return notes.sign_note(s, note.id)


def test_opening_an_encounter_checks_the_patient_in_and_is_idempotent(clinic: Clinic) -> None:
    appt = todays_appointment(clinic)
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        first = notes.open_encounter(s, appt)
        again = notes.open_encounter(s, appt)
        status = s.get(Appointment, appt).status  # type: ignore[union-attr]
    assert first.id == again.id
    assert first.chief_complaint == "cough"
    assert status is AppointmentStatus.IN_PROGRESS


def test_nurse_vitals_are_picked_up_by_the_doctors_note(clinic: Clinic) -> None:
    appt = todays_appointment(clinic)
    with clinic.store.session(actor_id=clinic.nurse.id) as s:
        enc = notes.open_encounter(s, appt)
        notes.record_vitals(s, enc.id, {"bp": "128/82", "heart_rate": 72})
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        note = notes.create_note(s, enc.id)
    assert note.content["vitals"] == {"bp": "128/82", "heart_rate": 72}


def test_a_signed_note_is_read_only_and_only_a_doctor_signs(clinic: Clinic) -> None:
    appt = todays_appointment(clinic)
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        enc = notes.open_encounter(s, appt)
        note = notes.create_note(s, enc.id)
        notes.save_draft(s, note.id, {"assessment": "Viral URTI."})
    with (
        clinic.store.session(actor_id=clinic.nurse.id) as s,
        pytest.raises(PermissionDeniedError, match="doctor"),
    ):
        notes.sign_note(s, note.id)
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        signed = notes.sign_note(s, note.id)
    assert signed.read_only
    with (
        clinic.store.session(actor_id=clinic.doctor.id) as s,
        pytest.raises(ValidationError, match="read-only"),
    ):
        notes.save_draft(s, note.id, {"assessment": "changed"})


def test_an_empty_note_cannot_be_signed(clinic: Clinic) -> None:
    appt = todays_appointment(clinic)
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        note = notes.create_note(s, notes.open_encounter(s, appt).id)
        with pytest.raises(ValidationError, match="empty note"):
            notes.sign_note(s, note.id)


def test_an_amendment_needs_a_reason_and_keeps_every_version(clinic: Clinic) -> None:
    note = signed_note(clinic)
    with clinic.store.session(actor_id=clinic.doctor.id) as s, pytest.raises(ValidationError, match="reason"):
        notes.amend_note(s, note.id, {"plan": "Rest and fluids."}, reason=" ")
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        amended = notes.amend_note(s, note.id, {"plan": "Rest and fluids."}, reason="added fluids")
        history = notes.note_history(s, note.id)
    assert amended.status is NoteStatus.AMENDED
    assert [(v.version_number, v.reason) for v in history] == [(1, None), (2, "added fluids")]
    assert history[0].content["plan"] == "Rest."
    assert history[1].author_name == "Dr Who"
    diff = notes.diff_sections(history[0].content, history[1].content)
    assert diff == {"plan": [("replace", "Rest.", "Rest and fluids.")]}


def test_an_amendment_of_a_version_that_has_since_moved_on_is_refused_and_saves_nothing(
    clinic: Clinic,
) -> None:
    note = signed_note(clinic)
    with clinic.store.session(actor_id=clinic.doctor.id) as s:  # as if a sync brought this in
        notes.amend_note(s, note.id, {"plan": "Rest and fluids."}, reason="other desk", base_version=1)
    with (
        clinic.store.session(actor_id=clinic.doctor.id) as s,
        pytest.raises(ValidationError, match="now version 2, and you edited version 1") as refused,
    ):
        notes.amend_note(s, note.id, {"plan": "Rest only."}, reason="typo", base_version=1)
    assert "Rest" not in refused.value.message  # the message names versions, never the note's text
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        history = notes.note_history(s, note.id)
        assert [v.content["plan"] for v in history] == ["Rest.", "Rest and fluids."]
        again = notes.amend_note(s, note.id, {"plan": "Rest only."}, reason="typo", base_version=2)
    assert again.current_version == 3


def test_only_the_author_amends_a_signed_note(clinic: Clinic) -> None:
    note = signed_note(clinic)
    with (
        clinic.store.session(actor_id=clinic.nurse.id) as s,
        pytest.raises(PermissionDeniedError, match="author"),
    ):
        notes.amend_note(s, note.id, {"plan": "x"}, reason="typo")
    with clinic.store.session() as s:
        versions = s.scalars(select(NoteVersion).where(NoteVersion.note_id == note.id)).all()
    assert len(versions) == 1


def test_a_nurse_opening_the_encounter_checks_in_without_starting_the_visit(clinic: Clinic) -> None:
    appt = todays_appointment(clinic)
    with clinic.store.session(actor_id=clinic.nurse.id) as s:
        notes.open_encounter(s, appt)
        assert s.get(Appointment, appt).status is AppointmentStatus.CHECKED_IN  # type: ignore[union-attr]
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        notes.open_encounter(s, appt)
        assert s.get(Appointment, appt).status is AppointmentStatus.IN_PROGRESS  # type: ignore[union-attr]


def test_reopening_an_encounter_finds_its_signed_note(clinic: Clinic) -> None:
    note = signed_note(clinic)
    assert note.encounter_id is not None
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        found = notes.encounter_notes(s, note.encounter_id)
    assert [(n.id, n.status) for n in found] == [(note.id, NoteStatus.SIGNED)]


def test_staff_lists_every_active_colleague(clinic: Clinic) -> None:
    from app.services.users import staff

    with clinic.store.session() as s:
        assert {u.username for u in staff(s)} == {"dr.who", "n.joy"}


def draft(clinic: Clinic, **sections: str) -> notes.NoteRecord:
    appt = todays_appointment(clinic)
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        note = notes.create_note(s, notes.open_encounter(s, appt).id)
        return notes.save_draft(s, note.id, sections) if sections else note


def pull_other_workstations_text(clinic: Clinic, note_id: uuid.UUID, version: int, **sections: str) -> None:
    """What a pull does with another workstation's save: the sync layer's own apply, with the
    other workstation's time stamp and the server's next version (this profile's edits were pushed)."""
    from sync.local import apply_records, begin_remote
    from sync.protocol import RecordOut

    with clinic.store.session() as s:
        content = dict(s.get(ClinicalNote, note_id).content)  # type: ignore[union-attr]
        begin_remote(s)
        stamp = datetime.now(UTC) + timedelta(seconds=1)
        record = RecordOut(
            entity="clinical_notes",
            record_id=note_id,
            version=version,
            deleted=False,
            values={"content": {**content, **sections}, "updated_at": stamp.isoformat()},
        )
        assert apply_records(s, [record], pending={}) == 1


def test_an_editor_save_over_the_note_it_loaded_is_an_ordinary_save(clinic: Clinic) -> None:
    loaded = draft(clinic)
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        first = notes.save_edited_draft(s, loaded.id, {"subjective": "Cough."}, loaded_at=loaded.updated_at)
    with clinic.store.session(actor_id=clinic.doctor.id) as s:  # the saved note is the new base
        second = notes.save_edited_draft(
            s, loaded.id, {"subjective": "Cough, worse at night."}, loaded_at=first.note.updated_at
        )
        stored = s.get(ClinicalNote, loaded.id)
        assert stored is not None and stored.content["subjective"] == "Cough, worse at night."
        assert s.scalars(select(SyncConflict)).all() == []
    assert first.conflict_id is None and second.conflict_id is None


def test_an_acknowledged_push_does_not_count_as_someone_elses_change(clinic: Clinic) -> None:
    loaded = draft(clinic, subjective="Cough.")
    notes_table = ClinicalNote.__table__
    with clinic.store.session() as s:  # the ack stamps the server's version and keeps the time
        s.execute(
            update(notes_table)
            .where(notes_table.c.id == loaded.id)
            .values(version=7, updated_at=notes_table.c.updated_at)
        )
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        saved = notes.save_edited_draft(s, loaded.id, {"plan": "Fluids."}, loaded_at=loaded.updated_at)
    assert saved.conflict_id is None and saved.note.content["plan"] == "Fluids."


def test_an_editor_save_over_a_note_a_pull_changed_keeps_both_texts_as_a_conflict(clinic: Clinic) -> None:
    loaded = draft(clinic, subjective="Cough for three days.")
    pull_other_workstations_text(clinic, loaded.id, 12, plan="Rest and fluids.")
    mine = {"subjective": "Cough for three days. Worse at night.", "plan": ""}
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        saved = notes.save_edited_draft(
            s, loaded.id, mine, loaded_at=loaded.updated_at, raw_transcription="worse at night"
        )
    assert saved.conflict_id is not None
    # the stored note is the pulled one, untouched: nothing of the other workstation's is lost
    assert saved.note.content["plan"] == "Rest and fluids."
    assert saved.note.content["subjective"] == "Cough for three days."
    with clinic.store.session() as s:
        conflict = s.get(SyncConflict, saved.conflict_id)
        assert conflict is not None and conflict.status is ConflictStatus.OPEN
        assert conflict.entity == "clinical_notes" and conflict.record_id == loaded.id
        assert conflict.fields == ["content", "raw_transcription"]
        # nothing of the editor's is lost either
        assert conflict.local_values["content"]["subjective"] == mine["subjective"]
        assert conflict.local_values["raw_transcription"] == "worse at night"
        assert conflict.server_values["content"]["plan"] == "Rest and fluids."
        stored = s.get(ClinicalNote, loaded.id)
        assert stored is not None and stored.version == 12  # no local change was queued over it
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "conflict")).one()
        assert event.resource_id == loaded.id and "Worse" not in str(event.new_values)


def test_a_kept_aside_editor_text_is_reconciled_like_a_sync_conflict(clinic: Clinic) -> None:
    from app.sync_service import conflicts

    loaded = draft(clinic, subjective="Cough for three days.")
    pull_other_workstations_text(clinic, loaded.id, 12, plan="Rest and fluids.")
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        saved = notes.save_edited_draft(
            s, loaded.id, {"subjective": "Dry cough for three days."}, loaded_at=loaded.updated_at
        )
    assert saved.conflict_id is not None
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        (open_conflict,) = conflicts.list_conflicts(s)
        sections = open_conflict.note_sections()
        assert sections["subjective"] == ("Cough for three days.", "Dry cough for three days.")
        assert sections["plan"] == ("Rest and fluids.", "Rest and fluids.")
        merged = {"subjective": "Dry cough for three days.", "plan": "Rest and fluids."}
        conflicts.reconcile_note(s, saved.conflict_id, merged)
        assert conflicts.list_conflicts(s) == []
    with clinic.store.session() as s:
        stored = s.get(ClinicalNote, loaded.id)
        assert stored is not None
        assert (stored.content["subjective"], stored.content["plan"]) == (
            "Dry cough for three days.",
            "Rest and fluids.",
        )


def test_an_editor_save_that_changes_nothing_after_a_pull_records_no_conflict(clinic: Clinic) -> None:
    loaded = draft(clinic, subjective="Cough.")
    pull_other_workstations_text(clinic, loaded.id, 12, plan="Rest.")
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        saved = notes.save_edited_draft(
            s, loaded.id, {"subjective": "Cough.", "plan": "Rest."}, loaded_at=loaded.updated_at
        )
        assert s.scalars(select(SyncConflict)).all() == []
    assert saved.conflict_id is None and saved.note.content["plan"] == "Rest."


def test_only_the_author_has_an_editor_text_kept_aside(clinic: Clinic) -> None:
    loaded = draft(clinic, subjective="Cough.")
    pull_other_workstations_text(clinic, loaded.id, 12, plan="Rest.")
    with (
        clinic.store.session(actor_id=clinic.nurse.id) as s,
        pytest.raises(PermissionDeniedError, match="author"),
    ):
        notes.save_edited_draft(s, loaded.id, {"plan": "Other."}, loaded_at=loaded.updated_at)
