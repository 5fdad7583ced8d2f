"""Orders through their results and review, and the alerts the rules raise (each names its patient,
and the same event never raises two)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app import alert_rules
from app.ops import alerting
from app.ops import encounters as encounter_ops
from app.ops import results as result_ops
from app.services import notes, orders, results, work
from app.services.orders import OrderItemInput
from app.services.results import ResultInput
from app.workspace import Workspace
from clinicdesk.errors import PermissionDeniedError, ValidationError
from models import Alert, Encounter, OrderResult, SyncConflict
from models.enums import AlertSeverity, AlertStatus, OrderStatus, OrderType, ResultFlag, Role, TaskStatus
from tests.unit.services.conftest import Clinic
from tests.unit.services.test_notes import signed_note, todays_appointment


def _signed_order(clinic: Clinic) -> tuple[uuid.UUID, uuid.UUID]:
    appt = todays_appointment(clinic)
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        enc = notes.open_encounter(s, appt)
        order = orders.create_order(
            s, enc.id, OrderType.LAB, [OrderItemInput("Basic metabolic panel", "BMP")]
        )
        orders.sign_order(s, order.id)
    return order.id, enc.id


def test_an_abnormal_result_alerts_the_ordering_doctor_and_the_review_resolves_it(clinic: Clinic) -> None:
    order_id, _ = _signed_order(clinic)
    with (
        clinic.store.session(actor_id=clinic.doctor.id) as s,
        pytest.raises(ValidationError, match="only resulted"),
    ):
        results.review(s, order_id, note="nothing back yet")
    with clinic.store.session(actor_id=clinic.nurse.id) as s:
        entered = results.enter_results(
            s,
            order_id,
            [
                ResultInput("Potassium", "6.1", "mmol/L", 3.5, 5.1),
                ResultInput("Sodium", "140", "mmol/L", 135, 145),
                ResultInput("Comment", report="Sample slightly haemolysed."),
            ],
        )
    assert entered.status is OrderStatus.RESULTED
    assert [r.flag for r in entered.results] == [ResultFlag.HIGH, ResultFlag.NORMAL, ResultFlag.NORMAL]
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        [alert] = work.list_alerts(s)
        assert alert.rule == "abnormal_result" and alert.severity is AlertSeverity.HIGH
        assert alert.patient_name == "Ada Lovelace" and "Potassium" in alert.title
    with clinic.store.session(actor_id=clinic.nurse.id) as s, pytest.raises(PermissionDeniedError):
        results.review(s, order_id)
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        reviewed = results.review(s, order_id, note="repeat potassium tomorrow")
        assert reviewed.status is OrderStatus.REVIEWED and reviewed.reviewed_by == "Dr Who"
        [alert] = work.list_alerts(s)
        assert alert.status is AlertStatus.RESOLVED and alert.resolution == "results reviewed"


def test_a_numeric_result_without_its_unit_is_refused_and_nothing_is_kept(clinic: Clinic) -> None:
    order_id, _ = _signed_order(clinic)
    with clinic.store.session(actor_id=clinic.nurse.id) as s, pytest.raises(ValidationError, match="no unit"):
        results.enter_results(
            s,
            order_id,
            [ResultInput("Sodium", "140", "mmol/L"), ResultInput("Potassium", "6.1", "")],
        )
    with clinic.store.session() as s:
        assert s.scalar(select(func.count()).select_from(OrderResult)) == 0
        assert s.scalar(select(func.count()).select_from(Alert)) == 0
        with pytest.raises(ValidationError, match="runs backwards"):
            results.check(ResultInput("Sodium", "140", "mmol/L", 145, 135))


def test_a_critical_vital_alerts_the_doctor_once_however_often_it_is_saved(clinic: Clinic) -> None:
    appt = todays_appointment(clinic)
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        enc = notes.open_encounter(s, appt)
    clinic.store.set_owner("n.joy")
    workspace = Workspace.for_store(clinic.store)
    for _ in range(2):
        encounter_ops.record_vitals(workspace, enc.id, {"blood_pressure": "210/125", "heart_rate": 80})
    with clinic.store.session() as s:
        alerts = s.scalars(select(Alert).where(Alert.rule == "critical_vital")).all()
        encounter = s.get(Encounter, enc.id)
    assert encounter is not None
    # systolic and diastolic, to the doctor and to the nurse who took them: four, not eight
    assert sorted((a.recipient_id == clinic.doctor.id, a.title) for a in alerts) == sorted(
        (who, f"Critical {words}: Ada Lovelace")
        for who in (True, False)
        for words in ("systolic blood pressure", "diastolic blood pressure")
    )
    assert all(a.severity is AlertSeverity.CRITICAL and a.patient_id == clinic.patients[0].id for a in alerts)


def test_practice_limits_replace_the_shipped_ones(clinic: Clinic) -> None:
    from app.vital_signs import readings
    from models import Practice

    with clinic.store.session() as s:
        practice = s.scalars(select(Practice)).one()
        practice.alert_thresholds = {"heart_rate": [50, 100]}
        bounds = alert_rules.limits(s)
    assert bounds["heart_rate"] == (50.0, 100.0) and bounds["systolic"] == (90.0, 180.0)
    assert alert_rules.critical(readings({"heart_rate": 110}), bounds) == [("heart_rate", 110.0)]
    assert alert_rules.critical(readings({"temperature": {"value": 104, "unit": "F"}}), bounds) == [
        ("temperature", 40.0)
    ]


def test_the_sweep_raises_overdue_task_and_signed_note_conflict_alerts_once_with_fixed_times(
    clinic: Clinic,
) -> None:
    due = datetime(2030, 1, 1, 9, tzinfo=UTC)
    note = signed_note(clinic)
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        task = work.create_task(s, title="call the lab", assignee_id=clinic.doctor.id, due_at=due)
        s.add(SyncConflict(entity="clinical_notes", record_id=note.id, fields=["content"]))
        s.flush()
        now = due + timedelta(days=1)
        assert alert_rules.sweep(s, now=now) == 2
        assert alert_rules.sweep(s, now=now) == 0
        made = {a.rule: a for a in s.scalars(select(Alert))}
    assert made["overdue_task"].source_id == task and made["overdue_task"].created_at == due
    assert made["note_conflict"].patient_id == clinic.patients[0].id
    expected = alert_rules.alert_id("overdue_task", f"{task}:{due.isoformat()}", clinic.doctor.id)
    assert made["overdue_task"].id == expected, "another workstation would make the same record"


def test_a_nurse_acknowledges_an_alert_makes_a_task_from_it_for_a_role_and_resolves_it(
    clinic: Clinic,
) -> None:
    with clinic.store.session() as s:
        alert = Alert(
            recipient_id=clinic.nurse.id,
            patient_id=clinic.patients[1].id,
            alert_type="vital_sign",
            severity=AlertSeverity.CRITICAL,
            title="Critical heart rate",
        )
        s.add(alert)
    clinic.store.set_owner("n.joy")
    workspace = Workspace.for_store(clinic.store)
    task_id = alerting.task_from_alert(
        workspace, alert.id, title="Recheck heart rate in 15 minutes", assignee_role=Role.NURSE
    ).value
    [listed] = alerting.sweep_and_list(workspace).value
    assert listed.status is AlertStatus.ACKNOWLEDGED
    with workspace.reading() as s:
        [task] = work.list_tasks(s)  # a nurse's own list shows the nurses' tasks
        assert task.id == task_id and task.assignee_role is Role.NURSE and task.patient_name == "Alan Turing"
        assert task.source_alert_id == alert.id
    alerting.reassign_task(workspace, task_id, clinic.doctor.id)
    with workspace.reading() as s:
        assert work.list_tasks(s) == []
        work.set_task_status(s, task_id, TaskStatus.IN_PROGRESS)
    with pytest.raises(ValidationError, match="say what was done"):
        alerting.resolve(workspace, alert.id, resolution=" ")
    alerting.resolve(workspace, alert.id, resolution="rate back to 88 on recheck")
    [done] = alerting.sweep_and_list(workspace).value
    assert done.status is AlertStatus.RESOLVED and done.resolution == "rate back to 88 on recheck"


def test_results_reach_the_chart_newest_first(clinic: Clinic) -> None:
    order_id, _ = _signed_order(clinic)
    clinic.store.set_owner("n.joy")
    workspace = Workspace.for_store(clinic.store)
    result_ops.enter(workspace, order_id, [ResultInput("Glucose", "5.4", "mmol/L", 3.9, 7.8)])
    [result] = result_ops.of_patient(workspace, clinic.patients[0].id)
    assert (result.name, result.value, result.unit, result.reference) == (
        "Glucose",
        "5.4",
        "mmol/L",
        "3.9–7.8",
    )
