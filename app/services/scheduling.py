"""The front desk's scheduling beyond booking: moving an appointment (its history says who moved it,
when, from which slot to which and why), an appointment's details with its status and change
history, clinicians' time blocks (one day, or a series by an RFC 5545 rule, edited as one
occurrence or as the whole series), a clinician's week, and the next free slot.

Every slot is checked by the booking rules (models/booking_rules.py), the same check the server
makes when the change arrives there.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.services import audit
from app.services.appointments import check_slot
from app.services.patients import appointment_record
from app.services.practice import (
    blocks_between,
    busy_between,
    calendar_of,
    day_bounds,
    get_practice,
)
from app.services.records import AppointmentRecord, DaySchedule
from app.services.schedule import day_schedule
from clinicdesk.errors import NotFoundError, ValidationError
from models import Appointment, Patient, TimeBlock, User, utcnow
from models.booking_rules import check_rrule, next_free_slot
from models.enums import AppointmentStatus, AppointmentType, Role, TimeBlockType

S = AppointmentStatus
#: statuses in which an appointment may still be moved to another slot
MOVABLE = frozenset({S.SCHEDULED, S.CONFIRMED})
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class AppointmentDetails:
    appointment: AppointmentRecord
    patient_name: str
    mrn: str
    clinician_name: str
    created_via: str
    notes: str | None
    reschedule_history: list[dict[str, Any]]
    #: user id -> name, for the histories' "by"
    names: dict[str, str]


def appointment_details(session: Session, appointment_id: uuid.UUID) -> AppointmentDetails:
    appt = session.get(Appointment, appointment_id)
    if appt is None or appt.deleted_at is not None:
        raise NotFoundError("no such appointment in this profile")
    patient = session.get(Patient, appt.patient_id)
    clinician = session.get(User, appt.clinician_id)
    people = {str(e.get("by")) for e in [*appt.status_history, *appt.reschedule_history] if e.get("by")}
    for entry in appt.reschedule_history:
        for side in ("from", "to"):
            if isinstance(entry.get(side), dict) and entry[side].get("clinician_id"):
                people.add(str(entry[side]["clinician_id"]))
    names = {
        str(uid): name
        for uid, name in session.execute(
            select(User.id, User.full_name).where(User.id.in_([uuid.UUID(p) for p in people]))
        )
    }
    audit.record(session, action="read", resource_type="appointments", resource_id=appointment_id)
    return AppointmentDetails(
        appointment=appointment_record(appt),
        patient_name=patient.full_name if patient else "?",
        mrn=patient.mrn if patient else "?",
        clinician_name=clinician.full_name if clinician else "?",
        created_via=appt.created_via.value,
        notes=appt.notes,
        reschedule_history=list(appt.reschedule_history),
        names=names,
    )


def reschedule(
    session: Session,
    appointment_id: uuid.UUID,
    *,
    start: datetime,
    reason: str,
    clinician_id: uuid.UUID | None = None,
    duration_minutes: int | None = None,
    now: datetime | None = None,
) -> AppointmentRecord:
    """Moves a scheduled or confirmed appointment to another slot (and clinician), checked by the
    booking rules as a new booking would be; the move is kept in its history with the reason."""
    appt = session.get(Appointment, appointment_id)
    if appt is None or appt.deleted_at is not None:
        raise NotFoundError("no such appointment in this profile")
    if appt.status not in MOVABLE:
        raise ValidationError(f"an appointment that is {appt.status.value.replace('_', ' ')} cannot be moved")
    why = " ".join(reason.split())
    if not why:
        raise ValidationError("a reschedule needs a reason (it is kept in the appointment's history)")
    if len(why) > 500:
        raise ValidationError("the reason is too long (at most 500 characters)")
    target = clinician_id or appt.clinician_id
    if target != appt.clinician_id:
        clinician = session.get(User, target)
        if clinician is None or not clinician.active or clinician.role is not Role.DOCTOR:
            raise ValidationError("appointments are moved to an active doctor")
    duration = check_slot(
        session,
        clinician_id=target,
        start=start,
        appointment_type=appt.appointment_type,
        duration_minutes=duration_minutes or appt.duration_minutes,
        now=now,
        ignore_appointment=appt.id,
    )
    if start == appt.start_at and target == appt.clinician_id and duration == appt.duration_minutes:
        raise ValidationError("the appointment is already in that slot")
    actor = audit.actor_of(session)
    at = (now or utcnow()).isoformat()
    entry: dict[str, Any] = {
        "at": at,
        "by": str(actor) if actor else None,
        "reason": why,
        "from": _slot(appt.start_at, appt.clinician_id, appt.duration_minutes),
        "to": _slot(start, target, duration),
    }
    old_start = appt.start_at.isoformat()
    appt.reschedule_history = [*appt.reschedule_history, entry]
    appt.start_at = start
    appt.clinician_id = target
    appt.duration_minutes = duration
    session.flush()
    audit.record(
        session,
        action="update",
        resource_type="appointments",
        resource_id=appt.id,
        old={"start_at": old_start},
        new={"start_at": start.isoformat()},
        reason=why,
    )
    return appointment_record(appt)


def _slot(start: datetime, clinician_id: uuid.UUID, duration: int) -> dict[str, Any]:
    return {"start": start.isoformat(), "clinician_id": str(clinician_id), "duration_minutes": duration}


# -- time blocks ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recurrence:
    """How a block repeats: ``daily``; ``weekly`` on ``weekdays`` (0 = Monday) every ``interval``
    weeks; always ``until`` a date (a block series must end)."""

    frequency: str
    until: date
    weekdays: tuple[int, ...] = ()
    interval: int = 1

    def rrule(self) -> str:
        if self.frequency not in ("daily", "weekly"):
            raise ValidationError("a block repeats daily or weekly")
        if not 1 <= self.interval <= 52:
            raise ValidationError("a block repeats every 1 to 52 weeks (or days)")
        parts = [f"FREQ={self.frequency.upper()}"]
        if self.interval > 1:
            parts.append(f"INTERVAL={self.interval}")
        if self.frequency == "weekly":
            if not self.weekdays or any(not 0 <= d <= 6 for d in self.weekdays):
                raise ValidationError("choose the weekdays a weekly block repeats on")
            parts.append("BYDAY=" + ",".join(WEEKDAYS[d] for d in sorted(set(self.weekdays))))
        parts.append(f"UNTIL={self.until:%Y%m%d}T235959")
        return ";".join(parts)


@dataclass(frozen=True)
class BlockInput:
    clinician_id: uuid.UUID
    start_date: date
    start_time: time
    end_time: time
    reason: str | None = None
    block_type: TimeBlockType = TimeBlockType.OTHER
    recurrence: Recurrence | None = None


def _block_values(session: Session, data: BlockInput) -> dict[str, Any]:
    clinician = session.get(User, data.clinician_id)
    if clinician is None or clinician.deleted_at is not None:
        raise NotFoundError("no such clinician in this profile")
    if data.end_time <= data.start_time:
        raise ValidationError("a block ends after it starts (on the same day)")
    reason = " ".join((data.reason or "").split()) or None
    if reason is not None and len(reason) > 200:
        raise ValidationError("the reason is too long (at most 200 characters)")
    rrule = end = None
    if data.recurrence is not None:
        if data.recurrence.until < data.start_date:
            raise ValidationError("a repeating block ends on or after its first day")
        if data.recurrence.until > data.start_date + timedelta(days=3 * 366):
            raise ValidationError("a repeating block runs for three years at most; make a new series then")
        rrule = data.recurrence.rrule()
        problem = check_rrule(rrule, anchor=data.start_date)
        if problem:
            raise ValidationError(problem)
        end = data.recurrence.until
    return {
        "clinician_id": data.clinician_id,
        "start_date": data.start_date,
        "start_time": data.start_time,
        "end_time": data.end_time,
        "reason": reason,
        "block_type": data.block_type,
        "rrule": rrule,
        "end_date": end,
    }


def add_block(session: Session, data: BlockInput) -> uuid.UUID:
    """A new time block (one day, or a series)."""
    block = TimeBlock(**_block_values(session, data), exdates=[])
    session.add(block)
    session.flush()
    audit.record(
        session,
        action="create",
        resource_type="time_blocks",
        resource_id=block.id,
        new={"repeats": block.rrule is not None, "type": block.block_type.value},
    )
    return block.id


def recurrence_of(rule: str | None, *, end_date: date | None, start: date) -> Recurrence | None:
    """The Recurrence a stored RFC 5545 body says (the forms this module writes: FREQ, INTERVAL,
    BYDAY, UNTIL); a rule it cannot say in those terms comes back daily or weekly until its end."""
    if not rule:
        return None
    parts = dict(p.split("=", 1) for p in rule.upper().split(";") if "=" in p)
    frequency = "daily" if parts.get("FREQ") == "DAILY" else "weekly"
    days = tuple(WEEKDAYS.index(d[-2:]) for d in parts.get("BYDAY", "").split(",") if d[-2:] in WEEKDAYS)
    until = end_date
    if "UNTIL" in parts:
        text = parts["UNTIL"][:8]
        if text.isdigit():
            until = date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    interval = int(parts["INTERVAL"]) if parts.get("INTERVAL", "").isdigit() else 1
    return Recurrence(
        frequency,
        until=until or start + timedelta(days=365),
        weekdays=days or (start.weekday(),),
        interval=max(1, min(interval, 52)),
    )


def block_details(session: Session, block_id: uuid.UUID) -> BlockInput:
    """A block as the dialog edits it: its first day, times, reason, type and repetition."""
    block = _block(session, block_id)
    return BlockInput(
        clinician_id=block.clinician_id,
        start_date=block.start_date,
        start_time=block.start_time,
        end_time=block.end_time,
        reason=block.reason,
        block_type=block.block_type,
        recurrence=recurrence_of(block.rrule, end_date=block.end_date, start=block.start_date),
    )


def _block(session: Session, block_id: uuid.UUID) -> TimeBlock:
    block = session.get(TimeBlock, block_id)
    if block is None or block.deleted_at is not None:
        raise NotFoundError("no such time block in this profile")
    return block


def edit_series(session: Session, block_id: uuid.UUID, data: BlockInput) -> uuid.UUID:
    """Changes a whole block (every occurrence of a series; occurrences taken out stay out)."""
    block = _block(session, block_id)
    for name, value in _block_values(session, data).items():
        setattr(block, name, value)
    audit.record(session, action="update", resource_type="time_blocks", resource_id=block.id)
    return block.id


def edit_occurrence(
    session: Session, block_id: uuid.UUID, day: date, *, start_time: time, end_time: time, reason: str | None
) -> uuid.UUID:
    """Changes one day of a series: that day leaves the series, and a one-day block of its own
    (pointing back at the series) takes its place."""
    block = _block(session, block_id)
    if not block.rrule:
        raise ValidationError("this block does not repeat; edit it as a whole")
    if day.isoformat() in block.exdates or not _occurs(block, day):
        raise ValidationError("the series has no occurrence on that day")
    values = _block_values(
        session,
        BlockInput(
            clinician_id=block.clinician_id,
            start_date=day,
            start_time=start_time,
            end_time=end_time,
            reason=reason if reason is not None else block.reason,
            block_type=block.block_type,
        ),
    )
    block.exdates = sorted({*block.exdates, day.isoformat()})
    single = TimeBlock(**values, exdates=[], series_id=block.id)
    session.add(single)
    session.flush()
    audit.record(
        session,
        action="update",
        resource_type="time_blocks",
        resource_id=block.id,
        new={"moved": day.isoformat()},
    )
    return single.id


def remove_occurrence(session: Session, block_id: uuid.UUID, day: date) -> None:
    block = _block(session, block_id)
    if not block.rrule:
        remove_block(session, block_id)
        return
    if not _occurs(block, day):
        raise ValidationError("the series has no occurrence on that day")
    block.exdates = sorted({*block.exdates, day.isoformat()})
    audit.record(
        session,
        action="update",
        resource_type="time_blocks",
        resource_id=block.id,
        new={"occurrence": "removed"},
    )


def remove_block(session: Session, block_id: uuid.UUID) -> None:
    """Removes a block, or a whole series with the occurrences edited on their own."""
    block = _block(session, block_id)
    now = utcnow()
    block.deleted_at = now
    for single in session.scalars(
        select(TimeBlock).where(TimeBlock.series_id == block.id, TimeBlock.deleted_at.is_(None))
    ):
        single.deleted_at = now
    audit.record(session, action="delete", resource_type="time_blocks", resource_id=block.id)


def _occurs(block: TimeBlock, day: date) -> bool:
    from app.services.practice import block_rule

    return block_rule(block).occurs_on(day)


# -- the week and the next free slot ---------------------------------------------------------------


def week_schedule(session: Session, *, clinician_id: uuid.UUID, monday: date) -> list[DaySchedule]:
    """Seven days of one clinician, from ``monday``."""
    return [
        day_schedule(session, clinician_id=clinician_id, day=monday + timedelta(days=i)) for i in range(7)
    ]


def find_next_free_slot(
    session: Session,
    *,
    clinician_id: uuid.UUID,
    appointment_type: AppointmentType,
    after: datetime | None = None,
    duration_minutes: int | None = None,
    now: datetime | None = None,
) -> datetime | None:
    """The first slot the booking rules accept for this clinician and type, from ``after`` (or now),
    honouring business hours, holidays, time blocks, the notice window and existing appointments."""
    now = now or utcnow()
    calendar = calendar_of(get_practice(session))
    begin = max(after or now, now)
    rule = calendar.type_rule(appointment_type)
    first = begin.astimezone(calendar.tz).date()
    last = (now + timedelta(days=rule.max_lead_days)).astimezone(calendar.tz).date()
    window_start, _ = day_bounds(first, calendar.tz)
    _, window_end = day_bounds(last, calendar.tz)
    found = next_free_slot(
        calendar,
        appointment_type=appointment_type,
        duration_minutes=duration_minutes,
        after=begin,
        now=now,
        blocks=blocks_between(session, clinician_id=clinician_id, first=first, last=last),
        busy=busy_between(session, clinician_id=clinician_id, start=window_start, end=window_end),
    )
    return found
