"""Applying server records to the workstation store, and what that needs to know about it.

Everything here runs inside a session with ``REMOTE_APPLY`` set, so applying never queues outbox
entries. A record never overwrites a field that has a local change still waiting to be pushed: the
server decides about that change when it arrives, and its answer comes back as a record too.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, text
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.orm.attributes import flag_modified

from models import OutboxEntry, SyncState
from models.enums import OutboxStatus
from models.local import REMOTE_APPLY
from models.registry import NOT_IN_PAYLOAD, SYNCED_MODELS, dict_to_values

if TYPE_CHECKING:  # the pydantic models load with the first sync, not with the window
    from sync.protocol import RecordOut, RecordRef

Key = tuple[str, uuid.UUID]


@cache
def _columns(entity: str) -> frozenset[str]:
    model = SYNCED_MODELS[entity]
    return frozenset(a.key for a in model.__mapper__.column_attrs if a.key not in NOT_IN_PAYLOAD)


@cache
def parents_of(entity: str) -> tuple[tuple[str, str], ...]:
    """(attribute, parent entity) for each foreign key to another synced table."""
    model = SYNCED_MODELS[entity]
    out = []
    for attr in model.__mapper__.column_attrs:
        for fk in attr.columns[0].foreign_keys:
            if fk.column.table.name in SYNCED_MODELS:
                out.append((attr.key, fk.column.table.name))
    return tuple(out)


def begin_remote(session: Session) -> None:
    session.info[REMOTE_APPLY] = True
    # A page may name a parent that arrives later in the same page; check references at commit.
    session.execute(text("PRAGMA defer_foreign_keys = ON"))


def get_state(session: Session, key: str) -> str | None:
    row = session.get(SyncState, key)
    return row.value if row is not None else None


def set_state(session: Session, key: str, value: str | None) -> None:
    row = session.get(SyncState, key)
    if value is None:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(SyncState(key=key, value=value))
    else:
        row.value = value


def pending_fields(session: Session, keys: Iterable[Key] | None = None) -> dict[Key, set[str]]:
    """Fields with a local change still waiting to be pushed, for ``keys`` (every record if None).

    Asking for the keys at hand matters: with thousands of changes waiting, decoding every pending
    payload for each batch made a large push quadratic."""
    out: dict[Key, set[str]] = defaultdict(set)
    base = select(OutboxEntry.entity, OutboxEntry.record_id, OutboxEntry.payload).where(
        OutboxEntry.status == OutboxStatus.PENDING
    )
    if keys is None:
        for entity, record_id, payload in session.execute(base):
            out[(entity, record_id)].update(payload or {})
        return out
    wanted = set(keys)
    ids = sorted({record_id for _, record_id in wanted})
    for start in range(0, len(ids), 500):
        for entity, record_id, payload in session.execute(
            base.where(OutboxEntry.record_id.in_(ids[start : start + 500]))
        ):
            if (entity, record_id) in wanted:
                out[(entity, record_id)].update(payload or {})
    return out


def missing_parents(session: Session, records: Iterable[RecordOut]) -> list[RecordRef]:
    """References in ``records`` to rows this store does not have (and the records do not bring)."""
    have: set[Key] = set()
    wanted: dict[str, set[uuid.UUID]] = defaultdict(set)
    for record in records:
        have.add((record.entity, record.record_id))
        if record.entity not in SYNCED_MODELS:
            continue
        for attr, parent in parents_of(record.entity):
            raw = record.values.get(attr)
            if raw:
                try:
                    wanted[parent].add(uuid.UUID(str(raw)))
                except ValueError:
                    continue
    refs: list[RecordRef] = []
    for parent, ids in wanted.items():
        ids = {i for i in ids if (parent, i) not in have}
        if not ids:
            continue
        model: Any = SYNCED_MODELS[parent]
        present: set[uuid.UUID] = set()
        id_list = list(ids)
        for start in range(0, len(id_list), 500):
            chunk = id_list[start : start + 500]
            present.update(session.execute(select(model.id).where(model.id.in_(chunk))).scalars())
        from sync.protocol import RecordRef

        refs.extend(RecordRef(entity=parent, record_id=i) for i in ids - present)
    return refs


def keep_updated_at(obj: object) -> None:
    """Applying server data is not a local edit: without this, the column's ``onupdate`` would
    stamp the row with the local clock and it would no longer match the server's."""
    flag_modified(obj, "updated_at")


def apply_records(
    session: Session,
    records: Iterable[RecordOut],
    *,
    pending: Mapping[Key, set[str]] | None = None,
    same_version: bool = False,
) -> int:
    """Apply server records; returns how many were applied. Older versions are skipped, and so is
    the version the store already has unless ``same_version`` (the server's answer to our own push
    may carry the version a pull already brought while our edit was still waiting)."""
    by_entity: dict[str, list[RecordOut]] = defaultdict(list)
    for record in records:
        if record.entity in SYNCED_MODELS:
            by_entity[record.entity].append(record)
    if pending is None:
        pending = pending_fields(
            session, ((entity, r.record_id) for entity, batch in by_entity.items() for r in batch)
        )
    changed = 0
    for entity, batch in by_entity.items():
        model: Any = SYNCED_MODELS[entity]
        ids = [r.record_id for r in batch]
        existing: dict[uuid.UUID, DeclarativeBase] = {}
        for start in range(0, len(ids), 500):
            for obj in session.execute(select(model).where(model.id.in_(ids[start : start + 500]))).scalars():
                existing[obj.id] = obj
        known = _columns(entity)
        # Rows new to this store go in with one executemany per entity (ORM bulk INSERT) instead of
        # an object each: a first pull of thousands of records is mostly new rows.
        fresh: dict[uuid.UUID, dict[str, Any]] = {}
        for record in batch:
            obj = existing.get(record.record_id)
            if obj is None and record.record_id in fresh:
                local_version = fresh[record.record_id]["version"]
            else:
                local_version = getattr(obj, "version", None) if obj is not None else None
            if local_version is not None and (
                local_version > record.version or (local_version == record.version and not same_version)
            ):
                continue
            skip = pending.get((entity, record.record_id), set())
            wire = {k: v for k, v in record.values.items() if k in known and k not in skip}
            values = dict_to_values(model, wire)
            values["id"] = record.record_id
            if obj is None:
                values["version"] = record.version
                fresh[record.record_id] = values  # a later copy in the same batch replaces it
            else:
                for key, value in values.items():
                    if getattr(obj, key) != value:
                        setattr(obj, key, value)
                keep_updated_at(obj)
                obj.version = record.version
            changed += 1
        if fresh:
            session.execute(insert(model), list(fresh.values()))
    return changed
