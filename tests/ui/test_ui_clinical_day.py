"""The clinical day walked through the real window as its users would: a doctor checks a patient in,
opens the encounter, dictates (a WAV through the real Whisper tiny.en engine, off the GUI thread),
edits, signs, amends, prescribes; a nurse records vitals the doctor's note picks up, works a task and
reads an alert."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.ops import schedule as schedule_ops
from app.services import notes, recordings, work
from app.services.orders import encounter_orders
from app.services.work import TaskScope
from models.enums import AppointmentStatus, NoteStatus, PrescriptionStatus, TaskStatus
from tests.support.profiles import sign_in_as

from .conftest import DOCTOR, nurse_with_alerts

DICTATION_MS = 180_000


def _check_in_and_open(qtbot: QtBot, window, ui):
    _day, entry = ui.choose_appointment(window, ui.is_open_appointment)
    with qtbot.waitSignal(window.schedule.status_changed, timeout=ui.wait_ms):
        window.schedule.check_in_action.trigger()
    ui.wait_quiet(window)
    ui.select_appointment(
        window,
        window.schedule.model.rows[
            next(
                i
                for i, e in enumerate(window.schedule.model.rows)
                if e.appointment_id == entry.appointment_id
            )
        ],
    )
    assert window.schedule.encounter_action.isEnabled()
    with qtbot.waitSignal(window.encounter.opened, timeout=ui.wait_ms) as opened:
        window.schedule.encounter_action.trigger()
    return opened.args[0]


def test_a_doctor_dictates_edits_signs_amends_and_prescribes_without_losing_anything(
    qtbot: QtBot, profile: Path, open_window, ui, dictation_wav: Path
) -> None:
    window = open_window(profile)
    # the day starts at the lock screen: the password unlocks it
    window.lock()
    qtbot.keyClicks(window.lock_screen.password, ui.password)
    with qtbot.waitSignal(window.locked_changed, timeout=ui.wait_ms):
        qtbot.keyClick(window.lock_screen.password, Qt.Key.Key_Return)
    assert not window.locked

    bundle = _check_in_and_open(qtbot, window, ui)
    page = window.encounter
    assert window.pages.currentWidget() is page
    assert bundle.chart.patient.id == bundle.entry.patient_id
    assert bundle.chart.patient.mrn in page.chart_view.toPlainText()  # the chart alongside the note
    assert page.editable and window.encounter.dictation.record_action.isEnabled()
    assert (
        schedule_ops.appointment(window.workspace, bundle.entry.appointment_id).status
        == AppointmentStatus.IN_PROGRESS
    )

    with qtbot.waitSignal(page.dictation_finished, timeout=DICTATION_MS) as finished:
        page.dictate_file(dictation_wav)
    result = finished.args[0]
    assert result.error is None and result.audio.seconds > 10
    ui.wait_quiet(window)
    content = page.editor.content()
    assert "patient reports" in content["subjective"].lower()
    assert "blood pressure" in content["objective"].lower() and "72" in content["objective"]
    assert "bronchitis" in content["assessment"].lower()
    assert "metformin" in content["plan"].lower()
    assert content["vitals"]["heart_rate"] == 72  # extracted into the structured fields
    assert [m["name"] for m in content["medications"]] == ["metformin"]
    assert page.panel.final_text  # the live words were shown
    saved = window.workspace.call(notes.note_history, page.note.id)
    assert saved == []  # a draft has no versions yet...
    kept = window.workspace.call(recordings.note_recordings, page.note.id)
    assert len(kept) == 1 and kept[0].duration_seconds == result.audio.seconds  # ...but its recording is kept

    # the ICD-10 suggestion is accepted with one key
    assert page.editor.suggestions(), "the assessment produced an ICD-10 suggestion"
    window.encounter.dictation.accept_code_action.trigger()
    assert page.editor.content()["diagnoses"][0]["accepted"] is True

    # the dictation's automatic changes and uncertain words are reviewed (test_ui_note_review: in detail)
    for _mark in page.editor.marks:
        window.encounter.review.next_action.trigger()
        window.encounter.review.accept_action.trigger()
    assert page.editor.unreviewed_marks() == []

    # edit by keyboard, then save and sign
    window.encounter.dictation.section_actions[3].trigger()
    page.editor.edits["plan"].moveCursor(page.editor.edits["plan"].textCursor().MoveOperation.End)
    qtbot.keyClicks(page.editor.edits["plan"], " Review in one week.")
    with qtbot.waitSignal(page.saved, timeout=ui.wait_ms):
        window.encounter.save_note_action.trigger()
    with qtbot.waitSignal(page.signed, timeout=ui.wait_ms) as signed:
        window.encounter.sign_note_action.trigger()
    assert signed.args[0].status is NoteStatus.SIGNED
    assert page.editor.edits["plan"].isReadOnly() and not window.encounter.sign_note_action.isEnabled()
    assert "Review in one week." in page.editor.section_text("plan")

    # an amendment needs a reason and makes version 2
    signed_assessment = page.editor.section_text("assessment")  # as Whisper wrote it, punctuation too
    assert "bronchitis" in signed_assessment.lower()
    assert window.encounter.amend_note_action.isEnabled()
    window.encounter.amend_note_action.trigger()
    dialog = page.dialog
    edit = dialog.editor.edits["assessment"]
    edit.setPlainText("Acute bronchitis, improving.")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.error.isVisible() and "reason" in dialog.error.text()
    qtbot.keyClicks(dialog.reason, "clarified the assessment")
    with qtbot.waitSignal(page.amended, timeout=ui.wait_ms) as amended:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert (amended.args[0].status, amended.args[0].version) == (NoteStatus.AMENDED, 2)
    assert page.editor.section_text("assessment") == "Acute bronchitis, improving."

    # the history shows who, why and a side-by-side difference
    window.encounter.history_action.trigger()
    qtbot.waitUntil(lambda: type(page.dialog).__name__ == "HistoryDialog", timeout=ui.wait_ms)
    history = page.dialog
    assert history.list.count() == 2
    assert "clarified the assessment" in history.list.item(1).text()
    assert window.workspace.user.full_name in history.list.item(1).text()
    shown = history.diff.toPlainText()
    assert signed_assessment in shown and "Acute bronchitis, improving." in shown
    history.reject()

    # an amendment started from version 2 while another desk's version 3 arrived is refused, text kept
    window.encounter.amend_note_action.trigger()
    stale = page.dialog
    stale.editor.edits["plan"].setPlainText("Review in two weeks.")
    qtbot.keyClicks(stale.reason, "changed the review")
    window.workspace.call(
        notes.amend_note, bundle.note.id, {"plan": "Review in 3 days."}, reason="elsewhere", base_version=2
    )
    qtbot.mouseClick(stale.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "amended elsewhere" in stale.error.text(), timeout=ui.wait_ms)
    assert stale.isVisible() and stale.editor.section_text("plan") == "Review in two weeks."
    stale.reject()

    # a prescription from the encounter, prefilled from the note's medications, a draft until signed
    window.encounter.prescription_action.trigger()
    rx_dialog = page.dialog
    assert rx_dialog.table.item(0, 0).text() == "metformin"
    rx_dialog.table.set_cell(0, 4, "21 capsules")
    with qtbot.waitSignal(page.orders_changed, timeout=ui.wait_ms):
        qtbot.mouseClick(rx_dialog.ok_button, Qt.MouseButton.LeftButton)
    assert [p.status for p in page.prescriptions] == [PrescriptionStatus.DRAFT]
    with qtbot.waitSignal(page.orders_changed, timeout=ui.wait_ms):
        window.encounter.sign_order_action.trigger()
    prescriptions, _orders = window.workspace.call(encounter_orders, bundle.encounter.id)
    assert [(p.status, p.items[0]["quantity"]) for p in prescriptions] == [
        (PrescriptionStatus.SIGNED, "21 capsules")
    ]


def test_a_nurse_records_vitals_that_the_doctors_note_picks_up(
    qtbot: QtBot, profile: Path, open_window, ui
) -> None:
    sign_in_as(profile, nurse_with_alerts(profile))
    nurse_window = open_window(profile)
    assert nurse_window.pages.currentWidget() is nurse_window.tasks  # a nurse's day starts at the tasks
    assert not nurse_window.encounter.sign_note_action.isEnabled()
    # the nurse works the doctor's schedule
    doctor = schedule_ops.clinician_by_username(nurse_window.workspace, DOCTOR)
    nurse_window.schedule.clinician_id = doctor.id
    start = nurse_window.workspace.today()
    day, entry = next(
        (d, e)
        for d in (start + timedelta(days=i) for i in range(8))
        for e in schedule_ops.day(nurse_window.workspace, day=d, clinician_id=doctor.id).entries
        if ui.is_open_appointment(e)
    )
    nurse_window.show_page(0)
    nurse_window.schedule.load(day)
    qtbot.waitUntil(
        lambda: nurse_window.schedule.select_appointment(entry.appointment_id), timeout=ui.wait_ms
    )
    with qtbot.waitSignal(nurse_window.encounter.opened, timeout=ui.wait_ms) as opened:
        nurse_window.schedule.encounter_action.trigger()
    assert opened.args[0].note is None  # a nurse sees no note, only the vitals
    assert (
        not nurse_window.encounter.editable and not nurse_window.encounter.dictation.record_action.isEnabled()
    )
    nurse_window.encounter.vitals_action.trigger()
    dialog = nurse_window.encounter.dialog
    dialog.fields["blood_pressure"].setText("138/86")
    dialog.fields["heart_rate"].setText("88")
    with qtbot.waitSignal(nurse_window.encounter.vitals_recorded, timeout=ui.wait_ms):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert (
        schedule_ops.appointment(nurse_window.workspace, entry.appointment_id).status
        == AppointmentStatus.CHECKED_IN
    )
    nurse_window.close()

    sign_in_as(profile, DOCTOR)
    window = open_window(profile)
    ui.show_day(window, day)
    ui.select_appointment(
        window, next(e for e in window.schedule.model.rows if e.appointment_id == entry.appointment_id)
    )
    with qtbot.waitSignal(window.encounter.opened, timeout=ui.wait_ms):
        window.schedule.encounter_action.trigger()
    vitals = window.encounter.editor.content()["vitals"]
    assert vitals["blood_pressure"] == "138/86" and vitals["heart_rate"] == 88


def test_a_nurse_completes_a_task_and_reads_a_critical_alert_that_was_notified(
    qtbot: QtBot, profile: Path, open_window, ui
) -> None:
    sign_in_as(profile, nurse_with_alerts(profile))
    window = open_window(profile)
    qtbot.waitUntil(lambda: window.alerts.model.rows != [] or window.runner.pending == 0, timeout=ui.wait_ms)
    ui.wait_quiet(window)
    tasks = window.tasks
    qtbot.waitUntil(lambda: tasks.model.rows != [], timeout=ui.wait_ms)
    # sortable by priority and by due time; overdue rows are highlighted
    tasks.table.sortByColumn(1, Qt.SortOrder.AscendingOrder)
    dues = [tasks.proxy.index(r, 1).data(Qt.ItemDataRole.UserRole + 1) for r in range(tasks.proxy.rowCount())]
    assert dues == sorted(dues)
    overdue = [t for t in tasks.model.rows if t.overdue]
    if overdue:
        row = tasks.model.rows.index(overdue[0])
        assert tasks.model.index(row, 0).data(Qt.ItemDataRole.BackgroundRole) is not None
    pending = next(t for t in tasks.model.rows if t.status is TaskStatus.PENDING)
    tasks.select(pending.id)
    qtbot.waitUntil(window.tasks.start_task_action.isEnabled, timeout=ui.wait_ms)
    with qtbot.waitSignal(tasks.loaded, timeout=ui.wait_ms):
        window.tasks.start_task_action.trigger()
    tasks.select(pending.id)
    with qtbot.waitSignal(tasks.loaded, timeout=ui.wait_ms):
        window.tasks.complete_task_action.trigger()
    assert all(t.id != pending.id for t in tasks.model.rows)  # closed tasks leave the open list
    closed = window.workspace.call(work.list_tasks, scope=TaskScope.ALL, include_closed=True)
    assert next(t for t in closed if t.id == pending.id).status is TaskStatus.COMPLETED

    # a linked task opens the patient's chart
    linked = next((t for t in tasks.model.rows if t.patient_id is not None), None)
    if linked is not None:
        tasks.select(linked.id)
        with qtbot.waitSignal(window.patients.chart_shown, timeout=ui.wait_ms) as chart:
            window.registry.get("open_linked").trigger()
        assert chart.args[0].patient.id == linked.patient_id

    # alerts: unread first; a critical one was notified and badged
    window.show_page(4)
    alerts = window.alerts
    qtbot.waitUntil(lambda: alerts.model.rows != [], timeout=ui.wait_ms)
    reads = [a.read for a in alerts.model.rows]
    assert reads == sorted(reads)
    critical = [a for a in alerts.model.rows if a.severity.value == "critical" and not a.read]
    if critical:
        assert window.last_notification[0].lower().startswith(("critical", f"{len(critical)} critical"))
        assert "critical" in window.alert_badge.text()
    unread_before = alerts.unread
    alerts.table.selectRow(0)
    first = alerts.selected()
    assert first is not None and not first.read
    ui.wait_quiet(window)
    with qtbot.waitSignal(alerts.loaded, timeout=ui.wait_ms):
        window.alerts.mark_read_action.trigger()
    qtbot.waitUntil(lambda: alerts.unread == unread_before - 1, timeout=ui.wait_ms)
    assert next(a for a in window.workspace.call(work.list_alerts) if a.id == first.id).read


def test_push_to_talk_key_starts_and_pauses_the_microphone_dictation_off_the_gui_thread(
    qtbot: QtBot, profile: Path, open_window, ui, dictation_wav: Path
) -> None:
    window = open_window(profile)
    _check_in_and_open(qtbot, window, ui)
    page = window.encounter
    page.dictation.controller.start_microphone = lambda device=None, paused=False: (
        page.dictation.controller.start_wav(dictation_wav)
    )  # type: ignore[method-assign]
    press = QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_F8, Qt.KeyboardModifier.NoModifier)
    release = QKeyEvent(QEvent.Type.KeyRelease, Qt.Key.Key_F8, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(page.editor.edits["subjective"], press)
    qtbot.waitUntil(lambda: page.dictation.controller.state == "recording", timeout=DICTATION_MS)
    QApplication.sendEvent(page.editor.edits["subjective"], release)
    assert page.dictation.controller.state == "paused"
    assert window.encounter.dictation.pause_action.isEnabled()
    window.encounter.dictation.pause_action.trigger()  # F7 resumes
    assert page.dictation.controller.state == "recording"
    with qtbot.waitSignal(page.dictation_finished, timeout=DICTATION_MS):
        window.encounter.dictation.record_action.trigger()  # F9 stops
    assert page.dictation.controller.state == "idle"


def test_without_a_model_the_dictation_panel_says_so_and_an_imported_model_is_used(
    qtbot: QtBot, profile: Path, open_window, ui, tmp_path: Path, monkeypatch
) -> None:
    from app.settings import WorkstationSettings

    monkeypatch.delenv("CLINICDESK_VOSK_MODEL", raising=False)
    monkeypatch.setenv("CLINICDESK_MODEL_CACHE", str(tmp_path / "cache"))
    window = open_window(profile, WorkstationSettings(speech_engine="vosk", vosk_model_path=""))
    _check_in_and_open(qtbot, window, ui)
    page = window.encounter
    with qtbot.waitSignal(page.failed, timeout=ui.wait_ms) as failed:
        window.encounter.dictation.record_action.trigger()
    assert "No Vosk speech model" in failed.args[0].message
    assert page.panel.problem_box.isVisibleTo(page) and page.panel.import_button.isEnabled()
    assert "Import" in page.panel.import_button.text()

    model = tmp_path / "vosk-model-small-test"
    for rel in ("am/final.mdl", "conf/model.conf", "graph/HCLr.fst"):
        (model / rel).parent.mkdir(parents=True, exist_ok=True)
        (model / rel).write_bytes(b"model data")
    with qtbot.waitSignal(window.settings_page.model_imported, timeout=ui.wait_ms) as imported:
        window.settings_page.import_from(model)
    assert imported.args[0].kind == "vosk"
    assert window.settings.vosk_model_path == str(imported.args[0].path)
    assert WorkstationSettings.load().vosk_model_path == str(
        imported.args[0].path
    )  # saved for the next start
    with qtbot.waitSignal(window.settings_page.model_checked, timeout=ui.wait_ms) as checked:
        window.settings_page.check_model()
    assert checked.args[0] == ""  # nothing is missing
    assert not page.panel.problem_box.isVisibleTo(page)
