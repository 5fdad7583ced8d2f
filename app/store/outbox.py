"""Every local change to a synced row queues an outbox entry in the same transaction.

Done once, in a flush hook, rather than in each service: a service cannot forget it, and the
change and its outbox entry commit or roll back together (DESIGN.md, "Sync contract"). The hook
runs after the flush so that defaults (ids, timestamps, statuses) are already filled in.
Changes the sync engine applies from the server carry ``REMOTE_APPLY`` and are not queued again.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, func, insert, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from models import OutboxEntry, Synced, new_id, row_to_dict, utcnow
from models.enums import OutboxOperation, OutboxStatus
from models.local import REMOTE_APPLY
from models.registry import NOT_IN_PAYLOAD, SYNCED_MODELS

_ALWAYS = ("id", "updated_at")


def _changed_fields(obj: Synced) -> list[str]:
    state = inspect(obj)
    return [
        attr.key
        for attr in state.mapper.column_attrs
        if attr.key not in NOT_IN_PAYLOAD and state.attrs[attr.key].history.has_changes()
    ]


def _before_flush(session: Session, _ctx: Any, _instances: Any) -> None:
    if session.info.get(REMOTE_APPLY):
        return
    for obj in session.deleted:
        if isinstance(obj, Synced):
            raise ValueError(
                f"{type(obj).__name__} rows are never deleted while they can sync; set deleted_at instead"
            )


def _after_flush(session: Session, _ctx: Any) -> None:
    if session.info.get(REMOTE_APPLY):
        return
    rows: list[dict[str, Any]] = []
    for obj in list(session.new) + list(session.dirty):
        if not isinstance(obj, Synced) or obj.__tablename__ not in SYNCED_MODELS:  # type: ignore[attr-defined]
            continue
        if obj in session.new:
            payload = row_to_dict(obj)  # type: ignore[arg-type]
        else:
            fields = _changed_fields(obj)
            if not fields:
                continue
            payload = row_to_dict(obj, fields=[*fields, *_ALWAYS])  # type: ignore[arg-type]
        was_deleted = "deleted_at" in payload and obj.deleted_at is not None
        rows.append(
            {
                "entity": obj.__tablename__,  # type: ignore[attr-defined]
                "record_id": obj.id,
                "operation": OutboxOperation.DELETE if was_deleted else OutboxOperation.UPSERT,
                "payload": payload,
                "base_version": obj.version,
            }
        )
    if not rows:
        return
    conn = session.connection()
    last = conn.execute(select(func.max(OutboxEntry.seq))).scalar() or 0
    now = utcnow()
    conn.execute(
        insert(OutboxEntry),
        [
            {
                **row,
                "id": new_id(),
                "seq": last + i,
                "created_at": now,
                "status": OutboxStatus.PENDING,
                "attempts": 0,
            }
            for i, row in enumerate(rows, start=1)
        ],
    )


def install_outbox_listener(target: sessionmaker[Session] | type[Session]) -> None:
    """Queue outbox entries for every session made by ``target`` (a sessionmaker or Session class)."""
    event.listen(target, "before_flush", _before_flush)
    event.listen(target, "after_flush", _after_flush)
