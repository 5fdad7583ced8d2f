"""Role checks on the real server: what each role may read and change."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import pytest

from sync.protocol import PROTOCOL_HEADER

pytestmark = pytest.mark.integration


def session(url: str, username: str, password: str) -> tuple[str, dict[str, str]]:
    body = {"username": username, "password": password, "device_id": str(uuid.uuid4())}
    tokens = httpx.post(f"{url}/auth/login", json=body).json()
    return tokens["user"]["id"], {PROTOCOL_HEADER: "1", "Authorization": f"Bearer {tokens['access_token']}"}


def push(
    url: str, headers: dict[str, str], entity: str, record_id: str, payload: dict, base: int | None = None
) -> dict:
    change = {
        "id": str(uuid.uuid4()),
        "entity": entity,
        "record_id": record_id,
        "operation": "upsert",
        "base_version": base,
        "payload": payload,
    }
    response = httpx.post(f"{url}/sync/push", json={"changes": [change]}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["results"][0]


@pytest.fixture
def clinic(sync_server):  # type: ignore[no-untyped-def]
    url = sync_server.url
    doctor_id, doctor = session(url, *sync_server.user("doctor"))
    _, nurse = session(url, *sync_server.user("nurse"))
    _, reception = session(url, *sync_server.user("receptionist"))
    patient_id = str(uuid.uuid4())
    created = push(
        url,
        doctor,
        "patients",
        patient_id,
        {"mrn": "R-" + patient_id[:8], "first_name": "Ada", "last_name": "L", "date_of_birth": "1980-01-02"},
    )
    assert created["status"] == "applied"
    note_id = str(uuid.uuid4())
    note = push(
        url,
        doctor,
        "clinical_notes",
        note_id,
        {"patient_id": patient_id, "author_id": doctor_id, "content": {"subjective": "private text"}},
    )
    assert note["status"] == "applied"
    return {
        "url": url,
        "doctor": doctor,
        "doctor_id": doctor_id,
        "nurse": nurse,
        "reception": reception,
        "patient": patient_id,
        "note": note_id,
        "note_version": note["version"],
    }


def test_a_receptionist_cannot_read_note_content(clinic):
    url = clinic["url"]
    page = httpx.get(
        f"{url}/sync/pull",
        params={"cursor": clinic["note_version"] - 1, "limit": 5},
        headers=clinic["reception"],
    ).json()
    notes = [r for r in page["records"] if r["record_id"] == clinic["note"]]
    assert notes and "content" not in notes[0]["values"]
    assert "private text" not in str(page)
    history = httpx.get(f"{url}/notes/{clinic['note']}/history", headers=clinic["reception"])
    assert history.status_code == 403


def test_a_doctor_reads_the_notes_history(clinic):
    history = httpx.get(f"{clinic['url']}/notes/{clinic['note']}/history", headers=clinic["doctor"])
    assert history.status_code == 200
    assert history.json()["revisions"][0]["fields"]["content"] == {"subjective": "private text"}


def test_a_nurse_cannot_sign_a_note_or_a_prescription(clinic):
    signed = push(
        clinic["url"],
        clinic["nurse"],
        "clinical_notes",
        clinic["note"],
        {"status": "signed"},
        base=clinic["note_version"],
    )
    assert signed["status"] == "rejected"
    assert signed["reason"] == "only the author of a clinical note (a doctor) may make it signed"
    rx = push(
        clinic["url"],
        clinic["nurse"],
        "prescriptions",
        str(uuid.uuid4()),
        {"patient_id": clinic["patient"], "prescriber_id": clinic["doctor_id"], "status": "signed"},
    )
    assert rx["status"] == "rejected" and rx["reason"] == "a nurse cannot create a prescription"


def test_only_the_author_amends_a_signed_note(clinic, sync_server):
    url = clinic["url"]
    signed = push(
        url,
        clinic["doctor"],
        "clinical_notes",
        clinic["note"],
        {"status": "signed", "signed_by_id": clinic["doctor_id"], "signed_at": datetime.now(UTC).isoformat()},
        base=clinic["note_version"],
    )
    assert signed["status"] == "applied"
    _, other_doctor = session(url, *sync_server.user("doctor"))
    other = push(
        url,
        other_doctor,
        "clinical_notes",
        clinic["note"],
        {"content": {"subjective": "rewritten"}, "status": "amended", "current_version": 2},
        base=signed["version"],
    )
    assert other["status"] == "rejected"
    plain_edit = push(
        url,
        clinic["doctor"],
        "clinical_notes",
        clinic["note"],
        {"content": {"subjective": "edited in place"}},
        base=signed["version"],
    )
    assert plain_edit["status"] == "rejected"
    amended = push(
        url,
        clinic["doctor"],
        "clinical_notes",
        clinic["note"],
        {"content": {"subjective": "addendum"}, "status": "amended", "current_version": 2},
        base=signed["version"],
    )
    assert amended["status"] == "applied"


def test_a_receptionist_cannot_change_clinical_records(clinic):
    result = push(
        clinic["url"],
        clinic["reception"],
        "clinical_notes",
        clinic["note"],
        {"tags": ["x"]},
        base=clinic["note_version"],
    )
    assert result["status"] == "rejected"
    assert "private text" not in str(result)


def test_every_change_and_read_is_audited(clinic, sync_server):
    from sqlalchemy import create_engine, text

    from server.db import sqlalchemy_url

    engine = create_engine(sqlalchemy_url(sync_server.database_url))
    with engine.connect() as conn:
        actions = set(
            conn.execute(
                text("SELECT action FROM audit_events WHERE resource_id = :p OR resource_type LIKE 'sync_%'"),
                {"p": uuid.UUID(clinic["patient"])},
            ).scalars()
        )
    engine.dispose()
    assert {"create", "read"} <= actions
