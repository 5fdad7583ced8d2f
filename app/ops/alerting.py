"""The alert list as a clinician works it: the rules' sweep (overdue tasks, signed notes changed in
two places) and the list in one step, acknowledging and resolving, and a task made from an alert."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from app import alert_rules
from app.ops.base import operation
from app.services import work
from app.services.work import AlertRecord
from models import utcnow
from models.enums import Role, TaskPriority, TaskType


@operation
def sweep_and_list(session: Session) -> list[AlertRecord]:
    """What the rules raise from time passing, then the signed-in user's alerts."""
    alert_rules.sweep(session, now=utcnow())
    return work.list_alerts(session)


acknowledge = operation(work.mark_alert_read)
resolve = operation(work.resolve_alert)
#: to a staff member, or (assignee None, role given) to everyone of a role
reassign_task = operation(work.assign_task)


@operation
def task_from_alert(
    session: Session,
    alert_id: uuid.UUID,
    *,
    title: str,
    assignee_id: uuid.UUID | None = None,
    assignee_role: Role | None = None,
    priority: TaskPriority = TaskPriority.HIGH,
    description: str | None = None,
) -> uuid.UUID:
    """A follow-up task for the alert's patient; the alert is acknowledged with it."""
    task_id = work.create_task(
        session,
        title=title,
        assignee_id=assignee_id,
        assignee_role=assignee_role,
        priority=priority,
        task_type=TaskType.FOLLOW_UP,
        description=description,
        source_alert_id=alert_id,
    )
    work.mark_alert_read(session, alert_id)
    return task_id
