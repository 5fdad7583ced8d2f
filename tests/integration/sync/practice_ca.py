"""A practice's own certificate authority, made afresh: its certificate (PEM, and DER as a Windows
export gives it), a server certificate it issued for 127.0.0.1 and localhost with the key, another
CA that did not issue it, and files that are not a CA certificate. Nothing here is trusted by the
system, which is exactly the situation the "CA certificate" setting is for.

A plain helper (no fixtures), so unit, integration and UI tests can all import it; the TLS server
fixtures are in tls_support.py."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class PracticeCa:
    """Files as an IT person would hand them out: the CA's certificate (PEM and the DER a Windows
    export gives), the server's certificate and key, another CA that did not issue it, and files
    that are not a CA certificate."""

    ca_pem: Path
    ca_der: Path
    server_cert: Path
    server_key: Path
    other_ca_pem: Path
    key_only: Path
    empty: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _ca(common_name: str, now: datetime) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def make_practice_ca(folder: Path) -> PracticeCa:
    """A CA, a server certificate it issued for 127.0.0.1 and localhost, and an unrelated CA."""
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    ca_key, ca_cert = _ca("Harbour Street Clinic IT CA", now)
    _other_key, other_cert = _ca("Some Other Clinic CA", now)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("sync.harbour-street.internal"))
        .issuer_name(ca_cert.subject)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    key_pem = server_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    files = PracticeCa(
        ca_pem=folder / "practice-ca.pem",
        ca_der=folder / "practice-ca.cer",
        server_cert=folder / "sync-server.pem",
        server_key=folder / "sync-server.key",
        other_ca_pem=folder / "other-ca.pem",
        key_only=folder / "not-a-certificate.pem",
        empty=folder / "empty.crt",
    )
    files.ca_pem.write_bytes(ca_cert.public_bytes(pem))
    files.ca_der.write_bytes(ca_cert.public_bytes(serialization.Encoding.DER))
    files.server_cert.write_bytes(server_cert.public_bytes(pem))
    files.server_key.write_bytes(key_pem)
    files.server_key.chmod(0o600)
    files.other_ca_pem.write_bytes(other_cert.public_bytes(pem))
    files.key_only.write_bytes(key_pem)
    files.empty.write_bytes(b"")
    return files
