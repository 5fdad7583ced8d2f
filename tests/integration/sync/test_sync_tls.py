"""A sync server whose certificate comes from the practice's own certificate authority, end to end:
the real ``clinicdesk-server`` serving TLS (tls_support.py), the real ``clinicdesk sync`` command in
its own process, and the app's own SyncService.

Set up with the CA file, a workstation syncs and keeps the file for later syncs; without it (or with
another CA's) the error says the certificate is not trusted and where the CA certificate is set,
rather than "cannot reach the server"; a CA file that is missing or holds no certificate is an error
naming it, and no profile is left behind."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from app.services import patients
from app.store import open_store
from app.sync_service import (
    CERTIFICATE_NOT_TRUSTED,
    SyncService,
    setup_workstation,
)
from app.workspace import Workspace
from sync.errors import BadCaFile, CertificateNotTrusted
from tests.integration.sync import test_cli_workstation_setup as cli_setup
from tests.support.profiles import FAST_KDF

if TYPE_CHECKING:  # loaded by pytest_plugins below, which must import it first
    from tests.integration.sync.tls_support import TlsServer

pytestmark = pytest.mark.integration
pytest_plugins = ["tests.integration.sync.tls_support"]

#: the practice, a doctor account and a booked patient, put on the (shared) server by its front desk
account = cli_setup.account
clinicdesk = cli_setup.clinicdesk
one_line_error = cli_setup.one_line_error
SERVER_PASSWORD = cli_setup.SERVER_PASSWORD
PROFILE_PASSWORD = cli_setup.PROFILE_PASSWORD
NOT_TRUSTED = "the sync server's certificate is not trusted"


def set_up(tls: TlsServer, username: str, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return clinicdesk(
        "sync", "--profile", str(profile), "--server", tls.url, "--username", username, *extra,
        env={"CLINICDESK_PASSWORD": PROFILE_PASSWORD, "CLINICDESK_SERVER_PASSWORD": SERVER_PASSWORD},
    )  # fmt: skip


def test_the_command_sets_up_from_the_tls_server_with_the_ca_file_and_keeps_it_for_later_syncs(
    tls_server: TlsServer, account: cli_setup.Account, tmp_path: Path
) -> None:
    profile = tmp_path / "exam-room-7"
    made = set_up(tls_server, account.username, profile, "--ca-file", str(tls_server.ca.ca_pem),
                  "--window", "2", "10")  # fmt: skip
    assert made.returncode == 0, made.stderr
    summary = json.loads(made.stdout)
    assert summary["set_up"] is True and summary["received"] > 0
    assert summary["ca_file"] == str(tls_server.ca.ca_pem)

    # The profile keeps the CA file and the window, so a plain sync needs neither again.
    again = clinicdesk(
        "sync", "--profile", str(profile), "--server", tls_server.url,
        env={"CLINICDESK_PASSWORD": PROFILE_PASSWORD},
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["errors"] == []
    store = open_store(profile, PROFILE_PASSWORD)
    try:
        service = SyncService(store, tls_server.url)
        assert service.ca_file == str(tls_server.ca.ca_pem)
        assert service.window_days == (2, 10)
    finally:
        store.close()

    # Told to use another CA, the existing profile's sync says the certificate is not trusted by it.
    other = clinicdesk(
        "sync", "--profile", str(profile), "--server", tls_server.url,
        "--ca-file", str(tls_server.ca.other_ca_pem), env={"CLINICDESK_PASSWORD": PROFILE_PASSWORD},
    )  # fmt: skip
    assert other.returncode == 9
    line = one_line_error(other)
    assert f"{NOT_TRUSTED} by the CA certificate file {tls_server.ca.other_ca_pem}" in line
    assert "cannot reach" not in line


def test_without_the_ca_file_the_setup_says_the_certificate_is_not_trusted_and_where_to_set_the_ca(
    tls_server: TlsServer, account: cli_setup.Account, tmp_path: Path
) -> None:
    profile = tmp_path / "exam-room-8"
    done = set_up(tls_server, account.username, profile)
    assert done.returncode == 9
    line = one_line_error(done)
    assert f"{NOT_TRUSTED} (unable to get local issuer certificate)" in line
    assert "CA certificate" in line and "--ca-file" in line and "cannot reach" not in line
    assert line.endswith("no profile was made")
    assert not profile.exists()

    # A CA that did not issue the server's certificate is no better, and says which file it tried.
    other = set_up(tls_server, account.username, profile, "--ca-file", str(tls_server.ca.other_ca_pem))
    assert other.returncode == 9
    assert f"{NOT_TRUSTED} by the CA certificate file {tls_server.ca.other_ca_pem}" in one_line_error(other)
    assert not profile.exists()

    # An https address on a port where nothing listens is still "offline", not a certificate problem.
    closed = tls_server.url.rsplit(":", 1)[0] + ":1"
    offline = clinicdesk(
        "sync", "--profile", str(profile), "--server", closed, "--username", account.username,
        "--ca-file", str(tls_server.ca.ca_pem),
        env={"CLINICDESK_PASSWORD": PROFILE_PASSWORD, "CLINICDESK_SERVER_PASSWORD": SERVER_PASSWORD},
    )  # fmt: skip
    assert offline.returncode == 9
    assert one_line_error(offline).startswith("clinicdesk sync: error: cannot reach the sync server")


def test_a_bad_ca_file_is_an_error_naming_it_and_leaves_no_profile(
    tls_server: TlsServer, account: cli_setup.Account, tmp_path: Path
) -> None:
    ca = tls_server.ca
    profile = tmp_path / "exam-room-9"
    missing = tmp_path / "no-such-ca.pem"
    for bad, says in (
        (missing, f"the CA certificate file {missing} does not exist"),
        (ca.key_only, f"the CA certificate file {ca.key_only} holds no certificate"),
    ):
        done = set_up(tls_server, account.username, profile, "--ca-file", str(bad))
        assert done.returncode == 9, done.stderr
        line = one_line_error(done)
        assert says in line and line.endswith("no profile was made")
        assert not profile.exists()

    # The same refusals from the app's own set-up (the dialog's), before anything is made.
    ready = tmp_path / "exam-room-10"
    ready.mkdir()  # made ready by IT beforehand: kept, and left empty
    for bad in (ca.empty, tmp_path, ca.key_only, missing):
        with pytest.raises(BadCaFile) as refused:
            setup_workstation(
                ready,
                profile_password=PROFILE_PASSWORD,
                server_url=tls_server.url,
                username=account.username,
                server_password=SERVER_PASSWORD,
                ca_file=bad,
                kdf=FAST_KDF,
            )
        assert str(bad) in refused.value.message
        assert list(ready.iterdir()) == []


def test_the_apps_sync_service_syncs_through_the_profiles_ca_file(
    tls_server: TlsServer, account: cli_setup.Account, tmp_path: Path
) -> None:
    """What the window does: a SyncService made from the profile and the server's address alone
    (MainWindow passes nothing else) verifies the server with the CA file the set-up stored."""
    ca = tls_server.ca
    profile = tmp_path / "workstation"
    made = setup_workstation(
        profile,
        profile_password=PROFILE_PASSWORD,
        server_url=tls_server.url,
        username=account.username,
        server_password=SERVER_PASSWORD,
        ca_file=ca.ca_der,  # the DER file a Windows certificate export gives works as well as PEM
        kdf=FAST_KDF,
    )
    assert made.ca_file == str(ca.ca_der) and made.received > 0

    workspace = Workspace.unlock(profile, PROFILE_PASSWORD)
    service = SyncService(workspace.store, tls_server.url, user_id=workspace.user.id)
    try:
        assert service.ca_file == str(ca.ca_der) and service.signed_in_as() == account.username
        # the server's patient came down through TLS; what unlocking and searching wrote (the
        # sign-in time, the audit of the search) goes up through it
        found = workspace.call(patients.search_patients, account.mrn)
        assert [p.mrn for p in found] == [account.mrn]
        report = service.sync_now()
        assert report.ok and report.pushed >= 1 and report.rejected == 0
        state = service.state()
        assert state.status.online and state.summary.startswith("Online")

        # Another CA set in Settings: the next sync says the certificate is not trusted, and the
        # status bar says so too instead of "Offline".
        service.set_ca_file(ca.other_ca_pem)
        with pytest.raises(CertificateNotTrusted) as untrusted:
            service.sync_now()
        assert str(ca.other_ca_pem) in untrusted.value.message
        assert service.state().summary.startswith(CERTIFICATE_NOT_TRUSTED)

        # Put right, it syncs again and the problem is gone.
        service.set_ca_file(ca.ca_pem)
        assert service.sync_now().ok
        assert service.state().summary.startswith("Online")
    finally:
        service.close()
        workspace.close()
