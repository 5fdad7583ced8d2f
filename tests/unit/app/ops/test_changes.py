"""Change sets: gathered from the session at each flush, so an operation reports every record it wrote
and nothing it only read; a failed operation reports nothing because nothing happened."""

from __future__ import annotations

import pytest

from app.ops import encounters, schedule, work
from app.ops.changes import Changes
from app.services.work import TaskScope
from app.workspace import Workspace
from clinicdesk.errors import ValidationError
from models.enums import AppointmentStatus, TaskStatus
from tests.unit.app.conftest import open_appointment_id


def test_checking_in_changes_one_appointment_and_queues_it_for_sync(workspace: Workspace) -> None:
    appointment_id = open_appointment_id(workspace)
    outcome = schedule.change_status(workspace, appointment_id, AppointmentStatus.CHECKED_IN)
    assert outcome.value.status is AppointmentStatus.CHECKED_IN
    assert outcome.changes.appointments == {appointment_id}
    assert outcome.changes.outbox >= 1  # the appointment (and its audit event) wait for the next sync
    assert outcome.changes.touches("appointments") and not outcome.changes.touches("tasks", "alerts", "notes")


def test_opening_a_visit_reports_the_appointment_the_encounter_and_the_draft_it_made(
    workspace: Workspace,
) -> None:
    appointment_id = open_appointment_id(workspace)
    outcome = encounters.open_visit(workspace, appointment_id)
    opened = outcome.value
    assert opened.note is not None
    assert outcome.changes.appointments == {appointment_id}  # checked in, then in progress
    assert outcome.changes.encounters == {opened.encounter.id} and outcome.changes.notes == {opened.note.id}
    again = encounters.open_visit(workspace, appointment_id)  # the same visit, nothing new to write
    assert again.changes.appointments == frozenset() and again.changes.notes == frozenset()
    assert again.value.note is not None and again.value.note.id == opened.note.id


def test_a_query_changes_nothing_and_a_refused_operation_reports_nothing(workspace: Workspace) -> None:
    tasks = work.tasks(workspace, scope=TaskScope.ALL)
    closed = next(
        t
        for t in work.tasks(workspace, scope=TaskScope.ALL, include_closed=True)
        if t.status is TaskStatus.COMPLETED
    )
    with pytest.raises(ValidationError, match="cannot become"):
        work.set_task_status(workspace, closed.id, TaskStatus.IN_PROGRESS)
    assert work.tasks(workspace, scope=TaskScope.ALL) == tasks


def test_a_change_set_from_elsewhere_touches_every_kind_and_an_empty_one_nothing() -> None:
    assert Changes().empty and not Changes().touches("appointments", "notes")
    elsewhere = Changes.from_elsewhere()
    assert not elsewhere.empty and elsewhere.touches("tasks") and elsewhere.touches_record("notes", None)
    assert not Changes(outbox=0).touches_record("notes", None)
