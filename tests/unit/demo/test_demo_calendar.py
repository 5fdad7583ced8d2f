"""The demo practice's holidays and recurring blocks."""

from __future__ import annotations

from datetime import date, time

from app.demo.calendar import BlockSpec, holidays, holidays_between


def test_ontario_holidays_for_2026_fall_on_the_days_the_practice_closes() -> None:
    assert holidays(2026) == [
        date(2026, 1, 1),
        date(2026, 2, 16),  # Family Day
        date(2026, 4, 3),  # Good Friday
        date(2026, 5, 18),  # Victoria Day
        date(2026, 7, 1),
        date(2026, 8, 3),  # Civic Holiday
        date(2026, 9, 7),  # Labour Day
        date(2026, 10, 12),  # Thanksgiving
        date(2026, 12, 25),
        date(2026, 12, 28),  # Boxing Day falls on a Saturday: observed Monday
    ]


def test_weekend_christmas_and_boxing_day_move_to_the_next_free_weekdays() -> None:
    observed = holidays(2027)
    assert date(2027, 12, 27) in observed
    assert date(2027, 12, 28) in observed
    assert all(d.weekday() < 5 for year in range(2024, 2032) for d in holidays(year))


def test_holidays_between_spans_years() -> None:
    found = holidays_between(date(2026, 12, 1), date(2027, 1, 31))
    assert found == [date(2026, 12, 25), date(2026, 12, 28), date(2027, 1, 1)]


def test_a_fortnightly_block_recurs_every_other_week_from_its_anchor() -> None:
    spec = BlockSpec(
        date(2026, 11, 3), time(8), time(9), "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", "Team meeting", "meeting"
    )
    assert sorted(spec.occurrences(date(2026, 11, 1), date(2026, 12, 10))) == [
        date(2026, 11, 3),
        date(2026, 11, 17),
        date(2026, 12, 1),
    ]


def test_a_block_with_an_end_date_stops_recurring() -> None:
    spec = BlockSpec(
        date(2026, 11, 5),
        time(8),
        time(10),
        "FREQ=WEEKLY;BYDAY=TH;UNTIL=20261119",
        "Hospital rounds",
        "other",
        end_date=date(2026, 11, 19),
    )
    assert sorted(spec.occurrences(date(2026, 11, 1), date(2026, 12, 31))) == [
        date(2026, 11, 5),
        date(2026, 11, 12),
        date(2026, 11, 19),
    ]
