"""Signed notes and prescriptions on the real server: only their author signs, they change only by
amendment, and nobody writes them in another's name (issue 11, findings 1 and 3)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

pytestmark = pytest.mark.integration
NOT_THE_AUTHOR = "only the clinical note's author or an administrator amends it once it is signed"
NOTE = "clinical_notes"


def test_another_doctor_cannot_unsign_rewrite_or_resign_a_note_in_its_authors_name(practice, make_change):
    patient = practice.patient()
    note_id, version = practice.signed_note(patient)
    intruder = practice.doctor2

    unsign = intruder.change(
        "clinical_notes", note_id, {"status": "draft", "signed_by_id": None, "signed_at": None}, base=version
    )
    assert unsign["status"] == "rejected"
    assert "signed_by_id is set by the server" in unsign["reason"]

    rewrite = intruder.change(
        "clinical_notes", note_id, {"content": {"subjective": "rewritten"}}, base=version
    )
    assert rewrite["status"] == "rejected"
    assert (
        rewrite["reason"] == "only the clinical note's author or an administrator amends it once it is signed"
    )
    retag = intruder.change("clinical_notes", note_id, {"tags": ["reviewed"]}, base=version)
    assert retag["reason"] == "a clinical note that is signed changes only by amendment"

    resign = intruder.change(
        "clinical_notes", note_id, {"status": "signed", "signed_by_id": practice.doctor.user_id}, base=version
    )
    assert resign["status"] == "applied" and resign["version"] == version, (
        "what is already so changes nothing"
    )

    steal = intruder.change("clinical_notes", note_id, {"author_id": intruder.user_id}, base=version)
    assert steal["status"] == "rejected" and "author_id is set by the server" in steal["reason"]

    amend = intruder.change(
        "clinical_notes",
        note_id,
        {"content": {"subjective": "addendum"}, "status": "amended", "current_version": 2},
        base=version,
    )
    assert amend["status"] == "rejected"
    assert (
        amend["reason"] == "only the clinical note's author or an administrator amends it once it is signed"
    )

    [stored] = practice.doctor.fetch(("clinical_notes", note_id))
    assert stored["values"]["status"] == "signed"
    assert stored["values"]["content"] == {"subjective": "private text"}
    assert stored["values"]["author_id"] == stored["values"]["signed_by_id"] == practice.doctor.user_id


def test_a_note_cannot_be_created_signed_or_in_someone_elses_name(practice):
    patient = practice.patient()
    signed_by_other = practice.doctor2.change(
        "clinical_notes",
        str(uuid.uuid4()),
        {
            "patient_id": patient,
            "author_id": practice.doctor.user_id,
            "status": "signed",
            "signed_by_id": practice.doctor.user_id,
            "content": {"subjective": "forged"},
        },
    )
    assert signed_by_other["status"] == "rejected"
    assert signed_by_other["reason"] == "author_id is set by the server to the signed-in user"
    signed_by_self = practice.doctor2.change(
        "clinical_notes", str(uuid.uuid4()), {"patient_id": patient, "status": "signed"}
    )
    assert signed_by_self["status"] == "rejected"
    assert signed_by_self["reason"] == "a new clinical note starts as draft, not signed"


def test_the_server_sets_the_signer_and_the_signing_time_and_makes_the_version(practice, owner_db):
    patient = practice.patient()
    note_id, version = practice.note(patient)
    claimed = "2001-01-01T00:00:00+00:00"
    signed, made = practice.doctor.push(
        {
            "id": str(uuid.uuid4()),
            "entity": "clinical_notes",
            "record_id": note_id,
            "operation": "upsert",
            "base_version": version,
            "payload": {"status": "signed", "signed_at": claimed},
        },
        {
            "id": str(uuid.uuid4()),
            "entity": "note_versions",
            "record_id": str(uuid.uuid4()),
            "operation": "upsert",
            "payload": {"note_id": note_id, "at": claimed, "content": {"subjective": "private text"}},
        },
    )
    assert signed["status"] == made["status"] == "applied"
    # The workstation is told what the server wrote, so its copy matches.
    assert signed["server_record"]["signed_by_id"] == practice.doctor.user_id
    assert signed["server_record"]["signed_at"] != claimed
    assert made["server_record"]["author_id"] == practice.doctor.user_id
    assert made["server_record"]["version_number"] == 1 and made["server_record"]["at"] != claimed
    with owner_db.connect() as conn:
        row = conn.execute(
            text("SELECT signed_by_id, signed_at FROM clinical_notes WHERE id = :id"),
            {"id": uuid.UUID(note_id)},
        ).one()
    assert str(row.signed_by_id) == practice.doctor.user_id and row.signed_at.year > 2001


def test_a_note_version_must_be_the_notes_own_text_and_number(practice, make_change):
    patient = practice.patient()
    note_id, _ = practice.signed_note(patient)
    wrong_text = practice.doctor.change(
        "note_versions", str(uuid.uuid4()), {"note_id": note_id, "content": {"subjective": "something else"}}
    )
    assert wrong_text["status"] == "rejected"
    assert wrong_text["reason"] == "content is set by the server from the clinical note"
    wrong_number = practice.doctor.change(
        "note_versions", str(uuid.uuid4()), {"note_id": note_id, "version_number": 7}
    )
    assert wrong_number["status"] == "rejected"
    again = practice.doctor.change("note_versions", str(uuid.uuid4()), {"note_id": note_id})
    assert again["status"] == "rejected"
    assert again["reason"].startswith("violates constraint uq_note_versions_note_id")


def test_a_nurse_cannot_send_or_dispense_a_prescription_or_make_a_note_or_version_for_a_doctor(practice):
    patient = practice.patient()
    rx_id, rx_version = practice.prescription(patient)
    sent = practice.nurse.change("prescriptions", rx_id, {"status": "sent"}, base=rx_version)
    assert (
        sent["status"] == "rejected" and sent["reason"] == "a prescription that is draft cannot become sent"
    )
    signed_rx, signed_version = practice.prescription(patient, status="signed")
    sent = practice.nurse.change("prescriptions", signed_rx, {"status": "sent"}, base=signed_version)
    assert sent["status"] == "rejected"
    assert sent["reason"] == "only the prescriber of a prescription (a doctor) or an admin may make it sent"
    dispensed = practice.nurse.change(
        "prescriptions",
        str(uuid.uuid4()),
        {"patient_id": patient, "prescriber_id": practice.doctor.user_id, "status": "dispensed"},
    )
    assert dispensed["status"] == "rejected" and dispensed["reason"] == "a nurse cannot create a prescription"

    amended_note = practice.nurse.change(
        "clinical_notes",
        str(uuid.uuid4()),
        {"patient_id": patient, "author_id": practice.doctor.user_id, "status": "amended"},
    )
    assert amended_note["status"] == "rejected"
    assert amended_note["reason"] == "a nurse cannot create a clinical note"

    note_id, _ = practice.signed_note(patient)
    version = practice.nurse.change(
        "note_versions",
        str(uuid.uuid4()),
        {"note_id": note_id, "author_id": practice.doctor.user_id, "version_number": 2, "content": {}},
    )
    assert version["status"] == "rejected" and version["reason"] == "a nurse cannot create a note version"
    [stored] = practice.doctor.fetch(("prescriptions", signed_rx))
    assert stored["values"]["status"] == "signed"


def test_the_author_amends_a_signed_note_as_a_new_version_and_an_admin_may_too(practice):
    patient = practice.patient()
    note_id, version = practice.signed_note(patient)
    plain = practice.doctor.change(
        "clinical_notes", note_id, {"content": {"subjective": "edited"}}, base=version
    )
    assert plain["status"] == "rejected" and "new version" in plain["reason"]
    amended = practice.doctor.change(
        "clinical_notes",
        note_id,
        {"content": {"subjective": "addendum"}, "status": "amended", "current_version": 2},
        base=version,
    )
    assert amended["status"] == "applied"
    by_admin = practice.admin.change(
        "clinical_notes",
        note_id,
        {"content": {"subjective": "corrected by the office"}, "current_version": 3},
        base=amended["version"],
    )
    assert by_admin["status"] == "applied"
    deleted = practice.doctor.change(
        "clinical_notes", note_id, {}, base=by_admin["version"], operation="delete"
    )
    assert (
        deleted["status"] == "rejected"
        and deleted["reason"] == "a clinical note that is amended cannot be deleted"
    )


def test_the_sign_and_amend_endpoints_apply_the_same_rules_as_a_push(practice):
    patient = practice.patient()
    note_id, _ = practice.note(patient)
    by_nurse = practice.nurse.request("POST", f"/notes/{note_id}/sign")
    assert by_nurse.status_code == 403
    assert by_nurse.json()["detail"] == "only the author of a clinical note (a doctor) may make it signed"
    by_other_doctor = practice.doctor2.request("POST", f"/notes/{note_id}/sign")
    assert by_other_doctor.status_code == 403
    signed = practice.doctor.request("POST", f"/notes/{note_id}/sign")
    assert signed.status_code == 200, signed.text
    assert signed.json()["server_record"]["signed_by_id"] == practice.doctor.user_id
    assert practice.doctor.request("POST", f"/notes/{note_id}/sign").status_code == 409

    body = {"content": {"plan": "follow up in a week"}, "reason": "plan added after the call"}
    assert practice.doctor2.request("POST", f"/notes/{note_id}/amend", json=body).status_code == 403
    amended = practice.doctor.request("POST", f"/notes/{note_id}/amend", json=body)
    assert amended.status_code == 200, amended.text
    history = practice.doctor.request("GET", f"/notes/{note_id}/history").json()["revisions"]
    assert [r["fields"].get("content", {}).get("plan") for r in history][-1] == "follow up in a week"
    versions = [
        r
        for r in practice.doctor.pull()
        if r["entity"] == "note_versions" and r["values"]["note_id"] == note_id
    ]
    assert sorted((v["values"]["version_number"], v["values"]["reason"]) for v in versions) == [
        (1, None),
        (2, "plan added after the call"),
    ]
    assert all(v["values"]["author_id"] == practice.doctor.user_id for v in versions)
