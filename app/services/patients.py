"""Patient search and the chart summary.

Search accepts what a receptionist types: a name prefix ("smi", "john smi", "smith, jo"), an MRN
(or its digits), or a date of birth (ISO "1980-03-12", or "12/03/1980" read day-first only when
unambiguous). Name search uses the case-folded key columns with range predicates, which SQLite and
PostgreSQL both answer from an index.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import QueryableAttribute, Session
from sqlalchemy.sql.elements import ColumnElement

from app.services import audit
from app.services.records import AppointmentRecord, EncounterSummary, PatientChart, PatientSummary
from clinicdesk.errors import NotFoundError
from models import (
    Appointment,
    ClinicalNote,
    Condition,
    Encounter,
    Insurance,
    Patient,
    User,
    utcnow,
)
from models.enums import AppointmentStatus, ConditionStatus

_MRN = re.compile(r"^(mrn)?\s*(\d{3,})$", re.IGNORECASE)
_DATE_SLASHED = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")
_HIGH = "\U0010ffff"


def name_key(name: str) -> str:
    """The search key stored beside each name: case-folded, accents kept, spaces trimmed."""
    return " ".join(name.split()).casefold()


def _prefix(column: QueryableAttribute[str], text: str) -> ColumnElement[bool]:
    return and_(column >= text, column < text + _HIGH)


def parse_dob(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    match = _DATE_SLASHED.match(text)
    if not match:
        return None
    a, b, year = (int(g) for g in match.groups())
    candidates = set()
    for day, month in ((a, b), (b, a)):
        try:
            candidates.add(date(year, month, day))
        except ValueError:
            continue
    return candidates.pop() if len(candidates) == 1 else None


def summary(p: Patient) -> PatientSummary:
    return PatientSummary(
        id=p.id,
        mrn=p.mrn,
        first_name=p.first_name,
        last_name=p.last_name,
        date_of_birth=p.date_of_birth,
        phone=p.phone,
    )


def _criteria(text: str) -> ColumnElement[bool] | None:
    text = " ".join(text.split())
    if not text:
        return None
    dob = parse_dob(text)
    if dob is not None:
        return Patient.date_of_birth == dob
    mrn = _MRN.match(text)
    if mrn:
        return _prefix(Patient.mrn, "MRN" + mrn.group(2))
    if text.upper().startswith("MRN"):
        return _prefix(Patient.mrn, text.upper().replace(" ", ""))
    if " " not in text and any(c.isdigit() for c in text):
        # the practice's own MRN format, or one kept from an old system (names hold no digits)
        return or_(*(_prefix(Patient.mrn, form) for form in {text, text.upper(), text.lower()}))
    if "," in text:
        last, _, first = text.partition(",")
        return and_(
            _prefix(Patient.last_name_key, name_key(last)), _prefix(Patient.first_name_key, name_key(first))
        )
    words = name_key(text).split(" ")
    if len(words) == 1:
        return or_(_prefix(Patient.last_name_key, words[0]), _prefix(Patient.first_name_key, words[0]))
    first, last = " ".join(words[:-1]), words[-1]
    return or_(
        and_(_prefix(Patient.first_name_key, first), _prefix(Patient.last_name_key, last)),
        and_(_prefix(Patient.last_name_key, words[0]), _prefix(Patient.first_name_key, " ".join(words[1:]))),
    )


def search_patients(session: Session, text: str, *, limit: int = 50) -> list[PatientSummary]:
    where = _criteria(text)
    if where is None:
        return []
    rows = session.scalars(
        select(Patient)
        .where(where, Patient.deleted_at.is_(None))
        .order_by(Patient.last_name_key, Patient.first_name_key, Patient.date_of_birth)
        .limit(limit)
    ).all()
    audit.record(
        session, action="search", resource_type="patients", resource_id=None, new={"results": len(rows)}
    )
    return [summary(p) for p in rows]


def appointment_record(a: Appointment) -> AppointmentRecord:
    return AppointmentRecord(
        id=a.id,
        patient_id=a.patient_id,
        clinician_id=a.clinician_id,
        start=a.start_at,
        duration_minutes=a.duration_minutes,
        appointment_type=a.appointment_type,
        status=a.status,
        reason=a.reason,
        confirmation_number=a.confirmation_number,
        status_history=list(a.status_history),
    )


def _address(p: Patient) -> str:
    parts = [p.address_street, p.address_city, p.address_region, p.address_postal_code, p.address_country]
    return ", ".join(x for x in parts if x)


def live_patient(session: Session, patient_id: uuid.UUID) -> Patient:
    """The patient, unless there is none or the record was deleted (NotFoundError, naming no one)."""
    patient = session.get(Patient, patient_id)
    if patient is None or patient.deleted_at is not None:
        raise NotFoundError("no such patient in this profile")
    return patient


def patient_chart(session: Session, patient_id: uuid.UUID, *, recent: int = 10) -> PatientChart:
    patient = live_patient(session, patient_id)
    conditions = session.scalars(
        select(Condition)
        .where(Condition.patient_id == patient_id, Condition.deleted_at.is_(None))
        .order_by(Condition.status, Condition.diagnosed_date.desc())
    ).all()
    insurances = session.scalars(
        select(Insurance).where(Insurance.patient_id == patient_id, Insurance.deleted_at.is_(None))
    ).all()
    encounter_rows = session.execute(
        select(Encounter, User.full_name)
        .join(User, User.id == Encounter.clinician_id)
        .where(Encounter.patient_id == patient_id, Encounter.deleted_at.is_(None))
        .order_by(Encounter.start_at.desc())
        .limit(recent)
    ).all()
    notes_by_encounter: dict[uuid.UUID, list[dict[str, object]]] = {}
    if encounter_rows:
        for note in session.scalars(
            select(ClinicalNote).where(
                ClinicalNote.encounter_id.in_([e.id for e, _ in encounter_rows]),
                ClinicalNote.deleted_at.is_(None),
            )
        ):
            assert note.encounter_id is not None
            notes_by_encounter.setdefault(note.encounter_id, []).append(
                {
                    "id": str(note.id),
                    "status": note.status.value,
                    "note_type": note.note_type.value,
                    "assessment": str(note.content.get("assessment", ""))[:300],
                    "signed_at": note.signed_at.isoformat() if note.signed_at else None,
                }
            )
    now = utcnow()
    upcoming = session.scalars(
        select(Appointment)
        .where(
            Appointment.patient_id == patient_id,
            Appointment.start_at >= now - timedelta(hours=1),
            Appointment.deleted_at.is_(None),
            Appointment.status.not_in([AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW]),
        )
        .order_by(Appointment.start_at)
        .limit(recent)
    ).all()
    audit.record(session, action="read", resource_type="patients", resource_id=patient_id)
    active_first = sorted(conditions, key=lambda c: c.status == ConditionStatus.RESOLVED)
    return PatientChart(
        patient=summary(patient),
        gender=patient.gender,
        email=patient.email,
        address=_address(patient),
        emergency_contact=dict(patient.emergency_contact),
        blood_group=patient.blood_group,
        preferred_language=patient.preferred_language,
        allergies=list(patient.allergies),
        conditions=[
            {
                "name": c.name,
                "icd10": c.icd10_code,
                "status": c.status.value,
                "diagnosed": c.diagnosed_date.isoformat() if c.diagnosed_date else None,
            }
            for c in active_first
        ],
        insurance=[
            {
                "payer": i.payer,
                "policy_number": i.policy_number,
                "group_number": i.group_number,
                "coverage_type": i.coverage_type,
                "primary": i.is_primary,
                "expiry": i.expiry_date.isoformat() if i.expiry_date else None,
            }
            for i in insurances
        ],
        encounters=[
            EncounterSummary(
                id=e.id,
                start=e.start_at,
                encounter_type=e.encounter_type.value,
                status=e.status.value,
                chief_complaint=e.chief_complaint,
                clinician_name=name,
                notes=notes_by_encounter.get(e.id, []),
            )
            for e, name in encounter_rows
        ],
        upcoming=[appointment_record(a) for a in upcoming],
        allergy_status=patient.allergy_status.value,
    )
