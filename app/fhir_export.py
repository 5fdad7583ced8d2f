"""A signed note as a FHIR R4 Bundle (type collection) following US Core.

Per note: the Composition (LOINC 11506-3 progress note; its sections 61150-9 subjective,
61149-1 objective, 51848-0 assessment and 18776-5 plan, each with its text and the resources it
speaks of), the DocumentReference (category clinical-note, the note as plain text), the vital-sign
Observations, the encounter's diagnoses as Conditions (ICD-10-CM, encounter-diagnosis), the
MedicationRequests (the visit's signed prescriptions as orders, the plan's other medications as
plans), the Encounter, the Patient and the Practitioner. Several notes of one patient share the
Patient and Practitioner entries.

Only signed (or amended) notes leave: a draft is refused with a message that says so. Ids are the
records' own, or derived from them (a vital sign's Observation), so the same note exports the same
resources every time. Values are only ever copied: a vital without its unit is left out, a
diagnosis without a code keeps its words alone.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import drug_safety
from app.services import audit
from app.vital_signs import Reading, readings
from clinicdesk.errors import NotFoundError, ValidationError
from models import ClinicalNote, Encounter, Patient, Prescription, PrescriptionItem, User
from models.enums import SOAP_SECTIONS, EncounterStatus, EncounterType, NoteStatus, PrescriptionStatus

LOINC, UCUM = "http://loinc.org", "http://unitsofmeasure.org"
US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
MRN_SYSTEM = "urn:clinicdesk:mrn"
LICENCE_SYSTEM = "urn:clinicdesk:licence"
PROGRESS_NOTE = {"system": LOINC, "code": "11506-3", "display": "Progress note"}
SECTION_CODES = {
    "subjective": ("61150-9", "Subjective Narrative"),
    "objective": ("61149-1", "Objective Narrative"),
    "assessment": ("51848-0", "Evaluation note"),
    "plan": ("18776-5", "Plan of care note"),
}
#: reading kind -> (US Core profile, LOINC codes (code, display), words)
VITALS: dict[str, tuple[str, list[tuple[str, str]], str]] = {
    "blood_pressure": (
        "us-core-blood-pressure",
        [("85354-9", "Blood pressure panel with all children optional")],
        "Blood pressure",
    ),
    "heart_rate": ("us-core-heart-rate", [("8867-4", "Heart rate")], "Heart rate"),
    "respiratory_rate": ("us-core-respiratory-rate", [("9279-1", "Respiratory rate")], "Respiratory rate"),
    "temperature": ("us-core-body-temperature", [("8310-5", "Body temperature")], "Body temperature"),
    "spo2": (
        "us-core-pulse-oximetry",
        [
            ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry"),
            ("2708-6", "Oxygen saturation in Arterial blood"),
        ],
        "Oxygen saturation",
    ),
    "weight": ("us-core-body-weight", [("29463-7", "Body weight")], "Body weight"),
    "height": ("us-core-body-height", [("8302-2", "Body height")], "Body height"),
    "bmi": ("us-core-bmi", [("39156-5", "Body mass index (BMI) [Ratio]")], "Body mass index"),
}
UNIT_TEXT = {"Cel": "C", "[degF]": "F", "[lb_av]": "lb", "[in_i]": "in", "mm[Hg]": "mmHg"}
_IDS = uuid.UUID("0190c0de-0000-7000-8000-0000f41e0000")
_GENDERS = {"male": "male", "m": "male", "female": "female", "f": "female", "other": "other"}
_ENCOUNTER_CLASS = {
    EncounterType.TELEMEDICINE: ("VR", "virtual"),
    EncounterType.EMERGENCY: ("EMER", "emergency"),
    EncounterType.HOME_VISIT: ("HH", "home health"),
}
_RX_STATUS = {
    PrescriptionStatus.SIGNED: "active",
    PrescriptionStatus.PRINTED: "active",
    PrescriptionStatus.SENT: "active",
    PrescriptionStatus.DISPENSED: "completed",
    PrescriptionStatus.CANCELLED: "cancelled",
}
NOT_SIGNED = "only a signed note can be exported; sign it first (a draft may still change)"


def derived_id(*parts: object) -> str:
    return str(uuid.uuid5(_IDS, ":".join(str(p) for p in parts)))


def _ref(resource: dict[str, Any]) -> dict[str, str]:
    return {"reference": f"urn:uuid:{resource['id']}"}


def _concept(system: str, code: str, display: str, text: str | None = None) -> dict[str, Any]:
    concept: dict[str, Any] = {"coding": [{"system": system, "code": code, "display": display}]}
    if text:
        concept["text"] = text
    return concept


def _instant(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def _div(text: str) -> dict[str, str]:
    body = escape(text).replace("\n", "<br/>")
    return {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml"><p>{body}</p></div>'}


def patient_resource(patient: Patient) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(patient.id),
        "meta": {"profile": [US_CORE + "us-core-patient"]},
        "identifier": [
            {
                "use": "usual",
                "type": _concept(
                    "http://terminology.hl7.org/CodeSystem/v2-0203", "MR", "Medical record number"
                ),
                "system": MRN_SYSTEM,
                "value": patient.mrn,
            }
        ],
        "name": [{"use": "official", "family": patient.last_name, "given": [patient.first_name]}],
        "gender": _GENDERS.get((patient.gender or "").strip().lower(), "unknown"),
        "birthDate": patient.date_of_birth.isoformat(),
    }
    telecom = [{"system": "phone", "value": patient.phone}] if patient.phone else []
    telecom += [{"system": "email", "value": patient.email}] if patient.email else []
    if telecom:
        resource["telecom"] = telecom
    address = {
        k: v
        for k, v in (
            ("line", [patient.address_street] if patient.address_street else None),
            ("city", patient.address_city),
            ("state", patient.address_region),
            ("postalCode", patient.address_postal_code),
            ("country", patient.address_country),
        )
        if v
    }
    if address:
        resource["address"] = [address]
    return resource


def practitioner_resource(user: User) -> dict[str, Any]:
    words = [w for w in user.full_name.split() if w.rstrip(".").lower() not in ("dr", "doctor")]
    name: dict[str, Any] = {"text": user.full_name}
    if words:
        name["family"] = words[-1]
        if len(words) > 1:
            name["given"] = words[:-1]
    resource: dict[str, Any] = {
        "resourceType": "Practitioner",
        "id": str(user.id),
        "meta": {"profile": [US_CORE + "us-core-practitioner"]},
        "name": [name],
    }
    if user.license_number:
        resource["identifier"] = [{"system": LICENCE_SYSTEM, "value": user.license_number}]
    if user.credentials:
        resource["qualification"] = [{"code": {"text": user.credentials}}]
    return resource


def encounter_resource(enc: Encounter, patient: dict[str, Any], clinician: dict[str, Any]) -> dict[str, Any]:
    code, display = _ENCOUNTER_CLASS.get(enc.encounter_type, ("AMB", "ambulatory"))
    status = {EncounterStatus.COMPLETED: "finished", EncounterStatus.CANCELLED: "cancelled"}.get(
        enc.status, "in-progress"
    )
    period = {"start": _instant(enc.start_at)}
    if enc.end_at is not None:
        period["end"] = _instant(enc.end_at)
    resource: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": str(enc.id),
        "meta": {"profile": [US_CORE + "us-core-encounter"]},
        "status": status,
        "class": {
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            "code": code,
            "display": display,
        },
        "type": [{"text": enc.encounter_type.value.replace("_", " ").capitalize()}],
        "subject": _ref(patient),
        "participant": [{"individual": _ref(clinician)}],
        "period": period,
    }
    if enc.chief_complaint:
        resource["reasonCode"] = [{"text": enc.chief_complaint}]
    return resource


def _quantity(value: float, unit: str) -> dict[str, Any]:
    number: float | int = int(value) if float(value).is_integer() else value
    return {"value": number, "unit": UNIT_TEXT.get(unit, unit), "system": UCUM, "code": unit}


def observation(
    note_id: uuid.UUID,
    reading: Reading,
    *,
    subject: dict[str, Any],
    encounter: dict[str, Any],
    when: str | None,
) -> dict[str, Any]:
    profile, codes, words = VITALS[reading.kind]
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": derived_id(note_id, reading.kind),
        "meta": {"profile": [US_CORE + profile]},
        "status": "final",
        "category": [
            _concept(
                "http://terminology.hl7.org/CodeSystem/observation-category", "vital-signs", "Vital Signs"
            )
        ],
        "code": {"coding": [{"system": LOINC, "code": c, "display": d} for c, d in codes], "text": words},
        "subject": _ref(subject),
        "encounter": _ref(encounter),
        "effectiveDateTime": when,
    }
    if reading.kind == "blood_pressure":
        assert reading.systolic is not None and reading.diastolic is not None
        parts = (
            ("8480-6", "Systolic blood pressure", reading.systolic),
            ("8462-4", "Diastolic blood pressure", reading.diastolic),
        )
        resource["component"] = [
            {"code": _concept(LOINC, code, words), "valueQuantity": _quantity(value, "mm[Hg]")}
            for code, words, value in parts
        ]
    else:
        assert reading.value is not None
        resource["valueQuantity"] = _quantity(reading.value, reading.unit)
    return resource


def condition(
    note: ClinicalNote,
    index: int,
    diagnosis: dict[str, Any],
    *,
    subject: dict[str, Any],
    encounter: dict[str, Any],
    recorder: dict[str, Any],
) -> dict[str, Any] | None:
    text = str(diagnosis.get("text") or "").strip()
    code = str(diagnosis.get("icd10") or "").strip()
    if not text and not code:
        return None
    concept: dict[str, Any] = {"text": text or code}
    if code:
        concept["coding"] = [{"system": ICD10CM, "code": code, "display": text or code}]
    return {
        "resourceType": "Condition",
        "id": derived_id(note.id, "diagnosis", index, code or text),
        "meta": {"profile": [US_CORE + "us-core-condition-encounter-diagnosis"]},
        "clinicalStatus": _concept(
            "http://terminology.hl7.org/CodeSystem/condition-clinical", "active", "Active"
        ),
        "verificationStatus": _concept(
            "http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed", "Confirmed"
        ),
        "category": [
            _concept(
                "http://terminology.hl7.org/CodeSystem/condition-category",
                "encounter-diagnosis",
                "Encounter Diagnosis",
            )
        ],
        "code": concept,
        "subject": _ref(subject),
        "encounter": _ref(encounter),
        "recordedDate": _instant(note.signed_at),
        "recorder": _ref(recorder),
    }


def _medication_request(
    rid: str,
    *,
    text: str,
    dosage: str,
    status: str,
    intent: str,
    subject: dict[str, Any],
    encounter: dict[str, Any],
    requester: dict[str, Any],
    authored: str | None,
    refills: int | None = None,
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": rid,
        "meta": {"profile": [US_CORE + "us-core-medicationrequest"]},
        "status": status,
        "intent": intent,
        "medicationCodeableConcept": {"text": text},
        "subject": _ref(subject),
        "encounter": _ref(encounter),
        "requester": _ref(requester),
    }
    if authored:
        resource["authoredOn"] = authored
    if dosage:
        resource["dosageInstruction"] = [{"text": dosage}]
    if refills:
        resource["dispenseRequest"] = {"numberOfRepeatsAllowed": refills}
    return resource


def medication_requests(
    session: Session,
    note: ClinicalNote,
    *,
    subject: dict[str, Any],
    encounter: dict[str, Any],
    requester: dict[str, Any],
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    prescribed: set[str] = set()
    if note.encounter_id is not None:
        rows = session.execute(
            select(Prescription, PrescriptionItem)
            .join(PrescriptionItem, PrescriptionItem.prescription_id == Prescription.id)
            .where(
                Prescription.encounter_id == note.encounter_id,
                Prescription.deleted_at.is_(None),
                PrescriptionItem.deleted_at.is_(None),
                Prescription.status.in_(list(_RX_STATUS)),
            )
            .order_by(Prescription.created_at, PrescriptionItem.created_at)
        ).all()
        for rx, item in rows:
            prescribed.add(drug_safety.drug_of(item.medication))
            said = (item.dosage, item.frequency, item.duration and f"for {item.duration}", item.instructions)
            dosage = " ".join(x for x in said if x)
            out.append(
                _medication_request(
                    str(item.id),
                    text=item.medication,
                    dosage=dosage,
                    status=_RX_STATUS[rx.status],
                    intent="order",
                    subject=subject,
                    encounter=encounter,
                    requester=requester,
                    authored=_instant(rx.signed_at),
                    refills=item.refills,
                )
            )
    for index, med in enumerate((note.content or {}).get("medications") or []):
        name = str(med.get("name") or "").strip()
        if not name or drug_safety.drug_of(name) in prescribed:
            continue
        dose = " ".join(str(med.get(k) or "") for k in ("dose", "unit")).strip()
        dosage = " ".join(x for x in (dose, med.get("route"), med.get("frequency"), med.get("duration")) if x)
        out.append(
            _medication_request(
                derived_id(note.id, "medication", index, name),
                text=name,
                dosage=dosage,
                status="active",
                intent="plan",
                subject=subject,
                encounter=encounter,
                requester=requester,
                authored=_instant(note.signed_at),
            )
        )
    return out


def note_text(note: ClinicalNote) -> str:
    content = note.content or {}
    return "\n\n".join(f"{s.upper()}\n{str(content.get(s) or '').strip()}" for s in SOAP_SECTIONS)


def note_resources(session: Session, note: ClinicalNote) -> list[dict[str, Any]]:
    """Every resource of one signed note, the note's own first."""
    if note.status is NoteStatus.DRAFT:
        raise ValidationError(NOT_SIGNED)
    patient_row = session.get(Patient, note.patient_id)
    author_row = session.get(User, note.author_id)
    enc_row = session.get(Encounter, note.encounter_id) if note.encounter_id else None
    if patient_row is None or author_row is None or enc_row is None:
        raise NotFoundError(
            "this note's patient, author or encounter is missing from this profile; sync first"
        )
    patient, author = patient_resource(patient_row), practitioner_resource(author_row)
    encounter = encounter_resource(enc_row, patient, author)
    when = _instant(enc_row.start_at)
    content = note.content or {}
    vitals = [
        observation(note.id, r, subject=patient, encounter=encounter, when=when)
        for r in readings(content.get("vitals"))
    ]
    conditions = [
        c
        for i, d in enumerate(content.get("diagnoses") or [])
        if (c := condition(note, i, d, subject=patient, encounter=encounter, recorder=author)) is not None
    ]
    meds = medication_requests(session, note, subject=patient, encounter=encounter, requester=author)
    entries = {"subjective": [], "objective": vitals, "assessment": conditions, "plan": meds}
    sections = []
    for section in SOAP_SECTIONS:
        code, display = SECTION_CODES[section]
        part: dict[str, Any] = {"title": section.capitalize(), "code": _concept(LOINC, code, display)}
        text = str(content.get(section) or "").strip()
        if text:
            part["text"] = _div(text)
        if entries[section]:
            part["entry"] = [_ref(r) for r in entries[section]]
        if not text and not entries[section]:
            part["emptyReason"] = _concept(
                "http://terminology.hl7.org/CodeSystem/list-empty-reason", "unavailable", "Unavailable"
            )
        sections.append(part)
    status = "amended" if note.status is NoteStatus.AMENDED else "final"
    signed = _instant(note.signed_at)
    composition = {
        "resourceType": "Composition",
        "id": str(note.id),
        "status": status,
        "type": {"coding": [PROGRESS_NOTE], "text": "Progress note"},
        "category": [_clinical_note_category()],
        "subject": _ref(patient),
        "encounter": _ref(encounter),
        "date": signed,
        "author": [_ref(author)],
        "title": "Progress note",
        "attester": [{"mode": "legal", "time": signed, "party": _ref(author)}],
        "section": sections,
    }
    document = {
        "resourceType": "DocumentReference",
        "id": derived_id(note.id, "document", note.current_version),
        "meta": {"profile": [US_CORE + "us-core-documentreference"]},
        "status": "current",
        "docStatus": status,
        "type": {"coding": [PROGRESS_NOTE], "text": "Progress note"},
        "category": [_clinical_note_category()],
        "subject": _ref(patient),
        "date": signed,
        "author": [_ref(author)],
        "authenticator": _ref(author),
        "content": [
            {
                "attachment": {
                    "contentType": "text/plain; charset=utf-8",
                    "language": "en",
                    "data": base64.b64encode(note_text(note).encode("utf-8")).decode("ascii"),
                    "title": "Progress note",
                    "creation": signed,
                }
            }
        ],
        "context": {"encounter": [_ref(encounter)], "period": {"start": when}},
    }
    return [composition, document, *vitals, *conditions, *meds, encounter, patient, author]


def _clinical_note_category() -> dict[str, Any]:
    return _concept(
        "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category",
        "clinical-note",
        "Clinical Note",
    )


def bundle(session: Session, notes: Sequence[ClinicalNote], *, now: datetime | None = None) -> dict[str, Any]:
    """One Bundle (type collection) holding every given note with its resources, each resource once."""
    entries: dict[str, dict[str, Any]] = {}
    for note in notes:
        for resource in note_resources(session, note):
            entries.setdefault(resource["id"] + resource["resourceType"], resource)
    moment = _instant(now or datetime.now(UTC))
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": moment},
        "type": "collection",
        "timestamp": moment,
        "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in entries.values()],
    }


def notes_to_export(
    session: Session, *, note_id: uuid.UUID | None = None, mrn: str | None = None
) -> list[ClinicalNote]:
    """The note asked for (refused unless signed), or every signed note of the patient with ``mrn``."""
    if note_id is not None:
        note = session.get(ClinicalNote, note_id)
        if note is None or note.deleted_at is not None:
            raise NotFoundError("no such note in this profile")
        if note.status is NoteStatus.DRAFT:
            raise ValidationError(NOT_SIGNED)
        return [note]
    patient = session.scalars(select(Patient).where(Patient.mrn == (mrn or "").strip())).first()
    if patient is None or patient.deleted_at is not None:
        raise NotFoundError("no patient with that MRN in this profile")
    notes = list(
        session.scalars(
            select(ClinicalNote)
            .where(
                ClinicalNote.patient_id == patient.id,
                ClinicalNote.deleted_at.is_(None),
                ClinicalNote.status.in_([NoteStatus.SIGNED, NoteStatus.AMENDED]),
            )
            .order_by(ClinicalNote.signed_at)
        )
    )
    if not notes:
        raise ValidationError(
            "this patient has no signed notes to export; only signed notes leave ClinicDesk"
        )
    return notes


def export(session: Session, *, note_id: uuid.UUID | None = None, mrn: str | None = None) -> dict[str, Any]:
    """The Bundle of the notes asked for; the export is audited per note."""
    notes = notes_to_export(session, note_id=note_id, mrn=mrn)
    result = bundle(session, notes)
    for note in notes:
        audit.record(
            session,
            action="export",
            resource_type="clinical_notes",
            resource_id=note.id,
            new={"format": "fhir-r4-bundle"},
        )
    return result
