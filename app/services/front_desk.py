"""Identity checks at the front desk (seed 000): at check-in and when booking by phone the
receptionist confirms the patient's full name, date of birth and one more identifier, and the
attempt is recorded with its result, whatever it was. A patient whose identity could not be
confirmed is checked in only with a reason, which the record keeps.

The record names which identifiers were confirmed, never what the patient said: the values are in
the chart already, and a log of them would be one more copy of patient data.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.services import appointments, audit
from app.services.patients import live_patient
from app.services.records import AppointmentRecord
from clinicdesk.errors import NotFoundError, ValidationError
from models import Appointment, IdentityCheck, utcnow
from models.enums import AppointmentStatus, AppointmentType, CreatedVia, IdentityContext
from models.identity import ALWAYS_CONFIRMED, MORE_IDENTIFIERS


@dataclass(frozen=True)
class Verification:
    """What the receptionist ticked: the identifiers confirmed, and whether that made the identity
    certain (all of the full name, the date of birth and one more)."""

    identifiers: tuple[str, ...]
    reason: str | None = None

    @property
    def verified(self) -> bool:
        return set(ALWAYS_CONFIRMED) <= set(self.identifiers) and bool(
            set(MORE_IDENTIFIERS) & set(self.identifiers)
        )


@dataclass(frozen=True)
class IdentityRecord:
    id: uuid.UUID
    context: IdentityContext
    verified: bool
    identifiers: list[str]
    reason: str | None
    at: datetime


def _check(verification: Verification) -> tuple[list[str], str | None]:
    known = set(ALWAYS_CONFIRMED) | set(MORE_IDENTIFIERS)
    unknown = [i for i in verification.identifiers if i not in known]
    if unknown:
        raise ValidationError(f"unknown identifier {unknown[0]!r}; use {', '.join(sorted(known))}")
    reason = " ".join((verification.reason or "").split()) or None
    if reason is not None and len(reason) > 500:
        raise ValidationError("the reason is too long (at most 500 characters)")
    ordered = [i for i in (*ALWAYS_CONFIRMED, *MORE_IDENTIFIERS) if i in verification.identifiers]
    return ordered, reason


def record_identity_check(
    session: Session,
    patient_id: uuid.UUID,
    verification: Verification,
    *,
    context: IdentityContext,
    appointment_id: uuid.UUID | None = None,
) -> IdentityRecord:
    identifiers, reason = _check(verification)
    live_patient(session, patient_id)
    row = IdentityCheck(
        patient_id=patient_id,
        appointment_id=appointment_id,
        context=context,
        identifiers=identifiers,
        verified=verification.verified,
        reason=reason,
        checked_by_id=audit.actor_of(session),
        at=utcnow(),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        action="create",
        resource_type="identity_checks",
        resource_id=row.id,
        new={"context": context.value, "verified": row.verified, "identifiers": identifiers},
        reason=reason,
    )
    return IdentityRecord(row.id, context, row.verified, identifiers, reason, row.at)


def check_in(
    session: Session, appointment_id: uuid.UUID, verification: Verification
) -> tuple[AppointmentRecord, IdentityRecord]:
    """Checks the patient in after confirming who they are; an unverified patient needs a reason
    (kept with the check and in the appointment's history). One transaction: the check is recorded
    with the check-in, or neither is."""
    appt = session.get(Appointment, appointment_id)
    if appt is None or appt.deleted_at is not None:
        raise NotFoundError("no such appointment in this profile")
    if not verification.verified and not (verification.reason or "").strip():
        raise ValidationError(
            "the patient's identity is not confirmed (full name, date of birth and one more "
            "identifier): give the reason to check them in all the same"
        )
    check = record_identity_check(
        session,
        appt.patient_id,
        verification,
        context=IdentityContext.CHECK_IN,
        appointment_id=appointment_id,
    )
    why = None if verification.verified else f"identity not confirmed: {check.reason}"
    record = appointments.change_status(session, appointment_id, AppointmentStatus.CHECKED_IN, reason=why)
    return record, check


def book_by_phone(
    session: Session,
    verification: Verification,
    *,
    patient_id: uuid.UUID,
    clinician_id: uuid.UUID,
    start: datetime,
    appointment_type: AppointmentType,
    reason: str | None = None,
    duration_minutes: int | None = None,
) -> tuple[AppointmentRecord, IdentityRecord]:
    """A booking made on the phone: the caller's identity is confirmed first (and the attempt
    recorded, even when it fails); an unconfirmed caller is not booked."""
    if not verification.verified:
        raise ValidationError(
            "confirm the caller's full name, date of birth and one more identifier before booking"
        )
    record = appointments.book_appointment(
        session,
        patient_id=patient_id,
        clinician_id=clinician_id,
        start=start,
        appointment_type=appointment_type,
        reason=reason,
        duration_minutes=duration_minutes,
        created_via=CreatedVia.STAFF,
    )
    check = record_identity_check(
        session, patient_id, verification, context=IdentityContext.PHONE_BOOKING, appointment_id=record.id
    )
    return record, check


def identity_history(session: Session, patient_id: uuid.UUID, *, limit: int = 20) -> list[IdentityRecord]:
    rows = session.scalars(
        select(IdentityCheck)
        .where(IdentityCheck.patient_id == patient_id, IdentityCheck.deleted_at.is_(None))
        .order_by(IdentityCheck.at.desc())
        .limit(limit)
    ).all()
    return [IdentityRecord(r.id, r.context, r.verified, list(r.identifiers), r.reason, r.at) for r in rows]
