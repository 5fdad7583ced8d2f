"""A practice on the real sync server, seen through its HTTP API as each role would use it.

``practice`` gives signed-in clients (``Api``) for a doctor, a second doctor, a nurse, a receptionist
and an administrator of one organisation, and makes the records tests start from (a patient, an
encounter, a note, a prescription) the way a workstation would: by pushing them. ``other_practice``
is a second organisation on the same server, for the tests that keep organisations apart.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from server.db import make_engine
from server.services import accounts
from sync.protocol import PROTOCOL_HEADER, UserCreate
from tests.integration.server.wire import change

PASSWORD = "correct horse battery"


@dataclass
class Api:
    """One signed-in workstation of one user."""

    url: str
    username: str
    user_id: str
    role: str
    device_id: str
    access_token: str
    client: httpx.Client = field(repr=False)

    @property
    def headers(self) -> dict[str, str]:
        return {PROTOCOL_HEADER: "1", "Authorization": f"Bearer {self.access_token}"}

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return self.client.request(method, self.url + path, headers=headers, **kwargs)

    def push(self, *changes: dict[str, Any]) -> list[dict[str, Any]]:
        response = self.request("POST", "/sync/push", json={"changes": list(changes)})
        assert response.status_code == 200, response.text
        results: list[dict[str, Any]] = response.json()["results"]
        return results

    def change(self, entity: str, record_id: str, payload: dict[str, Any], **how: Any) -> dict[str, Any]:
        """Push one change (``base``, ``operation`` as for wire.change); its answer."""
        return self.push(change(entity, record_id, payload, **how))[0]

    def pull(self, cursor: int = 0) -> list[dict[str, Any]]:
        """Every record this user receives after ``cursor``, all pages."""
        records: list[dict[str, Any]] = []
        while True:
            response = self.request("GET", "/sync/pull", params={"cursor": cursor, "limit": 2000})
            assert response.status_code == 200, response.text
            page = response.json()
            records.extend(page["records"])
            cursor = page["cursor"]
            if not page["has_more"]:
                return records

    def fetch(self, *refs: tuple[str, str]) -> list[dict[str, Any]]:
        body = {"refs": [{"entity": e, "record_id": r} for e, r in refs]}
        response = self.request("POST", "/sync/fetch", json=body)
        assert response.status_code == 200, response.text
        fetched: list[dict[str, Any]] = response.json()["records"]
        return fetched


def sign_in(url: str, username: str, password: str = PASSWORD) -> Api:
    device = str(uuid.uuid4())
    client = httpx.Client(timeout=60)
    answer = client.post(
        f"{url}/auth/login", json={"username": username, "password": password, "device_id": device}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return Api(url, username, body["user"]["id"], body["user"]["role"], device, body["access_token"], client)


def now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class Practice:
    """One organisation's staff on the server, signed in, and ways to make records as they would."""

    url: str
    database_url: str
    organization_id: uuid.UUID | None
    doctor: Api
    doctor2: Api
    nurse: Api
    receptionist: Api
    admin: Api

    def by_role(self, role: str) -> Api:
        staff = {"doctor": self.doctor, "nurse": self.nurse, "receptionist": self.receptionist}
        return staff[role] if role in staff else {"admin": self.admin}[role]

    def patient(self, **values: Any) -> str:
        record_id = str(uuid.uuid4())
        payload = {
            "mrn": "M-" + uuid.uuid4().hex[:12],
            "first_name": "Ada",
            "last_name": "Quill",
            "date_of_birth": "1980-02-03",
            **values,
        }
        assert self.receptionist.change("patients", record_id, payload)["status"] == "applied"
        return record_id

    def encounter(self, patient_id: str, **values: Any) -> str:
        record_id = str(uuid.uuid4())
        payload = {
            "patient_id": patient_id,
            "clinician_id": self.doctor.user_id,
            "start_at": now(),
            "chief_complaint": "cough for three days",
            **values,
        }
        assert self.nurse.change("encounters", record_id, payload)["status"] == "applied"
        return record_id

    def note(
        self, patient_id: str, *, author: Api | None = None, text: str = "private text"
    ) -> tuple[str, int]:
        """A draft SOAP note; returns (id, version)."""
        author = author or self.doctor
        record_id = str(uuid.uuid4())
        payload = {"patient_id": patient_id, "author_id": author.user_id, "content": {"subjective": text}}
        result = author.change("clinical_notes", record_id, payload)
        assert result["status"] == "applied", result
        return record_id, int(result["version"])

    def signed_note(self, patient_id: str, *, author: Api | None = None) -> tuple[str, int]:
        author = author or self.doctor
        note_id, version = self.note(patient_id, author=author)
        signed, made = author.push(
            change(
                "clinical_notes", note_id, {"status": "signed", "signed_by_id": author.user_id}, base=version
            ),
            change("note_versions", str(uuid.uuid4()), {"note_id": note_id, "version_number": 1}),
        )
        assert signed["status"] == "applied" and made["status"] == "applied", (signed, made)
        return note_id, int(signed["version"])

    def prescription(self, patient_id: str, *, status: str = "draft") -> tuple[str, int]:
        """A prescription by ``doctor`` moved along to ``status``; returns (id, version)."""
        record_id = str(uuid.uuid4())
        result = self.doctor.change("prescriptions", record_id, {"patient_id": patient_id})
        assert result["status"] == "applied", result
        version = int(result["version"])
        path = {"draft": [], "signed": ["signed"], "sent": ["signed", "sent"]}
        for step in path.get(status, ["signed", "sent", status]):
            moved = self.doctor.change("prescriptions", record_id, {"status": step}, base=version)
            assert moved["status"] == "applied", moved
            version = int(moved["version"])
        return record_id, version


def make_staff(database_url: str, organization_id: uuid.UUID | None, label: str) -> dict[str, str]:
    """One account per role (and a second doctor) in the organisation; returns role -> username."""
    engine = make_engine(database_url, pool_size=1)
    names = {}
    try:
        for key, role in (
            ("doctor", "doctor"),
            ("doctor2", "doctor"),
            ("nurse", "nurse"),
            ("receptionist", "receptionist"),
            ("admin", "admin"),
        ):
            username = f"{label}-{key}-{uuid.uuid4().hex[:8]}"
            data = UserCreate(
                username=username, password=PASSWORD, full_name=f"{key.title()} {label}", role=role
            )
            accounts.create_user(engine, None, data, organization_id=organization_id)
            names[key] = username
    finally:
        engine.dispose()
    return names


def practice_of(url: str, database_url: str, organization_id: uuid.UUID | None, label: str) -> Practice:
    names = make_staff(database_url, organization_id, label)
    return Practice(
        url, database_url, organization_id, **{key: sign_in(url, name) for key, name in names.items()}
    )


def _closed(made: Practice) -> None:
    for api in (made.doctor, made.doctor2, made.nurse, made.receptionist, made.admin):
        api.client.close()


def new_organization(database_url: str, name: str) -> uuid.UUID:
    engine = make_engine(database_url, pool_size=1)
    try:
        return accounts.create_organization(engine, f"{name} {uuid.uuid4().hex[:6]}")
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def practice(sync_server: Any) -> Iterator[Practice]:
    """Shared by a module's tests (each makes its own records); accounts cost argon2 work. An
    organisation of its own, so a practice record (and its booking rules) one module pushes never
    decides another's bookings."""
    org = new_organization(sync_server.database_url, "Module Clinic")
    made = practice_of(sync_server.url, sync_server.database_url, org, "p")
    yield made
    _closed(made)


@pytest.fixture
def fresh_practice(sync_server: Any) -> Iterator[Practice]:
    """A practice of its own, for a test that changes the staff accounts themselves."""
    org = new_organization(sync_server.database_url, "Fresh Clinic")
    made = practice_of(sync_server.url, sync_server.database_url, org, "f")
    yield made
    _closed(made)


@pytest.fixture(scope="module")
def other_practice(sync_server: Any) -> Iterator[Practice]:
    """Staff of a second organisation on the same server."""
    org = new_organization(sync_server.database_url, "Harbour Street Clinic")
    made = practice_of(sync_server.url, sync_server.database_url, org, "o")
    yield made
    _closed(made)


@pytest.fixture
def owner_db(sync_server: Any) -> Iterator[Any]:
    """The server's database as its owner (no row-level security): to look at what is stored."""
    engine = make_engine(sync_server.database_url, pool_size=2)
    yield engine
    engine.dispose()


@pytest.fixture
def api_for() -> Iterator[Any]:
    """sign_in, with every client it made closed after the test."""
    made: list[Api] = []

    def signed_in(url: str, username: str, password: str = PASSWORD) -> Api:
        made.append(sign_in(url, username, password))
        return made[-1]

    yield signed_in
    for api in made:
        api.client.close()


@pytest.fixture
def make_change() -> Any:
    return change
