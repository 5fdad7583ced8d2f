"""Alerts raised by rules, not by hand: what a clinician must not miss reaches their alert list.

The rules, each naming its patient:

- ``critical_vital``: a vital sign outside the practice's limits in a note or a nurse's entry, to
  the encounter's clinician and to whoever entered it (limits: the practice's ``alert_thresholds``
  over resources/vocab/vital_limits.json);
- ``abnormal_result``: an abnormal result (high, critical when flagged so) to the ordering doctor;
- ``allergy_override``: a prescription signed over an allergy warning, to the patient's care-team
  nurses (or every active nurse when the patient has none), who give and watch the medicine;
- ``overdue_task``: a task past its due time, to whoever it is assigned to;
- ``note_conflict``: a signed note changed on two workstations (a sync conflict), to its author.

The first three fire inside the operation that wrote the event (:func:`after_operation`, called by
the Workspace's transaction), so the alert commits with it and only the workstation where the
event happened raises it. The last two are swept (:func:`sweep`) after each sync and when the alert
list loads, for the signed-in user's own alerts. Every rule alert has a deterministic id (UUIDv5 of
rule, source and recipient) and a deterministic creation time, so two workstations that see the
same event make the same record, which the server takes as one.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import resources
from app.services import audit
from app.vital_signs import Reading, readings
from models import (
    Alert,
    CareTeam,
    ClinicalNote,
    Encounter,
    Order,
    Patient,
    Practice,
    SyncConflict,
    Task,
    User,
)
from models.enums import (
    AlertSeverity,
    AlertType,
    CareTeamStatus,
    ConflictStatus,
    NoteStatus,
    ResultFlag,
    Role,
    TaskStatus,
)
from models.results import OrderResult

if TYPE_CHECKING:
    from app.ops.changes import Transaction

_NAMESPACE = uuid.UUID("0190c0de-0000-7000-8000-0000a1e47000")
CRITICAL_VITAL, ABNORMAL_RESULT, ALLERGY_OVERRIDE = "critical_vital", "abnormal_result", "allergy_override"
OVERDUE_TASK, NOTE_CONFLICT = "overdue_task", "note_conflict"
#: vital sign names as the limits file has them, and their words
VITAL_WORDS = {
    "systolic": "systolic blood pressure", "diastolic": "diastolic blood pressure",
    "heart_rate": "heart rate", "respiratory_rate": "respiratory rate", "temperature": "temperature",
    "spo2": "oxygen saturation",
}  # fmt: skip


def alert_id(rule: str, source: str, recipient_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"{rule}:{source}:{recipient_id}")


def raise_alert(
    session: Session,
    *,
    rule: str,
    source: tuple[str, uuid.UUID],
    key: str | None = None,
    recipient_id: uuid.UUID,
    patient_id: uuid.UUID | None,
    alert_type: AlertType,
    severity: AlertSeverity,
    title: str,
    message: str,
    at: datetime | None = None,
) -> Alert | None:
    """The rule's alert for this source and recipient, unless it exists already (here, or pulled)."""
    aid = alert_id(rule, key or str(source[1]), recipient_id)
    if session.get(Alert, aid) is not None:
        return None
    alert = Alert(
        id=aid,
        recipient_id=recipient_id,
        patient_id=patient_id,
        alert_type=alert_type,
        severity=severity,
        title=title[:200],
        message=message,
        source=source[0],
        source_id=source[1],
        rule=rule,
    )
    if at is not None:
        alert.created_at = at
        alert.updated_at = at
    session.add(alert)
    session.flush()
    audit.record(session, action="create", resource_type="alerts", resource_id=aid, new={"rule": rule})
    return alert


# --- critical vital signs ----------------------------------------------------------------------------


@cache
def default_limits() -> dict[str, tuple[float, float]]:
    data = json.loads(resources.path("vocab", "vital_limits.json").read_text(encoding="utf-8"))
    return {k: (float(v[0]), float(v[1])) for k, v in data.items() if k in VITAL_WORDS}


def limits(session: Session) -> dict[str, tuple[float, float]]:
    """The practice's limits, each falling back to the shipped default."""
    practice = session.scalars(select(Practice).where(Practice.deleted_at.is_(None))).first()
    own: Mapping[str, Any] = (practice.alert_thresholds or {}) if practice is not None else {}
    out = dict(default_limits())
    for name, pair in own.items():
        if name in VITAL_WORDS and isinstance(pair, list | tuple) and len(pair) == 2:
            try:
                out[name] = (float(pair[0]), float(pair[1]))
            except (TypeError, ValueError):
                continue
    return out


def critical(found: Iterable[Reading], bounds: Mapping[str, tuple[float, float]]) -> list[tuple[str, float]]:
    """(limit name, value) of each reading outside its limits."""
    out: list[tuple[str, float]] = []
    for reading in found:
        values: list[tuple[str, float | None]]
        if reading.kind == "blood_pressure":
            values = [("systolic", reading.systolic), ("diastolic", reading.diastolic)]
        elif reading.kind == "temperature":
            values = [("temperature", reading.celsius)]
        else:
            values = [(reading.kind, reading.value)]
        for name, value in values:
            if value is not None and name in bounds and not bounds[name][0] <= value <= bounds[name][1]:
                out.append((name, value))
    return out


def _patient_name(session: Session, patient_id: uuid.UUID | None) -> str:
    patient = session.get(Patient, patient_id) if patient_id is not None else None
    return patient.full_name if patient is not None else "a patient"


def check_vitals(session: Session, encounter: Encounter, vitals: Mapping[str, Any] | None) -> int:
    """Critical-vital alerts for these readings of the encounter; returns how many were raised."""
    bad = critical(readings(vitals), limits(session))
    if not bad:
        return 0
    recipients = {encounter.clinician_id}
    actor = audit.actor_of(session)
    if actor is not None:
        recipients.add(actor)
    name = _patient_name(session, encounter.patient_id)
    raised = 0
    for limit, value in bad:
        low, high = limits(session)[limit]
        words = VITAL_WORDS[limit]
        text = f"{words} {value:g} (limits {low:g}–{high:g})"
        for recipient in sorted(recipients, key=str):
            raised += (
                raise_alert(
                    session,
                    rule=CRITICAL_VITAL,
                    source=("encounters", encounter.id),
                    key=f"{encounter.id}:{limit}",
                    recipient_id=recipient,
                    patient_id=encounter.patient_id,
                    alert_type=AlertType.VITAL_SIGN,
                    severity=AlertSeverity.CRITICAL,
                    title=f"Critical {words}: {name}",
                    message=f"{name}: {text}. Check the patient now.",
                )
                is not None
            )
    return raised


# --- results and prescriptions -----------------------------------------------------------------------


def check_result(session: Session, result: OrderResult) -> Alert | None:
    """An abnormal or critical result goes to the doctor who ordered it."""
    if result.flag is ResultFlag.NORMAL:
        return None
    order = session.get(Order, result.order_id)
    if order is None:
        return None
    name = _patient_name(session, result.patient_id)
    value = " ".join(x for x in (result.value, result.unit) if x) or "see the report"
    severity = AlertSeverity.CRITICAL if result.flag is ResultFlag.CRITICAL else AlertSeverity.HIGH
    return raise_alert(
        session,
        rule=ABNORMAL_RESULT,
        source=("order_results", result.id),
        recipient_id=order.orderer_id,
        patient_id=result.patient_id,
        alert_type=AlertType.LAB_RESULT,
        severity=severity,
        title=f"{result.flag.value.capitalize()} result: {result.name} — {name}",
        message=f"{name}: {result.name} {value} ({result.flag.value}). Review and sign off the results.",
    )


def care_nurses(session: Session, patient_id: uuid.UUID) -> list[uuid.UUID]:
    """The patient's care-team nurses; every active nurse when the care team has none."""
    team = session.scalars(
        select(User.id)
        .join(CareTeam, CareTeam.provider_id == User.id)
        .where(
            CareTeam.patient_id == patient_id,
            CareTeam.status == CareTeamStatus.ACTIVE,
            CareTeam.deleted_at.is_(None),
            User.role == Role.NURSE,
            User.active.is_(True),
        )
    ).all()
    if team:
        return sorted(set(team), key=str)
    return list(
        session.scalars(
            select(User.id).where(User.role == Role.NURSE, User.active.is_(True)).order_by(User.id)
        )
    )


def allergy_override(
    session: Session, *, prescription_id: uuid.UUID, patient_id: uuid.UUID, overridden: list[str], reason: str
) -> int:
    """A prescription signed over allergy warnings: the nurses who will give the medicine are told."""
    name = _patient_name(session, patient_id)
    raised = 0
    for nurse in care_nurses(session, patient_id):
        raised += (
            raise_alert(
                session,
                rule=ALLERGY_OVERRIDE,
                source=("prescriptions", prescription_id),
                recipient_id=nurse,
                patient_id=patient_id,
                alert_type=AlertType.MEDICATION,
                severity=AlertSeverity.HIGH,
                title=f"Allergy warning overridden: {name}",
                message=f"{name}: prescribed despite {'; '.join(overridden)}. The doctor's reason: {reason}. "
                "Watch for a reaction.",
            )
            is not None
        )
    return raised


# --- after an operation, and the sweep ---------------------------------------------------------------


def after_operation(transaction: Transaction) -> None:
    """The vitals rules over what the operation wrote (an encounter's vitals, a note's content)."""
    session = transaction.session
    encounters = set(transaction.written("encounters"))
    for note_id in transaction.written("notes"):
        note = session.get(ClinicalNote, note_id)
        if note is not None and note.encounter_id is not None and (note.content or {}).get("vitals"):
            enc = session.get(Encounter, note.encounter_id)
            if enc is not None:
                check_vitals(session, enc, note.content.get("vitals"))
            encounters.discard(note.encounter_id)
    for encounter_id in encounters:
        enc = session.get(Encounter, encounter_id)
        if enc is not None and enc.vitals:
            check_vitals(session, enc, enc.vitals)


def sweep(session: Session, *, now: datetime) -> int:
    """The signed-in user's overdue-task and signed-note-conflict alerts; returns how many it raised."""
    me = audit.actor_of(session)
    if me is None:
        return 0
    user = session.get(User, me)
    raised = 0
    overdue = session.scalars(
        select(Task).where(
            Task.deleted_at.is_(None),
            Task.status.in_([TaskStatus.PENDING, TaskStatus.IN_PROGRESS]),
            Task.due_at.is_not(None),
            Task.due_at < now,
            (Task.assignee_id == me)
            | ((Task.assignee_id.is_(None)) & (Task.assignee_role == (user.role if user else None))),
        )
    ).all()
    for task in overdue:
        assert task.due_at is not None
        raised += (
            raise_alert(
                session,
                rule=OVERDUE_TASK,
                source=("task", task.id),
                key=f"{task.id}:{task.due_at.isoformat()}",
                recipient_id=me,
                patient_id=task.patient_id,
                alert_type=AlertType.TASK,
                severity=AlertSeverity.HIGH
                if task.priority.value in ("high", "urgent")
                else AlertSeverity.MEDIUM,
                title=f"Overdue task: {task.title}",
                message=f"{task.title} was due {task.due_at:%Y-%m-%d %H:%M} UTC.",
                at=task.due_at,
            )
            is not None
        )
    conflicts = session.scalars(
        select(SyncConflict).where(
            SyncConflict.entity == "clinical_notes", SyncConflict.status == ConflictStatus.OPEN
        )
    ).all()
    for conflict in conflicts:
        note = session.get(ClinicalNote, conflict.record_id)
        if note is None or note.status is NoteStatus.DRAFT or note.author_id != me:
            continue
        name = _patient_name(session, note.patient_id)
        raised += (
            raise_alert(
                session,
                rule=NOTE_CONFLICT,
                source=("sync_conflicts", conflict.id),
                recipient_id=me,
                patient_id=note.patient_id,
                alert_type=AlertType.SYSTEM,
                severity=AlertSeverity.HIGH,
                title=f"Signed note changed in two places: {name}",
                message="Both texts are kept. Reconcile them in Sync conflicts (Ctrl+Shift+J).",
                at=conflict.detected_at,
            )
            is not None
        )
    return raised
