"""Validation at the door, and reads that stored data cannot break (issue 11, findings 2 and 8):
a bad value refuses its own change with a reason and the rest of the batch applies; whatever is
stored, pull and bootstrap answer."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import text

from tests.integration.server.wire import change

pytestmark = pytest.mark.integration


def nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


def new(entity: str, payload: dict, record_id: str | None = None) -> dict:
    return change(entity, record_id or str(uuid.uuid4()), payload)


def patient(**values: object) -> dict:
    return {"mrn": "P-" + uuid.uuid4().hex[:10], "first_name": "Ada", "last_name": "Quill",
            "date_of_birth": "1980-01-02", **values}  # fmt: skip


def push_raw(api, body: str):  # type: ignore[no-untyped-def]
    """A push whose JSON text is written by hand (NaN, lone surrogates as escapes)."""
    return api.request(
        "POST",
        "/sync/push",
        content=body.encode(),
        headers={**api.headers, "content-type": "application/json"},
    )


def test_a_lone_surrogate_or_deep_nesting_is_refused_and_the_rest_of_the_batch_applies(practice):
    doctor = practice.doctor
    surrogate = new("patients", patient(emergency_contact={"name": "\udc00"}))
    deep = new("patients", patient(allergies=[{"substance": nested(500)}]))
    good = new("patients", patient(first_name="Bea"))
    body = json.dumps({"changes": [surrogate, deep, good]})  # ensure_ascii: the surrogate as \\udc00
    response = push_raw(doctor, body)
    assert response.status_code == 200, response.text
    first, second, third = response.json()["results"]
    assert first["status"] == "rejected"
    assert first["reason"] == "emergency_contact holds a NUL character or an unpaired surrogate"
    assert second["status"] == "rejected" and second["reason"] == "allergies is nested deeper than 16 levels"
    assert third["status"] == "applied"
    for api in (practice.doctor, practice.nurse, practice.receptionist, practice.admin):
        assert good["record_id"] in {r["record_id"] for r in api.pull()}


def test_each_bad_value_is_refused_with_its_reason_and_a_good_change_beside_it_applies(practice):
    doctor = practice.doctor
    target = practice.patient()
    note_id, version = practice.note(target)
    changes = [
        new("patients", patient(first_name="\udc00x")),
        new("clinical_notes", {"content": {"sub\u0000jective": "x"}}, note_id),
        new("clinical_notes", {"content": {"subjective": "cough \ud800"}}, note_id),
        new("clinical_notes", {"engine_confidence": float("nan")}, note_id),
        new("tasks", {"title": "t", "creator_id": doctor.user_id, "due_at": "10000-01-01T00:00:00+00:00"}),
        new("patients", patient(date_of_birth="1200-01-01")),
        new(
            "prescription_items", {"prescription_id": str(uuid.uuid4()), "medication": "x", "refills": 10**30}
        ),
        new("tasks", {"title": ["not", "text"], "creator_id": doctor.user_id}),
        new("tasks", {"title": "x" * 201, "creator_id": doctor.user_id}),
        new("tasks", {"title": "ok", "creator_id": doctor.user_id, "due_at": "2026-01-01T10:00:00"}),
        new("clinical_notes", {"utterances": [{"confidence": 1e400}]}, note_id),
        new("tasks", {"title": "the good one", "creator_id": doctor.user_id}),
    ]
    body = json.dumps({"changes": changes})  # writes NaN and 1e400 (as Infinity) as JSON allows in Python
    response = push_raw(doctor, body)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    reasons = [r.get("reason") for r in results]
    assert reasons[:-1] == [
        "first_name holds a NUL character or an unpaired surrogate",
        "content has a key with a NUL character or an unpaired surrogate",
        "content holds a NUL character or an unpaired surrogate",
        "engine_confidence must be a finite number no larger than 1e+15",
        "due_at must be a datetime in ISO 8601 form",
        "date_of_birth must lie between 1850-01-01 and 2200-12-31",
        "refills must be a whole number between -2147483648 and 2147483647",
        "title must be text",
        "title is longer than 200 characters",
        "due_at needs a timezone",
        "utterances holds a number that is not finite",
    ]
    assert [r["status"] for r in results] == ["rejected"] * 11 + ["applied"]
    assert all("cough" not in str(r) for r in results), "no refused value is echoed back"
    [note] = doctor.fetch(("clinical_notes", note_id))
    assert note["version"] == version and note["values"]["content"] == {"subjective": "private text"}


def test_values_stored_before_the_checks_never_break_a_pull(practice, owner_db):
    """Rows written before validation existed (here: straight into the database) are sent with a
    placeholder where a value cannot be sent, instead of failing every pull."""
    target = practice.patient()
    note_id, _ = practice.note(target)
    with owner_db.begin() as conn:
        conn.execute(
            text("UPDATE patients SET emergency_contact = CAST(:bad AS json), allergies = CAST(:deep AS json)"
                 " WHERE id = :id"),
            {"bad": '{"name": "\\udc00"}', "deep": json.dumps(nested(500)), "id": uuid.UUID(target)},
        )  # fmt: skip
        conn.execute(
            text("UPDATE clinical_notes SET engine_confidence = 'NaN' WHERE id = :id"),
            {"id": uuid.UUID(note_id)},
        )
    for api in (practice.doctor, practice.receptionist):
        records = {r["record_id"]: r for r in api.pull()}
        assert records[target]["values"]["emergency_contact"] == {"name": "\ufffd"}
        assert records[note_id]["values"].get("engine_confidence") is None
    [fetched] = practice.nurse.fetch(("patients", target))
    assert isinstance(fetched["values"]["allergies"], list)


def test_a_bootstrap_at_the_end_of_the_calendar_answers(practice):
    last = {"start": "9999-12-31", "end": "9999-12-31"}
    response = practice.doctor.request("GET", "/sync/bootstrap", params=last)
    assert response.status_code == 200, response.text
    assert response.json()["window_end"] == "9999-12-31"
    first = {"start": "0001-01-01", "end": "0001-01-02"}
    assert practice.nurse.request("GET", "/sync/bootstrap", params=first).status_code == 200
