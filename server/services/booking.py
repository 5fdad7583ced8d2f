"""The booking rules on the server: a pushed appointment that books or moves a slot is checked by the
same function the window and the command line use (models/booking_rules.py), against the
organisation's practice record, the clinician's time blocks and appointments as PostgreSQL holds
them. A change that breaks a rule is rejected with the rule's reason; the rest of the batch applies.

The notice window is measured from when the booking was made: the time the workstation wrote into
the appointment's history for this booking or move (a booking made offline reaches the server
later), believed only within OFFLINE_GRACE before the server's clock (an older claim counts as now)
and never in the future. An
organisation that has not set its practice up yet has no rules to check against.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, or_, select

from models import Appointment, Practice, TimeBlock
from models.booking_rules import OFFLINE_GRACE, BlockRule, Busy, Calendar, check_booking
from models.enums import AppointmentStatus, AppointmentType

S = AppointmentStatus
HOLDS_SLOT = frozenset({S.SCHEDULED, S.CONFIRMED, S.CHECKED_IN, S.IN_PROGRESS, S.COMPLETED})
#: the fields whose change is a (re)booking
SLOT_FIELDS = frozenset({"start_at", "duration_minutes", "clinician_id", "appointment_type"})


@dataclass
class BookingCheck:
    """One push's view of its organisation's calendar: the practice, read once. The batch writes
    what it has queued before each check, so the appointments it booked are seen too."""

    conn: Connection
    now: datetime
    calendar: Calendar | None = None
    loaded: bool = False

    def _calendar(self) -> Calendar | None:
        if not self.loaded:
            self.loaded = True
            row = self.conn.execute(
                select(
                    Practice.timezone,
                    Practice.business_hours,
                    Practice.holiday_schedule,
                    Practice.appointment_types,
                )
                .where(Practice.deleted_at.is_(None))
                .order_by(Practice.created_at)
                .limit(1)
            ).first()
            if row is not None:
                self.calendar = Calendar.of(
                    timezone=row[0], business_hours=row[1], holiday_schedule=row[2], appointment_types=row[3]
                )
        return self.calendar

    def check(
        self, record_id: uuid.UUID, payload: Mapping[str, Any], current: Mapping[str, Any] | None
    ) -> str | None:
        """Why this appointment change breaks a booking rule, or None."""
        after = {**(current or {}), **payload}
        try:
            status = AppointmentStatus(after.get("status") or S.SCHEDULED.value)
            start = datetime.fromisoformat(str(after["start_at"]))
            clinician = uuid.UUID(str(after["clinician_id"]))
            kind = AppointmentType(str(after["appointment_type"]))
            duration = int(after.get("duration_minutes") or 0)
        except (KeyError, ValueError, TypeError):
            return None  # an incomplete or malformed record is refused by the validation that follows
        rebooking = current is None or any(
            name in payload and payload[name] != current.get(name) for name in SLOT_FIELDS
        )
        deleted = after.get("deleted_at") is not None
        if not rebooking or deleted or status not in HOLDS_SLOT:
            return None
        if current is None and status not in (S.SCHEDULED, S.CONFIRMED):
            return None  # a walk-in checked in at once is no advance booking
        calendar = self._calendar()
        if calendar is None:
            return None
        booked_at = self._booked_at(payload, current)
        day = start.astimezone(calendar.tz).date()
        _, reason = check_booking(
            calendar,
            start=start,
            duration_minutes=duration,
            appointment_type=kind,
            booked_at=booked_at,
            blocks=self._blocks(clinician, day),
            busy=self._busy(clinician, start, record_id),
            ignore=record_id,
        )
        return reason

    def _booked_at(self, payload: Mapping[str, Any], current: Mapping[str, Any] | None) -> datetime:
        """When the workstation says this booking or move was made (its new history entry), if that
        is within OFFLINE_GRACE before now; else now."""
        claimed: datetime | None = None
        for name in ("reschedule_history", "status_history"):
            known = (current or {}).get(name) or []
            new = [e for e in payload.get(name) or [] if isinstance(e, dict) and e not in known]
            for entry in new:
                try:
                    at = datetime.fromisoformat(str(entry.get("at")))
                except ValueError:
                    continue
                if at.tzinfo is not None:
                    claimed = at if claimed is None else max(claimed, at)
        if claimed is None or claimed < self.now - OFFLINE_GRACE:
            return self.now
        return min(self.now, claimed)

    def _blocks(self, clinician: uuid.UUID, day: date) -> list[BlockRule]:
        rows = self.conn.execute(
            select(TimeBlock).where(
                TimeBlock.clinician_id == clinician,
                TimeBlock.deleted_at.is_(None),
                TimeBlock.start_date <= day,
                or_(TimeBlock.end_date.is_(None), TimeBlock.end_date >= day),
            )
        ).mappings()
        return [
            BlockRule(
                start_date=r["start_date"],
                start_time=r["start_time"],
                end_time=r["end_time"],
                rrule=r["rrule"],
                end_date=r["end_date"],
                exdates=frozenset(r["exdates"] or ()),
                reason=r["reason"],
                block_type=str(r["block_type"]),
            )
            for r in rows
        ]

    def _busy(self, clinician: uuid.UUID, start: datetime, record_id: uuid.UUID) -> list[Busy]:
        rows = self.conn.execute(
            select(Appointment.id, Appointment.start_at, Appointment.duration_minutes).where(
                Appointment.clinician_id == clinician,
                Appointment.start_at > start - timedelta(hours=12),
                Appointment.start_at < start + timedelta(hours=9),
                Appointment.deleted_at.is_(None),
                Appointment.status.in_(HOLDS_SLOT),
                Appointment.id != record_id,
            )
        ).all()
        return [Busy(r[1], r[1] + timedelta(minutes=r[2]), r[0]) for r in rows]
