"""Malformed, oversized, replayed, expired, forged and outdated requests: each gets a clear error
and changes nothing."""

from __future__ import annotations

import time
import uuid
from datetime import date, timedelta

import httpx
import jwt
import pytest

from app.sync_service import check_window
from clinicdesk.errors import ValidationError
from sync.protocol import MAX_BODY_BYTES, MAX_WINDOW_DAYS, PROTOCOL_HEADER

pytestmark = pytest.mark.integration
HEADERS = {PROTOCOL_HEADER: "1"}


def login(url: str, username: str, password: str, device: uuid.UUID | None = None) -> dict:
    body = {"username": username, "password": password, "device_id": str(device or uuid.uuid4())}
    response = httpx.post(f"{url}/auth/login", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def task_change(user_id: str, title: str = "Review labs") -> dict:
    return {
        "id": str(uuid.uuid4()),
        "entity": "tasks",
        "record_id": str(uuid.uuid4()),
        "operation": "upsert",
        "base_version": None,
        "payload": {"title": title, "creator_id": user_id},
    }


@pytest.fixture
def nurse(sync_server):  # type: ignore[no-untyped-def]
    username, password = sync_server.user("nurse")
    tokens = login(sync_server.url, username, password)
    return tokens, {**HEADERS, "Authorization": f"Bearer {tokens['access_token']}"}


def usn(url: str) -> int:
    return int(httpx.get(f"{url}/health").json()["server_usn"])


def test_a_malformed_body_gets_a_clear_error_and_changes_nothing(sync_server, nurse):
    _, headers = nurse
    before = usn(sync_server.url)
    response = httpx.post(
        f"{sync_server.url}/sync/push",
        content=b'{"changes": [',
        headers={**headers, "content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith("invalid request")
    response = httpx.post(f"{sync_server.url}/sync/push", json={"changes": [{"id": "nope"}]}, headers=headers)
    assert response.status_code == 422
    assert usn(sync_server.url) == before


def test_an_oversized_request_is_refused_before_it_is_read(sync_server, nurse):
    _, headers = nurse
    before = usn(sync_server.url)
    big = b"x" * (MAX_BODY_BYTES + 1)
    response = httpx.post(
        f"{sync_server.url}/sync/push", content=big, headers={**headers, "content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json() == {"detail": "request body too large"}
    assert usn(sync_server.url) == before


def test_the_longest_window_a_workstation_may_ask_for_is_the_longest_the_server_sends(sync_server, nurse):
    _, headers = nurse
    start = date(2026, 1, 5)

    def bootstrap(days: int) -> httpx.Response:
        window = {"start": start.isoformat(), "end": (start + timedelta(days=days)).isoformat()}
        return httpx.get(f"{sync_server.url}/sync/bootstrap", params=window, headers=headers)

    assert check_window((0, MAX_WINDOW_DAYS)) == (0, MAX_WINDOW_DAYS)
    assert bootstrap(MAX_WINDOW_DAYS).status_code == 200
    with pytest.raises(ValidationError, match=f"at most {MAX_WINDOW_DAYS}"):
        check_window((1, MAX_WINDOW_DAYS))
    refused = bootstrap(MAX_WINDOW_DAYS + 1)
    assert refused.status_code == 422
    assert f"at most {MAX_WINDOW_DAYS} days" in refused.json()["detail"]


def test_a_replayed_push_gets_the_first_answer_and_applies_nothing_twice(sync_server, nurse):
    tokens, headers = nurse
    change = task_change(tokens["user"]["id"])
    first = httpx.post(f"{sync_server.url}/sync/push", json={"changes": [change]}, headers=headers).json()
    after_first = usn(sync_server.url)
    replay = httpx.post(
        f"{sync_server.url}/sync/push", json={"changes": [change, change]}, headers=headers
    ).json()
    assert first["results"][0]["status"] == "applied"
    assert replay["results"] == [first["results"][0], first["results"][0]]
    assert usn(sync_server.url) == after_first


def test_an_expired_token_is_refused(sync_server, nurse):
    tokens, _ = nurse
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    claims["exp"] = int(time.time()) - 10
    # Signed with the right key: only the expiry is wrong.
    secret = sync_server.process.settings.jwt_secret
    expired = jwt.encode(claims, secret, algorithm="HS256")
    response = httpx.get(
        f"{sync_server.url}/sync/pull", headers={**HEADERS, "Authorization": f"Bearer {expired}"}
    )
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_a_forged_token_is_refused(sync_server, nurse):
    tokens, _ = nurse
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    claims["role"] = "admin"
    forged = jwt.encode(claims, "not the server's secret but long enough to pass", algorithm="HS256")
    unsigned = jwt.encode(claims, None, algorithm="none")
    for token in (forged, unsigned, "garbage"):
        response = httpx.get(
            f"{sync_server.url}/sync/pull", headers={**HEADERS, "Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 401
        assert response.json()["detail"] == "access token is not valid"


def test_a_client_on_an_older_protocol_is_told_to_update_and_changes_nothing(sync_server, nurse):
    tokens, headers = nurse
    before = usn(sync_server.url)
    response = httpx.post(
        f"{sync_server.url}/sync/push",
        json={"changes": [task_change(tokens["user"]["id"])]},
        headers={**headers, PROTOCOL_HEADER: "0"},
    )
    assert response.status_code == 426
    assert "update ClinicDesk" in response.json()["detail"]
    assert usn(sync_server.url) == before


def test_a_refresh_retried_after_a_lost_answer_still_works(sync_server):
    username, password = sync_server.user("doctor")
    tokens = login(sync_server.url, username, password)
    first = httpx.post(f"{sync_server.url}/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert first.status_code == 200  # ...but suppose the answer never arrived
    retry = httpx.post(f"{sync_server.url}/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert retry.status_code == 200
    lost = httpx.post(
        f"{sync_server.url}/auth/refresh", json={"refresh_token": first.json()["refresh_token"]}
    )
    assert lost.status_code == 401  # the successor nobody received is retired


def test_a_refresh_token_replayed_after_its_successor_was_used_signs_the_device_out(sync_server):
    username, password = sync_server.user("doctor")
    tokens = login(sync_server.url, username, password)
    second = httpx.post(
        f"{sync_server.url}/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    ).json()
    third = httpx.post(f"{sync_server.url}/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert third.status_code == 200
    replay = httpx.post(f"{sync_server.url}/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert replay.status_code == 401
    access = third.json()["access_token"]
    response = httpx.get(
        f"{sync_server.url}/sync/pull", headers={**HEADERS, "Authorization": f"Bearer {access}"}
    )
    assert response.status_code == 401


def test_a_revoked_device_cannot_sync(sync_server):
    username, password = sync_server.user("doctor")
    tokens = login(sync_server.url, username, password)
    auth = {**HEADERS, "Authorization": f"Bearer {tokens['access_token']}"}
    revoked = httpx.post(f"{sync_server.url}/devices/{tokens['device_id']}/revoke", headers=auth)
    assert revoked.status_code == 200
    assert httpx.get(f"{sync_server.url}/sync/pull", headers=auth).status_code == 401
    again = httpx.post(
        f"{sync_server.url}/auth/login",
        json={"username": username, "password": password, "device_id": tokens["device_id"]},
    )
    assert again.status_code == 401


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(sync_server):
    username, _ = sync_server.user("doctor")
    answers = []
    for name, pw in ((username, "wrong password"), ("nobody-" + uuid.uuid4().hex, "whatever")):
        r = httpx.post(
            f"{sync_server.url}/auth/login",
            json={"username": name, "password": pw, "device_id": str(uuid.uuid4())},
        )
        answers.append((r.status_code, r.json()))
    assert answers[0] == answers[1] == (401, {"detail": "wrong username or password"})


def test_one_bad_record_is_rejected_without_failing_the_rest_of_its_batch(sync_server, nurse):
    tokens, headers = nurse
    orphan = task_change(tokens["user"]["id"], "points at no patient")
    orphan["payload"]["patient_id"] = str(uuid.uuid4())
    good = task_change(tokens["user"]["id"], "fine")
    mrn = "DUP-" + uuid.uuid4().hex[:8]
    first, twin = (
        {
            "id": str(uuid.uuid4()),
            "entity": "patients",
            "record_id": str(uuid.uuid4()),
            "operation": "upsert",
            "payload": {"mrn": mrn, "first_name": "A", "last_name": "B", "date_of_birth": "1980-01-01"},
        }
        for _ in range(2)
    )
    response = httpx.post(
        f"{sync_server.url}/sync/push", json={"changes": [orphan, first, twin, good]}, headers=headers
    )
    bad_result, first_result, twin_result, good_result = response.json()["results"]
    assert bad_result["status"] == "rejected"
    assert (
        bad_result["reason"] == "patient_id refers to a record of patients that this practice does not have"
    )
    # The twin breaks a constraint only PostgreSQL sees: the batch is redone change by change.
    assert first_result["status"] == "applied"
    assert twin_result["status"] == "rejected"
    assert twin_result["reason"] == "violates constraint uq_patients_mrn"
    assert good_result["status"] == "applied"
