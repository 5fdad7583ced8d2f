"""The visit: opening it from the schedule, a nurse's vitals, completing it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.ops.base import operation
from app.ops.notes import NoteState
from app.services import notes, orders, patients
from app.services.notes import EncounterRecord
from app.services.orders import OrderRecord, PrescriptionRecord
from app.services.records import PatientChart
from app.services.roles import current_user
from models.enums import NoteStatus, Role


@dataclass(frozen=True)
class OpenedEncounter:
    """Everything the encounter page shows: the visit, the note the user may see, the chart, the
    visit's prescriptions and orders."""

    encounter: EncounterRecord
    note: NoteState | None
    chart: PatientChart
    prescriptions: list[PrescriptionRecord]
    orders: list[OrderRecord]


@operation
def open_visit(session: Session, appointment_id: uuid.UUID) -> OpenedEncounter:
    """Opens (or creates) the appointment's encounter, which checks the patient in (a doctor opening
    it starts the visit), and, for a doctor, the visit's note: the draft, made if there is none, or
    the last signed version."""
    encounter = notes.open_encounter(session, appointment_id)
    chart = patients.patient_chart(session, encounter.patient_id)
    note: NoteState | None = None
    if current_user(session).role is Role.DOCTOR:
        existing = next((e.notes for e in chart.encounters if e.id == encounter.id), [])
        draft = next((n for n in existing if n.get("status") == NoteStatus.DRAFT.value), None)
        signed = next((n for n in reversed(existing) if n.get("status") != NoteStatus.DRAFT.value), None)
        if signed is not None and draft is None:
            note_id = uuid.UUID(str(signed["id"]))
            last = notes.note_history(session, note_id)[-1]
            note = NoteState(
                note_id, NoteStatus(str(signed["status"])), dict(last.content), last.version_number
            )
        else:
            note = NoteState.of(notes.create_note(session, encounter.id))
    prescriptions, order_list = orders.encounter_orders(session, encounter.id)
    return OpenedEncounter(encounter, note, chart, prescriptions, order_list)


#: a nurse's vitals; the doctor's draft picks them up
record_vitals = operation(notes.record_vitals)
#: the visit is over (the appointment too)
complete = operation(notes.complete_encounter)
