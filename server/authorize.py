"""Checking one pushed change against the policy table (server/policy.py).

Pure: the caller hands over the stored record, a way to find the parent record, and the clock.
Everything is checked against the whole payload before any conflict decision, so a forged field
is refused even when a conflict would have dropped it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from models.enums import Role
from server.policy import ALWAYS_FIXED, BOOKKEEPING, POLICY, TOMBSTONE, Allow, EntityRules, Principal
from sync.protocol import Operation


class Parents(Protocol):
    """Where the policy finds a change's parent record (in the user's organisation only)."""

    def parent(self, entity: str, record_id: uuid.UUID) -> Mapping[str, Any] | None: ...


@dataclass(frozen=True)
class Verdict:
    """``reason`` None: allowed, with ``server_values`` written over the payload."""

    reason: str | None
    server_values: dict[str, Any] = field(default_factory=dict)


def label(entity: str) -> str:
    """One record of ``entity``, in words: "clinical note", "care team entry"."""
    if entity == "care_team":
        return "care team entry"
    return entity.replace("_", " ").removesuffix("s")


def check(
    who: Principal,
    *,
    entity: str,
    operation: Operation,
    payload: Mapping[str, Any],
    current: Mapping[str, Any] | None,
    parents: Parents,
    now: datetime,
) -> Verdict:
    """Whether ``who`` may make this change (``payload``: validated wire values; ``current``: the
    record as stored, None when new). Checks the whole payload, before any conflict decision, and
    names the server's values for the fields it owns."""
    rules = POLICY.get(entity)
    if rules is None:
        return Verdict(f"unknown entity {entity!r}")
    what = label(entity)
    creating = current is None
    old: Mapping[str, Any] = current or {}
    after = {**old, **payload}
    changed = {k for k, v in payload.items() if k not in BOOKKEEPING and (creating or old.get(k) != v)}
    if creating:
        deleting = operation is Operation.DELETE or payload.get(TOMBSTONE) is not None
        if not rules.create.permits(who, after):
            return Verdict(f"{_a(who.role.value)} cannot create {_a(what)}")
    else:
        deleting = operation is Operation.DELETE or TOMBSTONE in changed
    if deleting and not rules.delete.permits(who, after if creating else old):
        return Verdict(f"{_a(who.role.value)} cannot delete {_whose(rules.delete, who, what)}")

    server_values: dict[str, Any] = {}
    reason = _server_set(who, rules, payload, old, after, changed, creating, now, server_values)
    if reason is None:
        reason = next(
            (
                f"{name} {payload[name]!r} is not one a workstation may record"
                for name, choices in rules.choices.items()
                if name in payload and payload[name] not in choices
            ),
            None,
        )
    if reason is None:
        reason = _check_histories(who, rules, payload, old)
    if reason is None and rules.parent is not None:
        reason = _check_parent(who, entity, rules, after, payload, parents, server_values)
    if reason is None and creating:
        reason = _check_create(rules, after, what)
    elif reason is None:
        reason = _check_update(who, rules, old, after, changed, deleting, what)
    return Verdict(reason, server_values if reason is None else {})


def _server_set(
    who: Principal,
    rules: EntityRules,
    payload: Mapping[str, Any],
    old: Mapping[str, Any],
    after: Mapping[str, Any],
    changed: set[str],
    creating: bool,
    now: datetime,
    out: dict[str, Any],
) -> str | None:
    """Fill in the fields the server owns; refuse a payload that tries to set one differently."""
    status = rules.status or ""
    for name, spec in rules.server_set.items():
        if spec.into is None:
            moment = creating
            when = "is made"
        else:
            moment = after.get(status) == spec.into and (creating or old.get(status) != spec.into)
            when = f"becomes {spec.into}"
        if moment:
            value = str(who.user_id) if spec.source == "user" else now.isoformat()
            given = payload.get(name)
            if spec.source == "user" and given is not None and given != value:
                return f"{name} is set by the server to the signed-in user"
            out[name] = value
        elif name in changed and (not creating or payload.get(name) is not None):
            return f"{name} is set by the server when the record {when}; it cannot be given or changed"
    return None


def _check_histories(
    who: Principal, rules: EntityRules, payload: Mapping[str, Any], old: Mapping[str, Any]
) -> str | None:
    for name in rules.histories & set(payload):
        known = old.get(name) or []
        for entry in payload[name] or []:
            if entry not in known and entry.get("by") not in (None, str(who.user_id)):
                return f"a new entry of {name} must name the signed-in user as 'by'"
    return None


def _check_create(rules: EntityRules, after: Mapping[str, Any], what: str) -> str | None:
    if rules.status is None:
        return None
    initial = str(after.get(rules.status) or "")
    if initial and initial not in rules.initial:
        return f"a new {what} starts as {' or '.join(sorted(rules.initial))}, not {initial}"
    return None


def _check_update(
    who: Principal,
    rules: EntityRules,
    old: Mapping[str, Any],
    after: Mapping[str, Any],
    changed: set[str],
    deleting: bool,
    what: str,
) -> str | None:
    status = rules.status
    owned = set(rules.server_set)
    if rules.mutable is not None:
        fixed = changed - rules.mutable - {TOMBSTONE} - owned
    else:
        fixed = changed & (rules.fixed | ALWAYS_FIXED)
    if fixed:
        return f"{', '.join(sorted(fixed))} of {_a(what)} cannot change once it exists"
    others = changed - {status or ""} - owned - {TOMBSTONE}
    may_update = rules.update.permits(who, old) or (
        bool(rules.self_fields) and old.get("id") == str(who.user_id) and others <= rules.self_fields
    )
    if not changed and not may_update:
        return f"{_a(who.role.value)} cannot change {_whose(rules.update, who, what)}"
    if rules.frozen and old.get(status or "") in rules.frozen:
        reason = _check_frozen(who, rules, old, after, changed - owned, deleting, what)
        if reason is not None:
            return reason
    elif others and not may_update:
        return f"{_a(who.role.value)} cannot change {_whose(rules.update, who, what)}"
    if status is not None and status in changed:
        move = (str(old.get(status)), str(after.get(status)))
        allow = rules.transitions.get(move)
        if allow is None:
            return f"{_a(what)} that is {move[0]} cannot become {move[1]}"
        if not allow.permits(who, old):
            return _who_moves(allow, what, move[1])
    return None


def _a(word: str) -> str:
    return f"an {word}" if word[0] in "aeiou" else f"a {word}"


def _whose(allow: Allow, who: Principal, what: str) -> str:
    """ "notes" or, when the role could act on its own records, "notes of another user"."""
    if allow.owner is not None and who.role in allow.roles and who.role not in allow.unless:
        return f"{_a(what)} of another user"
    return _a(what)


def _roles(roles: frozenset[Role]) -> str:
    return " or ".join(_a(r.value) for r in sorted(roles)) or "nobody"


def _who_moves(allow: Allow, what: str, new: str) -> str:
    """ "only a doctor or an admin may make an encounter completed", "only the author of a
    clinical note (a doctor) may make it signed"."""
    if allow.owner is None:
        return f"only {_roles(allow.roles)} may make {_a(what)} {new}"
    owner = allow.owner.removesuffix("_id").replace("_", " ")
    exempt = f" or {_roles(allow.unless)}" if allow.unless else ""
    return f"only the {owner} of {_a(what)} ({_roles(allow.roles - allow.unless)}){exempt} may make it {new}"


def _check_frozen(
    who: Principal,
    rules: EntityRules,
    old: Mapping[str, Any],
    after: Mapping[str, Any],
    touched: set[str],
    deleting: bool,
    what: str,
) -> str | None:
    """A record in a frozen status (a signed note or prescription) changes only by amendment. A
    change of status alone is left to the transitions."""
    state = old.get(rules.status or "")
    amendment = rules.amendment
    if deleting:
        return f"{_a(what)} that is {state} cannot be deleted"
    amending = (
        amendment is not None
        and amendment.status is not None
        and after.get(rules.status or "") == amendment.status != state
    )
    if not touched - {rules.status} and not amending:
        return None  # a change of status alone: the transitions decide
    if amendment is None or not touched <= amendment.fields:
        return f"{_a(what)} that is {state} changes only by amendment"
    if not amendment.allow.permits(who, old):
        owner = (amendment.allow.owner or "owner").removesuffix("_id")
        return f"only the {what}'s {owner} or an administrator amends it once it is {state}"
    if amendment.counter is not None:
        before = int(old.get(amendment.counter) or 0)
        if after.get(amendment.counter) != before + 1:
            return f"an amendment of {_a(what)} is a new version: {amendment.counter} {before + 1}"
    if amendment.status is not None and after.get(rules.status or "") != amendment.status:
        return f"an amended {what} has the status {amendment.status}"
    return None


def _check_parent(
    who: Principal,
    entity: str,
    rules: EntityRules,
    after: Mapping[str, Any],
    payload: Mapping[str, Any],
    parents: Parents,
    server_values: dict[str, Any],
) -> str | None:
    spec = rules.parent
    assert spec is not None
    what, mine = label(spec.entity), label(entity)
    try:
        parent_id = uuid.UUID(str(after.get(spec.field)))
    except ValueError:
        return f"{spec.field} must name {_a(what)}"
    parent = parents.parent(spec.entity, parent_id)
    if parent is None:
        return f"{spec.field} names no {what} of this practice"
    if str(parent.get("status")) not in spec.statuses:
        return f"{_a(mine)} is made or changed only while its {what} is {' or '.join(sorted(spec.statuses))}"
    if who.role not in spec.unless and parent.get(spec.owner) != str(who.user_id):
        exempt = f" (or {_roles(spec.unless)})" if spec.unless else ""
        return f"only the {spec.owner.removesuffix('_id')} of the {what}{exempt} makes or changes its {mine}s"
    for name, source in rules.derived.items():
        value = parent.get(source)
        if payload.get(name) is not None and payload[name] != value:
            return f"{name} is set by the server from the {what}"
        server_values[name] = value
    return None
