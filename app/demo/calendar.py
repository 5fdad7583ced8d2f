"""The demo practice's calendar: business hours, Ontario statutory holidays, recurring time blocks.

Holidays are computed, not listed, so a demo profile seeded in any year has the right ones. A holiday
that falls on a weekend is observed on the next free weekday, as Ontario employers do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from dateutil.easter import easter
from dateutil.rrule import rrulestr

PRACTICE_TIMEZONE = "America/Toronto"
OPEN = time(8, 0)
CLOSE = time(17, 0)
#: ISO weekday ("1" = Monday) -> [opening, closing], as models.Practice.business_hours expects
BUSINESS_HOURS: dict[str, list[str]] = {str(d): ["08:00", "17:00"] for d in range(1, 6)}
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR")


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th (1-based) ``weekday`` (0 = Monday) of a month."""
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def holidays(year: int) -> list[date]:
    """Ontario statutory holidays plus the Civic Holiday, as the dates the practice is closed."""
    fixed = [date(year, 1, 1), date(year, 7, 1), date(year, 12, 25), date(year, 12, 26)]
    moving = [
        _nth_weekday(year, 2, 0, 3),  # Family Day
        easter(year) - timedelta(days=2),  # Good Friday
        date(year, 5, 24) - timedelta(days=date(year, 5, 24).weekday()),  # Victoria Day
        _nth_weekday(year, 8, 0, 1),  # Civic Holiday
        _nth_weekday(year, 9, 0, 1),  # Labour Day
        _nth_weekday(year, 10, 0, 2),  # Thanksgiving
    ]
    closed = set(moving)
    for day in fixed:
        observed = day
        while observed.weekday() >= 5 or observed in closed:
            observed += timedelta(days=1)
        closed.add(observed)
    return sorted(closed)


def holidays_between(first: date, last: date) -> list[date]:
    return [d for year in range(first.year, last.year + 1) for d in holidays(year) if first <= d <= last]


def is_business_day(day: date, closed: set[date]) -> bool:
    return str(day.isoweekday()) in BUSINESS_HOURS and day not in closed


@dataclass(frozen=True)
class BlockSpec:
    """A time block as the seeder plans it; ``occurs_on`` uses the same RRULE semantics as the
    schedule service (dateutil, anchored at ``start_date``), so what is seeded is what is shown."""

    start_date: date
    start_time: time
    end_time: time
    rrule: str | None
    reason: str
    block_type: str
    end_date: date | None = None

    def occurrences(self, first: date, last: date) -> set[date]:
        if self.rrule is None:
            return {self.start_date} if first <= self.start_date <= last else set()
        rule = rrulestr(self.rrule, dtstart=_midnight(self.start_date))
        until = min(last, self.end_date) if self.end_date else last
        return {dt.date() for dt in rule.between(_midnight(first), _midnight(until), inc=True)}

    def minutes(self) -> tuple[int, int]:
        return (
            self.start_time.hour * 60 + self.start_time.minute,
            self.end_time.hour * 60 + self.end_time.minute,
        )


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)  # noqa: DTZ001 - recurrence runs on wall-clock dates
