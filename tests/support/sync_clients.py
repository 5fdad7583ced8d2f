"""Headless sync clients for tests and benchmarks: plain-SQLite stores with the app's own schema and
outbox hook (so many clients are cheap to make), accounts made straight in the server's database, and
a practice's front desk that puts the practice and its bookings on the server through the protocol."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, create_engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from app.store.outbox import install_outbox_listener
from models import Appointment, Base, Patient, Practice
from models.enums import AppointmentStatus, AppointmentType
from server.db import make_engine
from server.services import accounts
from sync.engine import SyncEngine
from sync.protocol import UserCreate
from sync.transport import HttpTransport

#: opening hours for every day of the week, so a test's bookings do not depend on the weekday
EVERY_DAY = {str(d): ["00:00", "23:59"] for d in range(1, 8)}


def create_user(
    database_url: str, *, username: str, role: str, password: str = "correct horse battery"
) -> str:
    engine = make_engine(database_url, pool_size=1)
    try:
        user = accounts.create_user(
            engine,
            None,
            UserCreate(username=username, password=password, full_name=username.title(), role=role),
        )
    finally:
        engine.dispose()
    return str(user.id)


@dataclass
class LocalStore:
    """A client store as the app has it (same schema, same outbox hook), on plain SQLite."""

    path: Path
    sessions: sessionmaker[Session] = field(init=False)

    def __post_init__(self) -> None:
        engine = create_engine(f"sqlite:///{self.path}", hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: object, _record: object) -> None:
            cur = dbapi_conn.cursor()  # type: ignore[attr-defined]
            cur.execute("PRAGMA foreign_keys = ON")
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = OFF")
            cur.close()
            # explicit BEGINs, as the app's own store has: under pysqlite's own transaction
            # handling the sync engine's "PRAGMA defer_foreign_keys" would run outside the
            # transaction and a pulled page listing a child before its parent would fail
            dbapi_conn.isolation_level = None  # type: ignore[attr-defined]

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN")

        Base.metadata.create_all(engine)
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        install_outbox_listener(self.sessions)

    def close(self) -> None:
        self.engine.dispose()


@contextmanager
def front_desk(
    server_url: str, path: Path, *, username: str, password: str
) -> Iterator[tuple[LocalStore, SyncEngine]]:
    """A front-desk workstation (a LocalStore at ``path``) signed in as ``username`` and synced once,
    on which the practice exists (open every day) once its changes are pushed; closed afterwards."""
    store = LocalStore(path)
    engine = SyncEngine(store.sessions, HttpTransport(server_url))
    try:
        engine.sign_in(username=username, password=password, device_name="front desk")
        assert engine.sync_once().ok
        with store.sessions.begin() as s:
            if not s.execute(select(func.count()).select_from(Practice)).scalar_one():
                s.add(Practice(name="Harbour Street Clinic", timezone="UTC", business_hours=EVERY_DAY))
        yield store, engine
    finally:
        engine.close()
        store.close()


def push_all(engine: SyncEngine) -> None:
    """Syncs, and fails unless every change was applied."""
    pushed = engine.sync_once()
    if not pushed.ok or pushed.rejected or pushed.conflicts:
        raise AssertionError(f"the front desk's changes did not all reach the server: {pushed.to_json()}")


def follow_up(patient_id: uuid.UUID, doctor_id: uuid.UUID, start: datetime, reason: str) -> Appointment:
    """A 20-minute follow-up visit booked for the doctor."""
    return Appointment(
        patient_id=patient_id,
        clinician_id=doctor_id,
        start_at=start,
        duration_minutes=20,
        appointment_type=AppointmentType.FOLLOW_UP,
        status=AppointmentStatus.SCHEDULED,
        reason=reason,
    )


def book_on_server(
    server_url: str,
    path: Path,
    *,
    manager: tuple[str, str],
    patient: Patient,
    doctor_id: uuid.UUID,
    start: datetime,
    reason: str,
) -> uuid.UUID:
    """What a practice's front desk puts on the server before a workstation is set up from it: the
    practice, ``patient`` and a follow-up with the doctor at ``start``. Returns the appointment's id
    (``patient.id`` is set too)."""
    username, password = manager
    with front_desk(server_url, path, username=username, password=password) as (store, engine):
        with store.sessions.begin() as s:
            s.add(patient)
            s.flush()
            appointment = follow_up(patient.id, doctor_id, start, reason)
            s.add(appointment)
            s.flush()
            booked: uuid.UUID = appointment.id
        push_all(engine)
    return booked
