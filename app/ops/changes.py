"""The change set of an operation, and how a transaction finds it out.

A page of the window shows records of a few kinds (the schedule shows appointments; the task list,
tasks); after each operation it looks at the change set and reloads only when a kind it shows was
written. The set is gathered from the session itself, at every flush, so an operation cannot forget
to report a write: whatever the services changed is in it.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar, get_args

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from models import OutboxEntry

T = TypeVar("T")

Kind = Literal[
    "patients",
    "appointments",
    "encounters",
    "notes",
    "recordings",
    "prescriptions",
    "orders",
    "tasks",
    "alerts",
    "conflicts",
    "practice",
    "staff",
    "time_blocks",
    "messages",
    "documents",
]

#: table -> (the kind of record it belongs to, the attribute that holds that record's id): a note's
#: versions change the note, a prescription's items the prescription, a patient's conditions the patient
TABLES: dict[str, tuple[Kind, str]] = {
    "patients": ("patients", "id"),
    "conditions": ("patients", "patient_id"),
    "insurances": ("patients", "patient_id"),
    "care_team": ("patients", "patient_id"),
    "appointments": ("appointments", "id"),
    "encounters": ("encounters", "id"),
    "clinical_notes": ("notes", "id"),
    "note_versions": ("notes", "note_id"),
    "recordings": ("recordings", "id"),
    "prescriptions": ("prescriptions", "id"),
    "prescription_items": ("prescriptions", "prescription_id"),
    "orders": ("orders", "id"),
    "order_items": ("orders", "order_id"),
    "order_results": ("orders", "order_id"),
    "tasks": ("tasks", "id"),
    "alerts": ("alerts", "id"),
    "sync_conflicts": ("conflicts", "id"),
    "practices": ("practice", "id"),
    "users": ("staff", "id"),
    "time_blocks": ("time_blocks", "clinician_id"),
    "identity_checks": ("patients", "patient_id"),
    "messages": ("messages", "id"),
    "documents": ("documents", "id"),
}

NOTHING: frozenset[uuid.UUID] = frozenset()
#: ``session.info`` key: records a bulk insert wrote without ORM objects (an import of thousands of
#: patients), by kind, so the change set still names them (see :func:`note_bulk_write`)
BULK_WRITTEN = "clinicdesk.bulk_written"


def note_bulk_write(session: Session, kind: Kind, ids: Iterable[uuid.UUID]) -> None:
    """Records written by a bulk insert that the flush watch cannot see join the change set."""
    session.info.setdefault(BULK_WRITTEN, defaultdict(set))[kind].update(ids)


@dataclass(frozen=True)
class Changes:
    """What one operation wrote, by kind of record (ids), and how many changes it queued for sync.

    ``external`` says the records may have changed outside this window (a sync pulled some, or the
    user asked to reload): no id list can say which, so every page treats its records as changed."""

    patients: frozenset[uuid.UUID] = NOTHING
    appointments: frozenset[uuid.UUID] = NOTHING
    encounters: frozenset[uuid.UUID] = NOTHING
    notes: frozenset[uuid.UUID] = NOTHING
    recordings: frozenset[uuid.UUID] = NOTHING
    prescriptions: frozenset[uuid.UUID] = NOTHING
    orders: frozenset[uuid.UUID] = NOTHING
    tasks: frozenset[uuid.UUID] = NOTHING
    alerts: frozenset[uuid.UUID] = NOTHING
    conflicts: frozenset[uuid.UUID] = NOTHING
    practice: frozenset[uuid.UUID] = NOTHING
    staff: frozenset[uuid.UUID] = NOTHING
    #: the clinicians whose time blocks changed
    time_blocks: frozenset[uuid.UUID] = NOTHING
    messages: frozenset[uuid.UUID] = NOTHING
    documents: frozenset[uuid.UUID] = NOTHING
    #: outbox entries the operation queued: the count of changes waiting for sync moved
    outbox: int = 0
    external: bool = False

    @classmethod
    def from_elsewhere(cls) -> Changes:
        """Records arrived from outside the window (a sync's pull) or a reload was asked for."""
        return cls(external=True)

    def touches(self, *kinds: Kind) -> bool:
        """Whether any record of these kinds may have changed."""
        return self.external or any(getattr(self, kind) for kind in kinds)

    def touches_record(self, kind: Kind, record_id: uuid.UUID | None) -> bool:
        """Whether this one record may have changed."""
        ids: frozenset[uuid.UUID] = getattr(self, kind)
        return self.external or (record_id is not None and record_id in ids)

    @property
    def empty(self) -> bool:
        return not self.external and not self.outbox and not any(getattr(self, k) for k in KINDS)


KINDS: tuple[Kind, ...] = get_args(Kind)


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """An operation's result and what it changed."""

    value: T
    changes: Changes = field(default_factory=Changes)


def _outbox_top(session: Session) -> int:
    return int(session.execute(select(func.coalesce(func.max(OutboxEntry.seq), 0))).scalar_one())


class Transaction:
    """One operation's session, watched at each flush for the ids of the records it writes.

    The outbox entries are counted by the outbox's sequence number before and after (the outbox hook
    writes them with a bulk insert, not as ORM objects): that is the number the sync status shows."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._found: dict[Kind, set[uuid.UUID]] = defaultdict(set)
        self._outbox_before = _outbox_top(session)
        self._changes: Changes | None = None
        event.listen(session, "after_flush", self._after_flush)

    def _after_flush(self, session: Session, _context: Any) -> None:
        for obj in (*session.new, *session.dirty, *session.deleted):
            place = TABLES.get(getattr(obj, "__tablename__", ""))
            if place is None or (obj in session.dirty and not session.is_modified(obj)):
                continue
            record_id = getattr(obj, place[1], None)
            if isinstance(record_id, uuid.UUID):
                self._found[place[0]].add(record_id)

    def written(self, kind: Kind) -> frozenset[uuid.UUID]:
        """The records of ``kind`` written so far (flushes what is pending first)."""
        self.session.flush()
        return frozenset(self._found.get(kind, ()))

    def finish(self) -> Changes:
        """Flushes what is pending and returns the change set; called once, before the commit."""
        self.session.flush()
        event.remove(self.session, "after_flush", self._after_flush)
        found = self._found
        for kind, written in self.session.info.pop(BULK_WRITTEN, {}).items():
            found[kind].update(written)

        def ids(kind: Kind) -> frozenset[uuid.UUID]:
            return frozenset(found.get(kind, ()))

        self._changes = Changes(
            patients=ids("patients"),
            appointments=ids("appointments"),
            encounters=ids("encounters"),
            notes=ids("notes"),
            recordings=ids("recordings"),
            prescriptions=ids("prescriptions"),
            orders=ids("orders"),
            tasks=ids("tasks"),
            alerts=ids("alerts"),
            conflicts=ids("conflicts"),
            practice=ids("practice"),
            staff=ids("staff"),
            time_blocks=ids("time_blocks"),
            messages=ids("messages"),
            documents=ids("documents"),
            outbox=_outbox_top(self.session) - self._outbox_before,
        )
        return self._changes

    @property
    def changes(self) -> Changes:
        if self._changes is None:
            raise RuntimeError("the transaction has not finished: its changes are not known yet")
        return self._changes
