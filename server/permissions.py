"""Who may change what. Each rule answers with the reason shown to the client, or None to allow.

The workstation enforces the same rules in its services; the server checks again because a
workstation is not a trust boundary.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from models.enums import NoteStatus, Role
from sync.protocol import Operation
from sync.protocol.conflict import NOTE_TEXT_FIELDS


@dataclass(frozen=True)
class Principal:
    user_id: uuid.UUID
    role: Role
    device_id: uuid.UUID

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


#: Clinical records a receptionist neither reads in full nor changes.
CLINICAL = frozenset(
    {
        "clinical_notes",
        "note_versions",
        "recordings",
        "prescriptions",
        "prescription_items",
        "orders",
        "order_items",
        "encounters",
        "conditions",
    }
)
SELF_EDITABLE_USER_FIELDS = frozenset({"preferences", "phone_extension", "updated_at", "last_login_at"})
SIGNED = frozenset({NoteStatus.SIGNED.value, NoteStatus.AMENDED.value})


def can_read_note_text(who: Principal) -> bool:
    return who.role is not Role.RECEPTIONIST


def redact(who: Principal, entity: str, values: dict[str, Any]) -> dict[str, Any]:
    """Drop what this user may not read (a receptionist gets a note's metadata, not its text)."""
    hidden = NOTE_TEXT_FIELDS.get(entity)
    if hidden and not can_read_note_text(who):
        return {k: v for k, v in values.items() if k not in hidden}
    return values


def check_change(
    who: Principal,
    *,
    entity: str,
    operation: Operation,
    payload: Mapping[str, Any],
    current: Mapping[str, Any] | None,
) -> str | None:
    if entity == "audit_events":
        if current is not None:
            return "audit events are append-only"
        return None
    if entity == "users":
        return _check_user(who, payload, current)
    if entity in CLINICAL and who.role is Role.RECEPTIONIST:
        return "a receptionist cannot change clinical records"
    if entity == "clinical_notes":
        return _check_note(who, operation, payload, current)
    if entity == "note_versions" and current is not None:
        return "note versions are immutable"
    if entity == "prescriptions":
        signing = payload.get("status") == "signed" and (current is None or current.get("status") != "signed")
        if signing and who.role is not Role.DOCTOR:
            return "only a doctor signs a prescription"
    return None


def _check_user(who: Principal, payload: Mapping[str, Any], current: Mapping[str, Any] | None) -> str | None:
    if who.is_admin:
        return None
    own = current is not None and current.get("id") == str(who.user_id)
    if own and set(payload) <= SELF_EDITABLE_USER_FIELDS:
        return None
    return "only an administrator changes staff accounts"


def _check_note(
    who: Principal, operation: Operation, payload: Mapping[str, Any], current: Mapping[str, Any] | None
) -> str | None:
    signing = payload.get("status") == NoteStatus.SIGNED.value and (
        current is None or current.get("status") != NoteStatus.SIGNED.value
    )
    signer = payload.get("signed_by_id")
    new_signer = signer is not None and (current is None or signer != current.get("signed_by_id"))
    if (signing or new_signer) and who.role is not Role.DOCTOR:
        return "only a doctor signs a note"
    if current is None or current.get("status") not in SIGNED:
        return None
    if operation is Operation.DELETE:
        return "a signed note cannot be deleted"
    touches_text = bool(set(payload) & NOTE_TEXT_FIELDS["clinical_notes"])
    if not touches_text:
        return None
    author = current.get("author_id") == str(who.user_id)
    if not (author or who.is_admin):
        return "only the author or an administrator amends a signed note"
    if payload.get("status") != NoteStatus.AMENDED.value or int(payload.get("current_version") or 0) <= int(
        current.get("current_version") or 0
    ):
        return "a signed note changes only by amendment (status amended, a new version number)"
    return None
