"""Sync failures, split by what the caller should do about them."""

from __future__ import annotations

from clinicdesk.errors import SyncError


class SyncOffline(SyncError):
    """The server could not be reached, or answered with a server error or a cut-off response.
    Normal for a clinic: back off and try again; nothing was lost."""


class ProtocolTooOld(SyncError):
    """The server no longer speaks this client's protocol version: the app must be updated."""


class CertificateNotTrusted(SyncError):
    """The server answered, but its TLS certificate did not verify (issued by a certificate authority
    this workstation does not trust, for another host name, expired). Not an outage: retrying cannot
    help until the CA certificate setting (or the server's certificate) is put right, so it is raised
    rather than backed off, and says which setting to change."""


class BadCaFile(SyncError):
    """The CA certificate file set for the sync server is missing, unreadable or holds no certificate.
    Checked before anything is saved or made, so a typo never leaves a setting that cannot connect."""
