"""A prescription's life after the draft: safety checks at signing, printing, sending, refills,
renewal and cancellation, and the chart's active medications, which come from prescriptions alone.

Signing runs the checks of app/drug_safety.py against the patient's recorded allergies and active
medications. With warnings, nothing is signed until the doctor has seen them (the caller passes back
the keys of the findings shown) and gives a reason; the findings, the decision and the reason are
kept on the prescription and in the audit trail, and an allergy overridden alerts the nurses.

Refills remaining are the refills written on an item less those handed out (``refill_log``). A
renewal is a new draft copied from a prescription; once signed, the old one is no longer active.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import alert_rules, drug_safety
from app.drug_safety import Finding
from app.services import audit, documents
from app.services.documents import DocumentRecord
from app.services.orders import cancel_prescription
from app.services.roles import require_role
from clinicdesk.errors import NotFoundError, PermissionDeniedError, ValidationError
from models import Encounter, Patient, Prescription, PrescriptionItem, User, utcnow
from models.enums import DocumentCategory, PrescriptionStatus, Role

P = PrescriptionStatus
#: a prescription in one of these gives the patient its medicines (until it expires or is renewed)
ACTIVE = (P.SIGNED, P.PRINTED, P.SENT, P.DISPENSED)


@dataclass(frozen=True)
class RxItem:
    id: uuid.UUID
    medication: str
    dosage: str | None
    frequency: str | None
    duration: str | None
    quantity: str | None
    refills: int
    refills_left: int
    instructions: str | None

    def line(self) -> str:
        return " ".join(x for x in (self.medication, self.dosage, self.frequency) if x)


@dataclass(frozen=True)
class RxRecord:
    id: uuid.UUID
    encounter_id: uuid.UUID | None
    patient_id: uuid.UUID
    prescriber_id: uuid.UUID
    prescriber_name: str
    status: PrescriptionStatus
    created_at: datetime
    signed_at: datetime | None
    printed_at: datetime | None
    valid_until: date | None
    renewed_from_id: uuid.UUID | None
    notes: str | None
    safety: dict[str, Any] = field(default_factory=dict)
    items: list[RxItem] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


@dataclass(frozen=True)
class Signing:
    """What a signature attempt found; ``record`` None: not signed (the findings need a decision)."""

    findings: list[Finding]
    record: RxRecord | None


def _rx(session: Session, prescription_id: uuid.UUID) -> Prescription:
    rx = session.get(Prescription, prescription_id)
    if rx is None or rx.deleted_at is not None:
        raise NotFoundError("no such prescription in this profile")
    return rx


def _items(session: Session, rx_id: uuid.UUID) -> list[PrescriptionItem]:
    return list(
        session.scalars(
            select(PrescriptionItem)
            .where(PrescriptionItem.prescription_id == rx_id, PrescriptionItem.deleted_at.is_(None))
            .order_by(PrescriptionItem.created_at, PrescriptionItem.id)
        )
    )


def used_refills(rx: Prescription, item_id: uuid.UUID) -> int:
    return sum(1 for entry in rx.refill_log or [] if entry.get("item_id") == str(item_id))


def rx_record(session: Session, rx: Prescription) -> RxRecord:
    prescriber = session.get(User, rx.prescriber_id)
    return RxRecord(
        id=rx.id,
        encounter_id=rx.encounter_id,
        patient_id=rx.patient_id,
        prescriber_id=rx.prescriber_id,
        prescriber_name=prescriber.full_name if prescriber is not None else "",
        status=rx.status,
        created_at=rx.created_at,
        signed_at=rx.signed_at,
        printed_at=rx.printed_at,
        valid_until=rx.valid_until,
        renewed_from_id=rx.renewed_from_id,
        notes=rx.notes,
        safety=dict(rx.safety or {}),
        items=[
            RxItem(
                id=i.id,
                medication=i.medication,
                dosage=i.dosage,
                frequency=i.frequency,
                duration=i.duration,
                quantity=i.quantity,
                refills=i.refills,
                refills_left=max(0, i.refills - used_refills(rx, i.id)),
                instructions=i.instructions,
            )
            for i in _items(session, rx.id)
        ],
    )


def _active(session: Session, patient_id: uuid.UUID, *, today: date) -> list[Prescription]:
    """The patient's prescriptions that give medicines now: signed and onward, not expired, and not
    renewed by a later signed prescription."""
    rows = list(
        session.scalars(
            select(Prescription)
            .where(
                Prescription.patient_id == patient_id,
                Prescription.deleted_at.is_(None),
                Prescription.status.in_(ACTIVE),
            )
            .order_by(Prescription.signed_at)
        )
    )
    renewed = {r.renewed_from_id for r in rows if r.renewed_from_id is not None}
    return [r for r in rows if r.id not in renewed and (r.valid_until is None or r.valid_until >= today)]


def active_medications(
    session: Session, patient_id: uuid.UUID, *, today: date | None = None
) -> list[RxRecord]:
    """The chart's medication list: the active prescriptions, newest first."""
    found = _active(session, patient_id, today=today or utcnow().date())
    return [rx_record(session, rx) for rx in reversed(found)]


def patient_prescriptions(session: Session, patient_id: uuid.UUID) -> list[RxRecord]:
    rows = session.scalars(
        select(Prescription)
        .where(Prescription.patient_id == patient_id, Prescription.deleted_at.is_(None))
        .order_by(Prescription.created_at.desc())
    )
    return [rx_record(session, rx) for rx in rows]


def encounter_prescriptions(session: Session, encounter_id: uuid.UUID) -> list[RxRecord]:
    rows = session.scalars(
        select(Prescription)
        .where(Prescription.encounter_id == encounter_id, Prescription.deleted_at.is_(None))
        .order_by(Prescription.created_at)
    )
    return [rx_record(session, rx) for rx in rows]


def findings_for(session: Session, rx: Prescription) -> list[Finding]:
    patient = session.get(Patient, rx.patient_id)
    if patient is None:
        raise NotFoundError("no such patient in this profile")
    skip = {rx.id, rx.renewed_from_id}
    active = [
        item.medication
        for other in _active(session, rx.patient_id, today=utcnow().date())
        if other.id not in skip
        for item in _items(session, other.id)
    ]
    items = [drug_safety.Item(i.medication, i.dosage, i.frequency) for i in _items(session, rx.id)]
    allergies = [a for a in (patient.allergies or []) if isinstance(a, dict)]
    status = str(getattr(getattr(patient, "allergy_status", None), "value", "") or "")
    recorded = bool(allergies) or status in ("recorded", "none_known")
    return drug_safety.check(items, allergies=allergies, allergies_recorded=recorded, active=active)


def review(session: Session, prescription_id: uuid.UUID) -> list[Finding]:
    """The findings a signature would show now."""
    return findings_for(session, _rx(session, prescription_id))


def sign(
    session: Session,
    prescription_id: uuid.UUID,
    *,
    seen: Sequence[str] = (),
    override_reason: str | None = None,
) -> Signing:
    """Signs a draft after its safety checks. When they find something that needs a decision, the
    prescription stays a draft and the findings come back, unless every one of them was ``seen``
    (shown to the doctor) and the doctor gave ``override_reason``."""
    user = require_role(session, Role.DOCTOR, action="sign a prescription")
    rx = _rx(session, prescription_id)
    if rx.status is not P.DRAFT:
        raise ValidationError("only a draft prescription can be signed")
    if rx.prescriber_id != user.id:
        raise PermissionDeniedError("only the prescriber signs a prescription")
    if not _items(session, rx.id):
        raise ValidationError("a prescription needs at least one medication")
    findings = findings_for(session, rx)
    warnings = [f for f in findings if f.needs_reason]
    reason = " ".join((override_reason or "").split())
    if warnings and (not {f.key for f in findings} <= set(seen) or not reason):
        return Signing(findings, None)
    rx.status = P.SIGNED
    rx.signed_at = utcnow()
    decision = "overridden" if warnings else "no warnings"
    rx.safety = {
        "checked_at": rx.signed_at.isoformat(),
        "findings": [f.to_json() for f in findings],
        "decision": decision,
        "override_reason": reason or None,
        "by": str(user.id),
    }
    audit.record(
        session,
        action="sign",
        resource_type="prescriptions",
        resource_id=rx.id,
        new={"status": "signed", "safety": decision, "findings": [f.key for f in findings]},
        reason=reason or None,
    )
    overridden = [f.message for f in warnings if f.kind == "allergy"]
    if overridden:
        alert_rules.allergy_override(
            session, prescription_id=rx.id, patient_id=rx.patient_id, overridden=overridden, reason=reason
        )
    session.flush()
    return Signing(findings, rx_record(session, rx))


def _mine(session: Session, rx: Prescription, action: str) -> User:
    user = require_role(session, Role.DOCTOR, Role.ADMIN, action=action)
    if user.role is Role.DOCTOR and rx.prescriber_id != user.id:
        raise PermissionDeniedError(f"only the prescriber (or an administrator) can {action}")
    return user


def _move(session: Session, rx: Prescription, new: PrescriptionStatus, *, action: str) -> None:
    old = rx.status
    rx.status = new
    if new is P.PRINTED:
        rx.printed_at = utcnow()
    audit.record(
        session,
        action="update",
        resource_type="prescriptions",
        resource_id=rx.id,
        old={"status": old.value},
        new={"status": new.value},
        reason=action,
    )


def record_printed(
    session: Session, prescription_id: uuid.UUID, pdf: bytes, *, title: str
) -> tuple[RxRecord, DocumentRecord]:
    """A signed prescription printed: the PDF is kept (sealed) in the chart, and the prescription
    moves to printed (a reprint of a printed or sent one keeps its status)."""
    rx = _rx(session, prescription_id)
    _mine(session, rx, "print a prescription")
    if rx.status not in (P.SIGNED, P.PRINTED, P.SENT, P.DISPENSED):
        raise ValidationError("only a signed prescription is printed; sign it first")
    doc = documents.attach(
        session,
        rx.patient_id,
        pdf,
        title=title,
        filename=f"prescription-{str(rx.id)[:8]}.pdf",
        category=DocumentCategory.PRESCRIPTION,
        encounter_id=rx.encounter_id,
        source=("prescriptions", rx.id),
    )
    if rx.status is P.SIGNED:
        _move(session, rx, P.PRINTED, action="printed")
    audit.record(session, action="print", resource_type="prescriptions", resource_id=rx.id)
    session.flush()
    return rx_record(session, rx), doc


def mark_sent(session: Session, prescription_id: uuid.UUID) -> RxRecord:
    """Sent to the pharmacy (by fax or the patient's hand)."""
    rx = _rx(session, prescription_id)
    _mine(session, rx, "send a prescription")
    if rx.status not in (P.SIGNED, P.PRINTED):
        raise ValidationError(f"a {rx.status.value} prescription cannot be sent")
    _move(session, rx, P.SENT, action="sent to the pharmacy")
    session.flush()
    return rx_record(session, rx)


def cancel(session: Session, prescription_id: uuid.UUID, *, reason: str) -> RxRecord:
    rx = _rx(session, prescription_id)
    _mine(session, rx, "cancel a prescription")
    cancel_prescription(session, prescription_id, reason=reason)
    return rx_record(session, rx)


def record_refill(session: Session, prescription_id: uuid.UUID, item_id: uuid.UUID) -> RxRecord:
    """One refill of an item handed out; refused when none is left."""
    rx = _rx(session, prescription_id)
    user = _mine(session, rx, "record a refill")
    if rx.status not in ACTIVE:
        raise ValidationError(f"a {rx.status.value} prescription has no refills to hand out")
    item = session.get(PrescriptionItem, item_id)
    if item is None or item.prescription_id != rx.id:
        raise NotFoundError("no such item on this prescription")
    if item.refills - used_refills(rx, item.id) <= 0:
        raise ValidationError(f"no refills of {item.medication} are left; renew the prescription")
    rx.refill_log = [
        *(rx.refill_log or []),
        {"item_id": str(item.id), "at": utcnow().isoformat(), "by": str(user.id)},
    ]
    audit.record(
        session,
        action="update",
        resource_type="prescriptions",
        resource_id=rx.id,
        new={"refill": str(item.id)},
    )
    session.flush()
    return rx_record(session, rx)


def renew(session: Session, prescription_id: uuid.UUID, *, encounter_id: uuid.UUID | None = None) -> RxRecord:
    """A new draft with the same items, for the doctor to check and sign; the old prescription stays
    active until the renewal is signed."""
    user = require_role(session, Role.DOCTOR, action="renew a prescription")
    old = _rx(session, prescription_id)
    if old.status not in ACTIVE:
        raise ValidationError(f"a {old.status.value} prescription cannot be renewed; write a new one")
    if encounter_id is not None:
        enc = session.get(Encounter, encounter_id)
        if enc is None or enc.patient_id != old.patient_id:
            raise ValidationError("the encounter is not this patient's")
    rx = Prescription(
        encounter_id=encounter_id or old.encounter_id,
        patient_id=old.patient_id,
        prescriber_id=user.id,
        valid_from=utcnow().date(),
        renewed_from_id=old.id,
    )
    session.add(rx)
    session.flush()
    for item in _items(session, old.id):
        session.add(
            PrescriptionItem(
                prescription_id=rx.id,
                medication=item.medication,
                dosage=item.dosage,
                frequency=item.frequency,
                duration=item.duration,
                quantity=item.quantity,
                refills=item.refills,
                instructions=item.instructions,
            )
        )
    audit.record(
        session,
        action="create",
        resource_type="prescriptions",
        resource_id=rx.id,
        new={"renews": str(old.id)},
    )
    session.flush()
    return rx_record(session, rx)
