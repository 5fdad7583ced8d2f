"""What the patient editor reads and changes besides demographics: allergies, insurance and the
problem list (with ICD-10-CM search, and the diagnoses of signed notes offered for it).

Allergies carry a status: "no known allergies" is an answer the patient gave; an empty list nobody
asked about is "not recorded", and the chart says which. A problem is added or resolved, never
deleted, so the list keeps its history; only clinicians change it (the server's policy says the
same). Every change is audited by the fields it touched, never their values.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.services import audit
from app.services.patients import live_patient
from app.services.registration import PatientInput
from app.services.roles import require_role
from app.soap.vocab import icd10_codes
from clinicdesk.errors import NotFoundError, ValidationError
from models import ClinicalNote, Condition, Insurance
from models.enums import AllergyStatus, ConditionStatus, NoteStatus, PatientStatus, Role

SEVERITIES = ("mild", "moderate", "severe", "life-threatening")
COVERAGE_TYPES = ("medical", "dental", "vision", "drug", "other")
CLINICIANS = (Role.DOCTOR, Role.NURSE, Role.ADMIN)


@dataclass(frozen=True)
class InsuranceRecord:
    id: uuid.UUID
    payer: str
    policy_number: str
    group_number: str | None
    coverage_type: str | None
    is_primary: bool
    effective_date: date | None
    expiry_date: date | None

    def active_on(self, day: date) -> bool:
        return self.expiry_date is None or self.expiry_date >= day


@dataclass(frozen=True)
class ProblemRecord:
    id: uuid.UUID
    name: str
    icd10_code: str | None
    status: ConditionStatus
    diagnosed_date: date | None
    resolved_date: date | None


@dataclass(frozen=True)
class OfferedDiagnosis:
    """A diagnosis a signed note accepted that is not on the problem list yet."""

    code: str | None
    name: str
    note_id: uuid.UUID
    signed_on: date | None


@dataclass(frozen=True)
class PatientDetails:
    """Everything the patient editor shows, read in one go."""

    id: uuid.UUID
    mrn: str
    status: PatientStatus
    demographics: PatientInput
    allergy_status: AllergyStatus
    allergies: list[dict[str, str]]
    insurance: list[InsuranceRecord]
    problems: list[ProblemRecord]


def _insurance_record(i: Insurance) -> InsuranceRecord:
    return InsuranceRecord(
        i.id, i.payer, i.policy_number, i.group_number, i.coverage_type, i.is_primary, i.effective_date,
        i.expiry_date,
    )  # fmt: skip


def _problem_record(c: Condition) -> ProblemRecord:
    return ProblemRecord(c.id, c.name, c.icd10_code, c.status, c.diagnosed_date, c.resolved_date)


def patient_details(session: Session, patient_id: uuid.UUID, *, with_problems: bool) -> PatientDetails:
    """The editable record (an audited read). ``with_problems``: the problem list too (a
    receptionist's profile does not receive it)."""
    p = live_patient(session, patient_id)
    insurance = session.scalars(
        select(Insurance)
        .where(Insurance.patient_id == patient_id, Insurance.deleted_at.is_(None))
        .order_by(Insurance.is_primary.desc(), Insurance.created_at)
    ).all()
    problems: list[Condition] = []
    if with_problems:
        problems = list(
            session.scalars(
                select(Condition)
                .where(Condition.patient_id == patient_id, Condition.deleted_at.is_(None))
                .order_by(Condition.status, Condition.created_at)
            )
        )
    audit.record(session, action="read", resource_type="patients", resource_id=patient_id)
    demographics = PatientInput(
        first_name=p.first_name, last_name=p.last_name, date_of_birth=p.date_of_birth, gender=p.gender,
        phone=p.phone, email=p.email, address_street=p.address_street, address_city=p.address_city,
        address_region=p.address_region, address_postal_code=p.address_postal_code,
        address_country=p.address_country, preferred_language=p.preferred_language,
        preferred_contact_method=p.preferred_contact_method,
        emergency_contact={str(k): str(v) for k, v in (p.emergency_contact or {}).items()}, mrn=p.mrn,
    )  # fmt: skip
    return PatientDetails(
        id=p.id,
        mrn=p.mrn,
        status=p.status,
        demographics=demographics,
        allergy_status=p.allergy_status,
        allergies=[{str(k): str(v) for k, v in a.items()} for a in p.allergies or []],
        insurance=[_insurance_record(i) for i in insurance],
        problems=[_problem_record(c) for c in problems],
    )


# -- allergies ------------------------------------------------------------------------------------


def set_allergies(
    session: Session, patient_id: uuid.UUID, status: AllergyStatus, allergies: list[dict[str, str]]
) -> AllergyStatus:
    """``recorded`` needs at least one allergy (substance, and optionally reaction and severity);
    ``none_known`` and ``not_recorded`` need none."""
    cleaned: list[dict[str, str]] = []
    for entry in allergies:
        substance = " ".join(str(entry.get("substance", "")).split())
        if not substance:
            raise ValidationError("each allergy needs its substance")
        item = {"substance": substance}
        reaction = " ".join(str(entry.get("reaction", "")).split())
        if reaction:
            item["reaction"] = reaction
        severity = str(entry.get("severity", "") or "").strip().lower()
        if severity:
            if severity not in SEVERITIES:
                raise ValidationError(f"severity must be one of {', '.join(SEVERITIES)}")
            item["severity"] = severity
        if any(len(v) > 200 for v in item.values()):
            raise ValidationError("an allergy's substance or reaction is too long (at most 200 characters)")
        cleaned.append(item)
    if status is AllergyStatus.RECORDED and not cleaned:
        raise ValidationError("add the allergy, or choose 'no known allergies'")
    if status is not AllergyStatus.RECORDED and cleaned:
        raise ValidationError("a patient with allergies listed cannot also have 'no known allergies'")
    patient = live_patient(session, patient_id)
    old = patient.allergy_status
    patient.allergy_status = status
    patient.allergies = cleaned
    audit.record(
        session,
        action="update",
        resource_type="patients",
        resource_id=patient_id,
        old={"allergy_status": old.value},
        new={"allergy_status": status.value, "allergies": len(cleaned)},
    )
    return status


# -- insurance ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InsuranceInput:
    payer: str
    policy_number: str
    group_number: str | None = None
    coverage_type: str | None = None
    is_primary: bool = True
    effective_date: date | None = None
    expiry_date: date | None = None


def _check_insurance(data: InsuranceInput) -> dict[str, Any]:
    payer = " ".join(data.payer.split())
    policy = data.policy_number.strip()
    if not payer or not policy:
        raise ValidationError("insurance needs the payer and the policy number")
    if len(payer) > 120 or len(policy) > 64 or len(data.group_number or "") > 64:
        raise ValidationError("the payer, policy or group number is too long")
    coverage = (data.coverage_type or "").strip().lower() or None
    if coverage is not None and coverage not in COVERAGE_TYPES:
        raise ValidationError(f"coverage type must be one of {', '.join(COVERAGE_TYPES)}")
    if data.effective_date and data.expiry_date and data.expiry_date < data.effective_date:
        raise ValidationError("coverage cannot end before it starts")
    return {
        "payer": payer,
        "policy_number": policy,
        "group_number": (data.group_number or "").strip() or None,
        "coverage_type": coverage,
        "is_primary": data.is_primary,
        "effective_date": data.effective_date,
        "expiry_date": data.expiry_date,
    }


def _one_primary(session: Session, patient_id: uuid.UUID, keep: uuid.UUID) -> None:
    """A new primary coverage makes the others secondary."""
    for other in session.scalars(
        select(Insurance).where(
            Insurance.patient_id == patient_id,
            Insurance.deleted_at.is_(None),
            Insurance.is_primary.is_(True),
            Insurance.id != keep,
        )
    ):
        other.is_primary = False


def save_insurance(
    session: Session, patient_id: uuid.UUID, data: InsuranceInput, *, insurance_id: uuid.UUID | None = None
) -> InsuranceRecord:
    """Adds a coverage (``insurance_id`` None) or edits one."""
    values = _check_insurance(data)
    live_patient(session, patient_id)
    if insurance_id is None:
        row = Insurance(patient_id=patient_id, **values)
        session.add(row)
        action = "create"
    else:
        found = session.get(Insurance, insurance_id)
        if found is None or found.deleted_at is not None or found.patient_id != patient_id:
            raise NotFoundError("no such insurance of this patient")
        row = found
        for name, value in values.items():
            setattr(row, name, value)
        action = "update"
    session.flush()
    if row.is_primary:
        _one_primary(session, patient_id, row.id)
    audit.record(
        session, action=action, resource_type="insurances", resource_id=row.id, new={"fields": sorted(values)}
    )
    return _insurance_record(row)


def end_coverage(
    session: Session, patient_id: uuid.UUID, insurance_id: uuid.UUID, *, on: date
) -> InsuranceRecord:
    found = session.get(Insurance, insurance_id)
    if found is None or found.deleted_at is not None or found.patient_id != patient_id:
        raise NotFoundError("no such insurance of this patient")
    if found.effective_date is not None and on < found.effective_date:
        raise ValidationError("coverage cannot end before it starts")
    found.expiry_date = on
    audit.record(
        session,
        action="update",
        resource_type="insurances",
        resource_id=found.id,
        new={"ended": on.isoformat()},
    )
    return _insurance_record(found)


# -- the problem list -----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _folded_codes() -> tuple[tuple[str, str, str], ...]:
    return tuple((code, description, description.casefold()) for code, description in icd10_codes())


def search_icd10(text: str, *, limit: int = 30) -> list[tuple[str, str]]:
    """ICD-10-CM codes whose code starts with the text ("E11"), or whose description holds it as a
    phrase ("type 2 diabetes"), then those holding each of its words; shortest (most general)
    descriptions first."""
    phrase = " ".join(text.casefold().split())
    if not phrase:
        return []
    code_like = phrase.upper()
    if any(ch.isdigit() for ch in code_like) and " " not in code_like:
        by_code = [(c, d) for c, d in icd10_codes() if c.startswith(code_like)][:limit]
        if by_code:
            return by_code
    words = phrase.split()
    whole: list[tuple[str, str]] = []
    loose: list[tuple[str, str]] = []
    for code, description, folded in _folded_codes():
        if phrase in folded:
            whole.append((code, description))
        elif all(w in folded for w in words):
            loose.append((code, description))
    ranked = sorted(whole, key=lambda m: (len(m[1]), m[0])) + sorted(loose, key=lambda m: (len(m[1]), m[0]))
    return ranked[:limit]


def known_code(code: str) -> str | None:
    """The description of an ICD-10-CM code, or None when there is no such code."""
    wanted = code.strip().upper()
    return next((d for c, d in icd10_codes() if c == wanted), None)


def add_problem(
    session: Session,
    patient_id: uuid.UUID,
    *,
    name: str,
    icd10_code: str | None = None,
    diagnosed: date | None = None,
    status: ConditionStatus = ConditionStatus.ACTIVE,
    source_note_id: uuid.UUID | None = None,
) -> ProblemRecord:
    require_role(session, *CLINICIANS, action="change the problem list")
    live_patient(session, patient_id)
    label = " ".join(name.split())
    code = (icd10_code or "").strip().upper() or None
    if code is not None and known_code(code) is None:
        raise ValidationError("that is not an ICD-10-CM code; search for the condition instead")
    if not label and code is not None:
        label = known_code(code) or ""
    if not label or len(label) > 200:
        raise ValidationError("a problem needs its name (at most 200 characters)")
    if status is ConditionStatus.RESOLVED:
        raise ValidationError("a problem is added as active or chronic, then resolved")
    row = Condition(
        patient_id=patient_id,
        name=label,
        icd10_code=code,
        diagnosed_date=diagnosed,
        status=status,
        source_note_id=source_note_id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        action="create",
        resource_type="conditions",
        resource_id=row.id,
        new={"icd10_code": code, "from_note": source_note_id is not None},
    )
    return _problem_record(row)


def resolve_problem(session: Session, condition_id: uuid.UUID, *, on: date) -> ProblemRecord:
    require_role(session, *CLINICIANS, action="change the problem list")
    row = session.get(Condition, condition_id)
    if row is None or row.deleted_at is not None:
        raise NotFoundError("no such problem on this patient's list")
    if row.status is ConditionStatus.RESOLVED:
        raise ValidationError("this problem is resolved already")
    if row.diagnosed_date is not None and on < row.diagnosed_date:
        raise ValidationError("a problem cannot be resolved before it was diagnosed")
    old = row.status
    row.status = ConditionStatus.RESOLVED
    row.resolved_date = on
    audit.record(
        session,
        action="update",
        resource_type="conditions",
        resource_id=row.id,
        old={"status": old.value},
        new={"status": ConditionStatus.RESOLVED.value},
    )
    return _problem_record(row)


def _note_diagnoses(content: dict[str, Any]) -> list[tuple[str | None, str]]:
    """(code, name) of a note's diagnoses, as the dictation ({"text", "icd10"}) or the demo data
    ({"code", "description"}) writes them."""
    out = []
    for entry in content.get("diagnoses") or []:
        if not isinstance(entry, dict):
            continue
        code = entry.get("icd10") or entry.get("code")
        name = entry.get("description") or entry.get("text") or code
        if name:
            out.append((str(code).upper() if code else None, str(name)))
    return out


def offered_diagnoses(session: Session, patient_id: uuid.UUID) -> list[OfferedDiagnosis]:
    """Diagnoses accepted in the patient's signed notes that the problem list does not hold yet
    (by ICD-10 code, or by name when a diagnosis has no code), newest note first."""
    require_role(session, *CLINICIANS, action="see the problem list")
    listed = session.execute(
        select(Condition.icd10_code, Condition.name).where(
            Condition.patient_id == patient_id, Condition.deleted_at.is_(None)
        )
    ).all()
    codes = {c for c, _ in listed if c}
    names = {n.casefold() for _, n in listed}
    notes = session.scalars(
        select(ClinicalNote)
        .where(
            ClinicalNote.patient_id == patient_id,
            ClinicalNote.deleted_at.is_(None),
            ClinicalNote.status.in_([NoteStatus.SIGNED, NoteStatus.AMENDED]),
        )
        .order_by(ClinicalNote.signed_at.desc())
    ).all()
    offered: list[OfferedDiagnosis] = []
    for note in notes:
        for code, name in _note_diagnoses(note.content or {}):
            if (code and code in codes) or (not code and name.casefold() in names):
                continue
            if code:
                codes.add(code)
            else:
                names.add(name.casefold())
            offered.append(
                OfferedDiagnosis(code, name, note.id, note.signed_at.date() if note.signed_at else None)
            )
    return offered
