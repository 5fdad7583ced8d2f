"""The profile's connection to the sync server, without a server: status, addresses, sign-in state."""

from __future__ import annotations

import pytest

from app.sync_service import PeriodicSync, SyncService
from app.workspace import Workspace
from clinicdesk.errors import SyncError
from tests.unit.app.conftest import make_note


def test_without_a_server_the_status_says_so_and_still_counts_waiting_changes(workspace: Workspace) -> None:
    service = SyncService(workspace.store, "", user_id=workspace.user.id)
    before = service.state().status.pending_changes
    make_note(workspace, sign=False)
    state = service.state()
    assert not state.configured and state.status.pending_changes > before
    assert state.summary.startswith("Sync: no server set") and "waiting" in state.summary
    with pytest.raises(SyncError, match="no sync server is set"):
        service.sync_now()
    assert PeriodicSync(service).run_once() is None


def test_a_bad_server_address_is_refused_with_a_clear_message(workspace: Workspace) -> None:
    with pytest.raises(SyncError, match="http:// or https://"):
        SyncService(workspace.store, "sync.clinic:8700").status()


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
