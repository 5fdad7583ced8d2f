"""``clinicdesk sync`` on a real encrypted profile against the real server."""

from __future__ import annotations

import json
import uuid
from datetime import date

import pytest

from app.store import create_store
from clinicdesk.launcher import main
from models import Patient
from tests.support.profiles import FAST_KDF

pytestmark = pytest.mark.integration


def test_the_sync_command_pushes_a_profiles_changes_and_prints_a_json_summary(sync_server, tmp_path, capsys):
    username, password = sync_server.user("doctor")
    profile = tmp_path / "profile"
    store = create_store(profile, password, kdf=FAST_KDF)
    with store.session() as s:
        s.add(
            Patient(
                mrn=f"CLI-{uuid.uuid4().hex[:8]}",
                first_name="Grace",
                last_name="Hopper",
                date_of_birth=date(1906, 12, 9),
            )
        )
    store.close()
    args = ["sync", "--profile", str(profile), "--password", password, "--server", sync_server.url]

    assert main([*args, "--user", username]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["pushed"] == 1 and first["applied"] == 1 and first["errors"] == []

    assert main(args) == 0  # signed in already: the stored refresh token is used
    second = json.loads(capsys.readouterr().out)
    assert second["pushed"] == 0


def test_the_sync_command_reports_an_unreachable_server_and_keeps_the_changes(tmp_path, capsys):
    profile = tmp_path / "profile"
    store = create_store(profile, "long enough pw", kdf=FAST_KDF)
    store.close()
    code = main(
        [
            "sync",
            "--profile",
            str(profile),
            "--password",
            "long enough pw",
            "--server",
            "http://127.0.0.1:9",
            "--user",
            "someone",
        ]
    )
    assert code != 0
    assert "sync" in capsys.readouterr().err
