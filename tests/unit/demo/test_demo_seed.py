"""The seeded demo clinic: deterministic, and consistent with the practice's own rules."""

from __future__ import annotations

import gzip
import itertools
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.demo import OWNER_USERNAME, seed_profile
from app.demo.calendar import holidays_between
from app.demo.schedule import seed_now
from app.services.patients import name_key
from app.services.practice import block_occurrences
from app.store import Store
from app.workspace import Workspace
from clinicdesk.errors import StoreError, ValidationError
from models import (
    Alert,
    Appointment,
    Base,
    ClinicalNote,
    Condition,
    Encounter,
    Patient,
    Practice,
    Task,
    TimeBlock,
    User,
)
from models.enums import AppointmentStatus, Role
from tests.support.profiles import FAST_KDF, MASTER_DAY, PASSWORD
from tests.support.window import day_schedule

TZ = ZoneInfo("America/Toronto")
#: for clinics these tests seed themselves: a Wednesday, with Remembrance Day (not an Ontario
#: holiday) and no statutory holiday nearby
FIXED_DAY = date(2026, 11, 18)


def _dump(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    with store.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            out[table.name] = [tuple(r) for r in rows]
    return out


def _icd10_codes() -> set[str]:
    raw = files("resources.vocab").joinpath("icd10cm_2026_codes.tsv.gz").read_bytes()
    return {line.split("\t", 1)[0] for line in gzip.decompress(raw).decode("utf-8").splitlines()[1:]}


def test_the_same_seed_and_day_give_the_same_clinic_and_another_seed_another(tmp_path: Path) -> None:
    dumps = []
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        store = seed_profile(
            tmp_path / name, PASSWORD, patients=60, days=8, seed=seed, today=FIXED_DAY, kdf=FAST_KDF
        )
        dumps.append(_dump(store))
        store.close()
    assert dumps[0] == dumps[1]
    assert dumps[0]["patients"] != dumps[2]["patients"]
    assert len(dumps[0]["appointments"]) > 100


def test_patients_have_unique_mrns_search_keys_and_plausible_birth_dates(demo: Store) -> None:
    with demo.session() as s:
        patients = s.scalars(select(Patient)).all()
    assert len(patients) == 300
    assert len({p.mrn for p in patients}) == 300
    assert all(re.fullmatch(r"MRN\d{7}", p.mrn) for p in patients)
    assert all(p.first_name_key == name_key(p.first_name) for p in patients)
    assert all(p.last_name_key == name_key(p.last_name) for p in patients)
    assert all(date(1930, 1, 1) <= p.date_of_birth <= date(2024, 12, 31) for p in patients)
    assert len({p.last_name for p in patients}) > 100, "names should be varied"
    assert {p.address_country for p in patients} <= {"CA", "US"}
    with_allergies = [p for p in patients if p.allergies]
    assert with_allergies
    assert all({"substance", "reaction", "severity"} <= set(a) for p in with_allergies for a in p.allergies)


def test_conditions_carry_real_icd10_cm_codes(demo: Store) -> None:
    with demo.session() as s:
        codes = set(s.scalars(select(Condition.icd10_code)))
        notes = s.scalars(select(ClinicalNote.content)).all()
    known = _icd10_codes()
    assert len(codes) >= 20
    assert codes <= known
    note_codes = {d["code"] for content in notes for d in content["diagnoses"]}
    assert note_codes <= known


def test_the_practice_is_set_up_with_hours_holidays_and_booking_rules(demo: Store) -> None:
    with demo.session() as s:
        practice = s.scalars(select(Practice)).one()
    assert practice.timezone == "America/Toronto"
    assert practice.business_hours == {str(d): ["08:00", "17:00"] for d in range(1, 6)}
    year = MASTER_DAY.year  # this year's and next year's holidays, as the calendar has them
    closed = holidays_between(date(year, 1, 1), date(year + 1, 12, 31))
    assert {d.isoformat() for d in closed} <= set(practice.holiday_schedule)
    assert {d.year for d in closed} == {year, year + 1} and len(closed) >= 18
    rules = practice.appointment_types
    assert rules["routine"] == {
        **rules["routine"],
        "duration_minutes": 30,
        "min_lead_hours": 24,
        "max_lead_days": 60,
    }
    assert rules["urgent"]["min_lead_hours"] == 0
    assert {rules[t]["duration_minutes"] for t in ("consultation", "procedure", "telemedicine")} == {
        45,
        60,
        20,
    }


def test_the_profile_belongs_to_dr_house_and_the_staff_covers_every_role(demo: Store) -> None:
    assert demo.meta.extra["username"] == OWNER_USERNAME
    with demo.session() as s:
        users = s.scalars(select(User)).all()
    roles = Counter(u.role for u in users)
    assert roles[Role.DOCTOR] >= 4
    assert roles[Role.NURSE] >= 2
    assert roles[Role.RECEPTIONIST] >= 1
    assert roles[Role.ADMIN] == 1
    owner = next(u for u in users if u.username == OWNER_USERNAME)
    assert owner.role == Role.DOCTOR
    assert len({u.username for u in users}) == len(users)


def test_appointments_respect_hours_holidays_blocks_and_never_double_book(demo: Store) -> None:
    with demo.session() as s:
        practice = s.scalars(select(Practice)).one()
        appointments = s.scalars(
            select(Appointment).order_by(Appointment.clinician_id, Appointment.start_at)
        ).all()
        blocks_by_day: dict[tuple[Any, date], list[tuple[datetime, datetime]]] = {}
        for a in appointments:
            key = (a.clinician_id, a.start_at.astimezone(TZ).date())
            if key not in blocks_by_day:
                found = block_occurrences(s, clinician_id=key[0], day=key[1], tz=TZ)
                blocks_by_day[key] = [(b.start, b.end) for b in found]
    assert len(appointments) > 500
    for a in appointments:
        start = a.start_at.astimezone(TZ)
        end = start + timedelta(minutes=a.duration_minutes)
        assert start.weekday() < 5
        assert start.date().isoformat() not in practice.holiday_schedule
        assert (start.hour, start.minute) >= (8, 0)
        assert (end.hour, end.minute) <= (17, 0) and end.date() == start.date()
        for b_start, b_end in blocks_by_day[(a.clinician_id, start.date())]:
            assert end <= b_start or start >= b_end, "appointment inside a time block"
    for before, after in itertools.pairwise(appointments):
        if before.clinician_id == after.clinician_id:
            assert before.start_at + timedelta(minutes=before.duration_minutes) <= after.start_at
    per_patient_day = Counter((a.patient_id, a.start_at.astimezone(TZ).date()) for a in appointments)
    assert max(per_patient_day.values()) == 1, "a patient booked twice on one day"


def test_statuses_and_their_histories_tell_a_consistent_story(demo: Store) -> None:
    now = seed_now(MASTER_DAY, TZ)
    with demo.session() as s:
        appointments = s.scalars(select(Appointment)).all()
    by_when: dict[str, Counter[AppointmentStatus]] = {
        "past": Counter(),
        "today": Counter(),
        "future": Counter(),
    }
    for a in appointments:
        day = a.start_at.astimezone(TZ).date()
        when = "past" if day < MASTER_DAY else "today" if day == MASTER_DAY else "future"
        by_when[when][a.status] += 1
        history = a.status_history
        assert history[0]["status"] == "scheduled"
        assert history[-1]["status"] == a.status.value
        stamps = [datetime.fromisoformat(h["at"]) for h in history]
        assert stamps == sorted(stamps)
        assert all(set(h) == {"status", "at", "by", "reason"} for h in history)
        assert a.created_at <= now
        if a.status == AppointmentStatus.CANCELLED:
            assert a.cancellation_reason and a.cancelled_by_id and a.cancelled_at
    S = AppointmentStatus
    assert set(by_when["past"]) == {S.COMPLETED, S.NO_SHOW, S.CANCELLED}
    assert {S.COMPLETED, S.IN_PROGRESS, S.CHECKED_IN, S.CONFIRMED} <= set(by_when["today"])
    assert set(by_when["future"]) <= {S.SCHEDULED, S.CONFIRMED, S.CANCELLED}
    assert by_when["past"][S.COMPLETED] > by_when["past"][S.CANCELLED] > 0


def test_appointment_volume_is_about_ten_visits_per_patient_per_year(tmp_path: Path) -> None:
    store = seed_profile(tmp_path / "p", PASSWORD, patients=4000, days=28, today=FIXED_DAY, kdf=FAST_KDF)
    with store.session() as s:
        count = s.scalar(select(func.count()).select_from(Appointment))
    store.close()
    expected = 4000 * 10 * 28 / 365
    assert 0.75 * expected <= count <= 1.3 * expected


def test_recurring_lunch_admin_and_meeting_blocks_exist_for_every_doctor(demo: Store) -> None:
    with demo.session() as s:
        doctors = s.scalars(select(User.id).where(User.role == Role.DOCTOR)).all()
        blocks = s.scalars(select(TimeBlock)).all()
    for doctor in doctors:
        mine = [b for b in blocks if b.clinician_id == doctor]
        lunch = [b for b in mine if b.reason == "Lunch"]
        assert len(lunch) == 1
        assert lunch[0].rrule == "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
        assert (lunch[0].start_time.hour, lunch[0].end_time.hour) == (12, 13)
        assert {b.block_type.value for b in mine} >= {"break", "admin", "meeting"}


def test_completed_visits_have_encounters_with_signed_soap_notes(demo: Store) -> None:
    with demo.session() as s:
        rows = s.execute(
            select(Appointment.status, Encounter.status, ClinicalNote.status, ClinicalNote.content)
            .join(Encounter, Encounter.appointment_id == Appointment.id)
            .join(ClinicalNote, ClinicalNote.encounter_id == Encounter.id)
        ).all()
    assert len(rows) > 50
    for appt_status, encounter_status, note_status, content in rows:
        assert appt_status.value in ("completed", "in_progress")
        assert (encounter_status.value == "completed") == (note_status.value == "signed")
        assert {"subjective", "objective", "assessment", "plan", "vitals", "medications", "diagnoses"} <= set(
            content
        )
        assert all(content[k].strip() for k in ("subjective", "objective", "assessment", "plan"))


def test_tasks_and_alerts_include_overdue_critical_and_read_items(demo: Store) -> None:
    now = seed_now(MASTER_DAY, TZ)
    with demo.session() as s:
        tasks = s.scalars(select(Task)).all()
        alerts = s.scalars(select(Alert)).all()
        nurses = set(s.scalars(select(User.id).where(User.role == Role.NURSE)))
    overdue = [
        t for t in tasks if t.status.value in ("pending", "in_progress") and t.due_at and t.due_at < now
    ]
    assert overdue
    assert any(t.assignee_id in nurses for t in tasks)
    assert {t.priority.value for t in tasks} == {"low", "medium", "high", "urgent"}
    assert any(a.severity.value == "critical" and not a.read for a in alerts)
    assert any(a.read and a.read_at for a in alerts)


def test_the_workspace_shows_dr_house_a_full_day_today(demo_dir: Path) -> None:
    workspace = Workspace.unlock(demo_dir, PASSWORD)
    try:
        assert workspace.user.username == OWNER_USERNAME
        day = day_schedule(workspace, MASTER_DAY)
    finally:
        workspace.close()
    kinds = Counter(e.kind for e in day.entries)
    assert kinds["appointment"] >= 6
    assert kinds["block"] >= 1
    assert any(e.reason == "Lunch" for e in day.entries)


def test_bad_sizes_are_refused_before_anything_is_created(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="--patients"):
        seed_profile(tmp_path / "p", PASSWORD, patients=0, kdf=FAST_KDF)
    with pytest.raises(ValidationError, match="--days"):
        seed_profile(tmp_path / "p", PASSWORD, days=0, kdf=FAST_KDF)
    assert not (tmp_path / "p").exists()


def test_seeding_never_touches_an_existing_folder_with_files(tmp_path: Path) -> None:
    folder = tmp_path / "taken"
    folder.mkdir()
    (folder / "mine.txt").write_text("keep me")
    with pytest.raises(StoreError, match="not empty"):
        seed_profile(folder, PASSWORD, kdf=FAST_KDF)
    assert [p.name for p in folder.iterdir()] == ["mine.txt"]


def test_a_failed_seed_removes_the_half_made_profile(tmp_path: Path) -> None:
    def explode(message: str) -> None:
        if message.startswith("appointments"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        seed_profile(
            tmp_path / "p", PASSWORD, patients=50, days=5, today=FIXED_DAY, kdf=FAST_KDF, progress=explode
        )
    assert not (tmp_path / "p").exists()


def test_seed_now_is_late_morning_in_the_practice() -> None:
    assert seed_now(FIXED_DAY, TZ).astimezone(TZ).hour == 11
    assert seed_now(FIXED_DAY, TZ).tzinfo == UTC
