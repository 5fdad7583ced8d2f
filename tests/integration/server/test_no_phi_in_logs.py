"""Patient data never reaches a log (issue 11, finding 9): the service logs no values, and the
embedded PostgreSQL (as ``--dev`` and the tests run it, and as the deployment files configure it)
logs neither statement parameters nor the details that quote a row (``Key (mrn)=(...)``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest

from server.db import make_engine
from server.embedded import NO_PHI_LOGGING, EmbeddedPostgres
from server.services import accounts
from sync.protocol import PROTOCOL_HEADER, UserCreate
from tests.support.databases import create_database, prepare_database
from tests.support.server_process import ServerProcess, server_settings

pytestmark = pytest.mark.integration
PASSWORD = "long enough pw"
COMPOSE = Path(__file__).resolve().parents[3] / "packaging" / "server" / "compose.yaml"


@dataclass
class Logged:
    url: str
    admin_url: str
    pg_log: Path
    service_log: Path


@pytest.fixture(scope="module")
def logged(mongo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Logged]:
    """A PostgreSQL and a service of their own, so their logs hold only what this module did."""
    folder = tmp_path_factory.mktemp("phi-logs")
    with EmbeddedPostgres(folder / "pg") as pg:
        database_url = create_database(pg.url, "phi")
        prepare_database(database_url)
        settings = server_settings(database_url=database_url, mongodb_url=mongo_url, mongodb_db="phi_logs")
        server = ServerProcess(settings, folder / "service.log").start()
        try:
            yield Logged(server.url, database_url, folder / "pg" / "server.log", folder / "service.log")
        finally:
            server.stop()


def test_failing_statements_leave_no_patient_values_in_either_log(logged: Logged):
    markers = {name: f"{name}-{uuid.uuid4().hex[:8]}" for name in ("mrn", "surname", "note", "param")}
    account = UserCreate(username="phi-doctor", password=PASSWORD, full_name="Dr Phi", role="doctor")
    engine = make_engine(logged.admin_url, pool_size=1)
    try:
        accounts.create_user(engine, None, account)
    finally:
        engine.dispose()
    with httpx.Client(base_url=logged.url, timeout=60) as client:
        login = {"username": account.username, "password": PASSWORD, "device_id": str(uuid.uuid4())}
        token = client.post("/auth/login", json=login).json()["access_token"]
        headers = {PROTOCOL_HEADER: "1", "Authorization": f"Bearer {token}"}
        patient = {"mrn": markers["mrn"], "first_name": "A", "last_name": markers["surname"]}
        patient["date_of_birth"] = "1970-01-01"
        other = {**patient, "mrn": "another"}
        twins = [
            {"id": str(uuid.uuid4()), "entity": "patients", "record_id": str(uuid.uuid4()),
             "operation": "upsert", "payload": payload}
            for payload in (patient, patient, other)
        ]  # fmt: skip
        results = client.post("/sync/push", json={"changes": twins}, headers=headers).json()["results"]
        assert [r["status"] for r in results] == ["applied", "rejected", "applied"]
        assert results[1]["reason"] == "violates constraint uq_patients_mrn"
    # What a failing statement with bound values (and JSON that does not parse) says in PostgreSQL.
    broken_json = '{"subjective": "' + markers["note"] + '" oops}'
    with psycopg.connect(logged.admin_url) as conn:
        for statement, params in (
            ("UPDATE patients SET last_name = %s WHERE mrn = %s AND 1/0 = 1", (markers["param"], "x")),
            (
                "INSERT INTO organizations (id, name, created_at) SELECT id, %s, now() FROM organizations",
                ("x",),
            ),
            ("SELECT CAST(%s AS json)", (broken_json,)),
        ):
            with pytest.raises(psycopg.Error):
                conn.execute(statement, params)
            conn.rollback()
    pg_log = logged.pg_log.read_text(errors="replace")
    service_log = logged.service_log.read_text(errors="replace")
    assert "duplicate key value violates unique constraint" in pg_log, "the errors were logged..."
    assert "invalid input syntax for type json" in pg_log and "division by zero" in pg_log
    for marker in markers.values():
        assert marker not in pg_log, "...without the values"
        assert marker not in service_log
    assert "Key (" not in pg_log and "STATEMENT:" not in pg_log and "CONTEXT:" not in pg_log


def test_the_deployment_configures_postgresql_the_same_way():
    compose = COMPOSE.read_text(encoding="utf-8")
    for setting in NO_PHI_LOGGING:
        assert f"-c {setting}" in compose, setting
