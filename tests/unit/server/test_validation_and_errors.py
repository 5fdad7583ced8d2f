"""Validation at the door and the service's quiet 500, piece by piece (the real server runs both in
tests/integration/server)."""

from __future__ import annotations

import logging
import math
import uuid

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from server.api.errors import QuietErrors
from server.records import entity_info
from server.validation import Invalid, missing_required, record_safe, validate, wire_safe

DEEP: list = [1]
for _level in range(20):
    DEEP = [DEEP]


def info(entity: str):  # type: ignore[no-untyped-def]
    found = entity_info(entity)
    assert found is not None
    return found


def test_values_come_back_in_canonical_wire_form():
    patient = uuid.uuid4()
    checked = validate(
        info("tasks"),
        {"patient_id": str(patient).upper(), "due_at": "2026-03-01T10:00:00+02:00", "title": "ok"},
    )
    assert checked == {"patient_id": str(patient), "due_at": "2026-03-01T08:00:00+00:00", "title": "ok"}


@pytest.mark.parametrize(
    ("entity", "payload", "reason"),
    [
        ("patients", {"first_name": "\udc00"}, "first_name holds a NUL character or an unpaired surrogate"),
        ("patients", {"mrn": "x" * 33}, "mrn is longer than 32 characters"),
        ("patients", {"allergies": {"not": "a list"}}, "allergies must be a JSON array"),
        ("clinical_notes", {"content": {"$where": "x"}}, "content has a key starting with '$'"),
        ("clinical_notes", {"engine_confidence": True}, "engine_confidence must be a number"),
        ("prescription_items", {"refills": 2**31}, "refills must be a whole number between"),
        ("tasks", {"status": "done"}, "status must be one of cancelled, completed, in_progress, pending"),
        ("tasks", {"due_at": None, "title": None}, "title cannot be empty"),
        ("alerts", {"read": "yes"}, "read must be true or false"),
        ("patients", {"emergency_contact": {"n": DEEP}}, "emergency_contact is nested deeper than 16"),
        ("patients", {"nonsense": 1}, "unknown field 'nonsense' for patients"),
    ],
)
def test_a_bad_value_is_refused_by_field_name_and_never_echoed(entity: str, payload: dict, reason: str):
    with pytest.raises(Invalid) as refused:
        validate(info(entity), payload)
    assert str(refused.value).startswith(reason)


def test_a_new_record_names_the_fields_it_lacks():
    assert missing_required(info("patients"), {"mrn": "1"}) == ["date_of_birth", "first_name", "last_name"]


def test_stored_values_that_cannot_be_sent_are_replaced_and_named_in_the_log(
    caplog: pytest.LogCaptureFixture,
):
    deep: list = []
    for _ in range(40):
        deep = [deep]
    values = {"name": "Ad\udc00a", "score": math.nan, "tree": deep, "fine": "ok"}
    with caplog.at_level(logging.WARNING, logger="server.validation"):
        safe = record_safe("patients", uuid.uuid4(), values)
    assert safe["name"] == "Ad\ufffda" and safe["score"] is None and safe["fine"] == "ok"
    assert len(str(safe["tree"])) < len(str(deep))
    assert "Ad" not in caplog.text and "name" in caplog.text
    assert wire_safe({"k\x00": "v"}) == {"k\ufffd": "v"}


def test_an_unexpected_error_is_a_plain_500_that_goes_no_further_and_logs_only_its_type(
    caplog: pytest.LogCaptureFixture,
):
    app = FastAPI()

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("Key (mrn)=(MRN-SECRET-42) already exists")

    app.add_middleware(QuietErrors)  # as server.api.main installs it
    with caplog.at_level(logging.DEBUG), TestClient(app) as client:  # raises if the error escaped
        answer = client.get("/boom")
    assert answer.status_code == 500 and answer.json() == {"detail": "internal server error"}
    assert "RuntimeError" in caplog.text and "MRN-SECRET-42" not in caplog.text
