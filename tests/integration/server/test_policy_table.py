"""The whole policy table, case by case, against the real server.

For every entity the table names (one test per entity), every acting role tries, through
``/sync/push``: to create a record; to change each of its fields on a record someone else made; to
move it through every pair of its statuses; to delete it; and to receive it. The dedicated
endpoints (sign, amend, users, recording audio, history) are tried by every role too.

What each attempt should give is *not* read from server/policy.py: it is written out again below,
from the rules as the issue and DESIGN.md state them ("only a doctor signs", "a signed note changes
only by amendment by its author or an administrator", "a receptionist reads no note or prescription
content", ...). The table only decides which cases there are, so a rule added to it is tried, and
a rule that differs from this statement fails.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from models import SYNCED_MODELS
from models.enums import (
    AlertStatus,
    AppointmentStatus,
    EncounterStatus,
    NoteStatus,
    OrderStatus,
    PrescriptionStatus,
    TaskStatus,
)
from models.registry import NOT_IN_PAYLOAD
from server.policy import POLICY
from tests.integration.server.wire import change

pytestmark = pytest.mark.integration

D, D2, N, R, A = "doctor", "doctor2", "nurse", "receptionist", "admin"
ACTORS = (D, D2, N, R, A)
EVERYONE = frozenset(ACTORS)
CLINICAL_STAFF = frozenset({D, D2, N, A})
DOCTORS = frozenset({D, D2})

# --- the rules, stated independently of the server's table ------------------------------------------
# Records under test are made by MAKER[entity]; "the author", "the prescriber", "the recording's
# maker" is then the doctor D, and D2 is another doctor of the same practice. Alerts and messages are
# addressed to the nurse.

MAKER = {
    "users": A, "practices": A, "patients": R, "care_team": R, "insurances": R, "conditions": D,
    "appointments": R, "time_blocks": R, "encounters": N, "clinical_notes": D, "note_versions": D,
    "recordings": D, "prescriptions": D, "prescription_items": D, "orders": D, "order_items": D,
    "tasks": N, "alerts": D, "messages": D, "audit_events": D, "identity_checks": R,
    "order_results": N, "documents": D, "device_keys": N, "key_grants": D,
}  # fmt: skip
MAY_CREATE = {
    "users": {A}, "practices": {A}, "patients": EVERYONE, "care_team": EVERYONE, "insurances": EVERYONE,
    "conditions": CLINICAL_STAFF, "appointments": EVERYONE, "time_blocks": {D, D2, R, A},
    "encounters": CLINICAL_STAFF, "clinical_notes": DOCTORS,
    "note_versions": {D, A},  # the signed note's author (D), or an administrator
    "recordings": {D, D2, N}, "prescriptions": DOCTORS,
    "prescription_items": {D, A}, "order_items": {D, A},  # the draft's prescriber/orderer, or admin
    "orders": DOCTORS, "tasks": EVERYONE, "alerts": EVERYONE, "messages": EVERYONE,
    "audit_events": EVERYONE,  # each reports its own
    "identity_checks": EVERYONE,  # whoever checks the patient in or books their call
    "order_results": CLINICAL_STAFF,  # the care team enters what came back
    "documents": CLINICAL_STAFF, "device_keys": EVERYONE,
    "key_grants": CLINICAL_STAFF,  # those who hold the practice's keys
}  # fmt: skip
MAY_CHANGE = {
    "users": {A}, "practices": {A}, "patients": EVERYONE, "care_team": EVERYONE, "insurances": EVERYONE,
    "conditions": CLINICAL_STAFF, "appointments": EVERYONE, "time_blocks": {D, D2, R, A},
    "encounters": CLINICAL_STAFF,
    "clinical_notes": CLINICAL_STAFF,  # a draft: the care team writes into it
    "note_versions": set(), "audit_events": set(),  # never changed
    "recordings": {D, A}, "prescriptions": {D, A}, "prescription_items": {D, A}, "orders": {D, A},
    "order_items": {D, A},  # their maker (D) or an administrator
    "tasks": EVERYONE, "alerts": {N}, "messages": {N},  # only the recipient (marks it read)
    "identity_checks": set(),  # a record of what happened: never changed
    "order_results": CLINICAL_STAFF, "documents": {D, A}, "device_keys": {A}, "key_grants": set(),
}  # fmt: skip
MAY_DELETE = {
    "users": {A}, "practices": {A}, "patients": {A}, "care_team": EVERYONE, "insurances": EVERYONE,
    "conditions": {D, D2, A}, "appointments": {A}, "time_blocks": {D, D2, R, A}, "encounters": {A},
    "clinical_notes": {D, A}, "note_versions": set(), "recordings": {D, A}, "prescriptions": {D, A},
    "prescription_items": {D, A}, "orders": {D, A}, "order_items": {D, A}, "tasks": EVERYONE,
    "alerts": {N, A}, "messages": {A}, "audit_events": set(), "identity_checks": set(),
    "order_results": CLINICAL_STAFF, "documents": {D, A}, "device_keys": {A}, "key_grants": set(),
}  # fmt: skip
#: Set by the server from the signed-in user or its clock: never from a payload.
SERVER_OWNED = {
    "clinical_notes": {"author_id", "signed_by_id", "signed_at"},
    "note_versions": {"author_id", "at", "content", "version_number"},
    "prescriptions": {"prescriber_id", "signed_at", "printed_at"},
    "orders": {"orderer_id", "signed_at", "resulted_at", "reviewed_at", "reviewed_by_id"},
    "alerts": {"acknowledged_by_id", "acknowledged_at", "resolved_by_id", "resolved_at"},
    "order_results": {"entered_by_id", "patient_id"}, "documents": {"created_by_id"},
    "device_keys": {"user_id"}, "key_grants": {"granted_by_id"},
    "recordings": {"created_by_id"}, "tasks": {"creator_id"}, "messages": {"sender_id", "sent_at"},
    "audit_events": {"user_id"}, "appointments": {"cancelled_by_id"}, "identity_checks": {"checked_by_id"},
}  # fmt: skip
#: Never change once the record exists (besides created_at, which no record changes).
FIXED = {
    "clinical_notes": {"patient_id", "encounter_id"}, "encounters": {"patient_id"},
    "prescriptions": {"patient_id", "encounter_id", "renewed_from_id"},
    "orders": {"patient_id", "encounter_id"}, "order_results": {"order_id"},
    "prescription_items": {"prescription_id"}, "order_items": {"order_id"},
    "recordings": {"note_id", "encounter_id"}, "conditions": {"patient_id"}, "insurances": {"patient_id"},
    "care_team": {"patient_id"}, "appointments": {"patient_id"},
}  # fmt: skip
#: The only fields that may change at all.
ONLY = {
    "alerts": {"read", "read_at", "resolution"}, "messages": {"read_at"}, "documents": {"title", "category"},
    "device_keys": {"name", "revoked_at"},
}  # fmt: skip
PRESCRIPTION_CANCEL = {("draft", "cancelled"), ("signed", "cancelled"), ("sent", "cancelled")}
TRANSITIONS: dict[str, dict[tuple[str, str], set[str]]] = {
    "appointments": {
        **{move: set(EVERYONE) for move in (
            ("scheduled", "confirmed"), ("scheduled", "checked_in"), ("scheduled", "cancelled"),
            ("scheduled", "no_show"), ("confirmed", "scheduled"), ("confirmed", "checked_in"),
            ("confirmed", "cancelled"), ("confirmed", "no_show"), ("checked_in", "cancelled"))},
        ("checked_in", "in_progress"): {D, D2, A},  # a clinician starts the visit, not the desk
        ("checked_in", "completed"): {D, D2, A},
        ("in_progress", "completed"): {D, D2, A},
    },
    "encounters": {
        ("in_progress", "completed"): {D, D2, A}, ("in_progress", "cancelled"): set(CLINICAL_STAFF),
    },
    "clinical_notes": {("draft", "signed"): {D}, ("signed", "amended"): {D, A}},  # only the author signs
    "prescriptions": {
        ("draft", "signed"): {D}, ("signed", "sent"): {D, A}, ("sent", "dispensed"): {D, A},
        ("signed", "printed"): {D, A}, ("printed", "sent"): {D, A}, ("printed", "dispensed"): {D, A},
        ("printed", "cancelled"): {D, A}, **{move: {D, A} for move in PRESCRIPTION_CANCEL},
    },
    "orders": {
        ("draft", "signed"): {D}, ("signed", "sent"): set(CLINICAL_STAFF),
        ("sent", "completed"): set(CLINICAL_STAFF), **{move: {D, A} for move in PRESCRIPTION_CANCEL},
        # the care team enters results; only the ordering doctor (or an administrator) signs them off
        ("signed", "resulted"): set(CLINICAL_STAFF), ("sent", "resulted"): set(CLINICAL_STAFF),
        ("resulted", "reviewed"): {D, A},
    },
    "alerts": {  # acknowledged and resolved by its recipient
        ("open", "acknowledged"): {N}, ("open", "resolved"): {N}, ("acknowledged", "resolved"): {N},
    },
    "tasks": {
        **{(a, b): set(EVERYONE) for a in ("pending", "in_progress") for b in ("completed", "cancelled")},
        ("pending", "in_progress"): set(EVERYONE), ("in_progress", "pending"): set(EVERYONE),
    },
}  # fmt: skip
STATUSES = {
    entity: [status.value for status in enum]
    for entity, enum in (
        ("appointments", AppointmentStatus),
        ("encounters", EncounterStatus),
        ("clinical_notes", NoteStatus),
        ("prescriptions", PrescriptionStatus),
        ("orders", OrderStatus),
        ("tasks", TaskStatus),
        ("alerts", AlertStatus),
    )
}
#: How a record of each entity is brought into a status for a case (by the entity's setup actor).
SETUP_PATH = {
    "appointments": {"confirmed": ["confirmed"], "checked_in": ["checked_in"], "in_progress": ["checked_in",
                     "in_progress"], "completed": ["checked_in", "in_progress", "completed"],
                     "cancelled": ["cancelled"], "no_show": ["no_show"]},
    "encounters": {"completed": ["completed"], "cancelled": ["cancelled"]},
    "clinical_notes": {"signed": ["signed"], "amended": ["signed", "amended"]},
    "prescriptions": {"signed": ["signed"], "sent": ["signed", "sent"], "dispensed": ["signed", "sent",
                      "dispensed"], "cancelled": ["cancelled"], "printed": ["signed", "printed"]},
    "orders": {"signed": ["signed"], "sent": ["signed", "sent"], "completed": ["signed", "sent", "completed"],
               "cancelled": ["cancelled"], "resulted": ["signed", "resulted"],
               "reviewed": ["signed", "resulted", "reviewed"]},
    "alerts": {"acknowledged": ["acknowledged"], "resolved": ["resolved"]},
    "tasks": {"in_progress": ["in_progress"], "completed": ["completed"], "cancelled": ["cancelled"]},
}  # fmt: skip
SETUP_ACTOR = {"appointments": A, "encounters": A, "tasks": N, "alerts": N}
#: What a role may not receive at all, and the fields withheld from it.
UNREADABLE = {
    R: {"conditions", "note_versions", "recordings", "prescription_items", "order_items", "order_results",
        "documents"}
}  # fmt: skip
HIDDEN = {
    R: {
        "clinical_notes": {"content", "raw_transcription", "utterances", "engine_confidence", "note_metadata",
                           "tags", "template"},
        "encounters": {"chief_complaint", "vitals"}, "prescriptions": {"notes"}, "orders": {"notes"},
    }
}  # fmt: skip
READERS = {"alerts": {N}, "messages": {D, N}}  # the recipient (and a message's sender, D)


def expect_field(actor: str, entity: str, field: str) -> bool:
    if field in SERVER_OWNED.get(entity, set()) | FIXED.get(entity, set()) | {"created_at"}:
        return False
    if entity in ONLY and field not in ONLY[entity] | {"updated_at"}:
        return False
    return actor in MAY_CHANGE[entity]


def expect_read(actor: str, entity: str) -> bool:
    if entity == "audit_events" or entity in UNREADABLE.get(actor, set()):
        return False
    return actor in READERS.get(entity, EVERYONE)


# --- making records ------------------------------------------------------------------------------------


def now() -> str:
    return datetime.now(UTC).isoformat()


#: The practice every case books in: open around the clock, every appointment type bookable from now
#: to two years ahead, so the booking rules (checked on push) accept each case's distinct slot and
#: the cases test the policy alone. Its booking rules are tried in tests/integration/server/
#: test_booking_rules.py.
OPEN_PRACTICE = {
    "name": "Policy Table Clinic",
    "timezone": "UTC",
    "business_hours": {str(d): ["00:00", "23:59"] for d in range(1, 8)},
    "appointment_types": {
        kind: {"duration_minutes": 20, "min_lead_hours": 0, "max_lead_days": 730}
        for kind in ("routine", "follow_up", "urgent", "consultation", "procedure", "telemedicine")
    },
}


class World:
    """The practice's staff by case role, shared records to point at, and batched pushes."""

    def __init__(self, practice: Any) -> None:
        self.api = {D: practice.doctor, D2: practice.doctor2, N: practice.nurse, R: practice.receptionist,
                    A: practice.admin}  # fmt: skip
        self.id = {role: api.user_id for role, api in self.api.items()}
        made = practice.admin.change("practices", str(uuid.uuid4()), OPEN_PRACTICE)
        assert made["status"] == "applied", made
        self.slots = 0
        self.patients = [practice.patient() for _ in range(2)]
        self.encounters = [practice.encounter(p) for p in self.patients]
        self.notes = [practice.note(p)[0] for p in self.patients]
        visit = self.make("appointments", {})
        self.appointment = visit[0]
        self.block = self.make("time_blocks", {})[0]  # a series an edited occurrence points back to
        self.device_key = self.make("device_keys", {})[0]  # the workstation a key grant seals for

    def push(self, role: str, changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = []
        for start in range(0, len(changes), 400):
            results.extend(self.api[role].push(*changes[start : start + 400]))
        return results

    def payload(self, entity: str) -> dict[str, Any]:
        """A minimal new record of ``entity`` (no server-owned field in it)."""
        p0, e0, doctor = self.patients[0], self.encounters[0], self.id[D]
        return {
            "users": lambda: {"username": f"u{uuid.uuid4().hex[:12]}", "full_name": "T",
                              "role": "receptionist"},
            "practices": lambda: {"name": "Practice"},
            "patients": lambda: {"mrn": uuid.uuid4().hex[:20], "first_name": "A", "last_name": "B",
                                 "date_of_birth": "1980-01-01"},
            "care_team": lambda: {"provider_id": doctor, "patient_id": p0},
            "insurances": lambda: {"patient_id": p0, "payer": "Acme", "policy_number": "1"},
            "conditions": lambda: {"patient_id": p0, "name": "asthma"},
            "appointments": lambda: {"patient_id": p0, "clinician_id": doctor, "start_at": self.slot(),
                                     "duration_minutes": 20, "appointment_type": "routine"},
            "time_blocks": lambda: {"clinician_id": doctor, "start_date": "2030-01-01",
                                    "start_time": "12:00:00", "end_time": "13:00:00"},
            "encounters": lambda: {"patient_id": p0, "clinician_id": doctor, "start_at": now()},
            "clinical_notes": lambda: {"patient_id": p0, "encounter_id": e0, "content": {"subjective": "x"}},
            "note_versions": lambda: {},  # note_id: a signed note of its own, added by make()
            "recordings": lambda: {"duration_seconds": 1.0, "note_id": self.notes[0]},
            "prescriptions": lambda: {"patient_id": p0, "encounter_id": e0},
            "prescription_items": lambda: {"medication": "amoxicillin"},  # + a draft prescription
            "orders": lambda: {"patient_id": p0, "encounter_id": e0, "order_type": "lab"},
            "order_items": lambda: {"name": "CBC"},  # + a draft order
            "tasks": lambda: {"title": "call back"},
            "alerts": lambda: {"recipient_id": self.id[N], "alert_type": "task", "title": "t"},
            "messages": lambda: {"recipient_id": self.id[N], "body": "b"},
            "audit_events": lambda: {"action": "read", "resource_type": "patients", "at": now()},
            "identity_checks": lambda: {"patient_id": p0, "context": "check_in", "at": now(),
                                        "verified": True, "identifiers": ["full_name", "date_of_birth"]},
            "order_results": lambda: {"name": "Potassium", "value": "4.1", "unit": "mmol/L",
                                      "resulted_at": now()},  # + a signed order
            "documents": lambda: {"patient_id": p0, "title": "Referral letter",
                                  "mime_type": "application/pdf", "size_bytes": 10},
            "device_keys": lambda: {"public_key": "A" * 43 + "="},
            "key_grants": lambda: {"key_id": str(uuid.uuid4()), "device_key_id": self.device_key,
                                   "wrapped_key": "sealed"},
        }[entity]()  # fmt: skip

    def slot(self) -> str:
        """A start no other case's appointment has: 20-minute slots from two days ahead (UTC)."""
        self.slots += 1
        first = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=2)
        return (first + timedelta(days=self.slots // 60, minutes=20 * (self.slots % 60))).isoformat()

    def parents(self, entity: str, count: int) -> list[dict[str, Any]]:
        """For entities that hang off a parent in a given state, a parent of their own per record."""
        if entity == "note_versions":
            notes = self.make_many("clinical_notes", ["signed"] * count)
            return [{"note_id": note_id} for note_id, _ in notes]
        if entity in ("prescription_items", "order_items"):
            parent = "prescriptions" if entity == "prescription_items" else "orders"
            key = "prescription_id" if entity == "prescription_items" else "order_id"
            return [{key: made} for made, _ in self.make_many(parent, [None] * count)]
        if entity == "order_results":
            return [{"order_id": made} for made, _ in self.make_many("orders", ["signed"] * count)]
        return [{} for _ in range(count)]

    def make(self, entity: str, extra: dict[str, Any], *, by: str | None = None) -> tuple[str, int]:
        return self.make_many(entity, [None], extra=extra, by=by)[0]

    def make_many(
        self,
        entity: str,
        statuses: list[str | None],
        *,
        extra: dict[str, Any] | None = None,
        by: str | None = None,
    ) -> list[tuple[str, int]]:
        """One record per entry of ``statuses``, made by the entity's maker and brought into that
        status (None: as made), in a few batched pushes; returns (id, version) for each."""
        maker = by or MAKER[entity]
        ids = [str(uuid.uuid4()) for _ in statuses]
        parents = self.parents(entity, len(statuses))
        changes = [
            change(entity, rid, {**self.payload(entity), **parent, **(extra or {})})
            for rid, parent in zip(ids, parents, strict=True)
        ]
        results = self.push(maker, changes)
        assert all(r["status"] == "applied" for r in results), (entity, results[:3])
        versions = {rid: int(r["version"]) for rid, r in zip(ids, results, strict=True)}
        paths = {
            rid: SETUP_PATH.get(entity, {}).get(s or "", []) for rid, s in zip(ids, statuses, strict=True)
        }
        actor = SETUP_ACTOR.get(entity, maker)
        step = 0
        while moving := [rid for rid in ids if len(paths[rid]) > step]:
            changes = [
                change(entity, rid, move_payload(entity, paths[rid][step]), base=versions[rid])
                for rid in moving
            ]
            results = self.push(actor, changes)
            assert all(r["status"] == "applied" for r in results), (entity, step, results[:3])
            versions.update({rid: int(r["version"]) for rid, r in zip(moving, results, strict=True)})
            step += 1
        return [(rid, versions[rid]) for rid in ids]


def move_payload(entity: str, status: str) -> dict[str, Any]:
    """Moving into ``status``; for a note, amending is a new version with new text."""
    if entity == "clinical_notes" and status == "amended":
        return {"status": status, "current_version": 2, "content": {"subjective": "amended"}}
    return {"status": status}


def new_value(world: World, entity: str, field: str) -> Any:
    """A valid value for ``field`` that differs from what the maker's record holds."""
    model: Any = SYNCED_MODELS[entity]
    column = model.__table__.c[model.__mapper__.column_attrs[field].columns[0].name]
    current = world.payload(entity).get(field, getattr(column.default, "arg", None))
    refers = {fk.column.table.name for fk in column.foreign_keys}
    special = {
        ("users", "username"): f"renamed{uuid.uuid4().hex[:10]}", ("patients", "mrn"): uuid.uuid4().hex[:20],
        ("users", "role"): "nurse", ("appointments", "status_history"): [{"status": "confirmed"}],
        ("appointments", "start_at"): world.slot(),
    }  # fmt: skip
    if (entity, field) in special:
        return special[(entity, field)]
    if refers == {"users"}:
        return world.id[D2]
    if refers == {"patients"}:
        return world.patients[1]
    if refers == {"encounters"}:
        return world.encounters[1]
    if refers == {"clinical_notes"}:
        return world.notes[1]
    if refers == {"appointments"}:
        return world.appointment
    if refers == {"time_blocks"}:
        return world.block
    kind = type(column.type).__name__
    enum_class = getattr(column.type, "enum_class", None)
    if enum_class is not None:
        return next(m.value for m in enum_class if m.value != getattr(current, "value", current))
    if kind == "Uuid":
        return str(uuid.uuid4())
    if kind == "Boolean":
        return not bool(current)
    if kind == "Integer":
        return 2
    if kind == "Float":
        return 9.5
    if kind == "Date":
        return "2031-02-03"
    if kind == "Time":
        return "09:30:00"
    if kind == "UTCDateTime":
        return now()
    if kind == "JSON":
        return ["changed"] if isinstance(current, list) or field in LISTS else {"changed": True}
    return "changed"[: column.type.length or 7]


LISTS = {"holiday_schedule", "insurance_plans_accepted", "allergies", "status_history", "notes_history",
         "reschedule_history", "exdates", "identifiers",
         "utterances", "tags", "refill_log"}  # fmt: skip
LIST_OF_OBJECTS = {
    "allergies", "status_history", "notes_history", "utterances", "reschedule_history", "refill_log",
}  # fmt: skip


def fields_of(entity: str) -> list[str]:
    """Every field a workstation may send, but the id, the tombstone and a status with transitions
    (those are cases of their own); ``updated_at`` alone is a change that changes nothing."""
    model: Any = SYNCED_MODELS[entity]
    skip = NOT_IN_PAYLOAD | {"id", "deleted_at"} | ({"status"} if entity in STATUSES else set())
    return [a.key for a in model.__mapper__.column_attrs if a.key not in skip]


@pytest.fixture(scope="module")
def world(practice: Any) -> World:
    return World(practice)


def outcome(result: dict[str, Any]) -> bool:
    assert result["status"] in ("applied", "rejected"), result
    return bool(result["status"] == "applied")


@pytest.mark.parametrize("entity", sorted(POLICY))
def test_every_role_creates_changes_moves_deletes_and_reads_each_entity_as_the_rules_say(
    world: World, entity: str
):
    mismatches: list[str] = []

    tried: list[str] = []

    def check(what: str, expected: bool, result: dict[str, Any]) -> None:
        tried.append(what)
        if outcome(result) != expected:
            said = "allowed" if expected else "refused"
            mismatches.append(f"{what}: expected {said}, got {result['status']} ({result.get('reason')})")

    def each_actor(cases: list[Any], records: list[tuple[str, int]]) -> Any:
        """Split records made for every actor's cases: (actor, [(case, record)])."""
        per = len(cases)
        for n, actor in enumerate(ACTORS):
            yield actor, list(zip(cases, records[n * per : (n + 1) * per], strict=True))

    # Creating.
    extras = world.parents(entity, len(ACTORS))
    for actor, extra in zip(ACTORS, extras, strict=True):
        made = change(entity, str(uuid.uuid4()), {**world.payload(entity), **extra})
        check(f"{actor} creates {entity}", actor in MAY_CREATE[entity], world.push(actor, [made])[0])

    # Changing each field of a record someone else made.
    fields = fields_of(entity)
    records = world.make_many(entity, [None] * (len(fields) * len(ACTORS)))
    for actor, cases in each_actor(fields, records):
        changes = [
            change(entity, rid, {field: field_value(world, entity, field)}, base=version)
            for field, (rid, version) in cases
        ]
        for (field, _), result in zip(cases, world.push(actor, changes), strict=True):
            check(f"{actor} changes {entity}.{field}", expect_field(actor, entity, field), result)

    # Moving through every pair of statuses.
    moves = [(old, new) for old in STATUSES.get(entity, []) for new in STATUSES[entity] if new != old]
    if moves:
        records = world.make_many(entity, [old for _ in ACTORS for old, _ in moves])
        for actor, cases in each_actor(moves, records):
            changes = [
                change(entity, rid, move_payload(entity, new), base=version)
                for (_, new), (rid, version) in cases
            ]
            for ((old, new), _), result in zip(cases, world.push(actor, changes), strict=True):
                expected = actor in TRANSITIONS[entity].get((old, new), set())
                check(f"{actor} moves {entity} {old} -> {new}", expected, result)

    # Deleting.
    records = world.make_many(entity, [None] * len(ACTORS))
    for actor, (rid, version) in zip(ACTORS, records, strict=True):
        [result] = world.push(actor, [change(entity, rid, {}, base=version, operation="delete")])
        check(f"{actor} deletes {entity}", actor in MAY_DELETE[entity], result)

    # Receiving it, with the fields the role may see.
    [(rid, _)] = world.make_many(entity, [None])
    for actor in ACTORS:
        received = world.api[actor].fetch((entity, rid))
        if bool(received) != expect_read(actor, entity):
            mismatches.append(f"{actor} receives {entity}: expected {expect_read(actor, entity)}")
        shown = hidden_shown(actor, entity, received)
        if shown:
            mismatches.append(f"{actor} receives {entity} with {shown}")

    assert not mismatches, "\n".join(mismatches[:40])
    moves_tried = len(moves) * len(ACTORS)
    assert len(tried) == len(ACTORS) * (2 + len(fields)) + moves_tried, "every case was tried"


def new_account() -> dict[str, str]:
    return {
        "username": f"x{uuid.uuid4().hex[:10]}",
        "password": "long pw!",
        "full_name": "X",
        "role": "nurse",
    }


def hidden_shown(actor: str, entity: str, received: list[dict[str, Any]]) -> list[str]:
    hidden = HIDDEN.get(actor, {}).get(entity, set())
    return sorted(hidden & set(received[0]["values"])) if received else []


def field_value(world: World, entity: str, field: str) -> Any:
    if field == "updated_at":
        return now()
    if field in LIST_OF_OBJECTS and field != "status_history":
        return [{"changed": True}]
    return new_value(world, entity, field)


def test_every_role_meets_the_same_rules_at_the_dedicated_endpoints(world: World):
    mismatches: list[str] = []
    octets = {"content-type": "application/octet-stream"}
    [(filed, _)] = world.make_many("documents", [None])  # a document whose (sealed) file is stored
    stored = world.api[D].request("PUT", f"/documents/{filed}/content", content=b"sealed", headers=octets)
    assert stored.status_code == 200, stored.text
    for actor in ACTORS:
        api = world.api[actor]
        [(draft, _), (signed, _)] = world.make_many("clinical_notes", [None, "signed"])
        [(recording, _)] = world.make_many("recordings", [None])
        [(document, _)] = world.make_many("documents", [None])
        [(account, _)] = world.make_many("users", [None])
        answers = {
            "signs a draft note": (api.request("POST", f"/notes/{draft}/sign"), actor == D),
            "amends a signed note": (
                api.request("POST", f"/notes/{signed}/amend", json={"content": {"plan": "p"}, "reason": "r"}),
                actor in (D, A),
            ),
            "reads a note's history": (api.request("GET", f"/notes/{signed}/history"), actor != R),
            "uploads a recording's audio": (
                api.request("PUT", f"/recordings/{recording}/audio", content=b"audio", headers=octets),
                actor == D,
            ),
            "uploads a document's file": (  # once, by whoever attached it
                api.request("PUT", f"/documents/{document}/content", content=b"sealed", headers=octets),
                actor == D,
            ),
            "replaces a stored document's file": (
                api.request("PUT", f"/documents/{filed}/content", content=b"other", headers=octets),
                False,
            ),
            "reads a document's file": (api.request("GET", f"/documents/{filed}/content"), actor != R),
            "makes a staff account": (
                api.request("POST", "/users", json=new_account()),
                actor == A,
            ),
        }
        answers["resets a staff account's password"] = (
            api.request("POST", f"/users/{account}/password", json={"password": "temporary pw 1"}),
            actor == A,
        )
        answers["lists another user's devices"] = (
            api.request("GET", f"/users/{world.id[D if actor != D else N]}/devices"),
            actor == A,
        )
        answers["lists their own devices"] = (api.request("GET", f"/users/{api.user_id}/devices"), True)
        answers["reserves MRN numbers"] = (
            api.request("POST", "/patients/mrn-block", json={"count": 5}),
            True,
        )
        for field, value in (("full_name", "Renamed"), ("role", "nurse"), ("active", False)):
            answers[f"changes a staff account's {field}"] = (
                api.request("PATCH", f"/users/{account}", json={field: value}),
                actor == A,
            )
        for what, (response, expected) in answers.items():
            if (response.status_code < 300) != expected:
                mismatches.append(f"{actor} {what}: expected {expected}, got {response.status_code}")
        [note] = world.api[D].fetch(("clinical_notes", draft))
        if (note["values"]["status"] == "signed") != (actor == D):
            mismatches.append(f"{actor}'s attempt to sign left the note {note['values']['status']}")
    assert not mismatches, "\n".join(mismatches)
