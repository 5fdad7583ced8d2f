"""Limits of the sync protocol that the app checks before it asks (a document's size, the schedule
window), in a module of their own: the window and the chart read them at start-up, and the protocol's
pydantic models can wait for the first sync."""

from __future__ import annotations

#: Largest document (a scan, a letter) a chart takes: the file as attached; its ciphertext is a few
#: dozen bytes longer, which the server allows for.
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
MAX_DOCUMENT_UPLOAD = MAX_DOCUMENT_BYTES + 1024
#: The schedule a workstation's first sync downloads, in days before and after today, unless its
#: profile keeps another window (``clinicdesk sync --window``); /sync/bootstrap answers the same
#: window when it is asked for none.
DEFAULT_WINDOW_DAYS = (1, 14)
#: The longest schedule window, in days from its first day to its last, that /sync/bootstrap sends;
#: the app refuses a longer one before it asks.
MAX_WINDOW_DAYS = 400
