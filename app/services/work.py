"""Nurses' and clinicians' work: tasks and alerts.

Task lists are ordered the way a nurse works them: overdue first, then by priority, then by due
time. Alerts come unread first, most severe first.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import and_, case, or_, select
from sqlalchemy.orm import Session

from app.services import audit
from app.services.roles import current_user
from clinicdesk.errors import NotFoundError, ValidationError
from models import Alert, Patient, Task, User, utcnow
from models.enums import AlertSeverity, AlertStatus, Role, TaskPriority, TaskStatus, TaskType

T = TaskStatus

TASK_TRANSITIONS: dict[TaskStatus, frozenset[TaskStatus]] = {
    T.PENDING: frozenset({T.IN_PROGRESS, T.COMPLETED, T.CANCELLED}),
    T.IN_PROGRESS: frozenset({T.PENDING, T.COMPLETED, T.CANCELLED}),
    T.COMPLETED: frozenset(),
    T.CANCELLED: frozenset(),
}
PRIORITY_RANK = {TaskPriority.URGENT: 0, TaskPriority.HIGH: 1, TaskPriority.MEDIUM: 2, TaskPriority.LOW: 3}
SEVERITY_RANK = {
    AlertSeverity.CRITICAL: 0,
    AlertSeverity.HIGH: 1,
    AlertSeverity.MEDIUM: 2,
    AlertSeverity.LOW: 3,
}


class TaskScope(StrEnum):
    MINE = "mine"
    TEAM = "team"
    ALL = "all"


@dataclass(frozen=True)
class TaskRecord:
    id: uuid.UUID
    title: str
    description: str | None
    assignee_id: uuid.UUID | None
    assignee_name: str | None
    patient_id: uuid.UUID | None
    patient_name: str | None
    encounter_id: uuid.UUID | None
    due_at: datetime | None
    priority: TaskPriority
    status: TaskStatus
    task_type: TaskType
    overdue: bool
    #: a task given to a role (any nurse) rather than a person
    assignee_role: Role | None = None
    source_alert_id: uuid.UUID | None = None


@dataclass(frozen=True)
class AlertRecord:
    id: uuid.UUID
    title: str
    message: str | None
    severity: AlertSeverity
    alert_type: str
    read: bool
    created_at: datetime
    patient_id: uuid.UUID | None
    source: str | None
    source_id: uuid.UUID | None
    status: AlertStatus = AlertStatus.OPEN
    patient_name: str | None = None
    rule: str | None = None
    resolution: str | None = None


def _open(status: TaskStatus) -> bool:
    return status in (T.PENDING, T.IN_PROGRESS)


def list_tasks(
    session: Session,
    *,
    scope: TaskScope = TaskScope.MINE,
    include_closed: bool = False,
    now: datetime | None = None,
) -> list[TaskRecord]:
    user = current_user(session)
    now = now or utcnow()
    assignee = User.__table__.alias("assignee")
    query = (
        select(Task, assignee.c.full_name, Patient.first_name, Patient.last_name)
        .outerjoin(assignee, assignee.c.id == Task.assignee_id)
        .outerjoin(Patient, Patient.id == Task.patient_id)
        .where(Task.deleted_at.is_(None))
    )
    if scope is TaskScope.MINE:
        query = query.where(
            or_(
                Task.assignee_id == user.id, and_(Task.assignee_id.is_(None), Task.assignee_role == user.role)
            )
        )
    elif scope is TaskScope.TEAM:
        team = (user.preferences or {}).get("team")
        mine = or_(assignee.c.role == user.role.value, Task.assignee_role == user.role)
        query = query.where(or_(Task.team == team, Task.assignee_role == user.role) if team else mine)
    if not include_closed:
        query = query.where(Task.status.in_([T.PENDING, T.IN_PROGRESS]))
    rows = session.execute(
        query.order_by(
            case({p: r for p, r in PRIORITY_RANK.items()}, value=Task.priority),
            Task.due_at.is_(None),
            Task.due_at,
        )
    ).all()
    views = [
        TaskRecord(
            id=t.id,
            title=t.title,
            description=t.description,
            assignee_id=t.assignee_id,
            assignee_name=a_name,
            patient_id=t.patient_id,
            patient_name=f"{first} {last}" if first else None,
            encounter_id=t.encounter_id,
            due_at=t.due_at,
            priority=t.priority,
            status=t.status,
            task_type=t.task_type,
            overdue=bool(t.due_at and t.due_at < now and _open(t.status)),
            assignee_role=t.assignee_role,
            source_alert_id=t.source_alert_id,
        )
        for t, a_name, first, last in rows
    ]
    return sorted(views, key=lambda v: not v.overdue)


def create_task(
    session: Session,
    *,
    title: str,
    assignee_id: uuid.UUID | None = None,
    patient_id: uuid.UUID | None = None,
    encounter_id: uuid.UUID | None = None,
    due_at: datetime | None = None,
    priority: TaskPriority = TaskPriority.MEDIUM,
    task_type: TaskType = TaskType.OTHER,
    description: str | None = None,
    assignee_role: Role | None = None,
    source_alert_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """A task for a person, or for a role (``assignee_role``: any nurse takes it); one made from an
    alert names it, and takes its patient."""
    user = current_user(session)
    if not title.strip():
        raise ValidationError("a task needs a title")
    if due_at is not None and due_at.tzinfo is None:
        raise ValidationError("the due time needs a timezone")
    task = Task(
        title=title.strip(),
        description=description,
        assignee_id=assignee_id,
        creator_id=user.id,
        team=(user.preferences or {}).get("team"),
        patient_id=patient_id,
        encounter_id=encounter_id,
        due_at=due_at,
        priority=priority,
        task_type=task_type,
        assignee_role=assignee_role if assignee_id is None else None,
        source_alert_id=source_alert_id,
    )
    if source_alert_id is not None:
        alert = session.get(Alert, source_alert_id)
        if alert is None or alert.recipient_id != user.id:
            raise NotFoundError("no such alert for you in this profile")
        task.patient_id = task.patient_id or alert.patient_id
    session.add(task)
    session.flush()
    audit.record(session, action="create", resource_type="tasks", resource_id=task.id)
    return task.id


def _task(session: Session, task_id: uuid.UUID) -> Task:
    task = session.get(Task, task_id)
    if task is None or task.deleted_at is not None:
        raise NotFoundError("no such task in this profile")
    return task


def set_task_status(
    session: Session, task_id: uuid.UUID, status: TaskStatus, *, reason: str | None = None
) -> TaskStatus:
    current_user(session)
    task = _task(session, task_id)
    old = task.status
    if status == old:
        return old
    if status not in TASK_TRANSITIONS[old]:
        raise ValidationError(
            f"a {old.value.replace('_', ' ')} task cannot become {status.value.replace('_', ' ')}"
        )
    if status is T.CANCELLED and not (reason or "").strip():
        raise ValidationError("cancelling a task needs a reason")
    task.status = status
    task.completed_at = utcnow() if status is T.COMPLETED else None
    audit.record(
        session,
        action="update",
        resource_type="tasks",
        resource_id=task.id,
        old={"status": old.value},
        new={"status": status.value},
        reason=reason,
    )
    return status


def assign_task(
    session: Session, task_id: uuid.UUID, assignee_id: uuid.UUID | None, *, role: Role | None = None
) -> None:
    """Gives the task to a staff member, or (``assignee_id`` None) to everyone of ``role``."""
    current_user(session)
    task = _task(session, task_id)
    if not _open(task.status):
        raise ValidationError("a closed task is not reassigned")
    if assignee_id is None and role is None:
        raise ValidationError("choose a person or a role to give the task to")
    if assignee_id is not None:
        person = session.get(User, assignee_id)
        if person is None:
            raise NotFoundError("no such user in this profile")
        if not person.active:
            raise ValidationError("the task cannot go to someone who no longer works here")
    old = {"assignee_id": str(task.assignee_id) if task.assignee_id else None, "role": task.assignee_role}
    task.assignee_id = assignee_id
    task.assignee_role = None if assignee_id is not None else role
    audit.record(
        session,
        action="update",
        resource_type="tasks",
        resource_id=task.id,
        old={k: getattr(v, "value", v) for k, v in old.items()},
        new={
            "assignee_id": str(assignee_id) if assignee_id else None,
            "role": role.value if role and not assignee_id else None,
        },
    )


def list_alerts(session: Session, *, include_read: bool = True) -> list[AlertRecord]:
    user = current_user(session)
    query = select(Alert).where(Alert.recipient_id == user.id, Alert.deleted_at.is_(None))
    if not include_read:
        query = query.where(Alert.read.is_(False))
    alerts = session.scalars(query).all()
    ordered = sorted(
        alerts,
        key=lambda a: (
            a.status is AlertStatus.RESOLVED,
            a.read,
            SEVERITY_RANK[a.severity],
            -a.created_at.timestamp(),
        ),
    )
    patients = {a.patient_id for a in alerts if a.patient_id is not None}
    names = (
        {
            pid: f"{first} {last}"
            for pid, first, last in session.execute(
                select(Patient.id, Patient.first_name, Patient.last_name).where(Patient.id.in_(patients))
            )
        }
        if patients
        else {}
    )
    return [
        AlertRecord(
            id=a.id,
            title=a.title,
            message=a.message,
            severity=a.severity,
            alert_type=a.alert_type.value,
            read=a.read,
            created_at=a.created_at,
            patient_id=a.patient_id,
            source=a.source,
            source_id=a.source_id,
            status=a.status,
            patient_name=names.get(a.patient_id) if a.patient_id else None,
            rule=a.rule,
            resolution=a.resolution,
        )
        for a in ordered
    ]


def _my_alert(session: Session, alert_id: uuid.UUID) -> tuple[User, Alert]:
    user = current_user(session)
    alert = session.get(Alert, alert_id)
    if alert is None or alert.deleted_at is not None or alert.recipient_id != user.id:
        raise NotFoundError("no such alert for you in this profile")
    return user, alert


def mark_alert_read(session: Session, alert_id: uuid.UUID) -> None:
    """Acknowledges the alert: read, and someone is on it."""
    user, alert = _my_alert(session, alert_id)
    if alert.read and alert.status is not AlertStatus.OPEN:
        return
    now = utcnow()
    alert.read, alert.read_at = True, alert.read_at or now
    if alert.status is AlertStatus.OPEN:
        alert.status = AlertStatus.ACKNOWLEDGED
        alert.acknowledged_at, alert.acknowledged_by_id = now, user.id
    audit.record(session, action="read", resource_type="alerts", resource_id=alert.id)


def resolve_alert(session: Session, alert_id: uuid.UUID, *, resolution: str) -> None:
    """Closes the alert with what was done about it."""
    user, alert = _my_alert(session, alert_id)
    text = " ".join(resolution.split())
    if not text:
        raise ValidationError("say what was done about the alert")
    if alert.status is AlertStatus.RESOLVED:
        raise ValidationError("this alert is resolved already")
    now = utcnow()
    alert.read, alert.read_at = True, alert.read_at or now
    alert.status, alert.resolved_at, alert.resolved_by_id = AlertStatus.RESOLVED, now, user.id
    alert.resolution = text[:2000]
    audit.record(
        session,
        action="update",
        resource_type="alerts",
        resource_id=alert.id,
        new={"status": "resolved"},
        reason=text[:500],
    )
