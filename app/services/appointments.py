"""Appointment status changes and booking, with the practice's rules (DESIGN.md, "Business rules").

Every change appends to the appointment's status history (who, when, why) and writes an audit
event; the outbox entry for sync is written by the store's flush hook in the same transaction.
"""

from __future__ import annotations

import secrets
import string
import uuid
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app.services import audit
from app.services.patients import appointment_record, live_patient
from app.services.practice import HOLDS_SLOT, blocks_between, busy_between, calendar_of, get_practice
from app.services.records import AppointmentRecord
from clinicdesk.errors import NotFoundError, ValidationError
from models import Appointment, User, utcnow
from models.booking_rules import check_booking
from models.enums import AppointmentStatus, AppointmentType, CreatedVia, PatientStatus, Role

S = AppointmentStatus

#: which status may follow which; anything else is refused with a message naming both
TRANSITIONS: dict[AppointmentStatus, frozenset[AppointmentStatus]] = {
    S.SCHEDULED: frozenset({S.CONFIRMED, S.CHECKED_IN, S.CANCELLED, S.NO_SHOW}),
    S.CONFIRMED: frozenset({S.SCHEDULED, S.CHECKED_IN, S.CANCELLED, S.NO_SHOW}),
    S.CHECKED_IN: frozenset({S.IN_PROGRESS, S.COMPLETED, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
    S.NO_SHOW: frozenset(),
}

__all__ = ["HOLDS_SLOT", "TRANSITIONS", "book_appointment", "change_status", "check_slot"]


def _label(status: AppointmentStatus) -> str:
    return status.value.replace("_", " ")


def change_status(
    session: Session,
    appointment_id: uuid.UUID,
    new_status: AppointmentStatus,
    *,
    reason: str | None = None,
    now: datetime | None = None,
) -> AppointmentRecord:
    appt = session.get(Appointment, appointment_id)
    if appt is None or appt.deleted_at is not None:
        raise NotFoundError("no such appointment in this profile")
    old_status = appt.status
    if new_status == old_status:
        return appointment_record(appt)
    if new_status not in TRANSITIONS[old_status]:
        raise ValidationError(
            f"an appointment that is {_label(old_status)} cannot be marked {_label(new_status)}"
        )
    reason = (reason or "").strip() or None
    if new_status == S.CANCELLED and not reason:
        raise ValidationError("a cancellation needs a reason")
    now = now or utcnow()
    actor = audit.actor_of(session)
    appt.status = new_status
    appt.status_history = [
        *appt.status_history,
        {
            "status": new_status.value,
            "at": now.isoformat(),
            "by": str(actor) if actor else None,
            "reason": reason,
        },
    ]
    if new_status == S.CHECKED_IN:
        appt.checked_in_at = now
    elif new_status == S.COMPLETED:
        appt.checked_out_at = now
    elif new_status == S.CANCELLED:
        appt.cancellation_reason = reason
        appt.cancelled_by_id = actor
        appt.cancelled_at = now
    audit.record(
        session,
        action="update",
        resource_type="appointments",
        resource_id=appt.id,
        old={"status": old_status.value},
        new={"status": new_status.value},
        reason=reason,
    )
    session.flush()
    return appointment_record(appt)


def _confirmation_number() -> str:
    alphabet = string.ascii_uppercase.replace("O", "").replace("I", "") + string.digits[2:]
    return "".join(secrets.choice(alphabet) for _ in range(8))


def check_slot(
    session: Session,
    *,
    clinician_id: uuid.UUID,
    start: datetime,
    appointment_type: AppointmentType,
    duration_minutes: int | None = None,
    now: datetime | None = None,
    ignore_appointment: uuid.UUID | None = None,
) -> int:
    """Raise ValidationError naming the first broken booking rule (models/booking_rules.py, the same
    check the server makes on push); return the duration to book."""
    if start.tzinfo is None:
        raise ValidationError("the appointment time needs a timezone")
    calendar = calendar_of(get_practice(session))
    day = start.astimezone(calendar.tz).date()
    duration, broken = check_booking(
        calendar,
        start=start,
        duration_minutes=duration_minutes,
        appointment_type=appointment_type,
        booked_at=now or utcnow(),
        blocks=blocks_between(session, clinician_id=clinician_id, first=day, last=day),
        busy=busy_between(session, clinician_id=clinician_id, start=start, end=start + timedelta(hours=9)),
        ignore=ignore_appointment,
    )
    if broken is not None:
        raise ValidationError(broken)
    return duration


def book_appointment(
    session: Session,
    *,
    patient_id: uuid.UUID,
    clinician_id: uuid.UUID,
    start: datetime,
    appointment_type: AppointmentType,
    reason: str | None = None,
    duration_minutes: int | None = None,
    created_via: CreatedVia = CreatedVia.STAFF,
    now: datetime | None = None,
) -> AppointmentRecord:
    patient = live_patient(session, patient_id)
    if patient.status != PatientStatus.ACTIVE:
        raise ValidationError("this patient's record is inactive; reactivate it before booking")
    clinician = session.get(User, clinician_id)
    if clinician is None or clinician.deleted_at is not None or not clinician.active:
        raise NotFoundError("no such active clinician in this profile")
    if clinician.role != Role.DOCTOR:
        raise ValidationError("appointments are booked with a doctor")
    now = now or utcnow()
    duration = check_slot(
        session,
        clinician_id=clinician_id,
        start=start,
        appointment_type=appointment_type,
        duration_minutes=duration_minutes,
        now=now,
    )
    actor = audit.actor_of(session)
    reason = (reason or "").strip() or None
    appt = Appointment(
        patient_id=patient_id,
        clinician_id=clinician_id,
        start_at=start,
        duration_minutes=duration,
        appointment_type=appointment_type,
        status=S.SCHEDULED,
        status_history=[
            {
                "status": S.SCHEDULED.value,
                "at": now.isoformat(),
                "by": str(actor) if actor else None,
                "reason": "booked",
            }
        ],
        reason=reason,
        confirmation_number=_confirmation_number(),
        created_via=created_via,
    )
    session.add(appt)
    session.flush()
    audit.record(
        session,
        action="create",
        resource_type="appointments",
        resource_id=appt.id,
        new={"status": S.SCHEDULED.value, "start_at": start.isoformat(), "type": appointment_type.value},
    )
    return appointment_record(appt)
