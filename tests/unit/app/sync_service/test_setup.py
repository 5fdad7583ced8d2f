"""Setting a workstation up from the server, when it cannot be: nothing is touched or left behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.sync_service import SetupProgress, setup_workstation
from app.workspace import Workspace
from clinicdesk.errors import StoreError, SyncError
from tests.support.profiles import FAST_KDF


def test_setting_up_a_workstation_never_touches_an_existing_profile_and_leaves_nothing_when_it_fails(
    workspace: Workspace, tmp_path: Path
) -> None:
    steps: list[SetupProgress] = []

    def set_up(folder: Path, server_url: str) -> None:
        setup_workstation(
            folder,
            profile_password="long enough pw",
            server_url=server_url,
            username="dr.who",
            server_password="pw",
            progress=steps.append,
            kdf=FAST_KDF,
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
