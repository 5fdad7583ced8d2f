"""Schemathesis against the running server: for every operation, generated requests (valid and
invalid) never get a 5xx, and every answer matches the OpenAPI schema (status, type, body)."""

from __future__ import annotations

import uuid

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from sync.protocol import PROTOCOL_HEADER

pytestmark = [
    pytest.mark.integration,
    # schemathesis' own hypothesis/jsonschema internals; nothing of ours
    pytest.mark.filterwarnings("ignore::DeprecationWarning:schemathesis"),
    pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning"),
]
EXAMPLES_PER_OPERATION = 25
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def test_no_operation_answers_with_a_server_error_or_off_schema(sync_server):
    username, password = sync_server.user("doctor")
    body = {"username": username, "password": password, "device_id": str(uuid.uuid4())}
    token = httpx.post(f"{sync_server.url}/auth/login", json=body).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", PROTOCOL_HEADER: "1"}
    schema = schemathesis.openapi.from_url(f"{sync_server.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    for operation in operations:
        if operation.path in ("/auth/logout",) or operation.path.endswith("/revoke"):
            continue  # would sign this very token out and turn the rest into 401s

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: schemathesis.Case) -> None:
            merged = {**headers, **(case.headers or {})}
            case.call_and_validate(base_url=sync_server.url, headers=merged, checks=CHECKS)

        fuzz()
