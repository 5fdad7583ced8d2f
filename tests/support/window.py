"""Driving the real main window in tests: opening it on a profile, waiting for quiet, finding a day
with the right appointment, choosing it. Waits use qtbot.waitUntil / waitSignal with generous
timeouts, never fixed sleeps, because CI machines are slow."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.ops import schedule as schedule_ops
from app.services.records import DaySchedule, ScheduleEntry
from app.settings import WorkstationSettings
from app.workspace import Workspace
from models.enums import AppointmentStatus
from tests.support.profiles import PASSWORD
from ui.actions import ActionRegistry
from ui.cmd_gui import GuiSession
from ui.main_window import MainWindow
from ui.page import PageContext
from ui.unlock import UnlockDialog
from ui.worker import Operations, Runner

WAIT_MS = 30_000


def ui_settings() -> WorkstationSettings:
    """Whisper tiny.en keeps UI tests quick; the settings file stays in the test's CLINICDESK_HOME."""
    return WorkstationSettings(speech_engine="whisper", whisper_model="tiny.en")


def page_context(runner: Runner, workspace: Workspace, settings: WorkstationSettings) -> PageContext:
    """What a page needs, for testing one page on its own (no main window, no other pages)."""
    return PageContext(Operations(runner, workspace), ActionRegistry(lambda: None), settings)


def day_schedule(workspace: Workspace, day: date) -> DaySchedule:
    """The signed-in clinician's day, read straight from the store."""
    return schedule_ops.day(workspace, clinician_id=workspace.user.id, day=day)


def unlock_screen(qtbot: QtBot, profile: Path | None) -> tuple[GuiSession, UnlockDialog]:
    """The app's first screen, as ``clinicdesk gui`` shows it (without a password to hand)."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    session = GuiSession(app, WorkstationSettings.load(), profile=profile)
    session.start(None)
    dialog = session.dialog
    assert dialog is not None
    qtbot.addWidget(dialog)
    return session, dialog


class Ui:
    """Helpers the UI tests share (a fixture in tests/ui/conftest.py)."""

    password = PASSWORD
    wait_ms = WAIT_MS

    def __init__(self, qtbot: QtBot) -> None:
        self.qtbot = qtbot

    def wait_quiet(self, window: MainWindow) -> None:
        self.qtbot.waitUntil(lambda: window.runner.pending == 0, timeout=WAIT_MS)

    def show_day(self, window: MainWindow, day: date) -> DaySchedule:
        window.schedule.load(day)
        self.qtbot.waitUntil(
            lambda: (
                window.schedule.schedule is not None
                and window.schedule.schedule.day == day
                and window.runner.pending == 0
            ),
            timeout=WAIT_MS,
        )
        schedule = window.schedule.schedule
        assert schedule is not None
        return schedule

    @staticmethod
    def find_day(
        workspace: Workspace, want: Callable[[ScheduleEntry], bool], *, start: date, days: int = 8
    ) -> tuple[date, ScheduleEntry]:
        """The first day from ``start`` with an entry matching ``want``, found through the store so
        that tests do not depend on which weekday today is."""
        for offset in range(days):
            day = start + timedelta(days=offset)
            for entry in day_schedule(workspace, day).entries:
                if want(entry):
                    return day, entry
        raise AssertionError("the seeded profile has no matching schedule entry")

    def any_appointment(self, workspace: Workspace) -> ScheduleEntry:
        """An appointment from today on: its patient has a record (for searches and bookings)."""
        return self.find_day(workspace, self.is_appointment, start=workspace.today())[1]

    @staticmethod
    def is_appointment(entry: ScheduleEntry) -> bool:
        return entry.kind == "appointment"

    @staticmethod
    def is_open_appointment(entry: ScheduleEntry) -> bool:
        return entry.kind == "appointment" and entry.status in (
            AppointmentStatus.SCHEDULED,
            AppointmentStatus.CONFIRMED,
        )

    def choose_appointment(
        self, window: MainWindow, want: Callable[[ScheduleEntry], bool]
    ) -> tuple[date, ScheduleEntry]:
        """Shows the first day from today with such an appointment and selects it."""
        workspace = window.workspace
        day, entry = self.find_day(workspace, want, start=workspace.today())
        self.show_day(window, day)
        self.select_appointment(window, entry)
        return day, entry

    def select_appointment(self, window: MainWindow, entry: ScheduleEntry) -> None:
        assert entry.appointment_id is not None
        assert window.schedule.select_appointment(entry.appointment_id)
        self.qtbot.waitUntil(lambda: window.schedule.selected_appointment() == entry, timeout=WAIT_MS)
