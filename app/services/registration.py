"""Registering a patient and editing their demographics, with the duplicate check before saving.

A receptionist types what the patient says; :func:`check_patient` turns it into clean values or one
error naming the field (never the value: it is patient data). Before a new record is saved, likely
duplicates (the same name and date of birth, or the same phone number) are shown and the user
chooses: open the existing record, or register a new one all the same (``duplicates_seen``). The
MRN is generated in the practice's format (services/mrn.py) or entered, and must be unused.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from app.services import audit, mrn
from app.services.patients import live_patient, name_key, summary
from app.services.records import PatientSummary
from clinicdesk.errors import ValidationError
from models import Patient, utcnow
from models.enums import AllergyStatus, PatientStatus

SEXES = ("female", "male", "other", "unknown")
CONTACT_METHODS = ("phone", "sms", "email", "mail")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^[0-9+()./ -]{3,32}$")
#: the limits of the patient columns (models.Patient), checked before anything is written
LIMITS = {
    "first_name": 80, "last_name": 80, "gender": 32, "phone": 32, "email": 254, "address_street": 200,
    "address_city": 100, "address_region": 100, "address_postal_code": 20, "address_country": 64,
    "preferred_language": 32, "preferred_contact_method": 16,
}  # fmt: skip
EARLIEST_BIRTH = date(1880, 1, 1)


class DuplicateSuspected(ValidationError):
    """Registering was refused because likely duplicates exist and were not shown to the user."""

    def __init__(self, matches: list[PatientSummary]) -> None:
        count = len(matches)
        super().__init__(
            f"{count} patient record(s) look like the same person (same name and date of birth, or "
            "same phone); look at them, then register anyway if this is someone else"
        )
        self.matches = matches


@dataclass(frozen=True)
class PatientInput:
    """What the registration and demographics forms (and an import row) give."""

    first_name: str
    last_name: str
    date_of_birth: date | None
    gender: str | None = None
    phone: str | None = None
    email: str | None = None
    address_street: str | None = None
    address_city: str | None = None
    address_region: str | None = None
    address_postal_code: str | None = None
    address_country: str | None = None
    preferred_language: str | None = None
    preferred_contact_method: str | None = None
    emergency_contact: dict[str, str] = field(default_factory=dict)
    #: None: generate one in the practice's format
    mrn: str | None = None


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def phone_digits(phone: str | None) -> str:
    """A phone number compared by its digits only ("(416) 555-0101" is "4165550101")."""
    return re.sub(r"\D", "", phone or "")


def check_patient(data: PatientInput, *, today: date | None = None) -> PatientInput:
    """Clean values, or ValidationError naming the first bad field."""
    values: dict[str, Any] = {name: _clean(getattr(data, name)) for name in LIMITS}
    for name in ("first_name", "last_name"):
        if not values[name]:
            raise ValidationError(f"{name.replace('_', ' ')} is required")
    for name, limit in LIMITS.items():
        text = values[name]
        if text is not None and (len(text) > limit or "\x00" in text):
            raise ValidationError(f"{name.replace('_', ' ')} is too long (at most {limit} characters)")
    if data.date_of_birth is None:
        raise ValidationError("date of birth is required (YYYY-MM-DD)")
    if not EARLIEST_BIRTH <= data.date_of_birth <= (today or (utcnow() + timedelta(hours=14)).date()):
        raise ValidationError("date of birth must be a real date, not in the future")
    if values["gender"] is not None:
        values["gender"] = values["gender"].lower()
        if values["gender"] in ("f", "m", "o", "u"):
            values["gender"] = {"f": "female", "m": "male", "o": "other", "u": "unknown"}[values["gender"]]
        if values["gender"] not in SEXES:
            raise ValidationError(f"sex must be one of {', '.join(SEXES)}")
    if values["phone"] is not None and not _PHONE.match(values["phone"]):
        raise ValidationError("phone may hold digits, spaces and + ( ) - . / only")
    if values["email"] is not None and not _EMAIL.match(values["email"]):
        raise ValidationError("email does not look like an email address")
    method = values["preferred_contact_method"]
    if method is not None:
        values["preferred_contact_method"] = method.lower()
        if values["preferred_contact_method"] not in CONTACT_METHODS:
            raise ValidationError(f"preferred contact method must be one of {', '.join(CONTACT_METHODS)}")
    contact = {k: v for k, v in ((k, _clean(v)) for k, v in data.emergency_contact.items()) if v}
    if any(k not in ("name", "relationship", "phone") for k in contact):
        raise ValidationError("the emergency contact has a name, relationship and phone only")
    if any(len(v) > 100 for v in contact.values()):
        raise ValidationError("an emergency contact field is too long (at most 100 characters)")
    if contact.get("phone") and not _PHONE.match(contact["phone"]):
        raise ValidationError("the emergency contact's phone may hold digits, spaces and + ( ) - . / only")
    given_mrn = mrn.check_mrn(data.mrn) if data.mrn and data.mrn.strip() else None
    return replace(data, **values, emergency_contact=contact, mrn=given_mrn)


@dataclass
class DuplicateIndex:
    """The practice's patients by (name keys, date of birth) and by phone digits, read once: how an
    import of 50,000 rows checks each against every record without a query per row."""

    by_name: dict[tuple[str, str, date], uuid.UUID] = field(default_factory=dict)
    by_phone: dict[str, uuid.UUID] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session) -> DuplicateIndex:
        index = cls()
        rows = session.execute(
            select(Patient.id, Patient.first_name_key, Patient.last_name_key)
            .add_columns(Patient.date_of_birth, Patient.phone)
            .where(Patient.deleted_at.is_(None))
        )
        for pid, first, last, dob, phone in rows:
            index.add(pid, first, last, dob, phone)
        return index

    def add(self, pid: uuid.UUID, first_key: str, last_key: str, dob: date, phone: str | None) -> None:
        self.by_name.setdefault((first_key, last_key, dob), pid)
        digits = phone_digits(phone)
        if len(digits) >= 7:
            self.by_phone.setdefault(digits, pid)

    def match(self, data: PatientInput) -> uuid.UUID | None:
        assert data.date_of_birth is not None
        key = (name_key(data.first_name), name_key(data.last_name), data.date_of_birth)
        found = self.by_name.get(key)
        if found is None and len(phone_digits(data.phone)) >= 7:
            found = self.by_phone.get(phone_digits(data.phone))
        return found


def likely_duplicates(
    session: Session, data: PatientInput, *, exclude: uuid.UUID | None = None, limit: int = 10
) -> list[PatientSummary]:
    """Patients with the same name and date of birth, or the same phone number (by its digits)."""
    data = check_patient(data)
    assert data.date_of_birth is not None
    same_name = and_(
        Patient.first_name_key == name_key(data.first_name),
        Patient.last_name_key == name_key(data.last_name),
        Patient.date_of_birth == data.date_of_birth,
    )
    found = list(session.scalars(select(Patient).where(same_name, Patient.deleted_at.is_(None)).limit(limit)))
    digits = phone_digits(data.phone)
    if len(digits) >= 7:
        # phones are stored as typed: compare by digits, among the numbers ending the same way
        tail = digits[-4:]
        for patient in session.scalars(
            select(Patient).where(Patient.phone.like(f"%{tail}"), Patient.deleted_at.is_(None))
        ):
            if phone_digits(patient.phone) == digits and patient not in found:
                found.append(patient)
    audit.record(
        session, action="search", resource_type="patients", resource_id=None, new={"results": len(found)}
    )
    return [summary(p) for p in found if p.id != exclude][:limit]


def _mrn_taken(session: Session, value: str, *, exclude: uuid.UUID | None = None) -> bool:
    found = session.scalar(select(Patient.id).where(Patient.mrn == value).limit(1))
    return found is not None and found != exclude


def new_patient_values(data: PatientInput) -> dict[str, Any]:
    """The patient columns a checked input fills (the search keys beside the names)."""
    assert data.date_of_birth is not None
    return {
        **{name: getattr(data, name) for name in LIMITS},
        "date_of_birth": data.date_of_birth,
        "first_name_key": name_key(data.first_name),
        "last_name_key": name_key(data.last_name),
        "emergency_contact": dict(data.emergency_contact),
    }


def _apply(patient: Patient, data: PatientInput) -> dict[str, Any]:
    """Writes the input's values onto ``patient``; returns the changed fields' names (for audit)."""
    values = new_patient_values(data)
    changed = {}
    for name, value in values.items():
        if getattr(patient, name, None) != value:
            setattr(patient, name, value)
            changed[name] = True
    return changed


def new_patient(session: Session, data: PatientInput, *, mrn_value: str) -> Patient:
    patient = Patient(mrn=mrn_value, status=PatientStatus.ACTIVE, allergy_status=AllergyStatus.NOT_RECORDED)
    _apply(patient, data)
    return patient


def register_patient(
    session: Session, data: PatientInput, *, duplicates_seen: bool = False
) -> PatientSummary:
    """Registers a new patient. Refused (DuplicateSuspected) while likely duplicates exist that the
    user has not been shown; an entered MRN must be unused."""
    data = check_patient(data)
    if not duplicates_seen:
        matches = likely_duplicates(session, data)
        if matches:
            raise DuplicateSuspected(matches)
    if data.mrn is not None:
        if _mrn_taken(session, data.mrn):
            raise ValidationError("that MRN is already in use; leave it empty to generate one")
        value = data.mrn
    else:
        value = mrn.next_mrns(session)[0]
    patient = new_patient(session, data, mrn_value=value)
    session.add(patient)
    session.flush()
    audit.record(
        session,
        action="create",
        resource_type="patients",
        resource_id=patient.id,
        new={"mrn": "generated" if data.mrn is None else "entered", "duplicates_seen": duplicates_seen},
    )
    return summary(patient)


def update_demographics(session: Session, patient_id: uuid.UUID, data: PatientInput) -> PatientSummary:
    """Changes a patient's demographics and contact details (and the MRN, if a new unused one is
    given). The audit event names the fields changed, never their values."""
    data = check_patient(data)
    patient = live_patient(session, patient_id)
    if data.mrn is not None and data.mrn != patient.mrn:
        if _mrn_taken(session, data.mrn, exclude=patient.id):
            raise ValidationError("that MRN is already in use by another patient")
        patient.mrn = data.mrn
    changed = _apply(patient, data)
    session.flush()
    if changed:
        audit.record(
            session,
            action="update",
            resource_type="patients",
            resource_id=patient.id,
            new={"fields": sorted(changed)},
        )
    return summary(patient)


def set_status(session: Session, patient_id: uuid.UUID, status: PatientStatus) -> PatientSummary:
    patient = live_patient(session, patient_id)
    if patient.status != status:
        old = patient.status
        patient.status = status
        audit.record(
            session,
            action="update",
            resource_type="patients",
            resource_id=patient.id,
            old={"status": old.value},
            new={"status": status.value},
        )
    return summary(patient)


def find_by_mrns(session: Session, values: Iterable[str]) -> set[str]:
    """Which of ``values`` are MRNs this profile already holds (checked in chunks)."""
    wanted = list(dict.fromkeys(values))
    taken: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        taken.update(session.scalars(select(Patient.mrn).where(Patient.mrn.in_(chunk))))
    return taken
