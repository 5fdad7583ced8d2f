"""One pushed batch inside its transaction: each change validated, authorised, decided and written.

Order per change: the entity and id; every value against its column (server/validation.py); every
reference to another record against the user's organisation; the policy (server/authorize.py),
which also names the values the server owns (author, signer, signed time...); then the conflict
decision and the write. A change refused at any step leaves nothing behind and does not stop the
batch. When the server's values differ from what the client sent, the answer carries the record as
stored so the workstation takes them over.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError

from server import authorize
from server.mongo import DocumentStore
from server.policy import POLICY, Principal, readable
from server.records import NOT_PULLED, EntityInfo, entity_info, row_to_wire, wire_to_columns
from server.services.audit import audit_row, write_audit
from server.services.booking import BookingCheck
from server.tables import applied_changes, change_log, document_versions, usernames
from server.validation import Invalid, missing_required, record_safe, validate, wire_safe
from sync.protocol import ChangeIn, ChangeResult, Operation, ResultStatus
from sync.protocol.conflict import NEVER_CONFLICTING, Decision, Outcome, ServerState, decide

Key = tuple[str, uuid.UUID]
#: PostgreSQL aborts one of two pushes that lock the same records in a different order (deadlock) or
#: that race on a serialisation check; the loser is simply run again.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})
USERNAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def retryable(exc: StatementError) -> bool:
    return isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) in RETRYABLE_SQLSTATES


class Batch:
    def __init__(
        self, conn: Connection, docs: DocumentStore, who: Principal, usn: int, *, savepoints: bool
    ) -> None:
        self.conn = conn
        self.savepoints = savepoints
        self.docs = docs
        self.who = who
        self.org = who.organization_id
        self.usn = usn
        self.now = datetime.now(UTC)
        self.device = str(who.device_id)
        self.rows: dict[Key, dict[str, Any]] = {}
        #: Records of the user's organisation a change may refer to (read, or written by this batch).
        self.visible: set[Key] = set()
        self.field_usns: dict[Key, dict[str, list[Any]]] = {}
        self.log: dict[Key, tuple[int, dict[str, list[Any]]]] = {}
        self.audit: list[dict[str, Any]] = []
        self.shown: list[Key] = []
        self.documents: list[dict[str, Any]] = []
        # Writes go out in runs, one executemany per run rather than a round trip per record (the
        # common case: a workstation's new or edited records). A run holds one kind of write (insert
        # or update), one entity and one set of columns; any other write flushes it first, so
        # foreign keys see their parents in outbox order. A record written in a run is read back
        # only if the batch needs it again (see _reload).
        self.run_key: tuple[str, str, frozenset[str]] | None = None
        self.run_rows: list[dict[str, Any]] = []
        self.unloaded: set[Key] = set()
        self.booking = BookingCheck(conn, self.now)

    def run(self, changes: Sequence[ChangeIn]) -> dict[uuid.UUID, ChangeResult]:
        """Apply ``changes``; :meth:`prefetch` must have read their records first."""
        results = {change.id: self.apply(change) for change in changes}
        self._latest_records(changes, results)
        self.finish(results)
        return results

    def _latest_records(self, changes: Sequence[ChangeIn], results: dict[uuid.UUID, ChangeResult]) -> None:
        """A record changed more than once in the batch (signed, then amended) is answered with the
        record as the batch leaves it: the workstation applies every answer's record, and an earlier
        one (with its older version) would otherwise undo the later change on its side."""
        by_record: dict[Key, list[uuid.UUID]] = defaultdict(list)
        for change in changes:
            by_record[(change.entity, change.record_id)].append(change.id)
        for key, ids in by_record.items():
            answered = [i for i in ids if results[i].server_record is not None]
            info = entity_info(key[0])
            if len(ids) < 2 or not answered or info is None:
                continue
            if key in self.unloaded:
                self._reload(info, key)
            record = self.rows.get(key)
            if record is None:
                continue
            latest = self._public(key[0], key[1], record)
            for i in answered:
                results[i] = results[i].model_copy(
                    update={"server_record": latest, "version": record.get("version")}
                )

    # --- reading what the batch needs ----------------------------------------------------------

    def prefetch(self, changes: Sequence[ChangeIn]) -> None:
        """Read (and lock) every record the batch touches, and the parents whose status gates a
        change (a prescription for its items, a note for its versions), with one query per entity.
        Always in the same order (entity name, then id), so two pushes touching the same records
        wait for each other rather than deadlock. NO KEY UPDATE: ids never change, and a concurrent
        insert of a child row (which takes KEY SHARE on its parent) need not wait. Then check which
        referenced records exist in the user's organisation."""
        locked: dict[str, set[uuid.UUID]] = defaultdict(set)
        referenced: dict[str, set[uuid.UUID]] = defaultdict(set)
        for change in changes:
            info = entity_info(change.entity)
            if info is None:
                continue
            locked[change.entity].add(change.record_id)
            gate = POLICY[change.entity].parent if change.entity in POLICY else None
            for attr, parent in info.parents.items():
                raw = change.payload.get(attr)
                try:
                    parent_id = uuid.UUID(raw) if isinstance(raw, str) else None
                except ValueError:
                    continue
                if parent_id is not None:
                    (locked if gate is not None and gate.field == attr else referenced)[parent].add(parent_id)
        for entity in sorted(locked):
            self._load(entity, sorted(locked[entity]))
        # A change of a gated record that does not name its parent still needs it (the stored
        # record names it): read those parents now, in a second pass.
        later: dict[str, set[uuid.UUID]] = defaultdict(set)
        for change in changes:
            gate = POLICY[change.entity].parent if change.entity in POLICY else None
            stored = self.rows.get((change.entity, change.record_id))
            if gate is not None and stored is not None and stored.get(gate.field):
                parent_id = uuid.UUID(str(stored[gate.field]))
                if (gate.entity, parent_id) not in self.rows:
                    later[gate.entity].add(parent_id)
        for entity in sorted(later):
            self._load(entity, sorted(later[entity]))
        for entity, ids in referenced.items():
            wanted = sorted(i for i in ids if (entity, i) not in self.visible)
            info = entity_info(entity)
            assert info is not None
            for start in range(0, len(wanted), 1000):
                found = self.conn.execute(
                    select(info.table.c.id).where(
                        info.table.c.id.in_(wanted[start : start + 1000]),
                        info.table.c.organization_id == self.org,
                    )
                ).scalars()
                self.visible.update((entity, rid) for rid in found)

    def _load(self, entity: str, ids: list[uuid.UUID]) -> None:
        info = entity_info(entity)
        assert info is not None
        table = info.table
        found: list[Any] = []
        rules = POLICY.get(entity)
        # Records nobody changes once made (the audit trail, note versions) need no lock, and the
        # service's role may not lock what it may not update.
        lock = rules is None or bool(rules.update.roles or rules.delete.roles)
        for start in range(0, len(ids), 1000):
            stmt = (
                select(table)
                .where(table.c.id.in_(ids[start : start + 1000]), table.c.organization_id == self.org)
                .order_by(table.c.id)
            )
            if lock:
                stmt = stmt.with_for_update(key_share=True)
            found.extend(self.conn.execute(stmt).mappings().all())
        for row in found:
            wire = row_to_wire(info, row)
            wire["version"] = row["version"]
            self.rows[(entity, row["id"])] = wire
            self.visible.add((entity, row["id"]))
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

    def parent(self, entity: str, record_id: uuid.UUID) -> Mapping[str, Any] | None:
        """For the policy: a parent record of the user's organisation, as it now stands."""
        key = (entity, record_id)
        info = entity_info(entity)
        if info is not None and key in self.unloaded:
            self._reload(info, key)
        return self.rows.get(key)

    def _reload(self, info: EntityInfo, key: Key) -> None:
        """A record written in a run is needed again: read it back as stored."""
        self.flush_run()
        row = self.conn.execute(select(info.table).where(info.table.c.id == key[1])).mappings().one()
        wire = row_to_wire(info, row)
        wire["version"] = row["version"]
        self.rows[key] = {**self.rows.get(key, {}), **wire}
        self.unloaded.discard(key)

    def _changed_by_others(self, key: Key, current: dict[str, Any], base: int | None) -> frozenset[str]:
        floor = base or 0
        usns = self.field_usns.get(key)
        if usns is None:  # a row that never went through a push (seeded): any newer version counts
            return frozenset(current) if (current.get("version") or 0) > floor else frozenset()
        return frozenset(f for f, (u, dev) in usns.items() if u > floor and dev != self.device)

    # --- one change ----------------------------------------------------------------------------

    def _reject(self, change: ChangeIn, reason: str, current: dict[str, Any] | None) -> ChangeResult:
        return ChangeResult(
            id=change.id,
            entity=change.entity,
            record_id=change.record_id,
            status=ResultStatus.REJECTED,
            version=current.get("version") if current else None,
            fields=sorted(wire_safe(name[:64]) for name in change.payload)[:200],
            reason=reason,
            server_record=self._public(change.entity, change.record_id, current),
        )

    def _public(
        self, entity: str, record_id: uuid.UUID, record: dict[str, Any] | None
    ) -> dict[str, Any] | None:
        """The record as this user may read it, for an answer (None if they may not)."""
        if record is None:
            return None
        shown = readable(self.who, entity, {k: v for k, v in record.items() if k != "version"})
        if shown is None:
            return None
        self.shown.append((entity, record_id))
        return record_safe(entity, record_id, shown)

    def apply(self, change: ChangeIn) -> ChangeResult:
        info = entity_info(change.entity)
        key = (change.entity, change.record_id)
        if info is not None and key in self.unloaded:
            self._reload(info, key)
        current = self.rows.get(key)
        if info is None or change.entity not in POLICY:
            return self._reject(change, f"unknown entity {change.entity!r}", None)
        if change.payload.get("id", str(change.record_id)) != str(change.record_id):
            return self._reject(change, "payload id does not match record_id", current)
        try:
            payload = validate(info, {k: v for k, v in change.payload.items() if k != "id"})
        except Invalid as exc:
            return self._reject(change, str(exc), current)
        if change.operation is Operation.DELETE and payload.get("deleted_at") is None:
            payload["deleted_at"] = self.now.isoformat()
        reason = self._references(info, payload) or self._username(change.entity, payload)
        if reason is not None:
            return self._reject(change, reason, current)
        verdict = authorize.check(
            self.who,
            entity=change.entity,
            operation=change.operation,
            payload=payload,
            current=current,
            parents=self,
            now=self.now,
        )
        if verdict.reason is not None:
            return self._reject(change, verdict.reason, current)
        overridden = any(payload.get(k) != v for k, v in verdict.server_values.items())
        payload.update(verdict.server_values)
        if current is None:
            missing = missing_required(info, payload)
            if missing:
                what = authorize.label(change.entity)
                return self._reject(change, f"a new {what} needs {', '.join(missing)}", None)
        if change.entity == "appointments":
            self.flush_run()  # the slots this batch booked already are seen by the check
            broken = self.booking.check(change.record_id, payload, current)
            if broken is not None:
                return self._reject(change, broken, current)
        state = None
        if current is not None:
            state = ServerState(
                deleted=current.get("deleted_at") is not None,
                values=current,
                changed_since_base=self._changed_by_others(key, current, change.base_version),
            )
        decision = decide(entity=change.entity, operation=change.operation, payload=payload, server=state)
        effective = {k for k in decision.apply if k not in NEVER_CONFLICTING}
        if current is not None:  # what the record already says is no change (and bumps no version)
            effective = {k for k in effective if current.get(k) != decision.apply[k]}
        if effective:
            failure = self._write(info, change, decision, current)
            if failure is not None:
                return self._reject(change, failure, current)
        answer_with_record = decision.outcome is not Outcome.APPLY or overridden
        if answer_with_record and key in self.unloaded:
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
            server_record=self._public(change.entity, change.record_id, record)
            if answer_with_record
            else None,
        )

    def _references(self, info: EntityInfo, payload: Mapping[str, Any]) -> str | None:
        """Every record the change refers to must exist in the user's organisation. (PostgreSQL's
        foreign keys do not see row-level security: this is the check that keeps a reference from
        reaching into another organisation.)"""
        for attr, parent in info.parents.items():
            raw = payload.get(attr)
            if raw is not None and (parent, uuid.UUID(raw)) not in self.visible:
                return f"{attr} refers to a record of {parent} that this practice does not have"
        return None

    @staticmethod
    def _username(entity: str, payload: Mapping[str, Any]) -> str | None:
        name = payload.get("username")
        if entity == "users" and name is not None and not USERNAME.match(name):
            return "username may hold only letters, digits, '.', '_' and '-'"
        return None

    # --- writing -------------------------------------------------------------------------------

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

    def _write(
        self, info: EntityInfo, change: ChangeIn, decision: Decision, current: dict[str, Any] | None
    ) -> str | None:
        usn = self.usn + 1
        key = (change.entity, change.record_id)
        columns = wire_to_columns(info, {k: v for k, v in decision.apply.items() if k not in info.doc_fields})
        columns["version"] = usn
        if current is None:
            columns["id"] = change.record_id
            columns["organization_id"] = self.org
        table = info.table
        if not info.doc_fields and change.entity != "users" and not self.savepoints:
            # Queued for a run. If a statement of the run fails, the whole optimistic pass rolls
            # back and is redone record by record with savepoints (see push()).
            if current is None:
                self._queue("insert", change.entity, columns)
            else:
                self._queue("update", change.entity, {**columns, "b_id": change.record_id})
            self.unloaded.add(key)
            self.visible.add(key)
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
            stmt = insert(table).values(**columns)
        else:
            stmt = update(table).where(table.c.id == change.record_id).values(**columns)
        self.flush_run()
        try:
            with self.conn.begin_nested() if self.savepoints else nullcontext():
                stored = self.conn.execute(stmt.returning(*table.c)).mappings().one()
                if change.entity == "users" and "username" in decision.apply:
                    self._claim_username(change.record_id, str(decision.apply["username"]))
        except IntegrityError as exc:
            if not self.savepoints:
                raise
            constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
            if constraint == "pk_usernames":
                return "that username is taken (usernames are compared without regard to case)"
            if constraint:
                return f"violates constraint {constraint}"
            return f"missing or invalid required field of {change.entity}"
        except StatementError as exc:
            if not self.savepoints or retryable(exc):
                raise  # a deadlock says nothing about the record: the whole push runs again
            return f"invalid value for a field of {change.entity}"
        self.usn = usn
        old = current or {}
        record = row_to_wire(info, stored)
        for name in info.doc_fields:
            record[name] = decision.apply[name] if name in decision.apply else old.get(name, record.get(name))
        record["version"] = usn
        self.rows[key] = record
        self.visible.add(key)
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

    def _claim_username(self, user_id: uuid.UUID, username: str) -> None:
        self.conn.execute(delete(usernames).where(usernames.c.user_id == user_id))
        self.conn.execute(insert(usernames).values(username_key=username.lower(), user_id=user_id))

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
                organization_id=self.org,
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
                    {"entity": e, "record_id": rid, "usn": usn, "field_usns": fu, "organization_id": self.org}
                    for (e, rid), (usn, fu) in self.log.items()
                ],
            )
        if self.shown:
            self.audit.append(
                audit_row(
                    user_id=self.who.user_id,
                    organization_id=self.org,
                    action="read",
                    resource_type="sync_push",
                    new_values={"records": [f"{e}:{rid}" for e, rid in self.shown]},
                    device_id=self.who.device_id,
                )
            )
        write_audit(self.conn, self.audit)
        if self.documents:
            self.conn.execute(insert(document_versions), self.documents)
        self.conn.execute(
            insert(applied_changes),
            [
                {
                    "outbox_id": oid,
                    "device_id": self.who.device_id,
                    "user_id": self.who.user_id,
                    "result": result.model_dump(mode="json"),
                    "applied_at": self.now,
                }
                for oid, result in results.items()
            ],
        )
