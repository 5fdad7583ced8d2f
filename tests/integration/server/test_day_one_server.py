"""A practice's first day on the real server: its booking rules checked on every push, its staff
accounts (details, password resets that must be changed at the next sign-in, devices,
deactivation), MRN blocks that never overlap, and a database set up by ``clinicdesk-server init``."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from server.cli import main as server_main
from server.db import make_engine
from server.services import accounts
from server.settings import Settings
from sync.protocol import ACCOUNT_DEACTIVATED
from tests.integration.server.wire import change
from tests.support.databases import create_database

pytestmark = pytest.mark.integration

#: every day 08:00–17:00 (so the test does not depend on the weekday), the seeds' booking rules
HOURS = {str(d): ["08:00", "17:00"] for d in range(1, 8)}


@pytest.fixture(scope="module")
def rules(practice: Any) -> dict[str, Any]:
    """The module's practice sets itself up; the doctor takes lunch every day, 12:00–13:00."""
    made = practice.admin.change(
        "practices", str(uuid.uuid4()), {"name": "Rules Clinic", "timezone": "UTC", "business_hours": HOURS}
    )
    assert made["status"] == "applied", made
    lunch = practice.receptionist.change(
        "time_blocks",
        str(uuid.uuid4()),
        {
            "clinician_id": practice.doctor.user_id, "start_date": "2020-01-01", "start_time": "12:00:00",
            "end_time": "13:00:00", "rrule": "FREQ=DAILY;UNTIL=20400101T000000", "reason": "Lunch",
            "block_type": "break",
        },
    )  # fmt: skip
    assert lunch["status"] == "applied", lunch
    return {"patient": practice.patient(), "doctor": practice.doctor.user_id}


def day(offset: int, hour: int, minute: int = 0) -> datetime:
    return (datetime.now(UTC) + timedelta(days=offset)).replace(
        hour=hour, minute=minute, second=0, microsecond=0
    )


def booking(rules: dict[str, Any], start: datetime, **extra: Any) -> dict[str, Any]:
    return change(
        "appointments",
        str(uuid.uuid4()),
        {
            "patient_id": rules["patient"], "clinician_id": rules["doctor"], "start_at": start.isoformat(),
            "duration_minutes": 30, "appointment_type": "routine", **extra,
        },
    )  # fmt: skip


def test_a_push_that_breaks_a_booking_rule_is_rejected_with_it_and_the_rest_of_the_batch_applies(
    practice: Any, rules: dict[str, Any]
) -> None:
    soon = datetime.now(UTC) + timedelta(hours=2)
    results = practice.receptionist.push(
        booking(rules, soon),
        booking(rules, day(70, 10)),
        booking(rules, day(3, 12, 15)),
        booking(rules, day(3, 10)),
        booking(rules, day(3, 10, 15)),
        booking(rules, day(3, 18)),
    )
    assert [(r["status"], r.get("reason")) for r in results] == [
        ("rejected", "routine appointments must be booked at least 24 hours ahead"),
        ("rejected", "routine appointments can be booked at most 60 days ahead"),
        ("rejected", "the clinician is unavailable 12:00–13:00 (Lunch)"),
        ("applied", None),
        ("rejected", "the clinician already has an appointment at 10:00; choose another time"),
        ("rejected", "the slot 18:00–18:30 is outside business hours (08:00–17:00)"),
    ]
    # Moving the booked one into lunch is refused too; the appointment stays where it was.
    booked = results[3]
    moved = practice.receptionist.change(
        "appointments", booked["record_id"], {"start_at": day(3, 12).isoformat()}, base=booked["version"]
    )
    assert moved["status"] == "rejected" and "12:00–13:00 (Lunch)" in moved["reason"]
    [stored] = practice.receptionist.fetch(("appointments", booked["record_id"]))
    assert datetime.fromisoformat(stored["values"]["start_at"]) == day(3, 10)


def next_open_slot() -> datetime:
    """The first whole hour at least two hours away that is open and not lunch (within a day)."""
    soon = datetime.now(UTC) + timedelta(hours=2)
    return next(
        day(offset, hour)
        for offset in (0, 1)
        for hour in range(8, 17)
        if hour != 12 and day(offset, hour) >= soon
    )


def test_an_offline_booking_is_judged_by_when_it_was_made_within_a_week(
    practice: Any, rules: dict[str, Any]
) -> None:
    start = next_open_slot()  # less than 24 hours away: too soon for a routine visit booked now
    made_at = start - timedelta(hours=25)  # but it was booked a day before, while the network was down
    entry = {"status": "scheduled", "at": made_at.isoformat(), "by": practice.receptionist.user_id}
    [now_booked] = practice.receptionist.push(booking(rules, start))
    assert now_booked["status"] == "rejected" and "at least 24 hours" in now_booked["reason"]
    [offline] = practice.receptionist.push(booking(rules, start, status_history=[entry]))
    assert offline["status"] == "applied", offline
    long_ago = {**entry, "at": (datetime.now(UTC) - timedelta(days=30)).isoformat()}
    later = start + timedelta(minutes=30) if start.hour != 11 else start + timedelta(hours=2)
    [stale] = practice.receptionist.push(booking(rules, later, status_history=[long_ago]))
    assert stale["status"] == "rejected", "a claim older than a week is not believed"


def test_an_administrator_makes_resets_and_deactivates_staff_accounts(practice: Any, api_for: Any) -> None:
    admin = practice.admin
    username = f"dr-new-{uuid.uuid4().hex[:6]}"
    details = {
        "specialty": "Paediatrics", "credentials": "MD, FRCPC", "license_number": "CPSO 4242",
        "phone_extension": "214",
    }  # fmt: skip
    account = {
        "username": username,
        "password": "first password 1",
        "full_name": "Dr Ada Wong",
        "role": "doctor",
    }
    made = admin.request("POST", "/users", json={**account, **details})
    assert made.status_code == 201, made.text
    user_id = made.json()["id"]
    [record] = admin.fetch(("users", user_id))
    assert {k: record["values"][k] for k in details} == details
    doctor = api_for(practice.url, username, "first password 1")
    assert (
        practice.nurse.request("POST", f"/users/{user_id}/password", json={"password": "x" * 12}).status_code
        == 403
    )

    reset = admin.request("POST", f"/users/{user_id}/password", json={"password": "temporary pw 9"})
    assert reset.status_code == 200, reset.text
    assert doctor.request("GET", "/sync/pull").status_code == 401, "the reset ended the old session"
    device = str(uuid.uuid4())
    body = {"username": username, "password": "temporary pw 9", "device_id": device}
    must = doctor.client.post(f"{practice.url}/auth/login", json=body)
    assert must.status_code == 428 and "choose a new password" in must.json()["detail"]
    same = doctor.client.post(f"{practice.url}/auth/login", json={**body, "new_password": "temporary pw 9"})
    assert same.status_code == 409, "the new password is the user's own, not the one given"
    chosen = doctor.client.post(
        f"{practice.url}/auth/login", json={**body, "new_password": "my own password 7"}
    )
    assert chosen.status_code == 200, chosen.text
    again = api_for(practice.url, username, "my own password 7")  # no change asked any more

    devices = admin.request("GET", f"/users/{user_id}/devices").json()["devices"]
    assert {d["id"] for d in devices} >= {device, again.device_id}
    assert practice.nurse.request("GET", f"/users/{user_id}/devices").status_code == 403
    assert admin.request("POST", f"/devices/{again.device_id}/revoke").status_code == 200
    assert again.request("GET", "/sync/pull").status_code == 401

    off = admin.request("PATCH", f"/users/{user_id}", json={"active": False})
    assert off.status_code == 200, off.text
    refused = doctor.client.post(
        f"{practice.url}/auth/login",
        json={"username": username, "password": "my own password 7", "device_id": device},
    )
    assert refused.status_code == 401 and refused.json()["detail"].startswith(ACCOUNT_DEACTIVATED)
    wrong = doctor.client.post(
        f"{practice.url}/auth/login",
        json={"username": username, "password": "a wrong guess", "device_id": device},
    )
    assert wrong.json()["detail"] == "wrong username or password", "a wrong password learns nothing"


def test_mrn_blocks_never_overlap_and_start_above_the_practices_mrns(
    practice: Any, rules: dict[str, Any]
) -> None:
    practice.patient(mrn="MRN0009000")
    first = practice.receptionist.request("POST", "/patients/mrn-block", json={"count": 50}).json()
    second = practice.doctor.request("POST", "/patients/mrn-block", json={"count": 50}).json()
    assert first["start"] >= 9001 and first["end"] - first["start"] == 50
    assert second["start"] >= first["end"], "a number is handed out once"
    too_many = practice.doctor.request("POST", "/patients/mrn-block", json={"count": 10**7})
    assert too_many.status_code == 422


def test_init_sets_up_an_empty_database_once(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    database_url = create_database(postgres_url, f"init_{uuid.uuid4().hex[:8]}")
    for name in list(os.environ):
        if name.startswith("CLINICDESK_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("CLINICDESK_DATABASE_URL", database_url)
    monkeypatch.setenv("CLINICDESK_ADMIN_PASSWORD", "short")
    assert server_main(["init"]) == 6, "a short password is refused"
    monkeypatch.setenv("CLINICDESK_ADMIN_PASSWORD", "correct horse battery staple")
    assert server_main(["init"]) == 0
    assert server_main(["init"]) == 6, "a database with accounts is not set up again"
    engine = make_engine(database_url, pool_size=1)
    settings = Settings(database_url=database_url, mongodb_url="unused", jwt_secret="j" * 40)
    try:
        pair = accounts.login(
            engine, settings, username="admin", password="correct horse battery staple",
            device_id=uuid.uuid4(), device_name="first admin",
        )  # fmt: skip
    finally:
        engine.dispose()
    assert pair.user.role == "admin" and pair.user.username == "admin"
