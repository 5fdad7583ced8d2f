"""The sync server's CA certificate setting without a server: which files are accepted, how a refused
certificate is told apart from an outage, and that a profile keeps the file (and its schedule
window) while a bad one changes nothing. The real TLS server is in tests/integration/sync."""

from __future__ import annotations

import os
import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.store import Store
from app.sync_service import (
    CA_FILE_PROBLEM,
    CERTIFICATE_NOT_TRUSTED,
    SIGN_IN_AGAIN,
    SyncService,
    SyncState,
    setup_workstation,
)
from clinicdesk.errors import ValidationError
from server.embedded import free_port
from sync.errors import BadCaFile, CertificateNotTrusted, SyncOffline
from sync.status import SyncStatus
from sync.transport import HttpTransport, certificate_failure, tls_verify
from tests.integration.sync.practice_ca import PracticeCa, make_practice_ca
from tests.support.profiles import FAST_KDF, PASSWORD, empty_store


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> PracticeCa:
    return make_practice_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    made = empty_store(tmp_path / "profile")
    yield made
    made.close()


def trusted_cas(verify: ssl.SSLContext | bool) -> int:
    assert isinstance(verify, ssl.SSLContext)
    return int(verify.cert_store_stats()["x509_ca"])


def test_a_ca_file_is_trusted_alone_as_pem_or_der_and_no_file_means_the_usual_authorities(
    ca: PracticeCa, tmp_path: Path
) -> None:
    assert tls_verify(None) is True and tls_verify("") is True and tls_verify("  ") is True
    # exactly the practice's CA, not the system's hundred-odd authorities besides
    assert trusted_cas(tls_verify(ca.ca_pem)) == 1
    assert trusted_cas(tls_verify(str(ca.ca_der))) == 1
    # an IT person's bundle with the server's own certificate and key in it still yields the CA
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(ca.server_cert.read_bytes() + ca.server_key.read_bytes() + ca.ca_pem.read_bytes())
    assert trusted_cas(tls_verify(bundle)) == 1


def test_a_file_that_is_missing_or_holds_no_certificate_is_refused_by_name(
    ca: PracticeCa, tmp_path: Path
) -> None:
    garbage = tmp_path / "notes.txt"
    garbage.write_text("the CA is on the USB stick in the server room\n", encoding="utf-8")
    cases = {
        tmp_path / "missing.pem": "does not exist",
        tmp_path: "is a folder, not a certificate file",
        ca.empty: "is empty",
        ca.key_only: "holds no certificate",
        garbage: "holds no certificate",
    }
    for path, says in cases.items():
        with pytest.raises(BadCaFile) as refused:
            tls_verify(path)
        assert refused.value.message.startswith(f"the CA certificate file {path} {says}")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_ca_file_is_refused_by_name(ca: PracticeCa, tmp_path: Path) -> None:
    locked = tmp_path / "locked.pem"
    locked.write_bytes(ca.ca_pem.read_bytes())
    locked.chmod(0)
    with pytest.raises(BadCaFile, match=r"cannot be read \(Permission denied\)"):
        tls_verify(locked)


def _refusing(reason: str) -> httpx.MockTransport:
    """Fails every request the way httpx does when OpenSSL refuses the server's certificate."""

    def handler(request: httpx.Request) -> httpx.Response:
        verdict = ssl.SSLCertVerificationError(1, f"[SSL: CERTIFICATE_VERIFY_FAILED] {reason}")
        verdict.verify_message = reason
        try:
            raise verdict
        except ssl.SSLError as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc

    return httpx.MockTransport(handler)


def test_a_refused_certificate_is_not_offline_and_names_the_ca_setting(ca: PracticeCa) -> None:
    plain = httpx.ConnectError("[Errno 111] Connection refused")
    assert certificate_failure(plain) is None

    transport = HttpTransport(
        "https://sync.example", transport=_refusing("unable to get local issuer certificate")
    )
    with pytest.raises(CertificateNotTrusted) as untrusted:
        transport.health()
    assert not isinstance(untrusted.value, SyncOffline)
    message = untrusted.value.message
    assert message.startswith("the sync server's certificate is not trusted (unable to get local issuer")
    assert "CA certificate in the sync settings" in message and "--ca-file" in message

    with_ca = HttpTransport(
        "https://sync.example", transport=_refusing("self-signed certificate in certificate chain"),
        ca_file=ca.other_ca_pem,
    )  # fmt: skip
    with pytest.raises(CertificateNotTrusted) as wrong_ca:
        with_ca.health()
    assert wrong_ca.value.message.startswith(
        f"the sync server's certificate is not trusted by the CA certificate file {ca.other_ca_pem} "
        "(self-signed certificate in certificate chain); check that it is the certificate of the authority"
    )

    # A trusted certificate issued for another name: the address is what to change, not the CA.
    renamed = HttpTransport(
        "https://10.0.0.5:8700",
        transport=_refusing("Hostname mismatch, certificate is not valid for '10.0.0.5'."),
    )
    with pytest.raises(CertificateNotTrusted) as mismatch:
        renamed.health()
    assert mismatch.value.message == (
        "the sync server's certificate is not for the address https://10.0.0.5:8700 (hostname mismatch, "
        "certificate is not valid for '10.0.0.5'); enter the server's address with the host name its "
        "certificate was issued for"
    )

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    with pytest.raises(SyncOffline):
        HttpTransport("https://sync.example", transport=httpx.MockTransport(down)).health()


def test_a_profile_keeps_its_ca_file_and_window_and_a_bad_file_changes_nothing(
    store: Store, ca: PracticeCa, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = SyncService(store, "https://sync.example")
    assert service.ca_file is None and service.window_days is None

    monkeypatch.chdir(ca.ca_pem.parent)  # a relative path, as typed at a command line
    assert service.set_ca_file(ca.ca_pem.name) == str(ca.ca_pem)
    service.set_window_days((3, 21))
    with pytest.raises(BadCaFile):
        service.set_ca_file(ca.key_only)
    with pytest.raises(ValidationError, match="schedule window"):
        service.set_window_days((-1, 5))
    with pytest.raises(ValidationError, match="at most 400"):
        service.set_window_days((200, 201))

    again = SyncService(store, "https://sync.example")  # another start of the app reads the profile
    assert again.ca_file == str(ca.ca_pem) and again.window_days == (3, 21)
    again.set_ca_file("")
    assert SyncService(store, "https://sync.example").ca_file is None


def test_a_kept_ca_file_that_goes_missing_is_said_at_each_sync_and_the_status_still_reads(
    store: Store, ca: PracticeCa, tmp_path: Path
) -> None:
    """The window's status bar and the background loop read the status and the sign-in while the
    file is gone (a network drive not mounted yet); signing in or syncing names the file, and once it
    is back the next attempt uses it without restarting the app."""
    kept = tmp_path / "practice-ca.pem"
    kept.write_bytes(ca.ca_pem.read_bytes())
    service = SyncService(store, f"https://127.0.0.1:{free_port()}")
    service.set_ca_file(kept)
    kept.unlink()

    assert service.signed_in_as() is None and service.status().pending_changes >= 0
    with pytest.raises(BadCaFile, match=f"the CA certificate file {kept} does not exist"):
        service.sign_in(username="dr.vale", password="server password")
    state = service.state()
    assert (
        state.summary.startswith(CA_FILE_PROBLEM) and state.problem is not None and str(kept) in state.problem
    )

    kept.write_bytes(ca.ca_pem.read_bytes())  # back: the file is read again and the server tried
    with pytest.raises(SyncOffline, match="cannot reach the sync server"):
        service.sign_in(username="dr.vale", password="server password")
    service.close()


def test_a_setup_with_a_bad_ca_file_or_window_makes_nothing(ca: PracticeCa, tmp_path: Path) -> None:
    profile = tmp_path / "new-workstation"
    for kwargs, error in (
        ({"ca_file": tmp_path / "missing.pem"}, BadCaFile),
        ({"ca_file": ca.ca_pem, "window_days": (7, -1)}, ValidationError),
    ):
        with pytest.raises(error):
            setup_workstation(
                profile,
                profile_password=PASSWORD,
                server_url="https://127.0.0.1:1",
                username="dr.nobody",
                server_password="whatever it is",
                kdf=FAST_KDF,
                **kwargs,
            )
        assert not profile.exists()


def test_the_status_bar_says_which_problem_it_is() -> None:
    status = SyncStatus(True, None, 0, 0, None, "dr.house")
    assert SyncState(True, status, problem="expired").summary.startswith(SIGN_IN_AGAIN)
    untrusted = SyncState(True, status, problem="not trusted", problem_summary=CERTIFICATE_NOT_TRUSTED)
    assert untrusted.summary.startswith(CERTIFICATE_NOT_TRUSTED)
