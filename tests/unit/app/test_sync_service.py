"""The app's sync glue without a server: status, conflicts and their reconciliation, background loop."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.services import notes
from app.sync_service import RECONCILED_REASON, PeriodicSync, SyncService
from app.workspace import Workspace
from clinicdesk.errors import ClinicDeskError, SyncError, ValidationError
from models import SyncConflict
from models.enums import AppointmentStatus, ConflictStatus, NoteStatus

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
        from models import ClinicalNote

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


def test_a_corrected_server_address_is_used_at_once_not_the_connection_to_the_old_one(
    workspace: Workspace,
) -> None:
    service = SyncService(workspace.store, "http://127.0.0.1:9", user_id=workspace.user.id)
    assert service.signed_in_as() is None  # an engine now exists for the first address
    service.set_server(" http://127.0.0.1:10 ")
    assert service.server_url == "http://127.0.0.1:10"
    assert service._sync_engine().transport.base_url == "http://127.0.0.1:10"
    service.close()


def test_a_sign_in_the_server_refused_makes_the_status_ask_to_sign_in_again(workspace: Workspace) -> None:
    service = SyncService(workspace.store, "http://127.0.0.1:9", user_id=workspace.user.id)
    service.problem = "sync sign-in failed: session expired; sign in again"
    assert service.state().summary.startswith("Sync: sign in again (Settings)")
    service.set_server("http://127.0.0.1:10")  # another server: another sign-in, no old problem
    assert service.state().problem is None
    service.close()


def test_a_sign_in_time_written_on_two_workstations_is_settled_without_asking_but_a_note_is_not(
    workspace: Workspace,
) -> None:
    note_id = _note(workspace, sign=False)
    note_conflict = _conflict(workspace, note_id, mine="mine", theirs="theirs")
    with workspace.store.session() as session:
        login = SyncConflict(
            entity="users",
            record_id=workspace.user.id,
            fields=["last_login_at"],
            local_values={"last_login_at": "2025-03-02T08:00:00+00:00"},
            server_values={"last_login_at": "2025-03-02T07:55:00+00:00"},
        )
        session.add(login)
        session.flush()
        login_id = login.id
    service = SyncService(workspace.store, "", user_id=workspace.user.id)
    assert service.settle_bookkeeping() == 1
    assert [c.id for c in service.conflicts()] == [note_conflict]  # the note still asks the author
    (settled,) = [c for c in service.conflicts(include_resolved=True) if c.id == login_id]
    assert settled.status is ConflictStatus.RESOLVED
    assert settled.local_values["last_login_at"] == "2025-03-02T08:00:00+00:00"  # both values kept


def test_setting_up_a_workstation_never_touches_an_existing_profile_and_leaves_nothing_when_it_fails(
    workspace: Workspace, tmp_path: Path
) -> None:
    from app.store.keys import KdfParams
    from app.sync_service import SetupProgress, setup_workstation
    from clinicdesk.errors import StoreError

    steps: list[SetupProgress] = []

    def set_up(folder: Path, server_url: str) -> None:
        setup_workstation(
            folder,
            profile_password="long enough pw",
            server_url=server_url,
            username="dr.who",
            server_password="pw",
            progress=steps.append,
            kdf=KdfParams(time_cost=1, memory_kib=8192, parallelism=1),
        )

    before = sorted(p.name for p in workspace.profile_dir.iterdir())
    with pytest.raises(StoreError, match="already holds a profile"):
        set_up(workspace.profile_dir, "http://127.0.0.1:9")
    assert sorted(p.name for p in workspace.profile_dir.iterdir()) == before
    with pytest.raises(SyncError, match="http:// or https://"):
        set_up(tmp_path / "new", "sync.clinic:8700")
    assert not (tmp_path / "new").exists() and steps == []  # refused before anything was made

    with pytest.raises(SyncError, match="cannot reach the sync server"):
        set_up(tmp_path / "new", "http://127.0.0.1:9")
    assert not (tmp_path / "new").exists()  # no half-made profile to trip over on the next try
    assert [s.step for s in steps] == ["Creating the encrypted profile…", "Signing in to the sync server…"]


def test_the_window_can_tell_whether_a_sync_changed_the_note_it_shows(workspace: Workspace) -> None:
    note_id = _note(workspace, sign=False)
    service = SyncService(workspace.store, "", user_id=workspace.user.id)
    with workspace.store.session() as session:
        from models import ClinicalNote

        note = session.get(ClinicalNote, note_id)
        assert note is not None
        shown, version = dict(note.content), note.current_version
    assert not service.note_changed(note_id, content=shown, version=version)
    workspace.call(notes.save_draft, note_id, {"plan": "rest, fluids"})  # as a pulled change would
    assert service.note_changed(note_id, content=shown, version=version)
    assert not service.note_changed(uuid.uuid4(), content=shown, version=version)
