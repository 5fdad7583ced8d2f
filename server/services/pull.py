"""Reading for clients: pages of changes since a cursor, the first-sign-in window, and single
records a client is missing. Each read of patient data writes one AuditEvent (per page, naming the
records), in its own short transaction after the read.

Every read goes through :func:`load_records`, which keeps to the user's organisation (and PostgreSQL's
row-level security does too, as the second wall), gives each role only what the policy lets it read
(server/policy.py), and makes stored values sendable, so no stored record can fail a pull."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Connection, Engine, and_, or_, select

from models import (
    Alert,
    Appointment,
    CareTeam,
    ClinicalNote,
    Condition,
    DeviceKey,
    Document,
    Encounter,
    Insurance,
    KeyGrant,
    Message,
    Order,
    OrderItem,
    OrderResult,
    Practice,
    Prescription,
    PrescriptionItem,
    Recording,
    Task,
    TimeBlock,
    User,
)
from models.enums import Role, TaskStatus
from server.db import scope
from server.mongo import DocumentStore
from server.policy import Principal, readable
from server.records import NOT_PULLED, entity_info, row_to_wire
from server.services import horizon
from server.services.audit import audit_row, write_audit
from server.tables import change_log, usn_counter
from server.validation import record_safe
from sync.protocol import BootstrapResponse, PullResponse, RecordOut, RecordRef

REPEATABLE = {"isolation_level": "REPEATABLE READ"}


def load_records(
    conn: Connection, docs: DocumentStore, who: Principal, entity: str, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, RecordOut]:
    info = entity_info(entity)
    wanted = list(set(ids))
    if info is None or not wanted or entity in NOT_PULLED:
        return {}
    out: dict[uuid.UUID, RecordOut] = {}
    rows: list[Any] = []
    for start in range(0, len(wanted), 1000):
        chunk = wanted[start : start + 1000]
        rows.extend(
            conn.execute(
                select(info.table).where(
                    info.table.c.id.in_(chunk), info.table.c.organization_id == who.organization_id
                )
            )
            .mappings()
            .all()
        )
    texts = {}
    if info.doc_fields:
        texts = docs.current(entity, [(r["id"], r["version"]) for r in rows if r["version"]])
    for row in rows:
        values = row_to_wire(info, row)
        for name, value in texts.get(row["id"], {}).items():
            if name in info.doc_fields:
                values[name] = value
        shown = readable(who, entity, values)
        if shown is None:
            continue
        out[row["id"]] = RecordOut(
            entity=entity,
            record_id=row["id"],
            version=int(row["version"] or 0),
            deleted=row["deleted_at"] is not None,
            values=record_safe(entity, row["id"], shown),
        )
    return out


def _audit_read(engine: Engine, who: Principal, what: str, records: Sequence[RecordOut]) -> None:
    if not records:
        return
    counts: dict[str, int] = defaultdict(int)
    for record in records:
        counts[record.entity] += 1
    with engine.begin() as conn:
        scope(conn, who.organization_id)
        write_audit(
            conn,
            [
                audit_row(
                    user_id=who.user_id,
                    organization_id=who.organization_id,
                    action="read",
                    resource_type=what,
                    new_values={"entities": dict(counts), "record_ids": [str(r.record_id) for r in records]},
                    device_id=who.device_id,
                )
            ],
        )


def pull(engine: Engine, docs: DocumentStore, who: Principal, *, cursor: int, limit: int) -> PullResponse:
    with engine.connect().execution_options(**REPEATABLE) as conn, conn.begin():
        # First statement: it fixes the snapshot the horizon and the change log are then read in.
        scope(conn, who.organization_id)
        top = horizon.horizon(conn)
        stmt = select(change_log.c.entity, change_log.c.record_id, change_log.c.usn).where(
            change_log.c.usn > cursor, change_log.c.organization_id == who.organization_id
        )
        if top is not None:
            stmt = stmt.where(change_log.c.usn < top)
        log = conn.execute(stmt.order_by(change_log.c.usn).limit(limit + 1)).all()
        has_more = len(log) > limit
        log = log[:limit]
        by_entity: dict[str, list[uuid.UUID]] = defaultdict(list)
        for entity, rid, _ in log:
            by_entity[entity].append(rid)
        loaded: dict[tuple[str, uuid.UUID], RecordOut] = {}
        for entity, ids in by_entity.items():
            for rid, record in load_records(conn, docs, who, entity, ids).items():
                loaded[(entity, rid)] = record
    records = [loaded[(e, rid)] for e, rid, _ in log if (e, rid) in loaded]
    _audit_read(engine, who, "sync_pull", records)
    return PullResponse(records=records, cursor=log[-1][2] if log else cursor, has_more=has_more)


def fetch(engine: Engine, docs: DocumentStore, who: Principal, refs: Sequence[RecordRef]) -> list[RecordOut]:
    by_entity: dict[str, list[uuid.UUID]] = defaultdict(list)
    for ref in refs:
        by_entity[ref.entity].append(ref.record_id)
    records: list[RecordOut] = []
    with engine.begin() as conn:
        scope(conn, who.organization_id)
        for entity, ids in by_entity.items():
            records.extend(load_records(conn, docs, who, entity, ids).values())
    _audit_read(engine, who, "sync_fetch", records)
    return records


def bootstrap(
    engine: Engine, docs: DocumentStore, who: Principal, *, start: date, end: date
) -> BootstrapResponse:
    """The user's schedule window, the patients in it or in their care, their open tasks and alerts,
    staff and practice: enough to work offline from the first minute. Read in one snapshot together
    with the cursor, so the first pull continues exactly where this left off."""
    lo = datetime.combine(start, time.min, tzinfo=UTC)
    # The last instant of the window's last day (not midnight after it: the day after 9999-12-31
    # does not exist).
    hi = datetime.combine(end, time.max, tzinfo=UTC)
    mine = who.role is Role.DOCTOR
    plan: list[tuple[str, set[uuid.UUID]]] = []
    with engine.connect().execution_options(**REPEATABLE) as conn, conn.begin():
        scope(conn, who.organization_id)  # first statement: see pull()
        top = horizon.horizon(conn)
        cursor = int(conn.execute(select(usn_counter.c.value).where(usn_counter.c.id == 1)).scalar_one())
        if top is not None:
            cursor = min(cursor, top - 1)

        def ids(stmt: Any) -> set[uuid.UUID]:
            return set(conn.execute(stmt).scalars())

        live_appt = and_(
            Appointment.start_at >= lo, Appointment.start_at <= hi, Appointment.deleted_at.is_(None)
        )
        if mine:
            live_appt = and_(live_appt, Appointment.clinician_id == who.user_id)
        # Subqueries, not id lists: a user with very many open tasks must not overflow the
        # statement's parameter limit.
        appointments = ids(select(Appointment.id).where(live_appt))
        open_tasks = select(Task.id).where(
            Task.deleted_at.is_(None),
            Task.status.in_([TaskStatus.PENDING, TaskStatus.IN_PROGRESS]),
            or_(
                Task.assignee_id == who.user_id,
                Task.creator_id == who.user_id,
                and_(Task.assignee_id.is_(None), Task.assignee_role == who.role),
            ),
        )
        alerts = ids(select(Alert.id).where(Alert.recipient_id == who.user_id, Alert.read.is_(False)))
        patient_q = (
            select(Appointment.patient_id.label("pid"))
            .where(live_appt)
            .union(
                select(CareTeam.patient_id).where(
                    CareTeam.provider_id == who.user_id, CareTeam.deleted_at.is_(None)
                ),
                select(Task.patient_id).where(Task.id.in_(open_tasks), Task.patient_id.is_not(None)),
            )
            .subquery()
        )
        in_window = select(patient_q.c.pid)
        blocks_q = select(TimeBlock.id).where(
            TimeBlock.deleted_at.is_(None),
            TimeBlock.start_date <= end,
            or_(TimeBlock.end_date.is_(None), TimeBlock.end_date >= start),
        )
        if mine:
            blocks_q = blocks_q.where(TimeBlock.clinician_id == who.user_id)
        encounter_q = select(Encounter.id).where(
            Encounter.patient_id.in_(in_window), Encounter.start_at >= lo, Encounter.start_at <= hi
        )
        note_q = select(ClinicalNote.id).where(ClinicalNote.encounter_id.in_(encounter_q))
        prescription_q = select(Prescription.id).where(Prescription.patient_id.in_(in_window))
        order_q = select(Order.id).where(Order.patient_id.in_(in_window))
        plan = [
            ("users", ids(select(User.id))),
            ("practices", ids(select(Practice.id))),
            ("patients", ids(in_window)),
            ("care_team", ids(select(CareTeam.id).where(CareTeam.patient_id.in_(in_window)))),
            ("conditions", ids(select(Condition.id).where(Condition.patient_id.in_(in_window)))),
            ("insurances", ids(select(Insurance.id).where(Insurance.patient_id.in_(in_window)))),
            ("appointments", appointments),
            ("time_blocks", ids(blocks_q)),
            ("encounters", ids(encounter_q)),
            ("clinical_notes", ids(note_q)),
            ("tasks", ids(open_tasks)),
            ("alerts", alerts),
            # the chart's medications, orders and results, documents and the visits' recordings, the
            # user's messages, and the keys that open documents and recordings (docs/DESIGN-keys.md)
            ("recordings", ids(select(Recording.id).where(Recording.note_id.in_(note_q)))),
            ("prescriptions", ids(prescription_q)),
            (
                "prescription_items",
                ids(select(PrescriptionItem.id).where(PrescriptionItem.prescription_id.in_(prescription_q))),
            ),
            ("orders", ids(order_q)),
            ("order_items", ids(select(OrderItem.id).where(OrderItem.order_id.in_(order_q)))),
            ("order_results", ids(select(OrderResult.id).where(OrderResult.patient_id.in_(in_window)))),
            ("documents", ids(select(Document.id).where(Document.patient_id.in_(in_window)))),
            (
                "messages",
                ids(
                    select(Message.id).where(
                        or_(Message.sender_id == who.user_id, Message.recipient_id == who.user_id)
                    )
                ),
            ),
            ("device_keys", ids(select(DeviceKey.id))),
            ("key_grants", ids(select(KeyGrant.id))),
        ]
        records: list[RecordOut] = []
        for entity, wanted in plan:
            records.extend(load_records(conn, docs, who, entity, wanted).values())
    _audit_read(engine, who, "sync_bootstrap", [r for r in records if r.entity != "users"])
    return BootstrapResponse(records=records, cursor=cursor, window_start=start, window_end=end)
