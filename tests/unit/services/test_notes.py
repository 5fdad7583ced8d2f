from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from clinicdesk.app.services import notes
from clinicdesk.errors import PermissionDeniedError, ValidationError
from clinicdesk.models import Appointment, NoteVersion
from clinicdesk.models.enums import AppointmentStatus, AppointmentType, NoteStatus
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


def signed_note(clinic: Clinic) -> notes.NoteView:
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
    from clinicdesk.app.services.users import staff

    with clinic.store.session() as s:
        assert {u.username for u in staff(s)} == {"dr.who", "n.joy"}
