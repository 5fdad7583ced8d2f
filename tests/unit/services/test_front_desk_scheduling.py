"""The front desk's scheduling on a workstation: moving an appointment (its history keeps the move),
time blocks once or in a series (edited as one occurrence or as the whole series), a clinician's
week, the next free slot; and the practice record and staff records an administrator keeps."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.services import practice_setup, scheduling, staff
from app.services.appointments import book_appointment
from app.services.scheduling import BlockInput, Recurrence
from clinicdesk.errors import PermissionDeniedError, ValidationError
from models import Appointment, OutboxEntry, Practice, TimeBlock, User
from models.enums import AppointmentType, Role, TimeBlockType
from tests.unit.services.conftest import Clinic

TZ = ZoneInfo("America/Toronto")
#: Monday 4 March 2030, 09:00 in Toronto; the clinic is open weekdays 08:00–17:00, lunch 12–13
NOW = datetime(2030, 3, 4, 9, 0, tzinfo=TZ).astimezone(UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2030, 3, day, hour, minute, tzinfo=TZ)


def booked(clinic: Clinic, start: datetime) -> uuid.UUID:
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        return book_appointment(
            s, patient_id=clinic.patients[0].id, clinician_id=clinic.doctor.id, start=start,
            appointment_type=AppointmentType.ROUTINE, now=NOW,
        ).id  # fmt: skip


def test_a_reschedule_is_checked_by_the_rules_and_kept_in_the_history(clinic: Clinic) -> None:
    appt = booked(clinic, at(6, 10))
    with (
        pytest.raises(ValidationError, match=r"unavailable 12:00–13:00 \(Lunch\)"),
        clinic.store.session(actor_id=clinic.doctor.id) as s,
    ):
        scheduling.reschedule(s, appt, start=at(6, 12, 15), reason="patient asked", now=NOW)
    with (
        pytest.raises(ValidationError, match="needs a reason"),
        clinic.store.session(actor_id=clinic.doctor.id) as s,
    ):
        scheduling.reschedule(s, appt, start=at(7, 9), reason="  ", now=NOW)
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        moved = scheduling.reschedule(s, appt, start=at(7, 9), reason="patient asked", now=NOW)
    assert moved.start == at(7, 9)
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        details = scheduling.appointment_details(s, appt)
        outbox = s.scalars(select(OutboxEntry).where(OutboxEntry.record_id == appt)).all()
    [entry] = details.reschedule_history
    assert entry["reason"] == "patient asked" and entry["by"] == str(clinic.doctor.id)
    assert entry["from"]["start"] == at(6, 10).astimezone(UTC).isoformat()
    assert entry["to"]["start"] == at(7, 9).isoformat()
    assert details.names[str(clinic.doctor.id)] == "Dr Who"
    assert {"reschedule_history", "start_at"} <= set(outbox[-1].payload), "the move syncs as one change"


def test_a_weekly_block_every_other_week_edited_for_one_day_and_removed_for_another(clinic: Clinic) -> None:
    weekly = BlockInput(
        clinician_id=clinic.doctor.id, start_date=date(2030, 3, 4), start_time=time(15), end_time=time(16),
        reason="Team meeting", block_type=TimeBlockType.MEETING,
        recurrence=Recurrence("weekly", until=date(2030, 4, 30), weekdays=(0, 2), interval=2),
    )  # fmt: skip
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        series = scheduling.add_block(s, weekly)
    with clinic.store.session() as s:
        assert scheduling.block_details(s, series) == weekly, "the edit dialog shows the series as made"
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        week1 = scheduling.week_schedule(s, clinician_id=clinic.doctor.id, monday=date(2030, 3, 4))
        week2 = scheduling.week_schedule(s, clinician_id=clinic.doctor.id, monday=date(2030, 3, 11))

    def meetings(week: list[object]) -> list[date]:
        return [d.day for d in week for e in d.entries if e.reason == "Team meeting"]  # type: ignore[attr-defined]

    assert meetings(week1) == [date(2030, 3, 4), date(2030, 3, 6)]
    assert meetings(week2) == [], "every other week"
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        single = scheduling.edit_occurrence(
            s, series, date(2030, 3, 6), start_time=time(16), end_time=time(17), reason="Team meeting"
        )
        scheduling.remove_occurrence(s, series, date(2030, 3, 18))
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        march = [
            d
            for m in (4, 18)
            for d in scheduling.week_schedule(s, clinician_id=clinic.doctor.id, monday=date(2030, 3, m))
        ]
        row = s.get(TimeBlock, single)
    spans = [(d.day, e.start.hour) for d in march for e in d.entries if e.reason == "Team meeting"]
    assert spans == [(date(2030, 3, 4), 15), (date(2030, 3, 6), 16), (date(2030, 3, 20), 15)]
    assert row is not None and row.series_id == series
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        scheduling.remove_block(s, series)
    with clinic.store.session() as s:
        assert all(
            b.deleted_at is not None
            for b in s.scalars(select(TimeBlock).where(TimeBlock.reason == "Team meeting"))
        )


def test_a_block_series_must_end_and_a_booking_inside_it_is_refused(clinic: Clinic) -> None:
    endless = Recurrence("weekly", until=date(2040, 1, 1), weekdays=(0,))
    block = BlockInput(
        clinician_id=clinic.doctor.id, start_date=date(2030, 3, 4), start_time=time(9), end_time=time(10)
    )
    with pytest.raises(ValidationError, match="three years at most"), clinic.store.session() as s:
        scheduling.add_block(s, replace(block, recurrence=endless))
    with pytest.raises(ValidationError, match="ends after it starts"), clinic.store.session() as s:
        scheduling.add_block(s, replace(block, end_time=time(8)))
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        scheduling.add_block(s, replace(block, recurrence=Recurrence("daily", until=date(2030, 3, 31))))
    with pytest.raises(ValidationError, match="unavailable 09:00–10:00"):
        booked(clinic, at(7, 9, 30))


def test_the_next_free_slot_skips_blocks_and_booked_time(clinic: Clinic) -> None:
    booked(clinic, at(5, 9, 0))  # routine is 24 h ahead: Tuesday 09:00 is the first candidate
    with clinic.store.session() as s:
        found = scheduling.find_next_free_slot(
            s, clinician_id=clinic.doctor.id, appointment_type=AppointmentType.ROUTINE, now=NOW
        )
    assert found == at(5, 9, 30)


@pytest.fixture
def admin_id(clinic: Clinic) -> uuid.UUID:
    with clinic.store.session() as s:
        admin = User(username="a.min", full_name="Ada Min", role=Role.ADMIN)
        s.add(admin)
        s.flush()
        return admin.id


def test_the_practice_record_is_checked_set_up_by_an_administrator_and_edited(
    clinic: Clinic, admin_id: uuid.UUID
) -> None:
    data = replace(
        practice_setup.default_input("America/Toronto"), name="Harbour Street", phone="416 555 0100"
    )
    for bad, message in (
        (replace(data, name=" "), "needs its name"),
        (replace(data, timezone="Mars/Olympus"), "time zone"),
        (replace(data, business_hours={"1": ("17:00", "08:00")}), "close after it opens"),
        (replace(data, business_hours={}), "at least one weekday"),
        (
            replace(data, appointment_types={"routine": {"min_lead_hours": 48, "max_lead_days": 1}}),
            "minimum notice",
        ),
        (replace(data, mrn_prefix="M1"), "no digits"),
    ):
        with pytest.raises(ValidationError, match=message):
            practice_setup.check_practice(bad)
    with (
        pytest.raises(PermissionDeniedError, match="only an admin can set up the practice"),
        clinic.store.session(actor_id=clinic.doctor.id) as s,
    ):
        practice_setup.save_practice(s, data)
    with clinic.store.session(actor_id=admin_id) as s:
        saved = practice_setup.save_practice(s, replace(data, holidays=(date(2030, 7, 1),), mrn_prefix="HSC"))
    assert (
        saved.holidays == (date(2030, 7, 1),) and saved.appointment_types["routine"]["min_lead_hours"] == 24
    )
    with clinic.store.session() as s:
        practice = s.scalars(select(Practice)).one()
        assert practice.name == "Harbour Street" and practice.mrn_prefix == "HSC"


def test_staff_records_are_kept_by_an_administrator_who_cannot_lock_themselves_out(
    clinic: Clinic, admin_id: uuid.UUID
) -> None:
    details = staff.StaffDetails(
        full_name="Dr Who", credentials="MD", specialty="Family medicine", license_number="CPSO 123"
    )
    with pytest.raises(PermissionDeniedError), clinic.store.session(actor_id=clinic.nurse.id) as s:
        staff.update_details(s, clinic.doctor.id, details)
    with clinic.store.session(actor_id=admin_id) as s:
        staff.update_member(s, clinic.doctor.id, details, Role.DOCTOR)
        staff.set_active(s, clinic.nurse.id, False)
        with pytest.raises(ValidationError, match="cannot deactivate your own"):
            staff.set_active(s, admin_id, False)
        with pytest.raises(ValidationError, match="last administrator"):
            staff.change_role(s, admin_id, Role.NURSE)
    with clinic.store.session(actor_id=admin_id) as s:
        members = {m.username: m for m in staff.staff_list(s)}
    assert members["dr.who"].license_number == "CPSO 123" and not members["n.joy"].active
    with pytest.raises(ValidationError, match="a username holds"):
        staff.check_new_account(staff.NewAccount("no spaces please", "long password", Role.NURSE, details))
    with clinic.store.session() as s:
        appt = s.scalars(select(Appointment)).first()
    assert appt is None, "nothing else was touched"
