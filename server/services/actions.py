"""The dedicated endpoints' actions (sign a note, amend it, change a staff account), made as pushed
changes and applied by the same code as ``/sync/push``: one policy, whatever the door. Each call is
one transaction and gets fresh idempotency keys (these endpoints are for people, not for outboxes).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine

from clinicdesk.errors import NotFoundError, PermissionDeniedError, ValidationError
from models import new_id
from models.enums import NoteStatus
from server.db import scope
from server.mongo import DocumentStore
from server.policy import Principal
from server.services import push as push_service
from server.services.pull import load_records
from sync.protocol import ChangeIn, ChangeResult, Operation, RecordOut, ResultStatus


def _current(
    engine: Engine, docs: DocumentStore, who: Principal, entity: str, record_id: uuid.UUID
) -> RecordOut:
    with engine.begin() as conn:
        scope(conn, who.organization_id)
        found = load_records(conn, docs, who, entity, [record_id]).get(record_id)
    if found is None or found.deleted:
        raise NotFoundError(f"no such {entity.replace('_', ' ').rstrip('s')}")
    return found


def _change(entity: str, record_id: uuid.UUID, payload: Mapping[str, Any], base: int | None) -> ChangeIn:
    return ChangeIn(
        id=uuid.uuid4(),
        entity=entity,
        record_id=record_id,
        operation=Operation.UPSERT,
        base_version=base,
        payload=dict(payload),
    )


def _apply(engine: Engine, docs: DocumentStore, who: Principal, changes: list[ChangeIn]) -> ChangeResult:
    """All the action's changes or none; the first change's answer. A refusal is the caller's
    error: 403 for the policy, 409 for a conflict."""
    try:
        return push_service.push(engine, docs, who, changes, all_or_nothing=True).results[0]
    except push_service.NotAll as refused:
        for result in refused.results:
            if result.status is ResultStatus.REJECTED:
                raise PermissionDeniedError(result.reason or "refused") from None
        raise ValidationError("the record changed in the meantime; fetch it and try again") from None


def sign_note(engine: Engine, docs: DocumentStore, who: Principal, note_id: uuid.UUID) -> ChangeResult:
    note = _current(engine, docs, who, "clinical_notes", note_id)
    if note.values.get("status") != NoteStatus.DRAFT.value:
        raise ValidationError("this note is already signed; amend it instead")
    changes = [
        _change("clinical_notes", note_id, {"status": NoteStatus.SIGNED.value}, note.version),
        _change("note_versions", new_id(), {"note_id": str(note_id)}, None),
    ]
    return _apply(engine, docs, who, changes)


def amend_note(
    engine: Engine,
    docs: DocumentStore,
    who: Principal,
    note_id: uuid.UUID,
    *,
    content: Mapping[str, Any],
    reason: str,
    base_version: int | None,
) -> ChangeResult:
    note = _current(engine, docs, who, "clinical_notes", note_id)
    if note.values.get("status") == NoteStatus.DRAFT.value:
        raise ValidationError("a draft is edited directly; only a signed note is amended")
    if base_version is not None and base_version != note.version:
        raise ValidationError("the note was amended in the meantime; fetch it and amend the new version")
    merged = {**dict(note.values.get("content") or {}), **content}
    payload = {
        "content": merged,
        "status": NoteStatus.AMENDED.value,
        "current_version": int(note.values.get("current_version") or 1) + 1,
    }
    changes = [
        _change("clinical_notes", note_id, payload, note.version),
        _change("note_versions", new_id(), {"note_id": str(note_id), "reason": reason}, None),
    ]
    return _apply(engine, docs, who, changes)


def update_user(
    engine: Engine, docs: DocumentStore, who: Principal, user_id: uuid.UUID, fields: Mapping[str, Any]
) -> ChangeResult:
    if not fields:
        raise ValidationError("nothing to change")
    account = _current(engine, docs, who, "users", user_id)
    return _apply(engine, docs, who, [_change("users", user_id, fields, account.version)])
