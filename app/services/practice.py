"""The practice's calendar: business hours, holidays, appointment-type rules and clinicians' time
blocks. Everything here reasons in the practice's own timezone, because "09:00" and "Christmas Day"
mean the practice's wall clock, whatever the workstation's clock says."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from clinicdesk.errors import NotFoundError
from models import Practice, TimeBlock
from models.enums import AppointmentType, TimeBlockType

DEFAULT_TYPE_RULES: dict[str, dict[str, int]] = {
    AppointmentType.ROUTINE: {"duration_minutes": 30, "min_lead_hours": 24, "max_lead_days": 60},
    AppointmentType.FOLLOW_UP: {"duration_minutes": 20, "min_lead_hours": 0, "max_lead_days": 120},
    AppointmentType.URGENT: {"duration_minutes": 15, "min_lead_hours": 0, "max_lead_days": 2},
    AppointmentType.CONSULTATION: {"duration_minutes": 45, "min_lead_hours": 0, "max_lead_days": 120},
    AppointmentType.PROCEDURE: {"duration_minutes": 60, "min_lead_hours": 24, "max_lead_days": 120},
    AppointmentType.TELEMEDICINE: {"duration_minutes": 20, "min_lead_hours": 0, "max_lead_days": 60},
}


@dataclass(frozen=True)
class TypeRule:
    duration_minutes: int
    min_lead_hours: int
    max_lead_days: int


@dataclass(frozen=True)
class BlockOccurrence:
    start: datetime
    end: datetime
    reason: str | None
    block_type: TimeBlockType


def get_practice(session: Session) -> Practice:
    practice = session.scalars(
        select(Practice).where(Practice.deleted_at.is_(None)).order_by(Practice.created_at).limit(1)
    ).first()
    if practice is None:
        raise NotFoundError("this profile has no practice set up yet; sync with the server or seed demo data")
    return practice


@lru_cache(maxsize=16)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def type_rule(practice: Practice, appointment_type: AppointmentType) -> TypeRule:
    merged = dict(DEFAULT_TYPE_RULES[appointment_type])
    configured = practice.appointment_types.get(appointment_type.value)
    if isinstance(configured, dict):
        merged.update({k: int(v) for k, v in configured.items() if k in merged})
    return TypeRule(**merged)


def hours_on(practice: Practice, day: date) -> tuple[time, time] | None:
    """Opening and closing time on ``day``, or None when the practice is closed (weekend, holiday)."""
    if day.isoformat() in practice.holiday_schedule:
        return None
    hours = practice.business_hours.get(str(day.isoweekday()))
    if not hours:
        return None
    return time.fromisoformat(hours[0]), time.fromisoformat(hours[1])


def closed_reason(practice: Practice, day: date) -> str | None:
    if day.isoformat() in practice.holiday_schedule:
        return "holiday"
    if not practice.business_hours.get(str(day.isoweekday())):
        return "closed"
    return None


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=tz)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)


def block_occurrences(
    session: Session, *, clinician_id: uuid.UUID, day: date, tz: ZoneInfo
) -> list[BlockOccurrence]:
    """The clinician's time blocks that fall on ``day``, recurring ones expanded (RFC 5545)."""
    blocks = session.scalars(
        select(TimeBlock).where(
            TimeBlock.clinician_id == clinician_id,
            TimeBlock.deleted_at.is_(None),
            TimeBlock.start_date <= day,
            or_(TimeBlock.end_date.is_(None), TimeBlock.end_date >= day),
        )
    ).all()
    found = []
    for block in blocks:
        if not _occurs_on(block, day):
            continue
        found.append(
            BlockOccurrence(
                start=datetime.combine(day, block.start_time, tzinfo=tz),
                end=datetime.combine(day, block.end_time, tzinfo=tz),
                reason=block.reason,
                block_type=block.block_type,
            )
        )
    return sorted(found, key=lambda b: b.start)


def _occurs_on(block: TimeBlock, day: date) -> bool:
    if not block.rrule:
        return block.start_date == day
    anchor = datetime.combine(block.start_date, time.min)
    rule = rrulestr(block.rrule, dtstart=anchor, ignoretz=True)
    hit = rule.after(datetime.combine(day, time.min), inc=True)
    return hit is not None and hit.date() == day
