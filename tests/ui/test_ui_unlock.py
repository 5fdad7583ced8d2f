"""Starting the app: the unlock dialog, auto-unlock for kiosks/benchmarks, and the first-paint hook."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.settings import WorkstationSettings
from app.workspace import Workspace
from tests.support.window import day_schedule, unlock_screen
from ui.cmd_gui import GuiSession
from ui.main_window import MainWindow
from ui.schedule_model import ScheduleModel, block_label, status_label


def _shown_rows(window: MainWindow) -> list[tuple[str, str, str]]:
    model = window.schedule.model
    return [
        tuple(str(model.data(model.index(row, column))) for column in (0, 1, 3))  # type: ignore[misc]
        for row in range(model.rowCount())
    ]


def _expected_rows(workspace: Workspace, window: MainWindow) -> list[tuple[str, str, str]]:
    schedule = day_schedule(workspace, window.schedule.day)
    return [
        (
            f"{e.start:%H:%M}–{e.end:%H:%M}",
            block_label(e) if e.kind == "block" else ScheduleModel._text(e, 1),
            status_label(e.status) if e.kind == "appointment" else "",
        )
        for e in schedule.entries
    ]


def test_unlocking_with_the_right_password_shows_todays_schedule_of_the_signed_in_clinician(
    qtbot: QtBot, profile: Path, ui
) -> None:
    session, dialog = unlock_screen(qtbot, profile)
    assert dialog.selected_profile() == profile
    qtbot.keyClicks(dialog.password, ui.password)
    qtbot.mouseClick(dialog.unlock_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: session.window is not None, timeout=ui.wait_ms)
    window = session.window
    assert window is not None
    try:
        qtbot.waitUntil(lambda: window.schedule.schedule is not None, timeout=ui.wait_ms)
        workspace = window.workspace
        assert window.schedule.day == workspace.today()
        assert window.schedule.schedule.clinician.id == workspace.user.id  # type: ignore[union-attr]
        assert workspace.user.full_name in window.user_label.text()
        assert window.lock_label.text() == "Unlocked"
        assert _shown_rows(window) == _expected_rows(workspace, window)
        # today may be a weekend: walk to the next day with seeded appointments and compare again
        day, _entry = ui.find_day(workspace, lambda e: e.kind == "appointment", start=workspace.today())
        ui.show_day(window, day)
        shown = _shown_rows(window)
        assert shown == _expected_rows(workspace, window)
        assert any(row[2] for row in shown), "the seeded day shows its appointments"
        assert ui.password not in repr(WorkstationSettings.load())
    finally:
        window.close()


def test_a_wrong_password_shows_the_message_and_stays_locked(qtbot: QtBot, profile: Path, ui) -> None:
    session, dialog = unlock_screen(qtbot, profile)
    qtbot.keyClicks(dialog.password, "not the password")
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: dialog.unlock_button.isEnabled() and "wrong password" in dialog.message.text(),
        timeout=ui.wait_ms,
    )
    assert dialog.isVisible()
    assert dialog.workspace is None
    assert session.window is None
    assert dialog.password.text() == ""
    dialog.reject()


def test_auto_unlock_with_the_password_in_the_environment_draws_the_schedule_and_exits_on_request(
    profile: Path, ui
) -> None:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "CLINICDESK_PASSWORD": ui.password,
        "CLINICDESK_EXIT_AFTER_FIRST_PAINT": "1",
    }
    done = subprocess.run(
        [sys.executable, "-m", "clinicdesk", "gui", "--profile", str(profile)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith("first-paint ")]
    assert len(lines) == 1
    assert float(lines[0].split()[1]) > 0
    assert WorkstationSettings.load().last_profile == str(profile)


def test_auto_unlock_with_a_wrong_password_falls_back_to_the_dialog_with_the_message(
    qtbot: QtBot, profile: Path, ui
) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    session = GuiSession(app, WorkstationSettings.load(), profile=profile)
    session.start("not the password")
    qtbot.waitUntil(lambda: session.dialog is not None, timeout=ui.wait_ms)
    dialog = session.dialog
    assert dialog is not None
    qtbot.addWidget(dialog)
    assert dialog.isVisible()
    assert dialog.message.text() == "wrong password"
    assert dialog.selected_profile() == profile
    assert session.window is None
    dialog.reject()
