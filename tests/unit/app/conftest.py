"""An unlocked copy of the session's seeded clinic, and a note to work on."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from app.ops import schedule as schedule_ops
from app.services import notes
from app.workspace import Workspace
from models import SyncConflict
from models.enums import AppointmentStatus
from tests.support.profiles import PASSWORD


@pytest.fixture
def workspace(profile: Path) -> Iterator[Workspace]:
    ws = Workspace.unlock(profile, PASSWORD)
    yield ws
    ws.close()


def open_appointment_id(ws: Workspace) -> uuid.UUID:
    """An appointment of the signed-in doctor's that has not started, today or in the next days."""
    for offset in range(7):
        day = ws.today() + timedelta(days=offset)
        for e in schedule_ops.day(ws, clinician_id=ws.user.id, day=day).entries:
            if e.kind == "appointment" and e.status in (
                AppointmentStatus.SCHEDULED,
                AppointmentStatus.CONFIRMED,
            ):
                assert e.appointment_id is not None
                return e.appointment_id
    raise AssertionError("the seeded clinic has no open appointment this week")


def make_note(ws: Workspace, *, sign: bool) -> uuid.UUID:
    """A draft note with some text (signed, when asked) on an open appointment's encounter."""
    encounter = ws.call(notes.open_encounter, open_appointment_id(ws))
    note = ws.call(notes.create_note, encounter.id)
    ws.call(notes.save_draft, note.id, {"subjective": "cough", "plan": "rest"})
    if sign:
        ws.call(notes.sign_note, note.id)
    return note.id


def make_conflict(ws: Workspace, note_id: uuid.UUID, *, mine: str, theirs: str) -> uuid.UUID:
    with ws.store.session() as session:
        row = SyncConflict(
            entity="clinical_notes",
            record_id=note_id,
            fields=["content"],
            local_values={"content": {"subjective": mine, "plan": "rest"}},
            server_values={"content": {"subjective": theirs, "plan": "rest"}},
        )
        session.add(row)
        session.flush()
        return row.id
