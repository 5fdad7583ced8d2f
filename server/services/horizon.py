"""Update sequence numbers without one lock around every push: the "visible horizon".

A pull cursor is a USN: a client asks for everything above the last USN it saw. That is only safe if
no change with a lower USN can commit later. Serialising every push behind one lock for its whole
transaction guarantees it, but makes concurrent workstations queue. Instead:

* a push first locks the rows it will change, then reserves a block of USNs in a short transaction
  of its own (the counter row is locked only for that), registering the block together with its
  own transaction id in ``push_inflight``;
* it writes with those USNs and deletes its ``push_inflight`` row in its own transaction, so the row
  disappears exactly when the push's changes become visible, and not before;
* a pull reads only below the *horizon*: the lowest block whose transaction its snapshot does not yet
  see as finished. Everything below the horizon has committed (or aborted) before the snapshot, so
  the cursor can never move past a change that commits later.

Rows of pushes that aborted (a crash, a bug) stay behind with a finished transaction id: they hold
nothing back and are cleared by the next reservation. Blocks can have gaps (a change that needs no
write uses no USN); cursors only need order, not density.

Locking the rows before reserving keeps each record's versions increasing: two pushes changing the
same record are ordered by the row lock, and the later one reserves its block later.
"""

from __future__ import annotations

import threading
import uuid
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, create_engine, delete, text

from server.tables import push_inflight

_reservers: WeakKeyDictionary[Engine, Engine] = WeakKeyDictionary()
_lock = threading.Lock()

#: Transaction ids are xid8 (64 bits, never wrap); bigint holds them.
_XID = text("SELECT pg_current_xact_id()::text::bigint")
#: One statement, run in autocommit: reserve the block, register it, and clear rows whose transaction
#: has finished as this snapshot sees it (those belong to pushes that aborted: a committed push
#: deletes its own row).
_RESERVE = text(
    "WITH block AS (UPDATE usn_counter SET value = value + :n WHERE id = 1 RETURNING value),"
    " cleared AS (DELETE FROM push_inflight"
    "  WHERE pg_visible_in_snapshot(xid::text::xid8, pg_current_snapshot()))"
    " INSERT INTO push_inflight (first_usn, xid) SELECT value - :n + 1, :xid FROM block"
    " RETURNING first_usn"
)
_DEVICE_LOCK_CLASS = 7_401_553  # first key of the per-device advisory lock; any constant
_LOCK_DEVICE = text("SELECT pg_advisory_xact_lock(:k, hashtext(:d)), pg_current_xact_id()::text::bigint")
_HORIZON = text(
    "SELECT min(first_usn) FROM push_inflight"
    " WHERE NOT pg_visible_in_snapshot(xid::text::xid8, pg_current_snapshot())"
)


def _reserver(engine: Engine) -> Engine:
    """A small pool of its own: a push holds its main connection while it reserves, so taking the
    reservation from the same pool could starve when every pooled connection is a waiting push."""
    with _lock:
        found = _reservers.get(engine)
        if found is None:
            found = create_engine(
                engine.url,
                hide_parameters=True,
                pool_size=4,
                max_overflow=16,
                pool_pre_ping=True,
                isolation_level="AUTOCOMMIT",
            )
            _reservers[engine] = found
        return found


def transaction_id(conn: Connection) -> int:
    return int(conn.execute(_XID).scalar_one())


def lock_device(conn: Connection, device_id: uuid.UUID) -> int:
    """Serialise one device's pushes (a retry racing its own first attempt waits, then finds the
    answers already given); returns the transaction id, in the same round trip."""
    row = conn.execute(_LOCK_DEVICE, {"k": _DEVICE_LOCK_CLASS, "d": str(device_id)}).one()
    return int(row[1])


def reserve(engine: Engine, *, xid: int, count: int) -> int:
    """Reserve ``count`` USNs for the transaction ``xid``; returns the first. Committed at once."""
    with _reserver(engine).connect() as conn:
        return int(conn.execute(_RESERVE, {"n": count, "xid": xid}).scalar_one())


def release(conn: Connection, first: int) -> None:
    """Called inside the push's transaction, just before it commits."""
    conn.execute(delete(push_inflight).where(push_inflight.c.first_usn == first))


def forget(engine: Engine, first: int) -> None:
    """Best-effort cleanup after a push rolled back (its row would be ignored anyway)."""
    try:
        with _reserver(engine).connect() as conn:
            release(conn, first)
    except Exception:  # the row is harmless; never mask the push's own error
        pass


def horizon(conn: Connection) -> int | None:
    """The lowest USN that may still commit after this snapshot (None: nothing in flight). Call it
    inside the same REPEATABLE READ transaction that then reads the change log."""
    value = conn.execute(_HORIZON).scalar()
    return None if value is None else int(value)


def dispose(engine: Engine) -> None:
    with _lock:
        found = _reservers.pop(engine, None)
    if found is not None:
        found.dispose()
