"""A clinician's day: appointments and time blocks, merged in time order."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.services.practice import block_occurrences, closed_reason, day_bounds, get_practice, zone
from app.services.records import DaySchedule, ScheduleEntry
from app.services.users import user_summary
from clinicdesk.errors import NotFoundError
from models import Appointment, Patient, User


def day_schedule(session: Session, *, clinician_id: uuid.UUID, day: date) -> DaySchedule:
    practice = get_practice(session)
    tz = zone(practice.timezone)
    clinician = session.get(User, clinician_id)
    if clinician is None or clinician.deleted_at is not None:
        raise NotFoundError("no such clinician in this profile")
    start, end = day_bounds(day, tz)
    rows = session.execute(
        select(
            Appointment.id,
            Appointment.start_at,
            Appointment.duration_minutes,
            Appointment.appointment_type,
            Appointment.status,
            Appointment.reason,
            Patient.id,
            Patient.first_name,
            Patient.last_name,
            Patient.mrn,
        )
        .join(Patient, Patient.id == Appointment.patient_id)
        .where(
            Appointment.clinician_id == clinician_id,
            Appointment.start_at >= start,
            Appointment.start_at < end,
            Appointment.deleted_at.is_(None),
        )
        .order_by(Appointment.start_at)
    ).all()
    entries = [
        ScheduleEntry(
            kind="appointment",
            start=row[1].astimezone(tz),
            end=(row[1] + timedelta(minutes=row[2])).astimezone(tz),
            appointment_id=row[0],
            patient_id=row[6],
            patient_name=f"{row[7]} {row[8]}",
            mrn=row[9],
            appointment_type=row[3],
            status=row[4],
            reason=row[5],
        )
        for row in rows
    ]
    entries += [
        ScheduleEntry(
            kind="block",
            start=b.start,
            end=b.end,
            reason=b.reason,
            block_type=b.block_type,
            block_id=b.block_id,
            recurring=b.recurring,
        )
        for b in block_occurrences(session, clinician_id=clinician_id, day=day, tz=tz)
    ]
    entries.sort(key=lambda e: (e.start, e.kind != "block"))
    return DaySchedule(
        day=day,
        clinician=user_summary(clinician),
        timezone=practice.timezone,
        entries=entries,
        closed_reason=closed_reason(practice, day),
    )
