"""Who reads what on the real server (issue 11, finding 4): organisations are kept apart by the
service and, behind it, by PostgreSQL's row-level security; within a practice each role receives
only what it may read, through every door (pull, fetch, bootstrap, history, audio); every read of
patient data is audited."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import ProgrammingError

from models import Patient
from server.db import make_data_engine, scope
from server.tables import DEFAULT_ORGANIZATION_ID
from tests.integration.server.wire import change

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def chart(practice):  # type: ignore[no-untyped-def]
    """One patient's chart in ``practice``: an encounter, a note, a prescription with an item, a
    condition, a message from the doctor to the nurse and an alert for the nurse."""
    patient = practice.patient(first_name="Mara")
    encounter = practice.encounter(patient, chief_complaint="chest pain on exertion")
    note, _ = practice.note(patient, text="suspect angina")
    rx, _ = practice.prescription(patient)
    item, condition, message, alert, recording, visit = (str(uuid.uuid4()) for _ in range(6))
    d, n = practice.doctor, practice.nurse
    booked = practice.receptionist.change(
        "appointments",
        visit,
        {
            "patient_id": patient,
            "clinician_id": d.user_id,
            "start_at": _now(),
            "duration_minutes": 20,
            "appointment_type": "routine",
        },
    )
    assert booked["status"] == "applied", booked
    results = d.push(
        change("prescription_items", item, {"prescription_id": rx, "medication": "nitroglycerin"}),
        change("conditions", condition, {"patient_id": patient, "name": "stable angina"}),
        change("messages", message, {"recipient_id": n.user_id, "body": "recheck her BP", "sent_at": _now()}),
        change("alerts", alert, {"recipient_id": n.user_id, "alert_type": "lab_result", "title": "troponin"}),
        change("recordings", recording, {"note_id": note, "duration_seconds": 1.5}),
    )
    assert [r["status"] for r in results] == ["applied"] * 5, results
    return {
        "patients": patient,
        "encounters": encounter,
        "clinical_notes": note,
        "prescriptions": rx,
        "prescription_items": item,
        "conditions": condition,
        "messages": message,
        "alerts": alert,
        "recordings": recording,
        "appointments": visit,
    }


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _received(records: list[dict]) -> dict[str, dict]:
    return {r["record_id"]: r for r in records}


def test_another_organisation_pulls_fetches_and_bootstraps_none_of_a_practices_records(
    practice, other_practice, chart
):
    stranger = other_practice.admin
    ids = set(chart.values())
    assert ids.isdisjoint(_received(stranger.pull()))
    assert stranger.fetch(*chart.items()) == []
    window = {"start": (datetime.now(UTC) - timedelta(days=1)).date().isoformat()}
    window["end"] = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    boot = stranger.request("GET", "/sync/bootstrap", params=window).json()["records"]
    assert ids.isdisjoint(_received(boot))
    assert practice.doctor.user_id not in _received(boot), "not even the other practice's staff"
    assert stranger.request("GET", f"/notes/{chart['clinical_notes']}/history").status_code == 404
    assert stranger.request("GET", f"/recordings/{chart['recordings']}/audio").status_code == 404
    # Nor can it write to them or point at them.
    overwrite = stranger.change("patients", chart["patients"], {"first_name": "Changed"})
    assert overwrite["status"] == "rejected"
    task = {"title": "look", "creator_id": stranger.user_id, "patient_id": chart["patients"]}
    pointer = stranger.change("tasks", str(uuid.uuid4()), task)
    assert pointer["status"] == "rejected"
    assert pointer["reason"] == "patient_id refers to a record of patients that this practice does not have"
    [patient] = practice.doctor.fetch(("patients", chart["patients"]))
    assert patient["values"]["first_name"] == "Mara"


def test_row_level_security_alone_keeps_organisations_apart(sync_server, practice, other_practice, chart):
    """The service's own filters are bypassed here: a query of the service's role with no filter
    at all still sees only the organisation its transaction named."""
    engine = make_data_engine(sync_server.database_url, pool_size=1)
    patient = uuid.UUID(chart["patients"])
    everything = select(func.count()).select_from(Patient)
    try:
        with engine.begin() as conn:
            assert conn.execute(text("SELECT current_user")).scalar() == "clinicdesk_app"
            assert conn.execute(select(Patient.id).where(Patient.id == patient)).first() is None
            assert conn.execute(everything).scalar() == 0, "no organisation named: no rows"
        with engine.begin() as conn:
            scope(conn, other_practice.organization_id)
            assert conn.execute(select(Patient.id).where(Patient.id == patient)).first() is None
            notes = text("SELECT count(*) FROM clinical_notes WHERE id = :id")
            assert conn.execute(notes, {"id": uuid.UUID(chart["clinical_notes"])}).scalar() == 0
        with engine.begin() as conn:
            assert practice.organization_id is not None
            scope(conn, practice.organization_id)
            assert conn.execute(select(Patient.id).where(Patient.id == patient)).first() is not None
        with engine.begin() as conn:
            scope(conn, other_practice.organization_id)
            moved = conn.execute(
                text("UPDATE patients SET organization_id = :org WHERE id = :id"),
                {"org": other_practice.organization_id, "id": patient},
            )
            assert moved.rowcount == 0, "a row of another organisation cannot even be found to update"
        smuggle = text(
            "INSERT INTO patients (id, mrn, first_name, last_name, first_name_key, last_name_key,"
            " date_of_birth, emergency_contact, allergies, status, created_at, updated_at,"
            " organization_id) VALUES (:id, :mrn, 'X', 'Y', 'x', 'y', '1990-01-01', '{}', '[]',"
            " 'active', now(), now(), :org)"
        )
        row = {"id": uuid.uuid4(), "mrn": uuid.uuid4().hex[:20], "org": DEFAULT_ORGANIZATION_ID}
        with engine.begin() as conn:
            scope(conn, other_practice.organization_id)
            with pytest.raises(ProgrammingError, match="row-level security"):
                conn.execute(smuggle, row)
    finally:
        engine.dispose()


def test_a_receptionist_receives_no_note_prescription_or_clinical_content(practice, chart):
    reception = practice.receptionist
    for records in (_received(reception.pull()), _received(reception.fetch(*chart.items()))):
        note = records[chart["clinical_notes"]]["values"]
        assert "content" not in note and "raw_transcription" not in note and "utterances" not in note
        assert note["status"] == "draft", "the note's existence and state are the front desk's to see"
        encounter = records[chart["encounters"]]["values"]
        assert "chief_complaint" not in encounter and "vitals" not in encounter
        assert "notes" not in records[chart["prescriptions"]]["values"]
        for hidden in ("prescription_items", "conditions", "recordings"):
            assert chart[hidden] not in records
        assert "suspect angina" not in str(records) and "nitroglycerin" not in str(records)
        assert chart["patients"] in records, "demographics are the front desk's work"
    assert reception.request("GET", f"/notes/{chart['clinical_notes']}/history").status_code == 403
    assert reception.request("GET", f"/recordings/{chart['recordings']}/audio").status_code == 403


def test_a_message_and_an_alert_reach_only_the_people_they_are_for(practice, chart):
    for api in (practice.doctor, practice.nurse):
        assert chart["messages"] in _received(api.pull())
    assert chart["alerts"] in _received(practice.nurse.pull())
    for api in (practice.doctor2, practice.receptionist, practice.admin):
        pulled = _received(api.pull())
        assert chart["messages"] not in pulled and chart["alerts"] not in pulled
        assert api.fetch(("messages", chart["messages"]), ("alerts", chart["alerts"])) == []
    assert chart["alerts"] not in _received(practice.doctor.pull())


def test_every_read_of_patient_data_is_audited(practice, chart, owner_db):
    nurse = practice.nurse
    nurse.pull()
    nurse.fetch(("patients", chart["patients"]))
    nurse.request("GET", "/sync/bootstrap")
    nurse.request("GET", f"/notes/{chart['clinical_notes']}/history")
    with owner_db.connect() as conn:
        kinds = set(
            conn.execute(
                text("SELECT resource_type FROM audit_events WHERE user_id = :u AND action = 'read'"),
                {"u": uuid.UUID(nurse.user_id)},
            ).scalars()
        )
    assert {"sync_pull", "sync_fetch", "sync_bootstrap", "clinical_notes"} <= kinds
