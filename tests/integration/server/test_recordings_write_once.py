"""A recording's audio is written once, by the user who made the recording (issue 11, finding 10)."""

from __future__ import annotations

import os
import uuid

import pytest

pytestmark = pytest.mark.integration
OCTETS = {"content-type": "application/octet-stream"}


def test_nobody_but_its_maker_uploads_a_recordings_audio_and_nobody_replaces_it(practice):
    doctor, nurse = practice.doctor, practice.nurse
    recording = str(uuid.uuid4())
    made = doctor.change("recordings", recording, {"duration_seconds": 2.0})
    assert made["status"] == "applied" and made["server_record"]["created_by_id"] == doctor.user_id
    audio = os.urandom(4096)
    path = f"/recordings/{recording}/audio"

    empty = nurse.request("PUT", path, content=b"", headers=OCTETS)
    assert empty.status_code == 403
    assert empty.json()["detail"] == "only the user who made this recording uploads its audio"
    assert nurse.request("PUT", path, content=os.urandom(10), headers=OCTETS).status_code == 403
    assert practice.admin.request("PUT", path, content=os.urandom(10), headers=OCTETS).status_code == 403

    assert doctor.request("PUT", path, content=b"", headers=OCTETS).status_code == 422
    stored = doctor.request("PUT", path, content=audio, headers=OCTETS)
    assert stored.status_code == 200 and stored.json()["size_bytes"] == len(audio)
    assert doctor.request("PUT", path, content=audio, headers=OCTETS).status_code == 200, (
        "a repeat is harmless"
    )
    replaced = doctor.request("PUT", path, content=os.urandom(4096), headers=OCTETS)
    assert replaced.status_code == 409

    assert nurse.request("GET", path).content == audio
    assert practice.receptionist.request("GET", path).status_code == 403
