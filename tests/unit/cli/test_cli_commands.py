"""seed, schedule, patients and passwd through the real command line."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.store import open_store
from app.store.profile import PROFILE_FILE, read_meta
from models import Appointment, AuditEvent, Patient, User
from tests.support.profiles import MASTER_DAY as TODAY
from tests.support.profiles import PASSWORD

from .conftest import Run, assert_one_line_error

TZ = ZoneInfo("America/Toronto")
ENV = {"CLINICDESK_PASSWORD": PASSWORD}


def _house_first_visit(profile: Path, day: date) -> tuple[Appointment, Patient]:
    store = open_store(profile, PASSWORD)
    try:
        with store.session() as s:
            house = s.scalars(select(User).where(User.username == "dr.house")).one()
            start = datetime.combine(day, datetime.min.time(), tzinfo=TZ)
            row = s.execute(
                select(Appointment, Patient)
                .join(Patient, Patient.id == Appointment.patient_id)
                .where(
                    Appointment.clinician_id == house.id,
                    Appointment.start_at >= start,
                    Appointment.start_at < start + timedelta(days=1),
                )
                .order_by(Appointment.start_at)
            ).first()
    finally:
        store.close()
    assert row is not None
    return row[0], row[1]


def _patient(profile: Path, index: int = 17) -> Patient:
    store = open_store(profile, PASSWORD)
    try:
        with store.session() as s:
            return s.scalars(select(Patient).order_by(Patient.mrn).offset(index).limit(1)).one()
    finally:
        store.close()


def test_seed_creates_a_profile_that_opens_with_its_password(run_cli: Run, tmp_path: Path) -> None:
    target = tmp_path / "new-profile"
    result = run_cli(
        "seed", "--profile", str(target), "--patients", "40", "--days", "6", "--today", "2026-11-18", env=ENV
    )
    assert result.returncode == 0, result.stderr
    assert "40 patients" in result.stdout
    assert result.stderr == ""
    assert read_meta(target).extra["username"] == "dr.house"
    store = open_store(target, PASSWORD)
    try:
        with store.session() as s:
            assert len(s.scalars(select(Patient.id)).all()) == 40
    finally:
        store.close()


def test_schedule_json_lists_the_days_visits_and_blocks_in_time_order(run_cli: Run, profile: Path) -> None:
    appointment, patient = _house_first_visit(profile, TODAY)
    result = run_cli(
        "schedule", "--profile", str(profile), "--date", TODAY.isoformat(), "--format", "json", env=ENV
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["date"] == TODAY.isoformat()
    assert data["clinician"] == {"username": "dr.house", "full_name": "Gregory House"}
    assert data["timezone"] == "America/Toronto"
    entries = data["entries"]
    starts = [datetime.fromisoformat(e["start"]) for e in entries]
    assert starts == sorted(starts)
    assert all(
        set(e) == {"kind", "start", "end", "patient", "type", "status", "reason", "block_type"}
        for e in entries
    )
    blocks = [e for e in entries if e["kind"] == "block"]
    assert any(b["reason"] == "Lunch" and b["block_type"] == "break" and b["patient"] is None for b in blocks)
    first = next(e for e in entries if e["kind"] == "appointment")
    assert first["patient"] == {
        "id": str(patient.id),
        "name": f"{patient.first_name} {patient.last_name}",
        "mrn": patient.mrn,
    }
    assert datetime.fromisoformat(first["start"]) == appointment.start_at
    assert first["type"] == appointment.appointment_type.value
    assert first["status"] == appointment.status.value


def test_schedule_for_another_clinician_and_a_closed_day(run_cli: Run, profile: Path) -> None:
    store = open_store(profile, PASSWORD)
    with store.session() as s:
        other = s.scalars(
            select(User.username).where(User.username.like("dr.%"), User.username != "dr.house")
        ).first()
    store.close()
    assert other is not None
    result = run_cli(
        "schedule",
        "--profile",
        str(profile),
        "--date",
        TODAY.isoformat(),
        "--clinician",
        other,
        "--format",
        "json",
        env=ENV,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["clinician"]["username"] == other
    saturday = TODAY + timedelta(days=(5 - TODAY.weekday()) % 7)
    result = run_cli(
        "schedule", "--profile", str(profile), "--date", saturday.isoformat(), "--format", "json", env=ENV
    )
    closed = json.loads(result.stdout)
    assert [e for e in closed["entries"] if e["kind"] == "appointment"] == []
    assert closed["closed_reason"] == "closed"


def test_schedule_as_text_for_people(run_cli: Run, profile: Path) -> None:
    _, patient = _house_first_visit(profile, TODAY)
    result = run_cli("schedule", "--profile", str(profile), "--date", TODAY.isoformat(), env=ENV)
    assert result.returncode == 0, result.stderr
    assert patient.mrn in result.stdout
    assert "Lunch" in result.stdout


def test_patients_search_by_name_prefix(run_cli: Run, profile: Path) -> None:
    patient = _patient(profile)
    prefix = patient.last_name[:3].lower()
    result = run_cli(
        "patients",
        "--profile",
        str(profile),
        "--search",
        prefix,
        "--limit",
        "500",
        "--format",
        "json",
        env=ENV,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["query"] == prefix
    assert str(patient.id) in {r["id"] for r in data["results"]}
    for r in data["results"]:
        assert r["last_name"].casefold().startswith(prefix) or r["first_name"].casefold().startswith(prefix)
        assert set(r) == {"id", "mrn", "first_name", "last_name", "date_of_birth", "phone"}


def test_patients_search_by_mrn_and_by_birth_date(run_cli: Run, profile: Path) -> None:
    patient = _patient(profile, index=42)
    by_mrn = run_cli(
        "patients", "--profile", str(profile), "--search", patient.mrn, "--format", "json", env=ENV
    )
    assert [r["id"] for r in json.loads(by_mrn.stdout)["results"]] == [str(patient.id)]
    dob = patient.date_of_birth.isoformat()
    by_dob = run_cli("patients", "--profile", str(profile), "--search", dob, "--format", "json", env=ENV)
    results = json.loads(by_dob.stdout)["results"]
    assert str(patient.id) in {r["id"] for r in results}
    assert {r["date_of_birth"] for r in results} == {dob}


def test_a_patient_search_leaves_an_audit_event(run_cli: Run, profile: Path) -> None:
    def searches() -> int:
        store = open_store(profile, PASSWORD)
        try:
            with store.session() as s:
                return len(s.scalars(select(AuditEvent.id).where(AuditEvent.action == "search")).all())
        finally:
            store.close()

    before = searches()
    result = run_cli("patients", "--profile", str(profile), "--search", "ng", env=ENV)
    assert result.returncode == 0, result.stderr
    assert searches() == before + 1


def test_the_password_may_come_from_standard_input(run_cli: Run, profile: Path) -> None:
    patient = _patient(profile)
    result = run_cli(
        "patients",
        "--profile",
        str(profile),
        "--search",
        patient.mrn,
        "--format",
        "json",
        stdin=PASSWORD + "\n",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["results"][0]["mrn"] == patient.mrn


def test_the_password_option_wins_over_the_environment(run_cli: Run, profile: Path) -> None:
    result = run_cli(
        "schedule",
        "--profile",
        str(profile),
        "--password",
        PASSWORD,
        "--format",
        "json",
        env={"CLINICDESK_PASSWORD": "not it at all"},
    )
    assert result.returncode == 0, result.stderr


def test_passwd_changes_the_password_and_the_old_one_stops_working(run_cli: Run, profile: Path) -> None:
    new = "a fresh passphrase"
    result = run_cli("passwd", "--profile", str(profile), env={**ENV, "CLINICDESK_NEW_PASSWORD": new})
    assert result.returncode == 0, result.stderr
    old = run_cli("schedule", "--profile", str(profile), "--format", "json", env=ENV)
    assert_one_line_error(old, "schedule", "wrong password")
    works = run_cli(
        "schedule", "--profile", str(profile), "--format", "json", env={"CLINICDESK_PASSWORD": new}
    )
    assert works.returncode == 0, works.stderr


def test_passwd_reads_both_passwords_from_standard_input(run_cli: Run, profile: Path) -> None:
    new = "another fresh passphrase"
    result = run_cli("passwd", "--profile", str(profile), stdin=f"{PASSWORD}\n{new}\n")
    assert result.returncode == 0, result.stderr
    works = run_cli("schedule", "--profile", str(profile), "--format", "json", stdin=new + "\n")
    assert works.returncode == 0, works.stderr


def test_passwd_with_the_wrong_current_password_changes_nothing(run_cli: Run, profile: Path) -> None:
    key_before = read_meta(profile).key
    result = run_cli(
        "passwd",
        "--profile",
        str(profile),
        env={"CLINICDESK_PASSWORD": "wrong one", "CLINICDESK_NEW_PASSWORD": "whatever it is"},
    )
    assert_one_line_error(result, "passwd", "wrong password")
    assert read_meta(profile).key == key_before
    assert run_cli("schedule", "--profile", str(profile), "--format", "json", env=ENV).returncode == 0


def test_passwd_refuses_a_too_short_new_password(run_cli: Run, profile: Path) -> None:
    before = (profile / PROFILE_FILE).read_bytes()
    result = run_cli("passwd", "--profile", str(profile), "--new-password", "short", env=ENV)
    assert_one_line_error(result, "passwd", "at least")
    assert json.loads(before)["key"] == json.loads((profile / PROFILE_FILE).read_bytes())["key"]


def test_demo_profile_is_created_once_and_its_path_printed(run_cli: Run, tmp_path: Path) -> None:
    env = {"CLINICDESK_PASSWORD": "clinicdesk-demo"}
    first = run_cli("demo-profile", "--password-env", env=env)
    assert first.returncode == 0, first.stderr
    path = Path(first.stdout.strip())
    assert path == tmp_path / "home" / "profiles" / "demo"
    assert read_meta(path).extra["username"] == "dr.house"
    stamp = (path / "clinicdesk.db").stat().st_mtime_ns
    again = run_cli("demo-profile", "--password-env", env=env)
    assert again.stdout.strip() == str(path)
    assert (path / "clinicdesk.db").stat().st_mtime_ns == stamp
