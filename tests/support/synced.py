"""Driving windows that sync with the real server (tests/ui/sync_fixtures.py makes the server, the
practice and the windows): two workstations of one doctor, "Sync now", opening the booked visit,
typing into the note and saving it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pytestqt.qtbot import QtBot

from app.sync_service import setup_workstation
from sync.status import SyncReport
from tests.support.profiles import FAST_KDF
from tests.support.window import WAIT_MS, Ui
from ui.main_window import MainWindow

if TYPE_CHECKING:
    from tests.ui.sync_fixtures import Clinic


def two_workstations(clinic: Clinic, folder: Path) -> list[Path]:
    """The same doctor's two workstations (exam room, office), each set up from the server."""
    return [
        setup_workstation(
            folder / name,
            profile_password=clinic.profile_password,
            server_url=clinic.server.url,
            username=clinic.doctor,
            server_password=clinic.password,
            device_name=name,
            kdf=FAST_KDF,
        ).profile_dir
        for name in ("exam-room", "office")
    ]


def sync_now(qtbot: QtBot, window: MainWindow) -> SyncReport:
    """The File menu's "Sync now" (Ctrl+Shift+Y), once the window is quiet; returns the report."""
    qtbot.waitUntil(lambda: window.runner.pending == 0, timeout=WAIT_MS)
    with qtbot.waitSignal(window.sync.synced, timeout=WAIT_MS) as synced:
        window.sync.sync_action.trigger()
    qtbot.waitUntil(lambda: not window.sync.syncing and window.runner.pending == 0, timeout=WAIT_MS)
    report = synced.args[0]
    assert isinstance(report, SyncReport) and report.ok
    return report


def select_visit(qtbot: QtBot, window: MainWindow, ui: Ui, clinic: Clinic) -> None:
    window.registry.get("show_schedule").trigger()
    ui.show_day(window, clinic.day)
    qtbot.waitUntil(lambda: window.schedule.select_appointment(clinic.appointment_id), timeout=WAIT_MS)


def open_visit(qtbot: QtBot, window: MainWindow, ui: Ui, clinic: Clinic) -> None:
    """The doctor opens the booked patient's encounter from the schedule (Ctrl+E)."""
    select_visit(qtbot, window, ui, clinic)
    with qtbot.waitSignal(window.encounter.opened, timeout=WAIT_MS):
        window.schedule.encounter_action.trigger()
    ui.wait_quiet(window)


def type_into(qtbot: QtBot, window: MainWindow, section: str, words: str) -> None:
    edit = window.encounter.editor.edits[section]
    edit.setFocus()
    edit.moveCursor(edit.textCursor().MoveOperation.End)
    qtbot.keyClicks(edit, words)


def save_note(qtbot: QtBot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.encounter.saved, timeout=WAIT_MS):
        window.encounter.save_note_action.trigger()
