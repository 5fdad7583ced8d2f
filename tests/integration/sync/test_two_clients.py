"""Two workstations syncing through the real server over loopback."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from models import ClinicalNote, OutboxEntry, Patient, SyncConflict, Task
from models.enums import OutboxStatus
from sync.engine import SyncEngine
from sync.transport import HttpTransport
from tests.support.sync_clients import LocalStore

pytestmark = pytest.mark.integration


@pytest.fixture
def engine_for():  # type: ignore[no-untyped-def]
    """Signed-in engines for stores, each synced once (so later changes reach it by pull)."""
    made: list[SyncEngine] = []

    def make(store: LocalStore, server_url: str, username: str, password: str) -> SyncEngine:
        engine = SyncEngine(store.sessions, HttpTransport(server_url))
        made.append(engine)
        engine.sign_in(username=username, password=password)
        assert engine.sync_once().ok
        return engine

    yield make
    for engine in made:
        engine.close()


def new_patient(store: LocalStore, **fields: object) -> uuid.UUID:
    with store.sessions.begin() as s:
        patient = Patient(
            mrn=f"MRN-{uuid.uuid4().hex[:10]}",
            first_name="Ada",
            last_name="Lovelace",
            date_of_birth=date(1980, 1, 2),
            **fields,
        )
        s.add(patient)
        s.flush()
        return patient.id


@pytest.fixture
def second_store(tmp_path):  # type: ignore[no-untyped-def]
    store = LocalStore(tmp_path / "second.db")
    yield store
    store.close()


@pytest.fixture
def two_workstations(sync_server, local_store, second_store, engine_for):  # type: ignore[no-untyped-def]
    """``(a, b)`` for a role: a new account of it signed in on local_store (a) and on second_store (b)."""

    def make(role: str) -> tuple[SyncEngine, SyncEngine]:
        user, pw = sync_server.user(role)
        return (
            engine_for(local_store, sync_server.url, user, pw),
            engine_for(second_store, sync_server.url, user, pw),
        )

    return make


def test_an_offline_edit_reaches_the_other_workstation_exactly_once(
    local_store, second_store, two_workstations
):
    a, b = two_workstations("doctor")

    patient_id = new_patient(local_store)
    first = a.sync_once()
    assert first.ok and first.applied == 1
    again = a.sync_once()
    assert again.pushed == 0

    report = b.sync_once()
    assert report.ok
    with second_store.sessions() as s:
        assert s.get(Patient, patient_id).last_name == "Lovelace"
        assert s.get(Patient, patient_id).version is not None
    with local_store.sessions() as s:
        assert (
            s.execute(
                select(func.count())
                .select_from(OutboxEntry)
                .where(OutboxEntry.status == OutboxStatus.PENDING)
            ).scalar_one()
            == 0
        )


def test_edits_to_different_fields_of_one_record_merge(local_store, second_store, two_workstations):
    a, b = two_workstations("doctor")
    patient_id = new_patient(local_store)
    a.sync_once()
    b.sync_once()
    with local_store.sessions.begin() as s:
        s.get(Patient, patient_id).phone = "555-0100"
    with second_store.sessions.begin() as s:
        s.get(Patient, patient_id).email = "ada@example.org"
    assert a.sync_once().ok
    merged = b.sync_once()
    assert merged.conflicts == 0
    a.sync_once()
    for store in (local_store, second_store):
        with store.sessions() as s:
            p = s.get(Patient, patient_id)
            assert (p.phone, p.email) == ("555-0100", "ada@example.org")


def test_edits_to_the_same_field_keep_the_server_value_and_record_what_lost(
    local_store, second_store, two_workstations
):
    a, b = two_workstations("nurse")
    with local_store.sessions.begin() as s:
        task = Task(title="Call lab", creator_id=uuid.UUID(_user_id(local_store)))
        s.add(task)
        s.flush()
        task_id = task.id
    a.sync_once()
    b.sync_once()
    with local_store.sessions.begin() as s:
        s.get(Task, task_id).title = "Call lab about potassium"
    with second_store.sessions.begin() as s:
        s.get(Task, task_id).title = "Call lab about sodium"
    a.sync_once()
    report = b.sync_once()
    assert report.conflicts == 1
    with second_store.sessions() as s:
        assert s.get(Task, task_id).title == "Call lab about potassium"
        conflict = s.execute(select(SyncConflict).where(SyncConflict.record_id == task_id)).scalar_one()
        assert conflict.local_values == {"title": "Call lab about sodium"}
        assert conflict.server_values == {"title": "Call lab about potassium"}


def _user_id(store: LocalStore) -> str:
    from sync.local import get_state

    with store.sessions() as s:
        value = get_state(s, "user_id")
    assert value is not None
    return value


def test_a_note_edited_on_two_workstations_keeps_both_texts(local_store, second_store, two_workstations):
    a, b = two_workstations("doctor")
    patient_id = new_patient(local_store)
    author = uuid.UUID(_user_id(local_store))
    with local_store.sessions.begin() as s:
        note = ClinicalNote(patient_id=patient_id, author_id=author, content={"subjective": "cough"})
        s.add(note)
        s.flush()
        note_id = note.id
    a.sync_once()
    b.sync_once()
    with second_store.sessions() as s:
        assert s.get(ClinicalNote, note_id).content == {"subjective": "cough"}
    with local_store.sessions.begin() as s:
        s.get(ClinicalNote, note_id).content = {"subjective": "cough for three days"}
    with second_store.sessions.begin() as s:
        s.get(ClinicalNote, note_id).content = {"subjective": "dry cough, no fever"}
    a.sync_once()
    assert b.sync_once().conflicts == 1
    with second_store.sessions() as s:
        assert s.get(ClinicalNote, note_id).content == {"subjective": "cough for three days"}
        kept = s.execute(select(SyncConflict).where(SyncConflict.record_id == note_id)).scalar_one()
        assert kept.local_values["content"] == {"subjective": "dry cough, no fever"}


def test_a_new_workstation_downloads_the_schedule_window_at_first_sign_in(
    sync_server, local_store, second_store, engine_for
):
    from models import Appointment
    from models.enums import AppointmentType

    user, pw = sync_server.user("doctor")
    a = engine_for(local_store, sync_server.url, user, pw)
    me = uuid.UUID(_user_id(local_store))
    patient_id = new_patient(local_store)
    # whole hours, so the booking rules (checked on push) accept them whatever the time of day
    morning = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0)
    soon = morning + timedelta(days=2)
    far = morning + timedelta(days=59)
    with local_store.sessions.begin() as s:
        for start in (soon, far):
            s.add(
                Appointment(
                    patient_id=patient_id,
                    clinician_id=me,
                    start_at=start,
                    duration_minutes=20,
                    appointment_type=AppointmentType.ROUTINE,
                )
            )
    assert a.sync_once().ok
    b = engine_for(second_store, sync_server.url, user, pw)
    assert b.sync_once().ok
    with second_store.sessions() as s:
        starts = sorted(a.start_at for a in s.execute(select(Appointment)).scalars())
        assert starts == [soon]
        assert s.get(Patient, patient_id) is not None
