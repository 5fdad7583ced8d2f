"""Authorship and the audit trail cannot be forged from a workstation (issue 11, finding 6)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

pytestmark = pytest.mark.integration
SELF = "is set by the server to the signed-in user"


def test_a_message_is_sent_by_whoever_signed_in_and_when_the_server_says(practice, owner_db):
    nurse, doctor = practice.nurse, practice.doctor
    forged = nurse.change(
        "messages",
        str(uuid.uuid4()),
        {"sender_id": doctor.user_id, "recipient_id": practice.admin.user_id, "body": "x"},
    )
    assert forged["status"] == "rejected" and forged["reason"] == f"sender_id {SELF}"
    message_id = str(uuid.uuid4())
    sent = nurse.change(
        "messages",
        message_id,
        {"recipient_id": doctor.user_id, "body": "call me", "sent_at": "2001-01-01T00:00:00+00:00"},
    )
    assert sent["status"] == "applied"
    assert sent["server_record"]["sender_id"] == nurse.user_id
    assert sent["server_record"]["sent_at"].startswith(str(datetime.now(UTC).year))
    rewrite = nurse.change("messages", message_id, {"body": "never said that"}, base=sent["version"])
    assert (
        rewrite["status"] == "rejected"
        and rewrite["reason"] == "body of a message cannot change once it exists"
    )
    read = doctor.change(
        "messages", message_id, {"read_at": datetime.now(UTC).isoformat()}, base=sent["version"]
    )
    assert read["status"] == "applied"


def test_audit_events_are_reported_only_as_oneself_with_workstation_actions_and_never_changed(
    practice, owner_db
):
    nurse = practice.nurse
    event = {"action": "read", "resource_type": "patients", "at": datetime.now(UTC).isoformat()}
    as_other = nurse.change("audit_events", str(uuid.uuid4()), {**event, "user_id": practice.admin.user_id})
    assert as_other["status"] == "rejected" and as_other["reason"] == f"user_id {SELF}"
    login = nurse.change("audit_events", str(uuid.uuid4()), {**event, "action": "login"})
    assert login["status"] == "rejected" and "is not one a workstation may record" in login["reason"]
    own_id = str(uuid.uuid4())
    own = nurse.change("audit_events", own_id, event)
    assert own["status"] == "applied"
    change = nurse.change("audit_events", own_id, {"action": "update"}, base=own["version"])
    assert change["status"] == "rejected" and change["reason"] == "a nurse cannot change an audit event"
    with owner_db.connect() as conn:
        stored = conn.execute(
            text("SELECT user_id, action FROM audit_events WHERE id = :id"), {"id": uuid.UUID(own_id)}
        ).one()
    assert (str(stored.user_id), stored.action) == (nurse.user_id, "read")


def test_every_creator_field_is_the_signed_in_user(practice):
    nurse, doctor = practice.nurse, practice.doctor
    patient = practice.patient()
    task = nurse.change("tasks", str(uuid.uuid4()), {"title": "call back", "creator_id": doctor.user_id})
    assert task["status"] == "rejected" and task["reason"] == f"creator_id {SELF}"
    rx = doctor.change(
        "prescriptions", str(uuid.uuid4()), {"patient_id": patient, "prescriber_id": practice.doctor2.user_id}
    )
    assert rx["status"] == "rejected" and rx["reason"] == f"prescriber_id {SELF}"
    recording = nurse.change("recordings", str(uuid.uuid4()), {"created_by_id": doctor.user_id})
    assert recording["status"] == "rejected" and recording["reason"] == f"created_by_id {SELF}"
