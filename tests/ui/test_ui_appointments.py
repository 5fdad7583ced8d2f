"""Appointment actions driven through the real window: status changes, cancellation, booking."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.ops import schedule as schedule_ops
from app.workspace import Workspace
from models import AuditEvent, OutboxEntry
from models.enums import AppointmentStatus, AppointmentType
from tests.support.window import day_schedule


def _audit_and_outbox(
    workspace: Workspace, appointment_id: object
) -> tuple[list[AuditEvent], list[OutboxEntry]]:
    with workspace.store.session() as session:
        audits = list(
            session.scalars(
                select(AuditEvent).where(
                    AuditEvent.resource_id == appointment_id, AuditEvent.action == "update"
                )
            )
        )
        outbox = list(
            session.scalars(
                select(OutboxEntry).where(
                    OutboxEntry.entity == "appointments", OutboxEntry.record_id == appointment_id
                )
            )
        )
    return audits, outbox


def test_checking_in_persists_across_a_restart_with_an_audit_event_and_an_outbox_entry(
    qtbot: QtBot, profile: Path, open_window, ui
) -> None:
    window = open_window(profile)
    day, entry = ui.choose_appointment(window, ui.is_open_appointment)
    assert window.schedule.check_in_action.isEnabled()
    with qtbot.waitSignal(window.schedule.status_changed, timeout=ui.wait_ms):
        window.schedule.check_in_action.trigger()
    ui.wait_quiet(window)
    user_id = window.workspace.user.id
    window.close()  # closes the Workspace too

    reopened = open_window(profile)
    ui.show_day(reopened, day)
    model = reopened.schedule.model
    row = next(i for i, e in enumerate(model.rows) if e.appointment_id == entry.appointment_id)
    assert model.data(model.index(row, 3)) == "Checked in"
    assert (
        schedule_ops.appointment(reopened.workspace, entry.appointment_id).status
        == AppointmentStatus.CHECKED_IN
    )
    audits, outbox = _audit_and_outbox(reopened.workspace, entry.appointment_id)
    assert [(a.user_id, a.new_values) for a in audits] == [(user_id, {"status": "checked_in"})]
    assert len(outbox) == 1
    assert outbox[0].payload["status"] == "checked_in"
    history = schedule_ops.appointment(reopened.workspace, entry.appointment_id).status_history
    assert history[-1]["status"] == "checked_in"
    assert history[-1]["by"] == str(user_id)


def test_cancelling_requires_a_reason_and_records_it(qtbot: QtBot, profile: Path, open_window, ui) -> None:
    window = open_window(profile)
    _day, entry = ui.choose_appointment(window, ui.is_open_appointment)
    window.activateWindow()
    window.schedule.cancel_action.trigger()
    dialog = window.schedule.cancel_dialog
    assert dialog is not None and dialog.isVisible()
    assert not dialog.ok_button.isEnabled()
    qtbot.keyClicks(dialog.reason, "   ")
    assert not dialog.ok_button.isEnabled()
    dialog.accept()  # refused without a reason
    assert dialog.isVisible()
    qtbot.keyClicks(dialog.reason, "patient called: feeling better")
    assert dialog.ok_button.isEnabled()
    with qtbot.waitSignal(window.schedule.status_changed, timeout=ui.wait_ms) as changed:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert changed.args[0].status == AppointmentStatus.CANCELLED
    ui.wait_quiet(window)
    view = schedule_ops.appointment(window.workspace, entry.appointment_id)
    assert view.status == AppointmentStatus.CANCELLED
    assert view.status_history[-1]["reason"] == "patient called: feeling better"
    audits, outbox = _audit_and_outbox(window.workspace, entry.appointment_id)
    assert audits[-1].reason == "patient called: feeling better"
    assert outbox[-1].payload["status"] == "cancelled"


def test_keeping_the_appointment_in_the_cancel_dialog_changes_nothing(
    qtbot: QtBot, profile: Path, open_window, ui
) -> None:
    window = open_window(profile)
    _day, entry = ui.choose_appointment(window, ui.is_open_appointment)
    window.schedule.cancel_action.trigger()
    dialog = window.schedule.cancel_dialog
    assert dialog is not None
    dialog.reject()
    ui.wait_quiet(window)
    assert schedule_ops.appointment(window.workspace, entry.appointment_id).status == entry.status
    assert _audit_and_outbox(window.workspace, entry.appointment_id) == ([], [])


def _open_booking(qtbot: QtBot, window, ui, patient_text: str):
    window.schedule.book_action.trigger()
    dialog = window.schedule.booking_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.keyClicks(dialog.patient_search, patient_text)
    qtbot.waitUntil(lambda: dialog.patient is not None, timeout=ui.wait_ms)
    return dialog


def test_booking_inside_a_time_block_is_refused_with_the_rule_shown_in_the_dialog(
    qtbot: QtBot, profile: Path, open_window, ui
) -> None:
    window = open_window(profile)
    tomorrow = window.workspace.today() + timedelta(days=1)
    day, block = ui.find_day(window.workspace, lambda e: e.kind == "block", start=tomorrow)
    some = ui.any_appointment(window.workspace)
    ui.show_day(window, day)
    dialog = _open_booking(qtbot, window, ui, some.mrn)
    dialog.set_slot(day, block.start.time())
    dialog.set_type(AppointmentType.FOLLOW_UP)
    before = len(day_schedule(window.workspace, day).entries)
    qtbot.mouseClick(dialog.book_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=ui.wait_ms)
    text = dialog.error.text()
    assert text.startswith("The clinician is unavailable")
    assert f"{block.start:%H:%M}–{block.end:%H:%M}" in text
    assert dialog.isVisible()
    assert len(day_schedule(window.workspace, day).entries) == before
    dialog.reject()


def test_booking_outside_business_hours_is_refused_with_the_rule_shown_in_the_dialog(
    qtbot: QtBot, profile: Path, open_window, ui
) -> None:
    window = open_window(profile)
    tomorrow = window.workspace.today() + timedelta(days=1)
    day, some = ui.find_day(window.workspace, lambda e: e.kind == "appointment", start=tomorrow)
    dialog = _open_booking(qtbot, window, ui, some.mrn)
    dialog.set_slot(day, time(6, 0))
    dialog.set_type(AppointmentType.FOLLOW_UP)
    qtbot.mouseClick(dialog.book_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=ui.wait_ms)
    assert "outside business hours" in dialog.error.text()
    assert dialog.isVisible()
    dialog.reject()


def test_booking_a_free_slot_adds_it_to_the_schedule_with_an_outbox_entry(
    qtbot: QtBot, profile: Path, open_window, ui
) -> None:
    window = open_window(profile)
    workspace = window.workspace
    some = ui.any_appointment(workspace)
    # the first open weekday with a free hour, from ten days ahead (where the seeded days thin out)
    start = next(
        candidate
        for offset in range(10, 50)
        for day in [workspace.today() + timedelta(days=offset)]
        if day.isoweekday() <= 5
        for schedule in [day_schedule(workspace, day)]
        if schedule.closed_reason is None
        for hour in range(9, 16)
        for candidate in [datetime.combine(day, time(hour, 0), tzinfo=workspace.practice_tz)]
        if all(
            not (e.start < candidate + timedelta(minutes=20) and candidate < e.end) for e in schedule.entries
        )
    )
    day = start.date()
    ui.show_day(window, day)
    dialog = _open_booking(qtbot, window, ui, some.mrn)
    dialog.set_slot(day, start.time())
    dialog.set_type(AppointmentType.FOLLOW_UP)
    qtbot.keyClicks(dialog.reason, "Review of results")
    with qtbot.waitSignal(window.schedule.booked, timeout=ui.wait_ms) as booked:
        qtbot.mouseClick(dialog.book_button, Qt.MouseButton.LeftButton)
    view = booked.args[0]
    assert view.start == start and view.patient_id == some.patient_id
    qtbot.waitUntil(
        lambda: any(e.appointment_id == view.id for e in window.schedule.model.rows), timeout=ui.wait_ms
    )
    with workspace.store.session() as session:
        outbox = session.scalars(select(OutboxEntry).where(OutboxEntry.record_id == view.id)).all()
    assert [o.payload["reason"] for o in outbox] == ["Review of results"]
