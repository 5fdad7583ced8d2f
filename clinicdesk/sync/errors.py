"""Sync failures, split by what the caller should do about them."""

from __future__ import annotations

from clinicdesk.errors import SyncError


class SyncOffline(SyncError):
    """The server could not be reached, or answered with a server error or a cut-off response.
    Normal for a clinic: back off and try again; nothing was lost."""


class ProtocolTooOld(SyncError):
    """The server no longer speaks this client's protocol version: the app must be updated."""
