"""The policy: for each role, entity, field and status transition, whether a change is allowed.

One table (:data:`POLICY`), read by ``/sync/push``, by the dedicated endpoints (sign, amend, users,
recordings), by pull/fetch/bootstrap for what each role may read, and by the tests. The workstation
enforces the same rules in its services so a clinician hears "only a doctor signs" at the moment of
clicking; the server checks again because a workstation is not a trust boundary.

Reading a row of the table:

* ``create``/``update``/``delete``: an :class:`Allow` (which roles, and whether only on a record
  they own, naming the field that says who owns it). A status change needs the transition's Allow
  instead of ``update``; a change of other fields needs ``update``.
* ``server_set``: fields the server fills in from the signed-in user or its own clock, at creation
  or when the record moves into a status. A payload may repeat the server's value (or leave the
  field out); any other value is refused. At other moments the field must not change.
* ``fixed``: fields that never change after creation; ``mutable``, when given, is the complete list
  of fields that may change (everything else is fixed).
* ``status``/``initial``/``transitions``: the status field, the statuses a record is created in,
  and which change of status each role may make.
* ``frozen``: statuses in which the record no longer changes except by its :class:`Amendment`.
* ``parent``: a parent record whose status and owner gate every change (items of a prescription,
  versions of a note); ``derived`` fields are copied from the parent by the server.
* ``unreadable_by``/``hidden``/``readers``: who receives the record, and which fields are withheld.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from models.enums import (
    AlertStatus,
    AppointmentStatus,
    EncounterStatus,
    NoteStatus,
    OrderStatus,
    PrescriptionStatus,
    Role,
    TaskStatus,
)

D, N, R, A = Role.DOCTOR, Role.NURSE, Role.RECEPTIONIST, Role.ADMIN
EVERYONE = frozenset(Role)
CLINICIANS = frozenset({D, N, A})
NOBODY: frozenset[Role] = frozenset()
#: Bookkeeping every edit touches: never a change of its own.
BOOKKEEPING = frozenset({"updated_at"})
#: Fields of every record that never change once it exists.
ALWAYS_FIXED = frozenset({"created_at"})
K = TypeVar("K", bound=str)
TOMBSTONE = "deleted_at"


@dataclass(frozen=True)
class Principal:
    """The signed-in user as the server knows them *now* (role and organisation are read per
    request, so a demotion or a move takes effect on the next request)."""

    user_id: uuid.UUID
    role: Role
    device_id: uuid.UUID
    organization_id: uuid.UUID

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


@dataclass(frozen=True)
class Allow:
    """Who may do something: one of ``roles``, and when ``owner`` names a field, only on a record
    whose ``owner`` field is the user (roles in ``unless`` are spared that condition)."""

    roles: frozenset[Role]
    owner: str | None = None
    unless: frozenset[Role] = NOBODY

    def permits(self, who: Principal, record: Mapping[str, Any] | None) -> bool:
        if who.role not in self.roles:
            return False
        if self.owner is None or who.role in self.unless:
            return True
        return record is not None and record.get(self.owner) == str(who.user_id)


@dataclass(frozen=True)
class ServerSet:
    """A field the server fills in: the signed-in user's id or the server's clock, when the record
    is created (``into`` None) or when it moves into the status ``into``."""

    source: Literal["user", "clock"]
    into: str | None = None


@dataclass(frozen=True)
class Amendment:
    """How a record in a frozen status may still change: only ``fields``, only by ``allow``, with
    ``counter`` moving up by exactly one and the status ending as ``status`` (when given)."""

    fields: frozenset[str]
    allow: Allow
    counter: str | None = None
    status: str | None = None


@dataclass(frozen=True)
class Parent:
    """The record a change hangs off: it must exist in the user's organisation, be in one of
    ``statuses`` and be owned by the user (its ``owner`` field), unless the role is in ``unless``."""

    field: str
    entity: str
    statuses: frozenset[str]
    owner: str
    unless: frozenset[Role] = NOBODY


@dataclass(frozen=True)
class EntityRules:
    create: Allow
    update: Allow
    delete: Allow
    server_set: Mapping[str, ServerSet] = field(default_factory=dict)
    fixed: frozenset[str] = frozenset()
    mutable: frozenset[str] | None = None
    self_fields: frozenset[str] = frozenset()
    status: str | None = None
    initial: frozenset[str] = frozenset()
    transitions: Mapping[tuple[str, str], Allow] = field(default_factory=dict)
    frozen: frozenset[str] = frozenset()
    amendment: Amendment | None = None
    parent: Parent | None = None
    derived: Mapping[str, str] = field(default_factory=dict)
    unreadable_by: frozenset[Role] = NOBODY
    hidden: Mapping[Role, frozenset[str]] = field(default_factory=dict)
    readers: tuple[str, ...] = ()
    #: Allowed values of a field (audit actions a workstation may report).
    choices: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: History lists ({"by": user id, ...} entries): an entry the record did not have yet must name
    #: the signed-in user (or nobody) as "by", so no one writes history in another's name.
    histories: frozenset[str] = frozenset()


def _moves(statuses: Mapping[K, frozenset[K]], allow: Allow) -> dict[tuple[str, str], Allow]:
    return {(old, new): allow for old, news in statuses.items() for new in news}


S, T, NS, E = AppointmentStatus, TaskStatus, NoteStatus, EncounterStatus
P, OS, AS = PrescriptionStatus, OrderStatus, AlertStatus

#: Audit actions a workstation records (app/services): it may report these, and only as itself.
WORKSTATION_AUDIT_ACTIONS = frozenset(
    {"create", "update", "delete", "read", "search", "sign", "amend", "conflict", "export", "print"}
)
NOTE_TEXT = frozenset({"content", "raw_transcription", "utterances"})
EVERY_ENTITY_NAME = frozenset(
    {
        "users", "practices", "patients", "care_team", "insurances", "conditions", "appointments",
        "time_blocks", "encounters", "clinical_notes", "note_versions", "recordings", "prescriptions",
        "prescription_items", "orders", "order_items", "tasks", "alerts", "messages", "audit_events",
        "order_results", "documents", "device_keys", "key_grants",
        "identity_checks",
    }
)  # fmt: skip

_APPOINTMENT_MOVES = {
    S.SCHEDULED: frozenset({S.CONFIRMED, S.CHECKED_IN, S.CANCELLED, S.NO_SHOW}),
    S.CONFIRMED: frozenset({S.SCHEDULED, S.CHECKED_IN, S.CANCELLED, S.NO_SHOW}),
    S.CHECKED_IN: frozenset({S.CANCELLED}),
}
_TASK_MOVES = {
    T.PENDING: frozenset({T.IN_PROGRESS, T.COMPLETED, T.CANCELLED}),
    T.IN_PROGRESS: frozenset({T.PENDING, T.COMPLETED, T.CANCELLED}),
}
_ADMIN_ONLY = Allow(frozenset({A}))
_ANYONE = Allow(EVERYONE)
_SCHEDULERS = Allow(frozenset({D, R, A}))
_PRESCRIBER = Allow(frozenset({D, A}), owner="prescriber_id", unless=frozenset({A}))
_ORDERER = Allow(frozenset({D, A}), owner="orderer_id", unless=frozenset({A}))
_RECEPTION_BLIND = frozenset({R})
_RECIPIENT = Allow(EVERYONE, owner="recipient_id")


def _signed_paper(
    owner: str,
    moves: Mapping[tuple[str, str], Allow],
    *,
    frozen: frozenset[str],
    later: frozenset[str] = frozenset(),
    stamps: Mapping[str, ServerSet] | None = None,
    fixed: frozenset[str] = frozenset(),
    histories: frozenset[str] = frozenset(),
) -> EntityRules:
    """A prescription or an order: written as a draft by a doctor (``owner`` names them), signed by
    that doctor, then moved along by ``moves``; once signed only its status, its notes (a
    cancellation's reason) and the ``later`` fields change (refills handed out, a review's note), by
    its owner or an administrator. ``stamps`` are further server-set fields (who reviewed, when
    printed)."""
    mine = Allow(frozenset({D, A}), owner=owner, unless=frozenset({A}))
    return EntityRules(
        create=Allow(frozenset({D})),
        update=mine,
        delete=mine,
        server_set={
            owner: ServerSet("user"),
            "signed_at": ServerSet("clock", into="signed"),
            **(stamps or {}),
        },
        fixed=frozenset({"patient_id", "encounter_id"}) | fixed,
        status="status",
        initial=frozenset({"draft"}),
        transitions={("draft", "signed"): Allow(frozenset({D}), owner=owner), **moves},
        frozen=frozen,
        amendment=Amendment(fields=frozenset({"status", "notes"}) | later, allow=mine),
        hidden={R: frozenset({"notes"})},
        histories=histories,
    )


POLICY: Mapping[str, EntityRules] = {
    "users": EntityRules(
        create=_ADMIN_ONLY,
        update=_ADMIN_ONLY,
        delete=_ADMIN_ONLY,
        self_fields=frozenset({"preferences", "phone_extension", "last_login_at"}),
    ),
    "practices": EntityRules(create=_ADMIN_ONLY, update=_ADMIN_ONLY, delete=_ADMIN_ONLY),
    "patients": EntityRules(create=Allow(EVERYONE), update=Allow(EVERYONE), delete=_ADMIN_ONLY),
    "care_team": EntityRules(create=_ANYONE, update=_ANYONE, delete=_ANYONE, fixed=frozenset({"patient_id"})),
    "insurances": EntityRules(
        create=_ANYONE, update=_ANYONE, delete=_ANYONE, fixed=frozenset({"patient_id"})
    ),
    "conditions": EntityRules(
        create=Allow(CLINICIANS),
        update=Allow(CLINICIANS),
        delete=Allow(frozenset({D, A})),
        fixed=frozenset({"patient_id"}),
        unreadable_by=_RECEPTION_BLIND,
    ),
    "appointments": EntityRules(
        create=Allow(EVERYONE),
        update=Allow(EVERYONE),
        delete=_ADMIN_ONLY,
        server_set={"cancelled_by_id": ServerSet("user", into=S.CANCELLED)},
        fixed=frozenset({"patient_id"}),
        histories=frozenset({"status_history", "notes_history", "reschedule_history"}),
        status="status",
        initial=frozenset({S.SCHEDULED, S.CONFIRMED, S.CHECKED_IN}),
        transitions={
            **_moves(_APPOINTMENT_MOVES, Allow(EVERYONE)),
            (S.CHECKED_IN, S.IN_PROGRESS): Allow(frozenset({D, A})),
            (S.CHECKED_IN, S.COMPLETED): Allow(frozenset({D, A})),
            (S.IN_PROGRESS, S.COMPLETED): Allow(frozenset({D, A})),
        },
    ),
    "time_blocks": EntityRules(create=_SCHEDULERS, update=_SCHEDULERS, delete=_SCHEDULERS),
    "encounters": EntityRules(
        create=Allow(CLINICIANS),
        update=Allow(CLINICIANS),
        delete=_ADMIN_ONLY,
        fixed=frozenset({"patient_id"}),
        status="status",
        initial=frozenset({E.IN_PROGRESS}),
        transitions={
            (E.IN_PROGRESS, E.COMPLETED): Allow(frozenset({D, A})),
            (E.IN_PROGRESS, E.CANCELLED): Allow(CLINICIANS),
        },
        hidden={R: frozenset({"chief_complaint", "vitals"})},
    ),
    "clinical_notes": EntityRules(
        create=Allow(frozenset({D})),
        # A draft is a working document the care team fills in (a nurse's vitals go into it); only
        # its author signs it, and once signed it changes only by amendment.
        update=Allow(CLINICIANS),
        delete=Allow(frozenset({D, A}), owner="author_id", unless=frozenset({A})),
        server_set={
            "author_id": ServerSet("user"),
            "signed_by_id": ServerSet("user", into=NS.SIGNED),
            "signed_at": ServerSet("clock", into=NS.SIGNED),
        },
        fixed=frozenset({"patient_id", "encounter_id"}),
        status="status",
        initial=frozenset({NS.DRAFT}),
        transitions={
            (NS.DRAFT, NS.SIGNED): Allow(frozenset({D}), owner="author_id"),
            (NS.SIGNED, NS.AMENDED): Allow(frozenset({D, A}), owner="author_id", unless=frozenset({A})),
        },
        frozen=frozenset({NS.SIGNED, NS.AMENDED}),
        amendment=Amendment(
            fields=NOTE_TEXT | {"status", "current_version"},
            allow=Allow(frozenset({D, A}), owner="author_id", unless=frozenset({A})),
            counter="current_version",
            status=NS.AMENDED,
        ),
        hidden={
            R: frozenset(NOTE_TEXT | {"engine_confidence", "note_metadata", "tags", "template"}),
        },
    ),
    "note_versions": EntityRules(
        # Made by the server from the note it holds: a workstation may only ask for the row of the
        # version its note has just reached (and give the amendment's reason).
        create=Allow(frozenset({D, A})),
        update=Allow(NOBODY),
        delete=Allow(NOBODY),
        server_set={"author_id": ServerSet("user"), "at": ServerSet("clock")},
        parent=Parent(
            "note_id", "clinical_notes", frozenset({NS.SIGNED, NS.AMENDED}), "author_id", frozenset({A})
        ),
        derived={"content": "content", "version_number": "current_version"},
        unreadable_by=_RECEPTION_BLIND,
    ),
    "recordings": EntityRules(
        create=Allow(frozenset({D, N})),
        update=Allow(frozenset({D, N, A}), owner="created_by_id", unless=frozenset({A})),
        delete=Allow(frozenset({D, N, A}), owner="created_by_id", unless=frozenset({A})),
        server_set={"created_by_id": ServerSet("user")},
        fixed=frozenset({"note_id", "encounter_id"}),
        unreadable_by=_RECEPTION_BLIND,
    ),
    "prescriptions": _signed_paper(
        "prescriber_id",
        {
            **_moves(
                {P.SIGNED: frozenset({P.PRINTED, P.SENT}), P.PRINTED: frozenset({P.SENT, P.DISPENSED})},
                _PRESCRIBER,
            ),
            (P.SENT, P.DISPENSED): _PRESCRIBER,
            **_moves(
                {s: frozenset({P.CANCELLED}) for s in (P.DRAFT, P.SIGNED, P.PRINTED, P.SENT)}, _PRESCRIBER
            ),
        },
        frozen=frozenset({P.SIGNED, P.PRINTED, P.SENT, P.DISPENSED, P.CANCELLED}),
        # the safety checks and the decision are recorded with the signature, and never change
        later=frozenset({"refill_log"}),
        stamps={"printed_at": ServerSet("clock", into=P.PRINTED)},
        fixed=frozenset({"renewed_from_id"}),
        histories=frozenset({"refill_log"}),
    ),
    "prescription_items": EntityRules(
        create=Allow(frozenset({D, A})),
        update=Allow(frozenset({D, A})),
        delete=Allow(frozenset({D, A})),
        fixed=frozenset({"prescription_id"}),
        parent=Parent(
            "prescription_id", "prescriptions", frozenset({P.DRAFT}), "prescriber_id", frozenset({A})
        ),
        unreadable_by=_RECEPTION_BLIND,
    ),
    "orders": _signed_paper(
        "orderer_id",
        {
            # the care team sends an order and enters what comes back; only the ordering doctor (or
            # an administrator) reviews the results and signs them off
            **_moves(
                {
                    OS.SIGNED: frozenset({OS.SENT, OS.RESULTED}),
                    OS.SENT: frozenset({OS.RESULTED, OS.COMPLETED}),
                },
                Allow(CLINICIANS),
            ),
            (OS.RESULTED, OS.REVIEWED): _ORDERER,
            **_moves({s: frozenset({OS.CANCELLED}) for s in (OS.DRAFT, OS.SIGNED, OS.SENT)}, _ORDERER),
        },
        frozen=frozenset({OS.SIGNED, OS.SENT, OS.RESULTED, OS.REVIEWED, OS.COMPLETED, OS.CANCELLED}),
        later=frozenset({"review_note"}),
        stamps={
            "resulted_at": ServerSet("clock", into=OS.RESULTED),
            "reviewed_at": ServerSet("clock", into=OS.REVIEWED),
            "reviewed_by_id": ServerSet("user", into=OS.REVIEWED),
        },
    ),
    "order_results": EntityRules(
        # entered by the care team while the order waits for or holds results; fixed once reviewed
        create=Allow(CLINICIANS),
        update=Allow(CLINICIANS),
        delete=Allow(CLINICIANS),
        server_set={"entered_by_id": ServerSet("user")},
        fixed=frozenset({"order_id", "patient_id"}),
        parent=Parent(
            "order_id", "orders", frozenset({OS.SIGNED, OS.SENT, OS.RESULTED}), "orderer_id", CLINICIANS
        ),
        derived={"patient_id": "patient_id"},
        unreadable_by=_RECEPTION_BLIND,
    ),
    "order_items": EntityRules(
        create=Allow(frozenset({D, A})),
        update=Allow(frozenset({D, A})),
        delete=Allow(frozenset({D, A})),
        fixed=frozenset({"order_id"}),
        parent=Parent("order_id", "orders", frozenset({OS.DRAFT}), "orderer_id", frozenset({A})),
        unreadable_by=_RECEPTION_BLIND,
    ),
    "tasks": EntityRules(
        create=Allow(EVERYONE),
        update=Allow(EVERYONE),
        delete=Allow(EVERYONE),
        server_set={"creator_id": ServerSet("user")},
        status="status",
        initial=frozenset({T.PENDING, T.IN_PROGRESS}),
        transitions=_moves(_TASK_MOVES, Allow(EVERYONE)),
    ),
    "alerts": EntityRules(
        # raised by anyone's workstation (its rules), acknowledged and resolved by its recipient
        create=Allow(EVERYONE),
        update=_RECIPIENT,
        delete=Allow(EVERYONE, owner="recipient_id", unless=frozenset({A})),
        server_set={
            "acknowledged_by_id": ServerSet("user", into=AS.ACKNOWLEDGED),
            "acknowledged_at": ServerSet("clock", into=AS.ACKNOWLEDGED),
            "resolved_by_id": ServerSet("user", into=AS.RESOLVED),
            "resolved_at": ServerSet("clock", into=AS.RESOLVED),
        },
        mutable=frozenset({"read", "read_at", "status", "resolution"}),
        status="status",
        initial=frozenset({AS.OPEN}),
        transitions=_moves(
            {AS.OPEN: frozenset({AS.ACKNOWLEDGED, AS.RESOLVED}), AS.ACKNOWLEDGED: frozenset({AS.RESOLVED})},
            _RECIPIENT,
        ),
        readers=("recipient_id",),
    ),
    "messages": EntityRules(
        create=Allow(EVERYONE),
        update=Allow(EVERYONE, owner="recipient_id"),
        delete=_ADMIN_ONLY,
        server_set={"sender_id": ServerSet("user"), "sent_at": ServerSet("clock")},
        mutable=frozenset({"read_at"}),
        readers=("sender_id", "recipient_id"),
    ),
    "documents": EntityRules(
        # the bytes are sealed on the workstation (docs/DESIGN-keys.md); the record says what they are
        create=Allow(CLINICIANS),
        update=Allow(CLINICIANS, owner="created_by_id", unless=frozenset({A})),
        delete=Allow(CLINICIANS, owner="created_by_id", unless=frozenset({A})),
        server_set={"created_by_id": ServerSet("user")},
        mutable=frozenset({"title", "category"}),
        unreadable_by=_RECEPTION_BLIND,
    ),
    "device_keys": EntityRules(
        # a workstation profile's public key, registered as its user; an administrator revokes one
        create=Allow(EVERYONE),
        update=_ADMIN_ONLY,
        delete=_ADMIN_ONLY,
        server_set={"user_id": ServerSet("user")},
        mutable=frozenset({"name", "revoked_at"}),
    ),
    "key_grants": EntityRules(
        # a data key sealed to a device's public key, by a workstation that holds the key; never
        # changed (a rotation makes new keys and new grants)
        create=Allow(CLINICIANS),
        update=Allow(NOBODY),
        delete=Allow(NOBODY),
        server_set={"granted_by_id": ServerSet("user")},
    ),
    "identity_checks": EntityRules(
        # The front desk's record of confirming who a patient is (seed 000): made once, by whoever
        # checks the patient in or books their call, in their own name; never changed afterwards.
        create=Allow(EVERYONE),
        update=Allow(NOBODY),
        delete=Allow(NOBODY),
        server_set={"checked_by_id": ServerSet("user")},
    ),
    "audit_events": EntityRules(
        # A workstation reports what happened there (reads while offline, for one): as itself, with
        # the actions it records, never changed afterwards. The server's own events are not pushed.
        create=Allow(EVERYONE),
        update=Allow(NOBODY),
        delete=Allow(NOBODY),
        server_set={"user_id": ServerSet("user")},
        unreadable_by=EVERYONE,
        choices={"action": WORKSTATION_AUDIT_ACTIONS, "resource_type": EVERY_ENTITY_NAME},
    ),
}


#: Staff accounts' secrets and devices never travel in a push: their dedicated endpoints ask this
#: table (record: the device, or the account, as {"user_id": ...}). Reserving MRN numbers is part of
#: registering patients, which every role does.
ACCOUNT_ACTIONS: Mapping[str, Allow] = {
    "create_account": _ADMIN_ONLY,
    "reset_password": _ADMIN_ONLY,
    "list_devices": Allow(EVERYONE, owner="user_id", unless=frozenset({A})),
    "revoke_device": Allow(EVERYONE, owner="user_id", unless=frozenset({A})),
    "reserve_mrns": Allow(EVERYONE),
}


#: Blobs sent apart from their record (a recording's audio): written once, only by the user the
#: named field of the record says made it, never replaced.
UPLOADS: Mapping[str, str] = {"recordings": "created_by_id", "documents": "created_by_id"}


def may_upload(who: Principal, entity: str, record: Mapping[str, Any]) -> bool:
    owner = UPLOADS.get(entity)
    return owner is not None and record.get(owner) == str(who.user_id)


# --- reading ---------------------------------------------------------------------------------------


def readable(who: Principal, entity: str, values: Mapping[str, Any]) -> dict[str, Any] | None:
    """The record as ``who`` may see it: None when they may not receive it at all, else without the
    fields their role may not read."""
    rules = POLICY.get(entity)
    if rules is None or who.role in rules.unreadable_by:
        return None
    if rules.readers and str(who.user_id) not in {str(values.get(f)) for f in rules.readers}:
        return None
    hidden = rules.hidden.get(who.role, frozenset())
    return {k: v for k, v in values.items() if k not in hidden}


def may_read_content(who: Principal, entity: str) -> bool:
    """Whether ``who`` reads an entity's clinical content (a note's text and history, audio)."""
    rules = POLICY.get(entity)
    if rules is None or who.role in rules.unreadable_by:
        return False
    return not (rules.hidden.get(who.role, frozenset()) & NOTE_TEXT)
