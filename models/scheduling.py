"""Appointments and clinicians' time blocks."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Synced, str_enum
from models.enums import AppointmentStatus, AppointmentType, CreatedVia, TimeBlockType


class Appointment(Synced, Base):
    """``status_history`` is a list of {"status", "at", "by", "reason"}; ``notes_history`` a list of
    {"notes", "at", "by"}; ``reschedule_history`` a list of {"at", "by", "reason", "from": {"start",
    "clinician_id", "duration_minutes"}, "to": {...}}. All only grow: history is how a practice
    answers "who changed this"."""

    __tablename__ = "appointments"
    __table_args__ = (
        Index("ix_appointments_clinician_start", "clinician_id", "start_at"),
        Index("ix_appointments_patient_start", "patient_id", "start_at"),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"))
    clinician_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    start_at: Mapped[datetime]
    duration_minutes: Mapped[int] = mapped_column(Integer)
    appointment_type: Mapped[AppointmentType] = mapped_column(str_enum(AppointmentType))
    status: Mapped[AppointmentStatus] = mapped_column(
        str_enum(AppointmentStatus), default=AppointmentStatus.SCHEDULED
    )
    status_history: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    reason: Mapped[str | None] = mapped_column(String(500), default=None)
    notes: Mapped[str | None] = mapped_column(Text, default=None)
    notes_history: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    reschedule_history: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    confirmation_number: Mapped[str | None] = mapped_column(String(16), default=None)
    created_via: Mapped[CreatedVia] = mapped_column(str_enum(CreatedVia), default=CreatedVia.STAFF)
    checked_in_at: Mapped[datetime | None] = mapped_column(default=None)
    checked_out_at: Mapped[datetime | None] = mapped_column(default=None)
    cancellation_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    cancelled_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(default=None)


class TimeBlock(Synced, Base):
    """A clinician's unavailable time. ``rrule`` holds an RFC 5545 recurrence rule body (for example
    "FREQ=WEEKLY;BYDAY=MO,WE,FR;UNTIL=20271231") anchored at ``start_date``; null means one day only.
    Times are wall-clock times in the practice's timezone. ``exdates`` (ISO dates) are occurrences
    taken out of a series; an occurrence edited on its own becomes a one-day block whose
    ``series_id`` names the series it came from."""

    __tablename__ = "time_blocks"

    clinician_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    rrule: Mapped[str | None] = mapped_column(String(200), default=None)
    end_date: Mapped[date | None] = mapped_column(Date, default=None)
    reason: Mapped[str | None] = mapped_column(String(200), default=None)
    block_type: Mapped[TimeBlockType] = mapped_column(str_enum(TimeBlockType), default=TimeBlockType.OTHER)
    exdates: Mapped[list[str]] = mapped_column(JSON, default=list)
    series_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("time_blocks.id"), default=None)
