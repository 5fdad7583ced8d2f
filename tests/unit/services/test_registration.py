"""Registering and keeping patients' records on a workstation: MRNs in the practice's format (and
never the same on two workstations), the duplicate check before saving, demographics, allergies,
insurance, the problem list, and the front desk's identity checks."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.services import chart_edits, front_desk, mrn, registration
from app.services.chart_edits import InsuranceInput
from app.services.front_desk import Verification
from app.services.patients import search_patients
from app.services.registration import DuplicateSuspected, PatientInput
from clinicdesk.errors import PermissionDeniedError, ValidationError
from models import Appointment, AuditEvent, ClinicalNote, IdentityCheck, Patient, User
from models.enums import AllergyStatus, AppointmentStatus, AppointmentType, ConditionStatus, NoteStatus, Role
from sync.local import set_state
from tests.unit.services.conftest import Clinic

TORONTO = ZoneInfo("America/Toronto")


@pytest.fixture
def desk(clinic: Clinic) -> dict[str, uuid.UUID]:
    """The clinic's front desk: a receptionist and an administrator beside its doctor and nurse."""
    with clinic.store.session() as s:
        receptionist = User(username="r.desk", full_name="Rae Desk", role=Role.RECEPTIONIST)
        admin = User(username="a.min", full_name="Ada Min", role=Role.ADMIN)
        s.add_all([receptionist, admin])
        s.flush()
        ids = {
            "receptionist": receptionist.id,
            "admin": admin.id,
            "doctor": clinic.doctor.id,
            "nurse": clinic.nurse.id,
        }
    return ids


@contextmanager
def acting(clinic: Clinic, user_id: uuid.UUID) -> Iterator[Session]:
    with clinic.store.session(actor_id=user_id) as session:
        yield session


def person(**values: Any) -> PatientInput:
    base: dict[str, Any] = {"first_name": "Mara", "last_name": "Quill", "date_of_birth": date(1979, 4, 2)}
    return PatientInput(**{**base, **values})


def count(clinic: Clinic, model: Any) -> int:
    with clinic.store.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_a_new_patient_gets_the_next_mrn_in_the_practices_format(
    clinic: Clinic, desk: dict[str, Any]
) -> None:
    with acting(clinic, desk["receptionist"]) as s:
        made = registration.register_patient(s, person(phone="(416) 555-0101", gender="F"))
    assert made.mrn == "MRN0000005", "the seeded clinic holds MRN0000001..4"
    with clinic.store.session() as s:
        row = s.get(Patient, made.id)
        assert row is not None and row.gender == "female" and row.last_name_key == "quill"
        assert row.allergy_status is AllergyStatus.NOT_RECORDED


def test_an_mrn_in_another_format_is_kept_as_entered_and_found_by_search(
    clinic: Clinic, desk: dict[str, Any]
) -> None:
    with acting(clinic, desk["receptionist"]) as s:
        made = registration.register_patient(s, person(mrn="hsc-00042"))
    with acting(clinic, desk["receptionist"]) as s:
        assert [p.id for p in search_patients(s, "hsc-00042")] == [made.id]
        assert [p.id for p in search_patients(s, "HSC-000")] == [made.id]
        assert [p.mrn for p in search_patients(s, "MRN0000002")] == ["MRN0000002"]


def test_likely_duplicates_are_shown_before_saving_and_registering_anyway_is_a_choice(
    clinic: Clinic, desk: dict[str, Any]
) -> None:
    ada = clinic.patients[0]  # Ada Lovelace, 1980-03-12
    before = count(clinic, Patient)
    with pytest.raises(DuplicateSuspected) as refused, acting(clinic, desk["receptionist"]) as s:
        registration.register_patient(
            s, person(first_name=" ada ", last_name="LOVELACE", date_of_birth=ada.date_of_birth)
        )
    assert [m.id for m in refused.value.matches] == [ada.id]
    assert "Ada" not in refused.value.message and "Lovelace" not in refused.value.message
    assert count(clinic, Patient) == before, "nothing was written"
    with acting(clinic, desk["receptionist"]) as s:
        s.get(Patient, clinic.patients[1].id).phone = "416-555-0199"  # type: ignore[union-attr]
    with acting(clinic, desk["receptionist"]) as s:
        same_phone = registration.likely_duplicates(s, person(phone="(416) 555 0199"))
    assert [m.id for m in same_phone] == [clinic.patients[1].id]
    with acting(clinic, desk["receptionist"]) as s:
        registration.register_patient(
            s,
            person(first_name="Ada", last_name="Lovelace", date_of_birth=ada.date_of_birth),
            duplicates_seen=True,
        )
    assert count(clinic, Patient) == before + 1


def test_an_mrn_in_use_or_a_bad_field_is_refused_by_its_name_and_nothing_is_written(
    clinic: Clinic, desk: dict[str, Any]
) -> None:
    before = count(clinic, Patient)
    for data, message in (
        (person(mrn="MRN0000002"), "that MRN is already in use"),
        (person(mrn="MRN 2/3"), "an MRN holds"),
        (person(email="mara.quill-at-example"), "email does not look like"),
        (person(date_of_birth=date.today() + timedelta(days=40)), "date of birth must be a real date"),
        (person(first_name="  "), "first name is required"),
        (person(preferred_contact_method="pigeon"), "preferred contact method must be one of"),
    ):
        with (
            pytest.raises(ValidationError, match=message) as refused,
            acting(clinic, desk["receptionist"]) as s,
        ):
            registration.register_patient(s, data)
        assert "Quill" not in refused.value.message and "pigeon" not in refused.value.message
    assert count(clinic, Patient) == before


def test_two_syncing_workstations_give_out_mrns_from_their_own_reserved_blocks(
    clinic: Clinic, desk: dict[str, Any]
) -> None:
    with acting(clinic, desk["receptionist"]) as s:
        set_state(s, "server_url", "https://sync.example")
    with (
        pytest.raises(ValidationError, match="no MRN numbers reserved yet"),
        acting(clinic, desk["receptionist"]) as s,
    ):
        registration.register_patient(s, person())
    # the server reserved 100..102 for this workstation (another one holds 103 onwards)
    with acting(clinic, desk["receptionist"]) as s:
        mrn.keep_block(s, 100, 103)
    made = []
    for first in ("Ana", "Ben", "Cy"):
        with acting(clinic, desk["receptionist"]) as s:
            made.append(registration.register_patient(s, person(first_name=first)).mrn)
    assert made == ["MRN0000100", "MRN0000101", "MRN0000102"]
    with (
        pytest.raises(ValidationError, match="used all its reserved MRN numbers"),
        acting(clinic, desk["receptionist"]) as s,
    ):
        registration.register_patient(s, person(first_name="Dee"))


def test_allergies_no_known_allergies_is_an_answer_distinct_from_not_recorded(
    clinic: Clinic, desk: dict[str, Any]
) -> None:
    pid = clinic.patients[0].id
    with acting(clinic, desk["nurse"]) as s:
        chart_edits.set_allergies(s, pid, AllergyStatus.NONE_KNOWN, [])
    with acting(clinic, desk["nurse"]) as s:
        assert (
            chart_edits.patient_details(s, pid, with_problems=True).allergy_status is AllergyStatus.NONE_KNOWN
        )
    with (
        pytest.raises(ValidationError, match="cannot also have 'no known allergies'"),
        acting(clinic, desk["nurse"]) as s,
    ):
        chart_edits.set_allergies(s, pid, AllergyStatus.NONE_KNOWN, [{"substance": "Latex"}])
    with pytest.raises(ValidationError, match="severity must be one of"), acting(clinic, desk["nurse"]) as s:
        chart_edits.set_allergies(s, pid, AllergyStatus.RECORDED, [{"substance": "Latex", "severity": "bad"}])
    with acting(clinic, desk["nurse"]) as s:
        chart_edits.set_allergies(
            s,
            pid,
            AllergyStatus.RECORDED,
            [{"substance": " Penicillin ", "reaction": "hives", "severity": "Severe"}],
        )
    with acting(clinic, desk["nurse"]) as s:
        details = chart_edits.patient_details(s, pid, with_problems=True)
    assert details.allergy_status is AllergyStatus.RECORDED
    assert details.allergies == [{"substance": "Penicillin", "reaction": "hives", "severity": "severe"}]


def test_insurance_is_added_edited_made_primary_and_ended(clinic: Clinic, desk: dict[str, Any]) -> None:
    pid = clinic.patients[0].id
    with acting(clinic, desk["receptionist"]) as s:
        first = chart_edits.save_insurance(s, pid, InsuranceInput(payer="OHIP", policy_number="1234"))
    with acting(clinic, desk["receptionist"]) as s:
        second = chart_edits.save_insurance(
            s,
            pid,
            InsuranceInput(payer="Sun Life", policy_number="G-9", coverage_type="drug", is_primary=True),
        )
    with acting(clinic, desk["receptionist"]) as s:
        chart_edits.end_coverage(s, pid, first.id, on=date(2030, 6, 30))
        with pytest.raises(ValidationError, match="coverage type must be one of"):
            chart_edits.save_insurance(
                s,
                pid,
                InsuranceInput(payer="X", policy_number="1", coverage_type="boat"),
                insurance_id=second.id,
            )
    with acting(clinic, desk["receptionist"]) as s:
        coverages = {c.payer: c for c in chart_edits.patient_details(s, pid, with_problems=False).insurance}
    assert coverages["Sun Life"].is_primary and not coverages["OHIP"].is_primary, "one primary at a time"
    assert coverages["OHIP"].expiry_date == date(2030, 6, 30)
    assert not coverages["OHIP"].active_on(date(2030, 7, 1))


def test_the_problem_list_takes_icd10_codes_resolves_and_is_offered_a_signed_notes_diagnoses(
    clinic: Clinic, desk: dict[str, Any]
) -> None:
    pid = clinic.patients[1].id
    assert ("E11.9", "Type 2 diabetes mellitus without complications") in chart_edits.search_icd10(
        "type 2 diabetes"
    )
    assert chart_edits.search_icd10("J45")[0][0].startswith("J45")
    with acting(clinic, desk["doctor"]) as s:
        diagnoses = [{"text": "hypertension", "icd10": "I10"}, {"code": "J06.9", "description": "URI"}]
        note = ClinicalNote(
            patient_id=pid, author_id=desk["doctor"], status=NoteStatus.SIGNED,
            signed_at=datetime(2030, 1, 5, tzinfo=UTC), content={"diagnoses": diagnoses},
        )  # fmt: skip
        s.add(note)
        s.flush()
        note_id = note.id
    with acting(clinic, desk["doctor"]) as s:
        offered = chart_edits.offered_diagnoses(s, pid)
    assert [(o.code, o.note_id) for o in offered] == [("I10", note_id), ("J06.9", note_id)]
    with acting(clinic, desk["doctor"]) as s:
        added = chart_edits.add_problem(s, pid, name="", icd10_code="i10", source_note_id=note_id)
    assert added.icd10_code == "I10" and added.name == "Essential (primary) hypertension"
    with acting(clinic, desk["doctor"]) as s:
        assert [o.code for o in chart_edits.offered_diagnoses(s, pid)] == ["J06.9"], "I10 is on the list now"
        with pytest.raises(ValidationError, match="not an ICD-10-CM code"):
            chart_edits.add_problem(s, pid, name="Flu", icd10_code="ZZZ.99")
    with acting(clinic, desk["doctor"]) as s:
        resolved = chart_edits.resolve_problem(s, added.id, on=date(2030, 2, 1))
    assert resolved.status is ConditionStatus.RESOLVED and resolved.resolved_date == date(2030, 2, 1)
    with (
        pytest.raises(PermissionDeniedError, match="change the problem list"),
        acting(clinic, desk["receptionist"]) as s,
    ):
        chart_edits.add_problem(s, pid, name="Asthma")


def _appointment(clinic: Clinic) -> uuid.UUID:
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        appt = Appointment(
            patient_id=clinic.patients[0].id, clinician_id=clinic.doctor.id,
            start_at=datetime(2030, 3, 6, 15, tzinfo=UTC), duration_minutes=30,
            appointment_type=AppointmentType.ROUTINE, status=AppointmentStatus.SCHEDULED,
        )  # fmt: skip
        s.add(appt)
        s.flush()
        return appt.id


def test_check_in_confirms_identity_and_an_unconfirmed_patient_needs_a_reason(
    clinic: Clinic, desk: dict[str, Any]
) -> None:
    appt_id = _appointment(clinic)
    partly = Verification(identifiers=("full_name", "date_of_birth"))
    assert not partly.verified
    with pytest.raises(ValidationError, match="give the reason"), acting(clinic, desk["receptionist"]) as s:
        front_desk.check_in(s, appt_id, partly)
    assert count(clinic, IdentityCheck) == 0, "a refused check-in records nothing"
    with acting(clinic, desk["receptionist"]) as s:
        record, check = front_desk.check_in(
            s, appt_id, Verification(partly.identifiers, reason="no ID with her today")
        )
    assert record.status is AppointmentStatus.CHECKED_IN and not check.verified
    assert record.status_history[-1]["reason"] == "identity not confirmed: no ID with her today"
    with clinic.store.session() as s:
        row = s.scalars(select(IdentityCheck)).one()
        assert row.checked_by_id == desk["receptionist"] and row.identifiers == ["full_name", "date_of_birth"]
        assert s.scalars(select(AuditEvent).where(AuditEvent.resource_type == "identity_checks")).one()


def _next_weekday_at_ten() -> datetime:
    day = datetime.now(TORONTO).date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(10), tzinfo=TORONTO)


def test_a_phone_booking_needs_a_confirmed_caller_and_records_the_check(
    clinic: Clinic, desk: dict[str, Any]
) -> None:
    booking = {
        "patient_id": clinic.patients[0].id, "clinician_id": clinic.doctor.id,
        "start": _next_weekday_at_ten(), "appointment_type": AppointmentType.FOLLOW_UP,
    }  # fmt: skip
    with (
        pytest.raises(ValidationError, match="confirm the caller's full name"),
        acting(clinic, desk["receptionist"]) as s,
    ):
        front_desk.book_by_phone(s, Verification(("full_name",)), **booking)
    assert count(clinic, Appointment) == 0
    with acting(clinic, desk["receptionist"]) as s:
        record, check = front_desk.book_by_phone(
            s, Verification(("full_name", "date_of_birth", "phone")), **booking
        )
    assert check.verified and check.context.value == "phone_booking"
    with clinic.store.session() as s:
        assert s.scalars(select(IdentityCheck.appointment_id)).one() == record.id
