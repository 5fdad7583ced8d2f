"""Applying a pushed batch: one PostgreSQL transaction, one answer per change.

Pushes from different workstations run side by side. What used to need one lock around every push
is now split up: each device's pushes are serialised by an advisory lock (so a retry racing its own
first attempt waits and then finds the answers already given: the idempotency check cannot race),
the records a push changes are locked row by row, and USNs come from a block reserved in a short
transaction of its own, with pull reading only below the horizon of blocks still in flight
(services/horizon.py). Two service instances behind a load balancer need nothing beyond the database.
Each change is written inside a savepoint only when the optimistic pass hits a bad record, so one bad
record is rejected without failing the batch (services/batch.py).

The answers already given are kept per user: a replayed outbox id gets its first answer only when
the same user sends it again; another user's replay of it is refused and learns nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import DBAPIError, StatementError

from server.db import scope
from server.mongo import DocumentStore
from server.policy import Principal
from server.services import horizon
from server.services.batch import RETRYABLE_SQLSTATES, Batch, retryable
from server.tables import applied_changes, usn_counter
from sync.protocol import ChangeIn, ChangeResult, PushResponse, ResultStatus

ATTEMPTS = 4
FOREIGN_ID = "this change id was already used by another account; the change was not applied"


class NotAll(Exception):
    """An all-or-nothing push had a change refused: nothing was applied (the answers say why)."""

    def __init__(self, results: list[ChangeResult]) -> None:
        super().__init__("a change was refused")
        self.results = results


def push(
    engine: Engine,
    docs: DocumentStore,
    who: Principal,
    changes: Sequence[ChangeIn],
    *,
    all_or_nothing: bool = False,
) -> PushResponse:
    """Apply ``changes``; each is answered on its own. With ``all_or_nothing`` (the dedicated
    endpoints: signing makes the note's version too) a refused change undoes the others and
    raises :class:`NotAll`."""
    for attempt in range(ATTEMPTS):
        try:
            return _push_once(engine, docs, who, changes, all_or_nothing=all_or_nothing)
        except DBAPIError as exc:
            code = getattr(exc.orig, "sqlstate", None)
            if code not in RETRYABLE_SQLSTATES or attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _refuse_foreign(change: ChangeIn) -> ChangeResult:
    return ChangeResult(
        id=change.id,
        entity=change.entity,
        record_id=change.record_id,
        status=ResultStatus.REJECTED,
        reason=FOREIGN_ID,
    )


def _push_once(
    engine: Engine,
    docs: DocumentStore,
    who: Principal,
    changes: Sequence[ChangeIn],
    *,
    all_or_nothing: bool,
) -> PushResponse:
    first: int | None = None
    try:
        with engine.begin() as conn:
            scope(conn, who.organization_id)
            xid = horizon.lock_device(conn, who.device_id)
            prior: dict[uuid.UUID, dict[str, Any]] = {}
            foreign: set[uuid.UUID] = set()
            ids = list({c.id for c in changes})
            for start in range(0, len(ids), 1000):
                for outbox_id, user_id, result in conn.execute(
                    select(
                        applied_changes.c.outbox_id, applied_changes.c.user_id, applied_changes.c.result
                    ).where(applied_changes.c.outbox_id.in_(ids[start : start + 1000]))
                ):
                    if user_id == who.user_id:
                        prior[outbox_id] = result
                    else:
                        foreign.add(outbox_id)
            todo: list[ChangeIn] = []
            seen: set[uuid.UUID] = set()
            for change in changes:
                if change.id not in prior and change.id not in foreign and change.id not in seen:
                    seen.add(change.id)
                    todo.append(change)
            fresh: dict[uuid.UUID, ChangeResult] = {}
            if todo:
                batch = Batch(conn, docs, who, 0, savepoints=False)
                batch.prefetch(todo)  # locks the records first: see horizon.py
                first = horizon.reserve(engine, xid=xid, count=len(todo))
                batch.usn = first - 1
                try:
                    # Optimistic pass: one savepoint for the batch, writes in runs.
                    with conn.begin_nested():
                        fresh = batch.run(todo)
                except StatementError as exc:
                    if retryable(exc):
                        raise
                    # Some record broke a constraint: redo with a savepoint per change, so only that
                    # record is rejected. Same USNs, same document keys: nothing from the first pass
                    # survives or shows.
                    batch = Batch(conn, docs, who, first - 1, savepoints=True)
                    batch.prefetch(todo)
                    fresh = batch.run(todo)
                if all_or_nothing and any(r.status is not ResultStatus.APPLIED for r in fresh.values()):
                    raise NotAll([fresh[c.id] for c in changes])  # rolls the transaction back
                horizon.release(conn, first)
                server_usn = batch.usn
            else:
                server_usn = conn.execute(
                    select(func.coalesce(func.max(usn_counter.c.value), 0))
                ).scalar_one()
    except BaseException:
        if first is not None:
            horizon.forget(engine, first)
        raise
    results = [
        fresh[c.id]
        if c.id in fresh
        else _refuse_foreign(c)
        if c.id in foreign
        else ChangeResult.model_validate(prior[c.id])
        for c in changes
    ]
    return PushResponse(results=results, server_usn=server_usn)
