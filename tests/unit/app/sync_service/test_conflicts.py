"""Reconciling sync conflicts, each one operation: nothing is lost, both texts stay in the conflict."""

from __future__ import annotations

import pytest

from app.ops import conflicts as conflict_ops
from app.services import notes
from app.sync_service import RECONCILED_REASON, SyncService
from app.sync_service.conflicts import list_conflicts, settle_bookkeeping
from app.workspace import Workspace
from clinicdesk.errors import ValidationError
from models import ClinicalNote, SyncConflict
from models.enums import ConflictStatus, NoteStatus
from tests.unit.app.conftest import make_conflict, make_note


def test_reconciling_a_signed_note_makes_an_amendment_and_keeps_both_texts(workspace: Workspace) -> None:
    note_id = make_note(workspace, sign=True)
    conflict_id = make_conflict(workspace, note_id, mine="cough, worse at night", theirs="cough")
    (listed,) = conflict_ops.open_conflicts(workspace)
    assert listed.is_note and listed.note_sections()["subjective"] == ("cough", "cough, worse at night")
    assert SyncService(workspace.store, "").state().status.open_conflicts == 1
    merged = {"subjective": "cough, worse at night", "plan": "rest"}
    resolved = conflict_ops.reconcile_note(workspace, conflict_id, merged)
    assert resolved.value.status is ConflictStatus.RESOLVED and conflict_ops.open_conflicts(workspace) == []
    assert resolved.changes.conflicts == {conflict_id} and resolved.changes.notes == {note_id}
    assert resolved.changes.outbox >= 1  # the amendment goes up with the next sync
    history = workspace.call(notes.note_history, note_id)
    assert [(v.version_number, v.reason) for v in history] == [(1, None), (2, RECONCILED_REASON)]
    assert history[-1].content["subjective"] == "cough, worse at night"
    (kept,) = conflict_ops.open_conflicts(workspace, include_resolved=True)
    assert kept.local_values["content"]["subjective"] == "cough, worse at night"  # nothing lost
    assert kept.server_values["content"]["subjective"] == "cough"
    with pytest.raises(ValidationError, match="already resolved"):
        conflict_ops.keep_server(workspace, conflict_id)


def test_keeping_mine_on_a_draft_saves_this_workstations_text(workspace: Workspace) -> None:
    note_id = make_note(workspace, sign=False)
    conflict_id = make_conflict(workspace, note_id, mine="mine", theirs="theirs")
    conflict_ops.keep_mine(workspace, conflict_id)
    with workspace.store.session() as session:
        note = session.get(ClinicalNote, note_id)
        assert note is not None and note.status is NoteStatus.DRAFT
        assert note.content["subjective"] == "mine"


def test_keeping_the_servers_version_closes_the_conflict_without_changing_the_note(
    workspace: Workspace,
) -> None:
    note_id = make_note(workspace, sign=True)
    conflict_id = make_conflict(workspace, note_id, mine="mine", theirs="theirs")
    kept = conflict_ops.keep_server(workspace, conflict_id)
    assert kept.value.resolution is not None and kept.value.resolution.startswith("kept the server's version")
    assert kept.changes.notes == frozenset() and kept.changes.conflicts == {conflict_id}
    assert len(workspace.call(notes.note_history, note_id)) == 1


def test_a_sign_in_time_written_on_two_workstations_is_settled_without_asking_but_a_note_is_not(
    workspace: Workspace,
) -> None:
    note_id = make_note(workspace, sign=False)
    note_conflict = make_conflict(workspace, note_id, mine="mine", theirs="theirs")
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
    assert workspace.call(settle_bookkeeping) == 1
    assert [c.id for c in conflict_ops.open_conflicts(workspace)] == [note_conflict]  # the author decides
    (settled,) = [c for c in workspace.call(list_conflicts, include_resolved=True) if c.id == login_id]
    assert settled.status is ConflictStatus.RESOLVED
    assert settled.local_values["last_login_at"] == "2025-03-02T08:00:00+00:00"  # both values kept
