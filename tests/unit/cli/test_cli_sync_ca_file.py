"""``clinicdesk sync --ca-file`` and ``--window`` refused before anything is made or changed: a CA
file that is missing or holds no certificate, a schedule window the server would not send. (With a
real TLS server: tests/integration/sync/test_sync_tls.py.)"""

from __future__ import annotations

from pathlib import Path

from app.store import open_store
from app.sync_service import SyncService
from server.embedded import free_port
from tests.integration.sync.practice_ca import make_practice_ca
from tests.support.profiles import PASSWORD

from .conftest import Run, assert_one_line_error

ENV = {"CLINICDESK_PASSWORD": PASSWORD, "CLINICDESK_SERVER_PASSWORD": "server password"}


def test_a_new_profile_with_a_bad_ca_file_or_window_is_refused_and_not_made(
    run_cli: Run, tmp_path: Path
) -> None:
    ca = make_practice_ca(tmp_path / "ca")
    profile = tmp_path / "exam-room-1"
    server = f"https://127.0.0.1:{free_port()}"  # never reached: the files are checked first
    base = ("sync", "--profile", str(profile), "--server", server, "--username", "dr.nobody")
    missing = tmp_path / "practice-ca.pem"
    for extra, code, says in (
        (("--ca-file", str(missing)), 9, f"the CA certificate file {missing} does not exist"),
        (("--ca-file", str(ca.key_only)), 9, f"the CA certificate file {ca.key_only} holds no certificate"),
        (("--window", "-1", "14"), 6, "the schedule window must be whole days"),
    ):
        result = run_cli(*base, *extra, env=ENV)
        assert result.returncode == code, result.stderr
        assert_one_line_error(result, "sync", says)
        assert not profile.exists()


def test_an_existing_profile_keeps_its_ca_file_when_a_bad_one_is_given(
    run_cli: Run, profile: Path, tmp_path: Path
) -> None:
    ca = make_practice_ca(tmp_path / "ca")
    store = open_store(profile, PASSWORD)
    try:
        SyncService(store, "https://sync.example").set_ca_file(ca.ca_pem)
    finally:
        store.close()
    server = f"https://127.0.0.1:{free_port()}"
    result = run_cli(
        "sync", "--profile", str(profile), "--server", server, "--ca-file", str(ca.empty), env=ENV
    )
    assert result.returncode == 9
    assert_one_line_error(result, "sync", f"the CA certificate file {ca.empty} is empty")
    store = open_store(profile, PASSWORD)
    try:
        assert SyncService(store, server).ca_file == str(ca.ca_pem)
    finally:
        store.close()
