"""A clinical day made with the app's own services syncs through the strict server with nothing
refused: the nurse checks the patient in and takes vitals (into the doctor's draft too), the doctor
writes, dictates, signs and amends the note, prescribes, orders and completes the visit. What the
server sets itself (signer, signing time, the recording's maker, note versions) comes back to the
workstation, so both hold the same."""

from __future__ import annotations

import io
import uuid
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.services import notes, orders, recordings, work
from app.services.orders import OrderItemInput, PrescriptionItemInput
from models import (
    Appointment,
    ClinicalNote,
    NoteVersion,
    OutboxEntry,
    Patient,
    Prescription,
    Recording,
)
from models.enums import AppointmentType, NoteStatus, OrderType, OutboxStatus, PrescriptionStatus
from models.local import ACTOR_ID
from sync.engine import SyncEngine
from sync.local import get_state
from sync.transport import HttpTransport
from tests.support.sync_clients import LocalStore

pytestmark = pytest.mark.integration


def silence() -> bytes:
    """A tenth of a second of 16 kHz mono WAV."""
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16000)
        wav.writeframes(bytes(3200))
    return out.getvalue()


class Workstation:
    def __init__(self, folder: Path, url: str, username: str, password: str) -> None:
        self.store = LocalStore(folder / f"{username}.db")
        self.engine = SyncEngine(self.store.sessions, HttpTransport(url))
        self.engine.sign_in(username=username, password=password)
        self.sync()
        with self.store.sessions() as s:
            self.user_id = uuid.UUID(str(get_state(s, "user_id")))

    def sync(self) -> None:
        report = self.engine.sync_once()
        with self.store.sessions() as s:
            refused = [
                (e.entity, e.last_error)
                for e in s.execute(
                    select(OutboxEntry).where(OutboxEntry.status != OutboxStatus.SENT)
                ).scalars()
            ]
        assert report.ok and not refused and report.conflicts == 0, (report, refused)

    @contextmanager
    def acting(self) -> Iterator[Session]:
        with self.store.sessions.begin() as session:
            session.info[ACTOR_ID] = self.user_id
            yield session

    def close(self) -> None:
        self.engine.close()
        self.store.close()


@pytest.fixture
def day(sync_server: Any, tmp_path: Path) -> Iterator[tuple[Workstation, Workstation]]:
    doctor = Workstation(tmp_path, sync_server.url, *sync_server.user("doctor"))
    nurse = Workstation(tmp_path, sync_server.url, *sync_server.user("nurse"))
    yield doctor, nurse
    doctor.close()
    nurse.close()


def test_a_clinical_day_made_by_the_app_syncs_with_nothing_refused(day: tuple[Workstation, Workstation]):
    doctor, nurse = day
    with doctor.acting() as s:
        patient = Patient(mrn="DAY-" + uuid.uuid4().hex[:8], first_name="Mara", last_name="Quill",
                          date_of_birth=date(1979, 4, 2))  # fmt: skip
        s.add(patient)
        s.flush()
        visit = Appointment(
            patient_id=patient.id,
            clinician_id=doctor.user_id,
            # the next full hour: valid under any practice's booking rules on the shared server
            start_at=(datetime.now(UTC) + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0),
            duration_minutes=20,
            appointment_type=AppointmentType.FOLLOW_UP,
        )
        s.add(visit)
        s.flush()
        visit_id = visit.id
    doctor.sync()
    nurse.engine.sync_once()

    with nurse.acting() as s:  # the nurse checks the patient in and takes vitals
        encounter_id = notes.open_encounter(s, visit_id).id
        notes.record_vitals(s, encounter_id, {"bp": "120/80"})
    nurse.sync()

    doctor.sync()
    with doctor.acting() as s:
        notes.open_encounter(s, visit_id)
        note_id = notes.create_note(s, encounter_id).id
        notes.save_draft(s, note_id, {"subjective": "cough for three days"}, raw_transcription="cough")
    doctor.sync()

    nurse.sync()
    with nurse.acting() as s:  # a second set of vitals goes into the doctor's draft as well
        notes.record_vitals(s, encounter_id, {"pulse": "72"})
    nurse.sync()

    doctor.sync()
    with doctor.acting() as s:
        recordings.keep_recording(s, note_id, silence(), duration_seconds=0.1)
        notes.sign_note(s, note_id)
    with doctor.acting() as s:
        notes.amend_note(s, note_id, {"plan": "rest and fluids"}, reason="plan after the call")
        rx = orders.create_prescription(s, encounter_id, [PrescriptionItemInput(medication="amoxicillin")])
        orders.sign_prescription(s, rx.id)
        order = orders.create_order(s, encounter_id, OrderType.LAB, [OrderItemInput(name="CBC")])
        orders.sign_order(s, order.id)
        work.create_task(s, title="call the lab", patient_id=patient.id)
        notes.complete_encounter(s, encounter_id)
    doctor.sync()
    doctor.sync()  # and pulls back what the server set
    nurse.sync()

    with doctor.store.sessions() as s:
        note = s.get(ClinicalNote, note_id)
        assert note is not None and note.status is NoteStatus.AMENDED
        assert note.signed_by_id == doctor.user_id and note.signed_at is not None
        assert note.content["vitals"] == {"bp": "120/80", "pulse": "72"}
        versions = s.execute(select(NoteVersion).where(NoteVersion.note_id == note_id)).scalars().all()
        assert sorted((v.version_number, v.reason) for v in versions) == [
            (1, None),
            (2, "plan after the call"),
        ]
        recording = s.execute(select(Recording).where(Recording.note_id == note_id)).scalar_one()
        assert recording.created_by_id == doctor.user_id
        assert s.get(Prescription, rx.id).status is PrescriptionStatus.SIGNED  # type: ignore[union-attr]
        mine = {v.id: (v.at, v.author_id) for v in versions}
    with nurse.store.sessions() as s:
        theirs = {
            v.id: (v.at, v.author_id)
            for v in s.execute(select(NoteVersion).where(NoteVersion.note_id == note_id)).scalars()
        }
        seen = s.get(ClinicalNote, note_id)
        assert seen is not None and seen.signed_at == note.signed_at
    assert theirs == mine, "both workstations hold the server's versions"
    assert doctor.engine.transport.get_recording_audio(recording.id), "its audio reached the server"
