"""The day's schedule and what the front desk and clinicians do to appointments."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from app.ops.base import operation, query
from app.services import appointments, schedule, users
from app.services.patients import appointment_record
from app.services.records import AppointmentRecord, UserSummary
from clinicdesk.errors import NotFoundError
from models import Appointment

#: one clinician's day: appointments and blocked time (``day``, ``clinician_id``)
day = query(schedule.day_schedule)
#: the doctors one can book with, for the clinician chooser
clinicians = query(users.clinicians)
#: every active colleague, for assigning tasks
staff = query(users.staff)
#: confirm, check in, mark a no-show, cancel (with a reason): one status change, recorded with who and why
change_status = operation(appointments.change_status)
#: a new appointment, checked against the practice's booking rules
book = operation(appointments.book_appointment)


@query
def clinician_by_username(session: Session, username: str) -> UserSummary:
    return users.user_summary(users.by_username(session, username))


@query
def appointment(session: Session, appointment_id: uuid.UUID) -> AppointmentRecord:
    found = session.get(Appointment, appointment_id)
    if found is None:
        raise NotFoundError("no such appointment in this profile")
    return appointment_record(found)
