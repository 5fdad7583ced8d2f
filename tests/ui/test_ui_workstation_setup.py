"""A new workstation from its first screen, and two workstations on one note, against the real sync
server (PostgreSQL, MongoDB-wire, uvicorn in its own process; sync_fixtures.py).

The unlock screen is the first thing a new workstation shows, and there is no profile yet: it must
offer to set one up from the server, then select it ready to unlock. And when a pull changes the
note a doctor is editing, saving must not write the editor's older copy over the other
workstation's text: both are kept and reconciled in the window."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.ops import conflicts as conflict_ops
from app.settings import WorkstationSettings, profiles_root
from models.enums import ConflictStatus
from tests.support.synced import open_visit, sync_now, two_workstations, type_into
from tests.support.window import unlock_screen
from ui.main_window import MainWindow
from ui.workstation_setup import WorkstationSetupDialog

if TYPE_CHECKING:
    from .sync_fixtures import Clinic

pytest_plugins = ["tests.ui.sync_fixtures"]

WAIT_MS = 30_000
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
Opener = Callable[[Path, WorkstationSettings], MainWindow]


def fill_in(qtbot: QtBot, dialog: WorkstationSetupDialog, clinic: Clinic, server_password: str) -> None:
    """What the person setting the workstation up types, field by field, as a user would."""
    for field, text in (
        (dialog.username, clinic.doctor),
        (dialog.server_password, server_password),
        (dialog.profile_password, clinic.profile_password),
        (dialog.profile_password_again, clinic.profile_password),
    ):
        field.clear()
        qtbot.keyClicks(field, text)
    if dialog.server_url.text() != clinic.server.url:
        dialog.server_url.clear()
        qtbot.keyClicks(dialog.server_url, clinic.server.url)


def test_a_new_workstation_is_set_up_from_the_unlock_screen_and_its_profile_then_unlocks_there(
    qtbot: QtBot, ui: Any, clinic: Clinic
) -> None:
    # First start on a computer with no profile: the unlock screen says how to begin.
    session, unlock = unlock_screen(qtbot, None)
    assert unlock.selected_profile() is None
    assert unlock.hint is not None and unlock.hint.isVisible()
    assert "set one up from the sync server (Set up from server…, Ctrl+Shift+N)" in unlock.hint.text()
    button = unlock.set_up_button
    assert button.isVisible() and button.accessibleName() == "Set up from server"
    assert button.toolTip().endswith("from the practice's sync server (Ctrl+Shift+N)")

    # Enter with nothing to unlock says so; it does not press Cancel and quit the app.
    unlock.activateWindow()
    qtbot.waitUntil(unlock.isActiveWindow, timeout=WAIT_MS)
    assert unlock.unlock_button.isDefault()
    qtbot.keyClick(unlock.password, Qt.Key.Key_Return)
    assert unlock.isVisible() and unlock.message.text().startswith("Choose a profile first")

    # From the keyboard: Ctrl+Shift+N opens the setup dialog over the unlock screen.
    qtbot.keyClick(unlock.password, Qt.Key.Key_N, CTRL_SHIFT)
    qtbot.waitUntil(lambda: unlock.setup_dialog is not None, timeout=WAIT_MS)
    setup = unlock.setup_dialog
    assert setup is not None and setup.isVisible() and setup.isModal()

    # A mistyped server password: the server says no, nothing is left behind, the dialog stays.
    fill_in(qtbot, setup, clinic, "not the server password")
    qtbot.mouseClick(setup.set_up_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: setup.error.isVisible() and not setup.busy, timeout=WAIT_MS)
    assert setup.error.text().startswith("Sync sign-in failed")
    assert not (profiles_root() / clinic.doctor).exists()
    assert setup.isVisible() and unlock.selected_profile() is None

    # With the right one the profile is made and filled from the server, then selected to unlock.
    fill_in(qtbot, setup, clinic, clinic.password)
    with qtbot.waitSignal(setup.accepted, timeout=WAIT_MS):
        qtbot.mouseClick(setup.set_up_button, Qt.MouseButton.LeftButton)
    made = unlock.workstation_setup
    assert made is not None and made.username == clinic.doctor and made.received > 0
    assert made.profile_dir == profiles_root() / clinic.doctor
    qtbot.waitUntil(lambda: unlock.setup_dialog is None, timeout=WAIT_MS)
    assert unlock.selected_profile() == made.profile_dir
    assert unlock.profile_box.currentText() == f"{made.full_name} ({clinic.doctor})"
    assert not unlock.hint.isVisible()
    assert unlock.message.isVisible() and "Enter its profile password" in unlock.message.text()
    assert unlock.focusWidget() is unlock.password
    saved = WorkstationSettings.load()  # the next start knows the server and the profile
    assert saved.server_url == clinic.server.url and saved.last_profile == str(made.profile_dir)

    # The doctor unlocks it on the same screen; the window opens on the server's schedule.
    qtbot.keyClicks(unlock.password, clinic.profile_password)
    qtbot.keyClick(unlock.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: session.window is not None, timeout=WAIT_MS)
    window = session.window
    assert window is not None
    qtbot.addWidget(window)
    try:
        assert window.workspace.user.username == clinic.doctor
        day = ui.show_day(window, clinic.day)
        assert any(e.appointment_id == clinic.appointment_id for e in day.entries)
    finally:
        window.close()


# -- a pull under unsaved edits -------------------------------------------------------------------


def test_saving_over_a_note_a_pull_changed_keeps_both_texts_and_they_are_reconciled_in_the_window(
    qtbot: QtBot, ui: Any, clinic: Clinic, synced_window: Opener, tmp_path: Path
) -> None:
    # One doctor, two workstations (exam room and office), one server.
    profiles = two_workstations(clinic, tmp_path)
    settings = WorkstationSettings(
        speech_engine="whisper", whisper_model="tiny.en", server_url=clinic.server.url
    )
    exam, office = (synced_window(p, settings) for p in profiles)
    open_visit(qtbot, exam, ui, clinic)
    note = exam.encounter.note
    assert note is not None
    type_into(qtbot, exam, "subjective", "Cough for three days.")
    with qtbot.waitSignal(exam.encounter.saved, timeout=WAIT_MS):
        exam.encounter.save_note_action.trigger()
    sync_now(qtbot, exam)
    sync_now(qtbot, office)
    open_visit(qtbot, office, ui, clinic)
    assert office.encounter.editor.section_text("subjective") == "Cough for three days."

    # In the office the doctor starts on the plan and has not saved it yet...
    type_into(qtbot, office, "plan", "Rest and fluids.")
    assert office.encounter.dirty
    # ...when the exam room's addition arrives with a sync. The editor is left alone while dirty.
    type_into(qtbot, exam, "subjective", " Worse at night.")
    with qtbot.waitSignal(exam.encounter.saved, timeout=WAIT_MS):
        exam.encounter.save_note_action.trigger()
    sync_now(qtbot, exam)
    assert sync_now(qtbot, office).pulled >= 1
    ui.wait_quiet(office)
    assert office.encounter.editor.section_text("subjective") == "Cough for three days."

    # Saving does not write the office's older copy over it: the note shows what the server has,
    # the office's text is kept beside it, and the doctor is told where.
    with qtbot.waitSignal(office.encounter.kept_aside, timeout=WAIT_MS) as kept:
        office.encounter.save_note_action.trigger()
    ui.wait_quiet(office)
    assert office.encounter.editor.section_text("subjective") == "Cough for three days. Worse at night."
    assert office.encounter.editor.section_text("plan") == ""
    assert not office.encounter.dirty
    assert "your text is kept beside it as a sync conflict" in office.encounter.info.text()
    assert office.error_box is not None and "Sync conflicts (Ctrl+Shift+J)" in office.error_box.text()
    office.error_box.close()
    (conflict,) = conflict_ops.open_conflicts(office.workspace)
    assert conflict.id == kept.args[0] and conflict.record_id == note.id

    # The reconcile view (Ctrl+Shift+J) has both texts side by side; the doctor saves the merge.
    office.sync.conflicts_action.trigger()
    dialog = office.sync.conflict_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.list.count() == 1 and dialog.current() is not None, timeout=WAIT_MS)
    assert dialog.server_edits["subjective"].toPlainText() == "Cough for three days. Worse at night."
    assert dialog.local_edits["subjective"].toPlainText() == "Cough for three days."
    assert dialog.server_edits["plan"].toPlainText() == ""
    assert dialog.local_edits["plan"].toPlainText() == "Rest and fluids."
    assert dialog.merged_edits["plan"].toPlainText() == "Rest and fluids."
    dialog.merged_edits["subjective"].selectAll()
    qtbot.keyClicks(dialog.merged_edits["subjective"], "Cough for three days. Worse at night.")
    with qtbot.waitSignal(dialog.resolved, timeout=WAIT_MS) as resolved:
        qtbot.mouseClick(dialog.merge_button, Qt.MouseButton.LeftButton)
    assert resolved.args[0].status is ConflictStatus.RESOLVED
    qtbot.waitUntil(lambda: dialog.list.count() == 0, timeout=WAIT_MS)
    dialog.reject()

    # Both workstations' words reach the server, and the exam room sees them.
    sync_now(qtbot, office)
    merged = {"subjective": "Cough for three days. Worse at night.", "plan": "Rest and fluids."}
    on_server = clinic.row("clinical_notes", note.id)
    with clinic.api() as api:
        answer = api.get(f"/notes/{note.id}/history")
    answer.raise_for_status()
    current = [r for r in answer.json()["revisions"] if r["kind"] == "version"][-1]
    assert current["version"] == on_server["version"]
    assert {k: current["fields"]["content"][k] for k in merged} == merged
    assert sync_now(qtbot, exam).pulled >= 1
    qtbot.waitUntil(lambda: exam.encounter.editor.section_text("plan") == merged["plan"], timeout=WAIT_MS)
    assert exam.encounter.editor.section_text("subjective") == merged["subjective"]
