from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.services import orders, work
from app.services.notes import open_encounter
from clinicdesk.errors import PermissionDeniedError, ValidationError
from models import Alert
from models.enums import (
    AlertSeverity,
    AlertType,
    OrderType,
    PrescriptionStatus,
    TaskPriority,
    TaskStatus,
)
from tests.unit.services.conftest import Clinic
from tests.unit.services.test_notes import todays_appointment

NOW = datetime(2030, 3, 4, 14, tzinfo=UTC)


def test_tasks_come_overdue_first_then_by_priority(clinic: Clinic) -> None:
    with clinic.store.session(actor_id=clinic.nurse.id) as s:
        low = work.create_task(s, title="file labs", assignee_id=clinic.nurse.id, priority=TaskPriority.LOW)
        urgent = work.create_task(
            s,
            title="call back",
            assignee_id=clinic.nurse.id,
            priority=TaskPriority.URGENT,
            due_at=NOW + timedelta(hours=2),
        )
        overdue = work.create_task(
            s,
            title="refill",
            assignee_id=clinic.nurse.id,
            priority=TaskPriority.MEDIUM,
            due_at=NOW - timedelta(hours=1),
            patient_id=clinic.patients[1].id,
        )
        work.create_task(s, title="someone else's", assignee_id=clinic.doctor.id)
        tasks = work.list_tasks(s, now=NOW)
    assert [t.id for t in tasks] == [overdue, urgent, low]
    assert tasks[0].overdue
    assert tasks[0].patient_name == "Alan Turing"
    with clinic.store.session(actor_id=clinic.nurse.id) as s:
        assert len(work.list_tasks(s, scope=work.TaskScope.ALL, now=NOW)) == 4


def test_task_lifecycle_start_complete_and_cancel_needs_a_reason(clinic: Clinic) -> None:
    with clinic.store.session(actor_id=clinic.nurse.id) as s:
        task = work.create_task(s, title="vitals", assignee_id=clinic.nurse.id)
        work.set_task_status(s, task, TaskStatus.IN_PROGRESS)
        work.set_task_status(s, task, TaskStatus.COMPLETED)
        assert work.list_tasks(s) == []
        assert work.list_tasks(s, include_closed=True)[0].status is TaskStatus.COMPLETED
        with pytest.raises(ValidationError, match="completed task cannot become in progress"):
            work.set_task_status(s, task, TaskStatus.IN_PROGRESS)
        other = work.create_task(s, title="x", assignee_id=clinic.nurse.id)
        with pytest.raises(ValidationError, match="needs a reason"):
            work.set_task_status(s, other, TaskStatus.CANCELLED)


def test_alerts_come_unread_and_most_severe_first_and_can_be_marked_read(clinic: Clinic) -> None:
    with clinic.store.session() as s:
        for sev, read in [
            (AlertSeverity.LOW, False),
            (AlertSeverity.CRITICAL, True),
            (AlertSeverity.HIGH, False),
        ]:
            s.add(
                Alert(
                    recipient_id=clinic.nurse.id,
                    alert_type=AlertType.LAB_RESULT,
                    severity=sev,
                    title=sev,
                    read=read,
                )
            )
    with clinic.store.session(actor_id=clinic.nurse.id) as s:
        alerts = work.list_alerts(s)
        assert [(a.severity, a.read) for a in alerts] == [
            (AlertSeverity.HIGH, False),
            (AlertSeverity.LOW, False),
            (AlertSeverity.CRITICAL, True),
        ]
        work.mark_alert_read(s, alerts[0].id)
        assert [a.severity for a in work.list_alerts(s, include_read=False)] == [AlertSeverity.LOW]


def test_prescriptions_are_drafts_until_a_doctor_signs(clinic: Clinic) -> None:
    appt = todays_appointment(clinic)
    item = orders.PrescriptionItemInput(
        medication="amoxicillin", dosage="500 mg", frequency="TID", duration="7 days", quantity="21"
    )
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        enc = open_encounter(s, appt)
        rx = orders.create_prescription(s, enc.id, [item])
        assert rx.status is PrescriptionStatus.DRAFT
        assert rx.items[0]["medication"] == "amoxicillin"
    with clinic.store.session(actor_id=clinic.nurse.id) as s, pytest.raises(PermissionDeniedError):
        orders.sign_prescription(s, rx.id)
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        assert orders.sign_prescription(s, rx.id).status is PrescriptionStatus.SIGNED
        with pytest.raises(ValidationError, match="only a draft"):
            orders.sign_prescription(s, rx.id)
        order = orders.create_order(
            s, enc.id, OrderType.LAB, [orders.OrderItemInput(name="CBC", code="58410-2")]
        )
        orders.sign_order(s, order.id)
        rxs, ords = orders.encounter_orders(s, enc.id)
    assert [r.id for r in rxs] == [rx.id]
    assert ords[0].items == [{"code": "58410-2", "name": "CBC", "instructions": None}]
