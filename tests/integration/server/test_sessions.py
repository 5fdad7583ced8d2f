"""Sessions end when they should, usernames are one per person whatever the case, and a replayed
outbox id answers only its own user (issue 11, findings 7 and 11)."""

from __future__ import annotations

import uuid

import pytest

from sync.protocol import ACCOUNT_DEACTIVATED

pytestmark = pytest.mark.integration


def test_a_demoted_doctor_loses_note_history_and_signing_on_the_next_request(fresh_practice):
    practice = fresh_practice
    doctor = practice.doctor
    patient = practice.patient()
    note_id, version = practice.note(patient)
    assert doctor.request("GET", f"/notes/{note_id}/history").status_code == 200

    demoted = practice.admin.request("PATCH", f"/users/{doctor.user_id}", json={"role": "receptionist"})
    assert demoted.status_code == 200, demoted.text

    # The same access token, the very next request: the server goes by the role the user has now.
    assert doctor.request("GET", f"/notes/{note_id}/history").status_code == 403
    assert doctor.request("POST", f"/notes/{note_id}/sign").status_code == 403
    signed = doctor.change("clinical_notes", note_id, {"status": "signed"}, base=version)
    assert signed["status"] == "rejected"
    [note] = practice.nurse.fetch(("clinical_notes", note_id))
    assert note["values"]["status"] == "draft"


def test_a_deactivated_account_is_refused_on_its_next_request(fresh_practice):
    nurse = fresh_practice.nurse
    assert nurse.request("GET", "/sync/pull").status_code == 200
    off = fresh_practice.admin.request("PATCH", f"/users/{nurse.user_id}", json={"active": False})
    assert off.status_code == 200, off.text
    refused = nurse.request("GET", "/sync/pull")
    assert refused.status_code == 401 and refused.json()["detail"] == ACCOUNT_DEACTIVATED


def test_only_an_administrator_changes_staff_accounts(practice):
    for api in (practice.doctor, practice.nurse, practice.receptionist):
        promoted = api.request("PATCH", f"/users/{api.user_id}", json={"role": "admin"})
        assert promoted.status_code == 403, promoted.text
        assert api.request("GET", "/auth/me").json()["role"] == api.role
    [me] = practice.nurse.fetch(("users", practice.nurse.user_id))
    prefs = {"preferences": {"theme": "dark"}}
    own = practice.nurse.change("users", practice.nurse.user_id, prefs, base=me["version"])
    assert own["status"] == "applied", "their own preferences are theirs"


def test_signing_out_ends_the_access_token_at_once(api_for, sync_server):
    username, password = sync_server.user("nurse")
    nurse = api_for(sync_server.url, username, password)
    assert nurse.request("GET", "/sync/pull").status_code == 200
    assert nurse.request("POST", "/auth/logout").status_code == 204
    after = nurse.request("GET", "/sync/pull")
    assert after.status_code == 401 and "signed out" in after.json()["detail"]
    # Signing in again on the same workstation gives a token that works.
    again = nurse.client.post(
        f"{sync_server.url}/auth/login",
        json={"username": username, "password": password, "device_id": nurse.device_id},
    )
    assert again.status_code == 200
    nurse.access_token = again.json()["access_token"]
    assert nurse.request("GET", "/sync/pull").status_code == 200


def test_a_username_differing_only_in_case_cannot_be_made_beside_another(practice):
    base = f"casey-{uuid.uuid4().hex[:8]}"
    account = {"username": base, "password": "long enough pw", "full_name": "Casey", "role": "nurse"}
    made = practice.admin.request("POST", "/users", json=account)
    assert made.status_code == 201, made.text
    twin = practice.admin.request(
        "POST",
        "/users",
        json={"username": base.upper(), "password": "long enough pw", "full_name": "Evil", "role": "admin"},
    )
    assert twin.status_code == 409
    assert twin.json()["detail"] == "that username is taken (usernames are compared without regard to case)"
    pushed = practice.admin.change(
        "users", str(uuid.uuid4()), {"username": base.title(), "full_name": "Twin", "role": "admin"}
    )
    assert pushed["status"] == "rejected"
    assert pushed["reason"] == "that username is taken (usernames are compared without regard to case)"
    [desk] = practice.admin.fetch(("users", practice.receptionist.user_id))
    rename = {"username": base.swapcase()}
    renamed = practice.admin.change("users", practice.receptionist.user_id, rename, base=desk["version"])
    assert renamed["status"] == "rejected"
    login = practice.admin.client.post(
        f"{practice.url}/auth/login",
        json={"username": base.upper(), "password": "long enough pw", "device_id": str(uuid.uuid4())},
    )
    assert login.status_code == 200 and login.json()["user"]["username"] == base


def test_a_replayed_outbox_id_answers_only_the_user_who_sent_it(practice, make_change):
    patient = practice.patient()
    note_id, version = practice.note(patient, text="what the doctor wrote")
    # A conflict answer carries the note's text: exactly what a replay must not hand to another.
    edit = {"content": {"subjective": "first edit"}}
    assert practice.admin.change("clinical_notes", note_id, edit, base=version)["status"] == "applied"
    mine = make_change("clinical_notes", note_id, {"content": {"subjective": "second edit"}}, base=version)
    [first] = practice.doctor.push(mine)
    assert first["status"] == "conflict" and first["server_record"] is not None

    replayed = dict(mine, payload={"content": {"subjective": "the nurse's"}})
    [stolen] = practice.nurse.push(replayed)
    assert stolen["status"] == "rejected"
    assert (
        stolen["reason"] == "this change id was already used by another account; the change was not applied"
    )
    assert stolen["server_record"] is None and "first edit" not in str(stolen)
    [again] = practice.doctor.push(mine)
    assert again == first, "its own user gets the first answer again"
    [note] = practice.doctor.fetch(("clinical_notes", note_id))
    assert note["values"]["content"] == {"subjective": "first edit"}
