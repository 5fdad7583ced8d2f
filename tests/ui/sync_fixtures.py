"""The real sync server for UI tests, and a practice it already knows.

A practice's workstation starts from the server's data, so these tests need a server that holds
records: a practice manager's client (a headless workstation, as in tests/integration/sync) sets the
practice up and books a patient for a new doctor account, pushing both through the real protocol.
The PostgreSQL, MongoDB-wire and uvicorn fixtures are the integration suite's own, imported here
(a test module in tests/ui cannot see tests/integration/conftest.py otherwise); a test module loads
this file with ``pytest_plugins = ["tests.ui.sync_fixtures"]``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import Engine, text

from app.settings import WorkstationSettings
from app.workspace import Workspace
from models import Patient
from server.db import make_engine
from sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION
from tests.integration.conftest import SyncServer, mongo_url, postgres_url, sync_server
from tests.support.sync_clients import book_on_server, create_user
from ui.main_window import MainWindow

__all__ = [
    "Clinic",
    "clinic",
    "mongo_url",
    "postgres_url",
    "server_db",
    "sync_server",
    "synced_window",
]

SERVER_PASSWORD = "correct horse battery"
PROFILE_PASSWORD = "workstation-profile-pw"


@dataclass(frozen=True)
class Clinic:
    """What the server holds for one test: a doctor account with one patient booked, and ways to
    look at the server itself (its HTTP API, its PostgreSQL)."""

    server: SyncServer
    db: Engine
    doctor: str
    doctor_id: uuid.UUID
    password: str
    patient_id: uuid.UUID
    appointment_id: uuid.UUID
    day: date
    profile_password: str = PROFILE_PASSWORD

    @contextmanager
    def api(self) -> Iterator[httpx.Client]:
        """The server's HTTP API as the doctor, from a device of its own (a reviewer's browser)."""
        with httpx.Client(
            base_url=self.server.url, headers={PROTOCOL_HEADER: str(PROTOCOL_VERSION)}
        ) as client:
            answer = client.post(
                "/auth/login",
                json={
                    "username": self.doctor,
                    "password": self.password,
                    "device_id": str(uuid.uuid4()),
                    "device_name": "check",
                },
            )
            answer.raise_for_status()
            client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
            yield client

    def row(self, table: str, record_id: uuid.UUID) -> dict[str, Any]:
        """A row as the server's PostgreSQL holds it."""
        with self.db.connect() as conn:
            found = conn.execute(text(f"SELECT * FROM {table} WHERE id = :id"), {"id": record_id})
            return dict(found.mappings().one())


@pytest.fixture(scope="session")
def server_db(sync_server: SyncServer) -> Iterator[Engine]:
    """The server's own PostgreSQL database, to check what arrived there."""
    engine = make_engine(sync_server.database_url, pool_size=1)
    yield engine
    engine.dispose()


@pytest.fixture
def clinic(sync_server: SyncServer, server_db: Engine, tmp_path: Path) -> Clinic:
    doctor = f"doctor-{uuid.uuid4().hex[:10]}"
    doctor_id = uuid.UUID(create_user(sync_server.database_url, username=doctor, role="doctor"))
    start = (datetime.now(UTC) + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    patient = Patient(
        mrn=f"UI-{uuid.uuid4().hex[:8]}", first_name="Mara", last_name="Quill", date_of_birth=date(1979, 4, 2)
    )
    appointment_id = book_on_server(
        sync_server.url,
        tmp_path / "front-desk.db",
        manager=sync_server.user("admin"),
        patient=patient,
        doctor_id=doctor_id,
        start=start,
        reason="persistent cough",
    )
    with server_db.connect() as conn:  # the server holds them now, not just the front desk
        found = conn.execute(text("SELECT count(*) FROM appointments WHERE id = :id"), {"id": appointment_id})
        assert found.scalar()
    return Clinic(
        sync_server, server_db, doctor, doctor_id, SERVER_PASSWORD, patient.id, appointment_id, start.date()
    )


@pytest.fixture
def synced_window(qtbot: QtBot) -> Iterator[Callable[[Path, WorkstationSettings], MainWindow]]:
    """A main window on an unlocked profile. Background sync waits an hour, so every sync in a test
    is one the user asked for; the window (and its Workspace) closes after the test."""
    windows: list[MainWindow] = []

    def opener(profile_dir: Path, settings: WorkstationSettings) -> MainWindow:
        workspace = Workspace.unlock(profile_dir, PROFILE_PASSWORD)
        window = MainWindow(workspace, settings=settings, sync_interval=3600)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: window.schedule.schedule is not None, timeout=30_000)
        windows.append(window)
        return window

    yield opener
    for window in windows:
        window.close()
