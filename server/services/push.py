"""Applying a pushed batch: one PostgreSQL transaction, one answer per change.

Pushes from different workstations run side by side. What used to need one lock around every push
is now split up: each device's pushes are serialised by an advisory lock (so a retry racing its own
first attempt waits and then finds the answers already given: the idempotency check cannot race),
the records a push changes are locked row by row, and USNs come from a block reserved in a short
transaction of its own, with pull reading only below the horizon of blocks still in flight
(services/horizon.py). Two service instances behind a load balancer need nothing beyond the database.
Each change is written inside a savepoint only when the optimistic pass hits a bad record, so one bad
record is rejected without failing the batch.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError

from server.mongo import DocumentStore
from server.permissions import Principal, check_change, redact
from server.records import NOT_PULLED, EntityInfo, entity_info, row_to_wire, wire_to_columns
from server.services import horizon
from server.services.audit import audit_row, write_audit
from server.tables import applied_changes, change_log, document_versions, usn_counter
from sync.protocol import ChangeIn, ChangeResult, Operation, PushResponse, ResultStatus
from sync.protocol.conflict import NEVER_CONFLICTING, Decision, Outcome, ServerState, decide

Key = tuple[str, uuid.UUID]
#: PostgreSQL aborts one of two pushes that lock the same records in a different order (deadlock) or
#: that race on a serialisation check; the loser is simply run again.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})
ATTEMPTS = 4


def push(engine: Engine, docs: DocumentStore, who: Principal, changes: Sequence[ChangeIn]) -> PushResponse:
    for attempt in range(ATTEMPTS):
        try:
            return _push_once(engine, docs, who, changes)
        except DBAPIError as exc:
            code = getattr(exc.orig, "sqlstate", None)
            if code not in RETRYABLE_SQLSTATES or attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _push_once(
    engine: Engine, docs: DocumentStore, who: Principal, changes: Sequence[ChangeIn]
) -> PushResponse:
    first: int | None = None
    try:
        with engine.begin() as conn:
            xid = horizon.lock_device(conn, who.device_id)
            prior: dict[uuid.UUID, dict[str, Any]] = {}
            ids = list({c.id for c in changes})
            for start in range(0, len(ids), 1000):
                for outbox_id, result in conn.execute(
                    select(applied_changes.c.outbox_id, applied_changes.c.result).where(
                        applied_changes.c.outbox_id.in_(ids[start : start + 1000])
                    )
                ):
                    prior[outbox_id] = result
            todo: list[ChangeIn] = []
            seen: set[uuid.UUID] = set()
            for change in changes:
                if change.id not in prior and change.id not in seen:
                    seen.add(change.id)
                    todo.append(change)
            fresh: dict[uuid.UUID, ChangeResult] = {}
            if todo:
                batch = _Batch(conn, docs, who, 0, savepoints=False)
                batch.prefetch(todo)  # locks the records first: see horizon.py
                first = horizon.reserve(engine, xid=xid, count=len(todo))
                batch.usn = first - 1
                try:
                    # Optimistic pass: one savepoint for the batch, writes in runs.
                    with conn.begin_nested():
                        fresh = batch.run(todo)
                except StatementError as exc:
                    if _retryable(exc):
                        raise
                    # Some record broke a constraint: redo with a savepoint per change, so only that
                    # record is rejected. Same USNs, same document keys: nothing from the first pass
                    # survives or shows.
                    batch = _Batch(conn, docs, who, first - 1, savepoints=True)
                    batch.prefetch(todo)
                    fresh = batch.run(todo)
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
    results = [fresh[c.id] if c.id in fresh else ChangeResult.model_validate(prior[c.id]) for c in changes]
    return PushResponse(results=results, server_usn=server_usn)


def _retryable(exc: StatementError) -> bool:
    return isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) in RETRYABLE_SQLSTATES


class _Batch:
    def __init__(
        self, conn: Connection, docs: DocumentStore, who: Principal, usn: int, *, savepoints: bool
    ) -> None:
        self.conn = conn
        self.savepoints = savepoints
        self.docs = docs
        self.who = who
        self.usn = usn
        self.device = str(who.device_id)
        self.rows: dict[Key, dict[str, Any]] = {}
        self.field_usns: dict[Key, dict[str, list[Any]]] = {}
        self.log: dict[Key, tuple[int, dict[str, list[Any]]]] = {}
        self.audit: list[dict[str, Any]] = []
        self.documents: list[dict[str, Any]] = []
        # Writes go out in runs, one executemany per run rather than a round trip per record (the
        # common case: a workstation's new or edited records). A run holds one kind of write (insert
        # or update), one entity and one set of columns; any other write flushes it first, so
        # foreign keys see their parents in outbox order. A record written in a run is read back
        # only if the batch needs it again (see _reload).
        self.run_key: tuple[str, str, frozenset[str]] | None = None
        self.run_rows: list[dict[str, Any]] = []
        self.unloaded: set[Key] = set()

    def run(self, changes: Sequence[ChangeIn]) -> dict[uuid.UUID, ChangeResult]:
        """Apply ``changes``; :meth:`prefetch` must have read their records first."""
        results = {change.id: self.apply(change) for change in changes}
        self.finish(results)
        return results

    def prefetch(self, changes: Sequence[ChangeIn]) -> None:
        """Read (and lock) every record the batch touches with one query per entity. Always in the
        same order (entity name, then id), so two pushes touching the same records wait for each
        other rather than deadlock. NO KEY UPDATE: ids never change, and a concurrent insert of a
        child row (which takes KEY SHARE on its parent) need not wait."""
        by_entity: dict[str, set[uuid.UUID]] = defaultdict(set)
        for change in changes:
            if entity_info(change.entity) is not None:
                by_entity[change.entity].add(change.record_id)
        for entity in sorted(by_entity):
            ids = sorted(by_entity[entity])
            info = entity_info(entity)
            assert info is not None
            table = info.table
            found: list[Any] = []
            for start in range(0, len(ids), 1000):
                found.extend(
                    self.conn.execute(
                        select(table)
                        .where(table.c.id.in_(ids[start : start + 1000]))
                        .order_by(table.c.id)
                        .with_for_update(key_share=True)
                    )
                    .mappings()
                    .all()
                )
            for row in found:
                wire = row_to_wire(info, row)
                wire["version"] = row["version"]
                self.rows[(entity, row["id"])] = wire
            if info.doc_fields:
                texts = self.docs.current(entity, [(r["id"], r["version"]) for r in found if r["version"]])
                for rid, fields in texts.items():
                    self.rows[(entity, rid)].update({k: v for k, v in fields.items() if k in info.doc_fields})
            for rid, fu in self.conn.execute(
                select(change_log.c.record_id, change_log.c.field_usns).where(
                    change_log.c.entity == entity, change_log.c.record_id.in_(ids)
                )
            ):
                self.field_usns[(entity, rid)] = dict(fu)

    def _changed_by_others(self, key: Key, current: dict[str, Any], base: int | None) -> frozenset[str]:
        floor = base or 0
        usns = self.field_usns.get(key)
        if usns is None:  # a row that never went through a push (seeded): any newer version counts
            return frozenset(current) if (current.get("version") or 0) > floor else frozenset()
        return frozenset(f for f, (u, dev) in usns.items() if u > floor and dev != self.device)

    def _reject(self, change: ChangeIn, reason: str, current: dict[str, Any] | None) -> ChangeResult:
        return ChangeResult(
            id=change.id,
            entity=change.entity,
            record_id=change.record_id,
            status=ResultStatus.REJECTED,
            version=current.get("version") if current else None,
            fields=sorted(change.payload),
            reason=reason,
            server_record=self._public(change.entity, current),
        )

    def _public(self, entity: str, record: dict[str, Any] | None) -> dict[str, Any] | None:
        if record is None:
            return None
        return redact(self.who, entity, {k: v for k, v in record.items() if k != "version"})

    def flush_run(self) -> None:
        if self.run_rows and self.run_key is not None:
            kind, entity, _ = self.run_key
            info = entity_info(entity)
            assert info is not None
            table = info.table
            if kind == "insert":
                self.conn.execute(insert(table), self.run_rows)
            else:
                # The SET clause comes from the parameter names (every column but the key).
                self.conn.execute(update(table).where(table.c.id == bindparam("b_id")), self.run_rows)
        self.run_rows = []
        self.run_key = None

    def _queue(self, kind: str, entity: str, columns: dict[str, Any]) -> None:
        run_key = (kind, entity, frozenset(columns))
        if self.run_key != run_key:
            self.flush_run()
            self.run_key = run_key
        self.run_rows.append(columns)

    def _reload(self, info: EntityInfo, key: Key) -> None:
        """A record written in a run is needed again: read it back as stored."""
        self.flush_run()
        row = self.conn.execute(select(info.table).where(info.table.c.id == key[1])).mappings().one()
        wire = row_to_wire(info, row)
        wire["version"] = row["version"]
        self.rows[key] = wire
        self.unloaded.discard(key)

    def apply(self, change: ChangeIn) -> ChangeResult:
        info = entity_info(change.entity)
        key = (change.entity, change.record_id)
        if info is not None and key in self.unloaded:
            self._reload(info, key)
        current = self.rows.get(key)
        if info is None:
            return self._reject(change, f"unknown entity {change.entity!r}", None)
        payload = dict(change.payload)
        if payload.get("id", str(change.record_id)) != str(change.record_id):
            return self._reject(change, "payload id does not match record_id", current)
        payload.pop("id", None)
        if change.operation is Operation.DELETE and payload.get("deleted_at") is None:
            payload["deleted_at"] = datetime.now(UTC).isoformat()
        try:
            wire_to_columns(info, payload)
        except ValueError as exc:
            return self._reject(change, str(exc), current)
        reason = check_change(
            self.who, entity=change.entity, operation=change.operation, payload=payload, current=current
        )
        if reason is not None:
            return self._reject(change, reason, current)
        state = None
        if current is not None:
            state = ServerState(
                deleted=current.get("deleted_at") is not None,
                values=current,
                changed_since_base=self._changed_by_others(key, current, change.base_version),
            )
        decision = decide(entity=change.entity, operation=change.operation, payload=payload, server=state)
        if set(decision.apply) - NEVER_CONFLICTING:
            failure = self._write(info, change, decision, current)
            if failure is not None:
                return self._reject(change, failure, current)
        if decision.outcome is not Outcome.APPLY and key in self.unloaded:
            self._reload(info, key)  # the answer carries the record as now stored
        record = self.rows.get(key)
        if decision.outcome is Outcome.KEEP_BOTH and record is not None:
            self.docs.put_conflict(
                entity=change.entity,
                record_id=change.record_id,
                outbox_id=change.id,
                server_version=int(record.get("version") or 0),
                fields={k: payload[k] for k in decision.lost},
                device_id=self.who.device_id,
                user_id=self.who.user_id,
            )
        return ChangeResult(
            id=change.id,
            entity=change.entity,
            record_id=change.record_id,
            status=ResultStatus.CONFLICT if decision.is_conflict else ResultStatus.APPLIED,
            version=record.get("version") if record else None,
            merged=decision.outcome is not Outcome.APPLY,
            fields=list(decision.lost),
            server_record=self._public(change.entity, record)
            if decision.outcome is not Outcome.APPLY
            else None,
        )

    def _write(
        self, info: EntityInfo, change: ChangeIn, decision: Decision, current: dict[str, Any] | None
    ) -> str | None:
        usn = self.usn + 1
        key = (change.entity, change.record_id)
        columns = wire_to_columns(info, {k: v for k, v in decision.apply.items() if k not in info.doc_fields})
        columns["version"] = usn
        table = info.table
        if not info.doc_fields and not self.savepoints:
            # Queued for a run. If a statement of the run fails, the whole optimistic pass rolls
            # back and is redone record by record with savepoints (see push()).
            if current is None:
                columns["id"] = change.record_id
                self._queue("insert", change.entity, columns)
            else:
                self._queue("update", change.entity, {**columns, "b_id": change.record_id})
            self.unloaded.add(key)
            self.usn = usn
            self.rows[key] = {"version": usn}
            usns = self.field_usns.setdefault(key, {})
            for name in info.columns if current is None else decision.apply:
                if name != "version":
                    usns[name] = [usn, self.device]
            self._log_and_audit(change, decision, current, usn, usns)
            return None
        stmt: Any
        if current is None:
            columns["id"] = change.record_id
            stmt = insert(table).values(**columns)
        else:
            stmt = update(table).where(table.c.id == change.record_id).values(**columns)
        self.flush_run()
        if not self.savepoints:
            stored = self.conn.execute(stmt.returning(*table.c)).mappings().one()
        else:
            try:
                with self.conn.begin_nested():
                    stored = self.conn.execute(stmt.returning(*table.c)).mappings().one()
            except IntegrityError as exc:
                constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
                if constraint:
                    return f"violates constraint {constraint}"
                return f"missing or invalid required field of {change.entity}"
            except StatementError as exc:
                if _retryable(exc):
                    raise  # a deadlock says nothing about the record: the whole push runs again
                return f"invalid value for a field of {change.entity}"
        self.usn = usn
        old = current or {}
        record = row_to_wire(info, stored)
        for name in info.doc_fields:
            record[name] = decision.apply[name] if name in decision.apply else old.get(name, record.get(name))
        record["version"] = usn
        self.rows[key] = record
        usns = self.field_usns.setdefault(key, {})
        for name in decision.apply if current is not None else record:
            if name != "version":
                usns[name] = [usn, self.device]
        if info.doc_fields:
            self.docs.put_version(
                entity=change.entity,
                record_id=change.record_id,
                version=usn,
                fields={f: record.get(f) for f in info.doc_fields},
                device_id=self.who.device_id,
                user_id=self.who.user_id,
            )
            self.documents.append({"entity": change.entity, "record_id": change.record_id, "usn": usn})
        self._log_and_audit(change, decision, current, usn, usns)
        return None

    def _log_and_audit(
        self,
        change: ChangeIn,
        decision: Decision,
        current: dict[str, Any] | None,
        usn: int,
        usns: dict[str, list[Any]],
    ) -> None:
        if change.entity not in NOT_PULLED:
            self.log[(change.entity, change.record_id)] = (usn, dict(usns))
        old = current or {}
        changed = sorted(k for k in decision.apply if k not in NEVER_CONFLICTING)
        action = (
            "create" if current is None else ("delete" if change.operation is Operation.DELETE else "update")
        )
        self.audit.append(
            audit_row(
                user_id=self.who.user_id,
                action=action,
                resource_type=change.entity,
                resource_id=change.record_id,
                old_values={k: old.get(k) for k in changed} if current is not None else None,
                new_values={k: decision.apply[k] for k in changed},
                device_id=self.who.device_id,
            )
        )

    def finish(self, results: dict[uuid.UUID, ChangeResult]) -> None:
        self.flush_run()
        if self.log:
            stmt = pg_insert(change_log)
            stmt = stmt.on_conflict_do_update(
                index_elements=[change_log.c.entity, change_log.c.record_id],
                set_={"usn": stmt.excluded.usn, "field_usns": stmt.excluded.field_usns},
            )
            self.conn.execute(
                stmt,
                [
                    {"entity": e, "record_id": rid, "usn": usn, "field_usns": fu}
                    for (e, rid), (usn, fu) in self.log.items()
                ],
            )
        write_audit(self.conn, self.audit)
        if self.documents:
            self.conn.execute(insert(document_versions), self.documents)
        now = datetime.now(UTC)
        self.conn.execute(
            insert(applied_changes),
            [
                {
                    "outbox_id": oid,
                    "device_id": self.who.device_id,
                    "user_id": self.who.user_id,
                    "result": result.model_dump(mode="json"),
                    "applied_at": now,
                }
                for oid, result in results.items()
            ],
        )
