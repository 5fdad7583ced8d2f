"""The booking rules the window, the command line and the server share (models/booking_rules.py),
on a calendar written out here: weekdays 08:00–17:00 in Toronto, a Friday holiday, the seeds' rules
(routine at least 24 hours and at most 60 days ahead), a weekly lunch block."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from models.booking_rules import BlockRule, Busy, Calendar, check_booking, check_rrule, next_free_slot
from models.enums import AppointmentType

TZ = ZoneInfo("America/Toronto")
CALENDAR = Calendar.of(
    timezone="America/Toronto",
    business_hours={str(d): ["08:00", "17:00"] for d in range(1, 6)},
    holiday_schedule=["2030-03-15"],
    appointment_types={},
)
LUNCH = BlockRule(
    start_date=date(2030, 1, 1), start_time=time(12), end_time=time(13),
    rrule="FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;UNTIL=20311231T235959", reason="Lunch", block_type="break",
)  # fmt: skip
#: Monday 4 March 2030, 09:00 in Toronto
NOW = datetime(2030, 3, 4, 9, 0, tzinfo=TZ).astimezone(UTC)


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2030, month, day, hour, minute, tzinfo=TZ)


def reason_for(
    start: datetime, kind: AppointmentType = AppointmentType.ROUTINE, **extra: object
) -> str | None:
    args: dict[str, object] = {"blocks": [LUNCH], "busy": [], "booked_at": NOW, "duration_minutes": None}
    args.update(extra)
    return check_booking(CALENDAR, start=start, appointment_type=kind, **args)[1]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("start", "kind", "broken"),
    [
        (at(4, 15), AppointmentType.ROUTINE, "at least 24 hours ahead"),
        (at(6, 10) + timedelta(days=60), AppointmentType.ROUTINE, "at most 60 days ahead"),
        (at(6, 12, 15), AppointmentType.ROUTINE, r"unavailable 12:00–13:00 \(Lunch\)"),
        (at(6, 16, 45), AppointmentType.ROUTINE, "outside business hours"),
        (at(9, 10), AppointmentType.ROUTINE, "closed on Saturdays"),
        (at(15, 10), AppointmentType.FOLLOW_UP, "closed on Friday 15 March 2030 \\(holiday\\)"),
        (at(4, 8, 30), AppointmentType.URGENT, "in the future"),
    ],
)
def test_each_rule_refuses_with_its_own_reason(start: datetime, kind: AppointmentType, broken: str) -> None:
    found = reason_for(start, kind)
    assert found is not None and re.search(broken, found), found


def test_a_slot_that_breaks_no_rule_is_accepted_with_the_types_duration() -> None:
    duration, broken = check_booking(
        CALENDAR, start=at(6, 10), duration_minutes=None, appointment_type=AppointmentType.ROUTINE,
        booked_at=NOW, blocks=[LUNCH], busy=[],
    )  # fmt: skip
    assert (duration, broken) == (30, None)


def test_another_appointment_clashes_but_the_one_being_moved_does_not() -> None:
    mine = uuid.uuid4()
    busy = [Busy(at(6, 10), at(6, 10, 30), mine)]
    assert "already has an appointment at 10:00" in str(reason_for(at(6, 10, 15), busy=busy))
    assert reason_for(at(6, 10, 15), busy=busy, ignore=mine) is None


def test_the_notice_window_is_measured_from_when_the_booking_was_made() -> None:
    """An offline booking made 25 hours ahead stays valid when it syncs an hour later."""
    start = NOW + timedelta(hours=25)
    assert reason_for(start, booked_at=NOW) is None
    assert "at least 24 hours" in str(reason_for(start, booked_at=NOW + timedelta(hours=2)))


def test_a_series_skips_its_taken_out_days_and_an_every_other_week_rule_skips_weeks() -> None:
    fortnightly = BlockRule(
        start_date=date(2030, 3, 4), start_time=time(9), end_time=time(10),
        rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;UNTIL=20300401T235959", exdates=frozenset({"2030-03-06"}),
    )  # fmt: skip
    days = fortnightly.days_between(date(2030, 3, 1), date(2030, 4, 30))
    assert days == [date(2030, 3, 4), date(2030, 3, 18), date(2030, 3, 20), date(2030, 4, 1)]


def test_a_repeating_block_must_end_and_repeat_at_most_daily() -> None:
    anchor = date(2030, 1, 1)
    assert check_rrule("FREQ=WEEKLY;BYDAY=MO", anchor=anchor) == "a repeating block needs an end date"
    assert check_rrule("FREQ=HOURLY;COUNT=3", anchor=anchor) == "a block repeats at most daily"
    assert check_rrule("FREQ=WEEKLY;BYDAY=XX;COUNT=3", anchor=anchor) is not None
    assert check_rrule("FREQ=DAILY;UNTIL=20300131T235959", anchor=anchor) is None


def test_the_next_free_slot_honours_notice_hours_blocks_weekends_and_appointments() -> None:
    # routine: at least 24 h ahead, so from Tuesday 09:00; Tuesday is full until lunch, then booked
    busy = [Busy(at(5, 9), at(5, 12), None), Busy(at(5, 13), at(5, 17), None)]
    found = next_free_slot(
        CALENDAR, appointment_type=AppointmentType.ROUTINE, duration_minutes=None, after=NOW, now=NOW,
        blocks=[LUNCH], busy=busy,
    )  # fmt: skip
    assert found == at(6, 8)
    # a Friday afternoon search for an urgent visit goes past the weekend to Monday morning
    friday = datetime(2030, 3, 8, 16, 50, tzinfo=TZ)
    found = next_free_slot(
        CALENDAR, appointment_type=AppointmentType.FOLLOW_UP, duration_minutes=20, after=friday, now=friday,
        blocks=[LUNCH], busy=[],
    )  # fmt: skip
    assert found == at(11, 8)
    assert check_booking(
        CALENDAR, start=found, duration_minutes=20, appointment_type=AppointmentType.FOLLOW_UP,
        booked_at=friday, blocks=[LUNCH], busy=[],
    )[1] is None  # fmt: skip


def test_nothing_free_within_the_window_is_none() -> None:
    closed = Calendar.of(timezone="UTC", business_hours={}, holiday_schedule=[], appointment_types={})
    found = next_free_slot(
        closed, appointment_type=AppointmentType.URGENT, duration_minutes=None, after=NOW, now=NOW,
        blocks=[], busy=[],
    )  # fmt: skip
    assert found is None


def test_a_calendar_from_a_bad_record_falls_back_rather_than_failing() -> None:
    odd = Calendar.of(
        timezone="Mars/Olympus", business_hours={"1": ["18:00", "08:00"], "2": ["x", "y"]},
        holiday_schedule=None, appointment_types={"routine": {"min_lead_hours": -5, "duration_minutes": "9"}},
    )  # fmt: skip
    assert odd.timezone == "UTC"
    assert odd.hours_on(date(2030, 3, 4)) is None and odd.hours_on(date(2030, 3, 5)) is None
    assert odd.type_rule(AppointmentType.ROUTINE).min_lead_hours == 24
