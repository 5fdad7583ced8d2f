from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.services.appointments import book_appointment, change_status
from app.services.schedule import day_schedule
from clinicdesk.errors import ValidationError
from models import Appointment, AuditEvent, OutboxEntry
from models.enums import AppointmentStatus, AppointmentType
from tests.unit.services.conftest import Clinic

TZ = ZoneInfo("America/Toronto")
# a Wednesday; "now" is fixed so the lead-time rules are deterministic
NOW = datetime(2030, 3, 4, 9, 0, tzinfo=TZ).astimezone(UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2030, 3, day, hour, minute, tzinfo=TZ)


def book(clinic: Clinic, start: datetime, kind: AppointmentType = AppointmentType.ROUTINE, patient: int = 0):
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        return book_appointment(
            s,
            patient_id=clinic.patients[patient].id,
            clinician_id=clinic.doctor.id,
            start=start,
            appointment_type=kind,
            reason="check-up",
            now=NOW,
        )


def test_a_valid_booking_is_stored_with_history_audit_and_outbox_entry(clinic: Clinic) -> None:
    view = book(clinic, at(6, 10))
    assert view.status is AppointmentStatus.SCHEDULED
    assert view.duration_minutes == 30
    with clinic.store.session() as s:
        appt = s.get(Appointment, view.id)
        assert appt is not None and appt.status_history[0]["by"] == str(clinic.doctor.id)
        audit = s.scalars(select(AuditEvent).where(AuditEvent.resource_id == view.id)).one()
        assert audit.action == "create" and audit.user_id == clinic.doctor.id
        entries = s.scalars(select(OutboxEntry).where(OutboxEntry.record_id == view.id)).all()
        assert [e.entity for e in entries] == ["appointments"]


@pytest.mark.parametrize(
    ("start", "kind", "message"),
    [
        (at(4, 15), AppointmentType.ROUTINE, "at least 24 hours ahead"),
        (at(4, 8) + timedelta(days=61), AppointmentType.ROUTINE, "at most 60 days ahead"),
        (at(6, 7, 30), AppointmentType.ROUTINE, "outside business hours"),
        (at(6, 16, 45), AppointmentType.ROUTINE, "outside business hours"),
        (at(9, 10), AppointmentType.ROUTINE, "closed on Saturdays"),
        (at(6, 12, 15), AppointmentType.ROUTINE, r"unavailable 12:00–13:00 \(Lunch\)"),
        (at(6, 11, 45), AppointmentType.ROUTINE, r"unavailable 12:00–13:00 \(Lunch\)"),
        (at(3, 10), AppointmentType.URGENT, "in the future"),
    ],
)
def test_a_slot_that_breaks_a_rule_is_refused_with_a_clear_message(
    clinic: Clinic, start: datetime, kind: AppointmentType, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        book(clinic, start, kind)
    with clinic.store.session() as s:
        assert s.scalars(select(Appointment)).first() is None


def test_holidays_are_closed(clinic: Clinic) -> None:
    late_now = datetime(2030, 12, 1, 9, tzinfo=TZ)
    with clinic.store.session() as s, pytest.raises(ValidationError, match="holiday"):
        book_appointment(
            s,
            patient_id=clinic.patients[0].id,
            clinician_id=clinic.doctor.id,
            start=datetime(2030, 12, 25, 10, tzinfo=TZ),
            appointment_type=AppointmentType.ROUTINE,
            now=late_now,
        )


def test_urgent_same_day_is_allowed_but_double_booking_is_not(clinic: Clinic) -> None:
    book(clinic, at(4, 10), AppointmentType.URGENT)
    with pytest.raises(ValidationError, match="already has an appointment at 10:00"):
        book(clinic, at(4, 10, 10), AppointmentType.URGENT, patient=1)


def test_a_cancelled_slot_can_be_booked_again(clinic: Clinic) -> None:
    first = book(clinic, at(6, 10))
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        change_status(s, first.id, AppointmentStatus.CANCELLED, reason="patient called", now=NOW)
    second = book(clinic, at(6, 10), patient=1)
    assert second.id != first.id


def test_status_changes_record_who_when_and_why(clinic: Clinic) -> None:
    view = book(clinic, at(6, 10))
    with clinic.store.session(actor_id=clinic.nurse.id) as s:
        change_status(s, view.id, AppointmentStatus.CONFIRMED, now=NOW)
        change_status(s, view.id, AppointmentStatus.CHECKED_IN, now=NOW + timedelta(hours=1))
    with clinic.store.session() as s:
        appt = s.get(Appointment, view.id)
        assert appt is not None
        assert [h["status"] for h in appt.status_history] == ["scheduled", "confirmed", "checked_in"]
        assert appt.status_history[-1]["by"] == str(clinic.nurse.id)
        assert appt.checked_in_at == NOW + timedelta(hours=1)
        changes = s.scalars(
            select(AuditEvent).where(AuditEvent.resource_id == view.id, AuditEvent.action == "update")
        ).all()
        assert [(a.old_values, a.new_values) for a in changes] == [
            ({"status": "scheduled"}, {"status": "confirmed"}),
            ({"status": "confirmed"}, {"status": "checked_in"}),
        ]
        outbox = s.scalars(select(OutboxEntry).where(OutboxEntry.record_id == view.id)).all()
        assert len(outbox) == 3
        assert "status" in outbox[-1].payload and "status_history" in outbox[-1].payload


def test_cancelling_needs_a_reason_and_impossible_transitions_are_refused(clinic: Clinic) -> None:
    view = book(clinic, at(6, 10))
    with clinic.store.session() as s, pytest.raises(ValidationError, match="needs a reason"):
        change_status(s, view.id, AppointmentStatus.CANCELLED, reason="  ")
    with clinic.store.session() as s:
        change_status(s, view.id, AppointmentStatus.NO_SHOW, now=NOW)
    with (
        clinic.store.session() as s,
        pytest.raises(ValidationError, match="no show cannot be marked checked in"),
    ):
        change_status(s, view.id, AppointmentStatus.CHECKED_IN)


def test_the_day_schedule_merges_appointments_and_the_recurring_lunch_block(clinic: Clinic) -> None:
    book(clinic, at(6, 14))
    book(clinic, at(6, 9), patient=1)
    with clinic.store.session() as s:
        day = day_schedule(s, clinician_id=clinic.doctor.id, day=at(6, 0).date())
    assert [(e.kind, e.start.strftime("%H:%M")) for e in day.entries] == [
        ("appointment", "09:00"),
        ("block", "12:00"),
        ("appointment", "14:00"),
    ]
    assert day.entries[0].patient_name == "Alan Turing"
    assert day.entries[1].reason == "Lunch"
    with clinic.store.session() as s:
        weekend = day_schedule(s, clinician_id=clinic.doctor.id, day=at(9, 0).date())
    assert weekend.entries == [] and weekend.closed_reason == "closed"
