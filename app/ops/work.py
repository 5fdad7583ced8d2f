"""A nurse's and a clinician's work: tasks and alerts."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from app.ops.base import operation, query
from app.services import work
from app.services.roles import current_user

#: the task list (mine, my team's or all; open or all), overdue first
tasks = query(work.list_tasks)
create_task = operation(work.create_task)
#: start, complete, cancel (with a reason) a task
set_task_status = operation(work.set_task_status)
#: my alerts, unread first, most severe first
alerts = query(work.list_alerts)
mark_alert_read = operation(work.mark_alert_read)


@operation
def take_task(session: Session, task_id: uuid.UUID) -> None:
    """Assigns the task to the signed-in user."""
    work.assign_task(session, task_id, current_user(session).id)
