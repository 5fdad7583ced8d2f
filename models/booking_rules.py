"""The practice's booking rules, in one place for the window, the command line and the server.

Pure: no session, no I/O. The caller reads the practice record, the clinician's time blocks and
appointments from its own store (SQLCipher on a workstation, PostgreSQL on the server) and asks
:func:`check_booking` whether a slot may be booked, or :func:`next_free_slot` for the first one that
may. Everything reasons in the practice's own timezone, because "09:00" and "Christmas Day" mean the
practice's wall clock, whatever the workstation's clock says. A reason is one sentence the user can
act on; it never names a patient.

The notice window (at least N hours, at most M days ahead) is measured from the moment of booking.
On a workstation that is now; on the server it is when the workstation says the booking was made
(offline work syncs later), if that is no more than :data:`OFFLINE_GRACE` before the server's clock.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property, lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrule as RRule
from dateutil.rrule import rrulestr

from models.enums import AppointmentType

#: How far back the server believes a workstation's "booked at" (a booking made offline reaches it
#: when the network is back; a week covers a long outage and no more).
OFFLINE_GRACE = timedelta(days=7)
#: The longest appointment a rule allows.
MAX_DURATION_MINUTES = 8 * 60
#: Slots the free-slot search offers start on this grid (minutes past the hour).
SLOT_STEP_MINUTES = 15

DEFAULT_TYPE_RULES: dict[str, dict[str, int]] = {
    AppointmentType.ROUTINE: {"duration_minutes": 30, "min_lead_hours": 24, "max_lead_days": 60},
    AppointmentType.FOLLOW_UP: {"duration_minutes": 20, "min_lead_hours": 0, "max_lead_days": 120},
    AppointmentType.URGENT: {"duration_minutes": 15, "min_lead_hours": 0, "max_lead_days": 2},
    AppointmentType.CONSULTATION: {"duration_minutes": 45, "min_lead_hours": 0, "max_lead_days": 120},
    AppointmentType.PROCEDURE: {"duration_minutes": 60, "min_lead_hours": 24, "max_lead_days": 120},
    AppointmentType.TELEMEDICINE: {"duration_minutes": 20, "min_lead_hours": 0, "max_lead_days": 60},
}
RULE_FIELDS = ("duration_minutes", "min_lead_hours", "max_lead_days")


@dataclass(frozen=True)
class TypeRule:
    duration_minutes: int
    min_lead_hours: int
    max_lead_days: int


@lru_cache(maxsize=32)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def valid_timezone(name: str) -> bool:
    try:
        zone(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _hhmm(text: Any) -> time | None:
    try:
        return time.fromisoformat(str(text))
    except ValueError:
        return None


@dataclass(frozen=True)
class Calendar:
    """What the practice record says about when it books: its timezone, opening hours per ISO
    weekday ("1" = Monday -> ["HH:MM", "HH:MM"]), holidays (ISO dates) and the rules per type."""

    timezone: str = "UTC"
    business_hours: Mapping[str, Any] = field(default_factory=dict)
    holidays: frozenset[str] = frozenset()
    appointment_types: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        *,
        timezone: str | None,
        business_hours: Mapping[str, Any] | None,
        holiday_schedule: Iterable[Any] | None,
        appointment_types: Mapping[str, Any] | None,
    ) -> Calendar:
        """From a practice record's values (a model's attributes or a pushed record's)."""
        name = timezone if timezone and valid_timezone(timezone) else "UTC"
        return cls(
            timezone=name,
            business_hours=dict(business_hours or {}),
            holidays=frozenset(str(d) for d in holiday_schedule or ()),
            appointment_types=dict(appointment_types or {}),
        )

    @property
    def tz(self) -> ZoneInfo:
        return zone(self.timezone)

    def type_rule(self, appointment_type: AppointmentType | str) -> TypeRule:
        key = AppointmentType(appointment_type).value
        merged = dict(DEFAULT_TYPE_RULES[AppointmentType(key)])
        configured = self.appointment_types.get(key)
        if isinstance(configured, Mapping):
            for name in RULE_FIELDS:
                value = configured.get(name)
                if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                    merged[name] = value
        return TypeRule(**merged)

    def hours_on(self, day: date) -> tuple[time, time] | None:
        """Opening and closing time on ``day``, or None when the practice is closed (a weekday it
        does not open, a holiday)."""
        if day.isoformat() in self.holidays:
            return None
        hours = self.business_hours.get(str(day.isoweekday()))
        if not hours or len(hours) != 2:
            return None
        opens, closes = _hhmm(hours[0]), _hhmm(hours[1])
        if opens is None or closes is None or closes <= opens:
            return None
        return opens, closes

    def closed_reason(self, day: date) -> str | None:
        if day.isoformat() in self.holidays:
            return "holiday"
        if self.hours_on(day) is None:
            return "closed"
        return None


@dataclass(frozen=True)
class BlockRule:
    """A clinician's time block as stored: one day, or a series by an RFC 5545 rule anchored at
    ``start_date`` (ending at ``end_date`` when given), minus the days in ``exdates`` (occurrences
    taken out of the series: cancelled, or moved by an edit of that one occurrence)."""

    start_date: date
    start_time: time
    end_time: time
    rrule: str | None = None
    end_date: date | None = None
    exdates: frozenset[str] = frozenset()
    reason: str | None = None
    block_type: str = "other"
    block_id: uuid.UUID | None = None

    @cached_property
    def _rule(self) -> RRule | None:
        if not self.rrule:
            return None
        parsed = rrulestr(self.rrule, dtstart=datetime.combine(self.start_date, time.min), ignoretz=True)
        assert isinstance(parsed, RRule)
        return parsed

    def days_between(self, first: date, last: date) -> list[date]:
        """The days from ``first`` to ``last`` (inclusive) the block falls on."""
        if self.end_date is not None:
            last = min(last, self.end_date)
        first = max(first, self.start_date)
        if last < first:
            return []
        rule = self._rule
        if rule is None:
            days = [self.start_date] if first <= self.start_date <= last else []
        else:
            hits = rule.between(datetime.combine(first, time.min), datetime.combine(last, time.max), inc=True)
            days = [hit.date() for hit in hits]
        return [d for d in days if d.isoformat() not in self.exdates]

    def occurs_on(self, day: date) -> bool:
        return bool(self.days_between(day, day))

    def span_on(self, day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
        start = datetime.combine(day, self.start_time, tzinfo=tz)
        return start, datetime.combine(day, self.end_time, tzinfo=tz)


def check_rrule(text: str, *, anchor: date) -> str | None:
    """Why an RRULE body cannot be used (None: it can). Bounded: a series must end (UNTIL or
    COUNT), so expanding it can never run away."""
    if len(text) > 200:
        return "the recurrence rule is too long"
    upper = text.upper()
    if "UNTIL=" not in upper and "COUNT=" not in upper:
        return "a repeating block needs an end date"
    if any(part in upper for part in ("SECONDLY", "MINUTELY", "HOURLY")):
        return "a block repeats at most daily"
    try:
        rrulestr(text, dtstart=datetime.combine(anchor, time.min), ignoretz=True)
    except (ValueError, TypeError):
        return "the recurrence rule is not valid RFC 5545"
    return None


@dataclass(frozen=True)
class Busy:
    """Time a clinician is already booked (another appointment)."""

    start: datetime
    end: datetime
    appointment_id: uuid.UUID | None = None


def _type_name(appointment_type: AppointmentType) -> str:
    return appointment_type.value.replace("_", "-")


def notice_window(
    calendar: Calendar, appointment_type: AppointmentType, booked_at: datetime
) -> tuple[datetime, datetime]:
    """The earliest and latest start a booking made at ``booked_at`` may have."""
    rule = calendar.type_rule(appointment_type)
    return booked_at + timedelta(hours=rule.min_lead_hours), booked_at + timedelta(days=rule.max_lead_days)


def check_booking(
    calendar: Calendar,
    *,
    start: datetime,
    duration_minutes: int | None,
    appointment_type: AppointmentType,
    booked_at: datetime,
    blocks: Iterable[BlockRule],
    busy: Iterable[Busy],
    ignore: uuid.UUID | None = None,
) -> tuple[int, str | None]:
    """(the duration to book, None) when the slot may be booked, else (duration, the first rule it
    breaks). ``duration_minutes`` None or 0 takes the type's default; ``ignore`` is the appointment
    being moved (its own slot is no clash)."""
    if start.tzinfo is None:
        return 0, "the appointment time needs a timezone"
    tz = calendar.tz
    rule = calendar.type_rule(appointment_type)
    duration = duration_minutes or rule.duration_minutes
    if duration <= 0 or duration > MAX_DURATION_MINUTES:
        return duration, "the duration must be between 1 minute and 8 hours"
    local = start.astimezone(tz)
    end = local + timedelta(minutes=duration)
    type_name = _type_name(appointment_type)
    earliest, latest = notice_window(calendar, appointment_type, booked_at)
    if start <= booked_at:
        return duration, "appointments can only be booked in the future"
    if rule.min_lead_hours and start < earliest:
        return duration, f"{type_name} appointments must be booked at least {rule.min_lead_hours} hours ahead"
    if start > latest:
        return duration, f"{type_name} appointments can be booked at most {rule.max_lead_days} days ahead"
    if local.date().isoformat() in calendar.holidays:
        return duration, f"the practice is closed on {local:%A %d %B %Y} (holiday)"
    hours = calendar.hours_on(local.date())
    if hours is None:
        return duration, f"the practice is closed on {local:%A}s"
    if local.time() < hours[0] or end.time() > hours[1] or end.date() != local.date():
        return duration, (
            f"the slot {local:%H:%M}–{end:%H:%M} is outside business hours "
            f"({hours[0]:%H:%M}–{hours[1]:%H:%M})"
        )
    for block in blocks:
        if not block.occurs_on(local.date()):
            continue
        block_start, block_end = block.span_on(local.date(), tz)
        if block_start < end and local < block_end:
            what = block.reason or block.block_type
            return duration, f"the clinician is unavailable {block_start:%H:%M}–{block_end:%H:%M} ({what})"
    for other in busy:
        if other.appointment_id is not None and other.appointment_id == ignore:
            continue
        if other.start < end and start < other.end:
            return duration, (
                f"the clinician already has an appointment at {other.start.astimezone(tz):%H:%M}; "
                "choose another time"
            )
    return duration, None


def free_intervals(
    calendar: Calendar,
    day: date,
    *,
    blocks: Sequence[BlockRule],
    busy: Sequence[Busy],
) -> list[tuple[datetime, datetime]]:
    """The practice's open hours on ``day`` minus the clinician's blocks and appointments, in order."""
    tz = calendar.tz
    taken = [b.span_on(day, tz) for b in blocks if b.occurs_on(day)]
    return _free(calendar, day, taken + [(b.start, b.end) for b in busy])


def _free(
    calendar: Calendar, day: date, taken: list[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    hours = calendar.hours_on(day)
    if hours is None:
        return []
    tz = calendar.tz
    day_start = datetime.combine(day, hours[0], tzinfo=tz)
    day_end = datetime.combine(day, hours[1], tzinfo=tz)
    free: list[tuple[datetime, datetime]] = []
    cursor = day_start
    spans = sorted((s.astimezone(tz), e.astimezone(tz)) for s, e in taken if e > day_start and s < day_end)
    for s, e in spans:
        if s > cursor:
            free.append((cursor, s))
        cursor = max(cursor, e)
        if cursor >= day_end:
            break
    if cursor < day_end:
        free.append((cursor, day_end))
    return free


def _on_grid(moment: datetime, step: int) -> datetime:
    """``moment`` rounded up to the next ``step``-minute mark of its hour."""
    if moment.second or moment.microsecond:
        moment = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
    over = moment.minute % step
    return moment + timedelta(minutes=(step - over) % step)


def next_free_slot(
    calendar: Calendar,
    *,
    appointment_type: AppointmentType,
    duration_minutes: int | None,
    after: datetime,
    now: datetime,
    blocks: Sequence[BlockRule],
    busy: Sequence[Busy],
    step_minutes: int = SLOT_STEP_MINUTES,
) -> datetime | None:
    """The first start at or after ``after`` (on the ``step_minutes`` grid, practice time) that
    :func:`check_booking` accepts for a booking made ``now``, or None within the type's window.
    ``busy`` should cover the clinician's appointments over the window (sorted or not)."""
    rule = calendar.type_rule(appointment_type)
    duration = timedelta(minutes=duration_minutes or rule.duration_minutes)
    earliest, latest = notice_window(calendar, appointment_type, now)
    tz = calendar.tz
    begin = max(after, earliest, now + timedelta(minutes=1)).astimezone(tz)
    day = begin.date()
    last_day = latest.astimezone(tz).date()
    taken: dict[date, list[tuple[datetime, datetime]]] = {}
    for block in blocks:
        for d in block.days_between(day, last_day):
            taken.setdefault(d, []).append(block.span_on(d, tz))
    for b in busy:
        taken.setdefault(b.start.astimezone(tz).date(), []).append((b.start, b.end))
    while day <= last_day:
        for free_start, free_end in _free(calendar, day, taken.get(day, [])):
            candidate = _on_grid(max(free_start, begin), step_minutes)
            if candidate + duration <= free_end and candidate <= latest:
                return candidate
        day += timedelta(days=1)
    return None
