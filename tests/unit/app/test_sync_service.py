"""The app's sync glue without a server: status, conflicts and their reconciliation, background loop."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from clinicdesk.app.services import notes
from clinicdesk.app.sync_service import RECONCILED_REASON, PeriodicSync, SyncService
from clinicdesk.app.workspace import Workspace
from clinicdesk.errors import ClinicDeskError, SyncError, ValidationError
from clinicdesk.models import SyncConflict
from clinicdesk.models.enums import AppointmentStatus, ConflictStatus, NoteStatus

PASSWORD = "sync-service-tests"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    profile = tmp_path_factory.mktemp("sync-service") / "profile"
    env = {**os.environ, "CLINICDESK_PASSWORD": PASSWORD}
    subprocess.run([sys.executable, "-m", "clinicdesk", "seed", "--profile", str(profile), "--patients", "40",
                    "--days", "3"], env=env, check=True, capture_output=True, timeout=300)  # fmt: skip
    return profile


@pytest.fixture
def workspace(seeded: Path, tmp_path: Path) -> Iterator[Workspace]:
    import shutil

    copy = tmp_path / "profile"
    shutil.copytree(seeded, copy)
    ws = Workspace.unlock(copy, PASSWORD)
    yield ws
    ws.close()


def _note(ws: Workspace, *, sign: bool) -> uuid.UUID:
    day = ws.today()
    entry = next(
        e
        for offset in range(3)
        for e in ws.schedule(day.fromordinal(day.toordinal() + offset)).entries
        if e.kind == "appointment" and e.status in (AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED)
    )
    encounter = ws.call(notes.open_encounter, entry.appointment_id)
    note = ws.call(notes.create_note, encounter.id)
    ws.call(notes.save_draft, note.id, {"subjective": "cough", "plan": "rest"})
    if sign:
        ws.call(notes.sign_note, note.id)
    return note.id


def _conflict(ws: Workspace, note_id: uuid.UUID, *, mine: str, theirs: str) -> uuid.UUID:
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


def test_without_a_server_the_status_says_so_and_still_counts_waiting_changes(workspace: Workspace) -> None:
    service = SyncService(workspace.store, "", user_id=workspace.user.id)
    before = service.state().status.pending_changes
    _note(workspace, sign=False)
    state = service.state()
    assert not state.configured and state.status.pending_changes > before
    assert state.summary.startswith("Sync: no server set") and "waiting" in state.summary
    with pytest.raises(SyncError, match="no sync server is set"):
        service.sync_now()
    assert PeriodicSync(service).run_once() is None


def test_a_bad_server_address_is_refused_with_a_clear_message(workspace: Workspace) -> None:
    with pytest.raises(SyncError, match="http:// or https://"):
        SyncService(workspace.store, "sync.clinic:8700").status()


def test_reconciling_a_signed_note_makes_an_amendment_and_keeps_both_texts(workspace: Workspace) -> None:
    note_id = _note(workspace, sign=True)
    conflict_id = _conflict(workspace, note_id, mine="cough, worse at night", theirs="cough")
    service = SyncService(workspace.store, "", user_id=workspace.user.id)
    (listed,) = service.conflicts()
    assert listed.is_note and listed.note_sections()["subjective"] == ("cough", "cough, worse at night")
    assert service.state().status.open_conflicts == 1
    resolved = service.reconcile_note(conflict_id, {"subjective": "cough, worse at night", "plan": "rest"})
    assert resolved.status is ConflictStatus.RESOLVED and service.conflicts() == []
    history = workspace.call(notes.note_history, note_id)
    assert [(v.version_number, v.reason) for v in history] == [(1, None), (2, RECONCILED_REASON)]
    assert history[-1].content["subjective"] == "cough, worse at night"
    (kept,) = service.conflicts(include_resolved=True)
    assert kept.local_values["content"]["subjective"] == "cough, worse at night"  # nothing lost
    assert kept.server_values["content"]["subjective"] == "cough"
    with pytest.raises(ValidationError, match="already resolved"):
        service.keep_server(conflict_id)


def test_keeping_mine_on_a_draft_saves_this_workstations_text(workspace: Workspace) -> None:
    note_id = _note(workspace, sign=False)
    conflict_id = _conflict(workspace, note_id, mine="mine", theirs="theirs")
    SyncService(workspace.store, "", user_id=workspace.user.id).keep_mine(conflict_id)
    with workspace.store.session() as session:
        from clinicdesk.models import ClinicalNote

        note = session.get(ClinicalNote, note_id)
        assert note is not None and note.status is NoteStatus.DRAFT
        assert note.content["subjective"] == "mine"


def test_keeping_the_servers_version_closes_the_conflict_without_changing_the_note(
    workspace: Workspace,
) -> None:
    note_id = _note(workspace, sign=True)
    conflict_id = _conflict(workspace, note_id, mine="mine", theirs="theirs")
    service = SyncService(workspace.store, "", user_id=workspace.user.id)
    assert service.keep_server(conflict_id).resolution.startswith("kept the server's version")
    assert len(workspace.call(notes.note_history, note_id)) == 1


def test_background_sync_reports_errors_through_its_callback_and_keeps_running(workspace: Workspace) -> None:
    class Failing(SyncService):
        configured = True  # type: ignore[assignment]

        def signed_in_as(self) -> str | None:
            return "dr.house"

        def sync_now(self):  # type: ignore[no-untyped-def]
            raise SyncError("the server is unreachable")

    errors: list[ClinicDeskError] = []
    periodic = PeriodicSync(
        Failing(workspace.store, "http://127.0.0.1:9"), interval=3600, on_error=errors.append
    )
    assert periodic.run_once() is None
    assert [e.message for e in errors] == ["the server is unreachable"]
