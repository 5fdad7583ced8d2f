"""The one function that decides what happens when a change meets the server's copy (DESIGN.md,
"Sync contract"). Pure and table-tested, like Syncthing's conflict rule: the server calls it for
every pushed change, and the outcome names which of the client's fields are written and which lost.

A field counts as changed concurrently only when *another* device wrote it after the change's base
version: a device's own earlier edits (pushed in the same batch, or pushed before an acknowledgement
was lost) are history it already had, not a conflict.

Some fields are a clock, not anybody's work (a user's last sign-in time, written by every unlock on
every workstation): when two devices wrote one, the later time is the truth, so the newest wins and
nobody is asked. The older value is named in ``superseded`` rather than dropped unseen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sync.protocol import Operation

#: Fields holding a note's text. When two people changed these, both texts are kept.
NOTE_TEXT_FIELDS: Mapping[str, frozenset[str]] = {
    "clinical_notes": frozenset({"content", "raw_transcription", "utterances"}),
    "note_versions": frozenset({"content"}),
}
#: Bookkeeping every edit touches; overlapping on it alone is not a conflict.
NEVER_CONFLICTING = frozenset({"updated_at"})
#: Timestamps where two devices' writes are settled by the later time, not by a person.
NEWEST_WINS: Mapping[str, frozenset[str]] = {"users": frozenset({"last_login_at"})}
TOMBSTONE = "deleted_at"


class Outcome(StrEnum):
    APPLY = "apply"  # nobody else changed the record since the base: take the change as it is
    MERGE = "merge"  # others changed other fields: take the change, keep theirs
    SERVER_WINS = "server_wins"  # others changed the same fields: theirs stay, the client is told
    KEEP_BOTH = "keep_both"  # others changed the same note text: theirs stays current, ours is kept aside


@dataclass(frozen=True)
class ServerState:
    """The server's copy of a record as the decision needs it."""

    deleted: bool
    values: Mapping[str, Any]
    changed_since_base: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    #: The client's fields to write (wire form).
    apply: dict[str, Any] = field(default_factory=dict)
    #: The client's fields that lost; the client keeps their values as a conflict entry.
    lost: tuple[str, ...] = ()
    #: The client's fields that lost newest-wins to a later server value: not a conflict.
    superseded: tuple[str, ...] = ()

    @property
    def is_conflict(self) -> bool:
        return self.outcome in (Outcome.SERVER_WINS, Outcome.KEEP_BOTH)


def decide(
    *, entity: str, operation: Operation, payload: Mapping[str, Any], server: ServerState | None
) -> Decision:
    """Decide the fate of one change. ``server`` is None when the server has never seen the record."""
    if server is None:
        return Decision(Outcome.APPLY, dict(payload))
    others = server.changed_since_base - NEVER_CONFLICTING
    if operation is Operation.DELETE:
        if others and not server.deleted:
            # Deleting would silently drop someone's newer edit: the edit survives, the client is told.
            return Decision(Outcome.SERVER_WINS, {}, (TOMBSTONE,))
        return Decision(Outcome.APPLY if not others else Outcome.MERGE, dict(payload))
    if server.deleted and TOMBSTONE in others and payload.get(TOMBSTONE) is None:
        # Someone deleted the record after we read it: it stays deleted, and our edit is kept aside.
        lost = tuple(sorted(k for k in payload if k not in NEVER_CONFLICTING))
        return Decision(Outcome.SERVER_WINS, {}, lost)
    overlap = {
        key
        for key in payload
        if key in others and key not in NEVER_CONFLICTING and server.values.get(key) != payload[key]
    }
    clocks = overlap & NEWEST_WINS.get(entity, frozenset())
    newer = {key for key in clocks if _later(payload[key], server.values.get(key))}
    superseded = tuple(sorted(clocks - newer))
    overlap -= clocks
    apply = {key: value for key, value in payload.items() if key not in overlap and key not in superseded}
    if not overlap:
        return Decision(Outcome.MERGE if others else Outcome.APPLY, apply, superseded=superseded)
    lost = tuple(sorted(overlap))
    if overlap & NOTE_TEXT_FIELDS.get(entity, frozenset()):
        return Decision(Outcome.KEEP_BOTH, apply, lost, superseded)
    return Decision(Outcome.SERVER_WINS, apply, lost, superseded)


def _instant(value: Any) -> datetime | None:
    """A wire timestamp (ISO 8601 text) as an aware datetime; None when absent or unreadable."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _later(ours: Any, theirs: Any) -> bool:
    """Whether the client's time is the newer one. A time beats none; an unreadable one never wins."""
    mine, server = _instant(ours), _instant(theirs)
    if mine is None:
        return False
    return server is None or mine > server
