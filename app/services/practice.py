"""The practice's calendar as this profile holds it: the practice record, clinicians' time blocks and
appointments, read from the store and handed to the booking rules (models/booking_rules.py, the one
place the window, the command line and the server check them). Everything reasons in the practice's
own timezone, because "09:00" and "Christmas Day" mean the practice's wall clock, whatever the
workstation's clock says."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from clinicdesk.errors import NotFoundError
from models import Appointment, Practice, TimeBlock
from models.booking_rules import DEFAULT_TYPE_RULES, BlockRule, Busy, Calendar, TypeRule, zone
from models.enums import AppointmentStatus, AppointmentType, TimeBlockType

__all__ = [
    "DEFAULT_TYPE_RULES",
    "BlockOccurrence",
    "TypeRule",
    "block_occurrences",
    "block_rule",
    "blocks_between",
    "busy_between",
    "calendar_of",
    "closed_reason",
    "day_bounds",
    "find_practice",
    "get_practice",
    "hours_on",
    "type_rule",
    "zone",
]

S = AppointmentStatus
#: statuses that hold a clinician's time (a cancelled slot is free again)
HOLDS_SLOT = frozenset({S.SCHEDULED, S.CONFIRMED, S.CHECKED_IN, S.IN_PROGRESS, S.COMPLETED})


@dataclass(frozen=True)
class BlockOccurrence:
    start: datetime
    end: datetime
    reason: str | None
    block_type: TimeBlockType
    block_id: uuid.UUID | None = None
    #: whether the block repeats (its series can be edited as a whole)
    recurring: bool = False


def find_practice(session: Session) -> Practice | None:
    """The practice record (the first made, as on the server), or None before set-up."""
    return session.scalars(
        select(Practice).where(Practice.deleted_at.is_(None)).order_by(Practice.created_at).limit(1)
    ).first()


def get_practice(session: Session) -> Practice:
    practice = find_practice(session)
    if practice is None:
        raise NotFoundError(
            "this profile has no practice set up yet; an administrator sets it up "
            "(Settings → Practice), or sync with the server"
        )
    return practice


def calendar_of(practice: Practice) -> Calendar:
    return Calendar.of(
        timezone=practice.timezone,
        business_hours=practice.business_hours,
        holiday_schedule=practice.holiday_schedule,
        appointment_types=practice.appointment_types,
    )


def type_rule(practice: Practice, appointment_type: AppointmentType) -> TypeRule:
    return calendar_of(practice).type_rule(appointment_type)


def hours_on(practice: Practice, day: date) -> tuple[time, time] | None:
    """Opening and closing time on ``day``, or None when the practice is closed (weekend, holiday)."""
    return calendar_of(practice).hours_on(day)


def closed_reason(practice: Practice, day: date) -> str | None:
    return calendar_of(practice).closed_reason(day)


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=tz)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)


def block_rule(block: TimeBlock) -> BlockRule:
    return BlockRule(
        start_date=block.start_date,
        start_time=block.start_time,
        end_time=block.end_time,
        rrule=block.rrule,
        end_date=block.end_date,
        exdates=frozenset(block.exdates or ()),
        reason=block.reason,
        block_type=block.block_type.value,
        block_id=block.id,
    )


def blocks_between(session: Session, *, clinician_id: uuid.UUID, first: date, last: date) -> list[BlockRule]:
    """The clinician's time blocks that may fall between ``first`` and ``last``."""
    rows = session.scalars(
        select(TimeBlock).where(
            TimeBlock.clinician_id == clinician_id,
            TimeBlock.deleted_at.is_(None),
            TimeBlock.start_date <= last,
            or_(TimeBlock.end_date.is_(None), TimeBlock.end_date >= first),
        )
    ).all()
    return [block_rule(b) for b in rows]


def busy_between(session: Session, *, clinician_id: uuid.UUID, start: datetime, end: datetime) -> list[Busy]:
    """The clinician's appointments that hold time between ``start`` and ``end``."""
    rows = session.execute(
        select(Appointment.id, Appointment.start_at, Appointment.duration_minutes).where(
            Appointment.clinician_id == clinician_id,
            Appointment.start_at > start - timedelta(hours=12),
            Appointment.start_at < end,
            Appointment.deleted_at.is_(None),
            Appointment.status.in_(HOLDS_SLOT),
        )
    ).all()
    return [Busy(row[1], row[1] + timedelta(minutes=row[2]), row[0]) for row in rows]


def block_occurrences(
    session: Session, *, clinician_id: uuid.UUID, day: date, tz: ZoneInfo
) -> list[BlockOccurrence]:
    """The clinician's time blocks that fall on ``day``, recurring ones expanded (RFC 5545)."""
    found = []
    for block in blocks_between(session, clinician_id=clinician_id, first=day, last=day):
        if not block.occurs_on(day):
            continue
        start, end = block.span_on(day, tz)
        found.append(
            BlockOccurrence(
                start=start,
                end=end,
                reason=block.reason,
                block_type=TimeBlockType(block.block_type),
                block_id=block.block_id,
                recurring=bool(block.rrule),
            )
        )
    return sorted(found, key=lambda b: b.start)
