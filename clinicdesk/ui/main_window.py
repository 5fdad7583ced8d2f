"""The main window: navigation (Schedule, Patients; later Tasks, Alerts, Notes), menus and toolbar
with a shortcut for every action, the status bar, and the lock screen that replaces everything.

The window owns the Workspace from the moment it is shown and closes it when the window closes.
It only calls Workspace methods, always through the Runner, so the GUI thread never waits on the
database.
"""

from __future__ import annotations

import logging
from datetime import date, time

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QToolBar,
    QWidget,
)

from clinicdesk.app.services.appointments import TRANSITIONS
from clinicdesk.app.services.views import AppointmentView
from clinicdesk.app.workspace import Workspace
from clinicdesk.errors import ClinicDeskError
from clinicdesk.models.enums import AppointmentStatus
from clinicdesk.ui.app import icon, make_action, set_accessible, shortcut_text
from clinicdesk.ui.dialogs import BookingDialog, CancelDialog
from clinicdesk.ui.lock import IdleWatcher, LockScreen
from clinicdesk.ui.patients_view import PatientsView
from clinicdesk.ui.schedule_view import ScheduleView, status_label
from clinicdesk.ui.worker import Runner

log = logging.getLogger(__name__)

S = AppointmentStatus
SCHEDULE_PAGE, PATIENTS_PAGE = 0, 1


class MainWindow(QMainWindow):
    locked_changed = Signal(bool)
    status_changed = Signal(object)  # AppointmentView after a successful status change
    booked = Signal(object)  # AppointmentView after a successful booking

    def __init__(
        self,
        workspace: Workspace,
        *,
        runner: Runner | None = None,
        idle_lock_minutes: float = 5.0,
        day: date | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.runner = runner or Runner(self)
        self.locked = False
        self._closed = False
        self.cancel_dialog: CancelDialog | None = None
        self.booking_dialog: BookingDialog | None = None
        self.error_box: QMessageBox | None = None
        self.setWindowTitle(f"ClinicDesk — {workspace.user.full_name}")
        self.setWindowIcon(icon("app"))
        self.resize(1180, 760)

        self.schedule = ScheduleView(self.runner, workspace, day=day)
        self.patients = PatientsView(self.runner, workspace)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.schedule)
        self.pages.addWidget(self.patients)

        self.navigation = QListWidget()
        self.navigation.setObjectName("navigation")
        self.navigation.setAccessibleName("Navigation")
        self.navigation.setIconSize(QSize(22, 22))
        self.navigation.setFixedWidth(170)
        for text, icon_name in (("Schedule", "schedule"), ("Patients", "patients")):
            QListWidgetItem(icon(icon_name), text, self.navigation)
        self.navigation.currentRowChanged.connect(self.pages.setCurrentIndex)
        self.navigation.setCurrentRow(SCHEDULE_PAGE)

        work = QWidget()
        work_layout = QHBoxLayout(work)
        work_layout.setContentsMargins(0, 0, 0, 0)
        work_layout.addWidget(self.navigation)
        work_layout.addWidget(self.pages, 1)

        self.lock_screen = LockScreen(self.runner, workspace.verify_password, who=workspace.user.full_name)
        self.lock_screen.unlocked.connect(self.unlock)
        self.outer = QStackedWidget()
        self.outer.addWidget(work)
        self.outer.addWidget(self.lock_screen)
        self.setCentralWidget(self.outer)

        self._build_actions()
        self._build_menus_and_toolbar()
        self._build_status_bar()

        self.schedule.selection_changed.connect(self._update_actions)
        self.schedule.loaded.connect(lambda _s: self._update_actions())
        self.schedule.open_patient.connect(self.show_patient)
        self.schedule.first_drawn.connect(self.schedule.load_clinicians)
        self.runner.error.connect(self.show_error)
        self.runner.busy_changed.connect(lambda busy: self.busy_label.setText("Working…" if busy else ""))

        self.idle = IdleWatcher(int(idle_lock_minutes * 60_000), self)
        self.idle.idle.connect(self.lock)
        self.idle.start()
        self._update_actions()
        self.schedule.load()

    # -- construction -----------------------------------------------------------------------------

    def _build_actions(self) -> None:
        a = make_action
        self.book_action = a(
            self, "&Book appointment…", shortcut="Ctrl+N", slot=self.book, icon_name="book", name="book"
        )
        self.find_action = a(
            self,
            "&Find patient…",
            shortcut=QKeySequence.StandardKey.Find,
            slot=self.find_patient,
            icon_name="search",
        )
        self.lock_action = a(
            self, "&Lock", shortcut="Ctrl+L", slot=self.lock, icon_name="lock", tip="Lock ClinicDesk"
        )
        self.quit_action = a(self, "&Quit", shortcut="Ctrl+Q", slot=self.close)
        self.schedule_action = a(
            self,
            "&Schedule",
            shortcut="Ctrl+1",
            slot=lambda: self.show_page(SCHEDULE_PAGE),
            icon_name="schedule",
        )
        self.patients_action = a(
            self,
            "&Patients",
            shortcut="Ctrl+2",
            slot=lambda: self.show_page(PATIENTS_PAGE),
            icon_name="patients",
        )
        self.refresh_action = a(
            self,
            "&Refresh",
            shortcut=QKeySequence.StandardKey.Refresh,
            slot=self.refresh,
            icon_name="refresh",
        )
        self.previous_action = a(
            self, "&Previous day", shortcut="Alt+Left", slot=self._previous_day, icon_name="previous"
        )
        self.today_action = a(self, "&Today", shortcut="Ctrl+T", slot=self._today, icon_name="today")
        self.next_action = a(self, "&Next day", shortcut="Alt+Right", slot=self._next_day, icon_name="next")
        self.confirm_action = a(
            self,
            "&Confirm",
            shortcut="Ctrl+Shift+C",
            slot=lambda: self.change_status(S.CONFIRMED),
            icon_name="confirm",
            tip="Confirm the appointment",
        )
        self.check_in_action = a(
            self,
            "Check &in",
            shortcut="Ctrl+Shift+I",
            slot=lambda: self.change_status(S.CHECKED_IN),
            icon_name="checkin",
            tip="Check the patient in",
        )
        self.no_show_action = a(
            self,
            "&No-show",
            shortcut="Ctrl+Shift+N",
            slot=lambda: self.change_status(S.NO_SHOW),
            icon_name="noshow",
            tip="Mark as no-show",
        )
        self.cancel_action = a(
            self,
            "C&ancel…",
            shortcut="Ctrl+Shift+X",
            slot=lambda: self.change_status(S.CANCELLED),
            icon_name="cancel",
            tip="Cancel the appointment (asks for a reason)",
        )
        self.open_chart_action = a(
            self,
            "Open patient &chart",
            shortcut="Ctrl+O",
            slot=self._open_selected_chart,
            icon_name="patients",
        )
        self.shortcuts_action = a(
            self,
            "&Keyboard shortcuts",
            shortcut=QKeySequence.StandardKey.HelpContents,
            slot=self.show_shortcuts,
        )
        self.status_actions: dict[AppointmentStatus, QAction] = {
            S.CONFIRMED: self.confirm_action,
            S.CHECKED_IN: self.check_in_action,
            S.NO_SHOW: self.no_show_action,
            S.CANCELLED: self.cancel_action,
        }
        for action in self._all_actions():
            self.addAction(action)  # shortcuts work even when the menu bar is hidden

    def _all_actions(self) -> list[QAction]:
        return [
            self.book_action, self.find_action, self.lock_action, self.quit_action,
            self.schedule_action, self.patients_action, self.refresh_action,
            self.previous_action, self.today_action, self.next_action,
            *self.status_actions.values(), self.open_chart_action, self.shortcuts_action,
        ]  # fmt: skip

    def _build_menus_and_toolbar(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addActions([self.lock_action])
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        view_menu = bar.addMenu("&View")
        view_menu.addActions([self.schedule_action, self.patients_action])
        view_menu.addSeparator()
        view_menu.addActions([self.previous_action, self.today_action, self.next_action, self.refresh_action])
        appointment_menu = bar.addMenu("&Appointment")
        appointment_menu.addAction(self.book_action)
        appointment_menu.addSeparator()
        appointment_menu.addActions(list(self.status_actions.values()))
        appointment_menu.addSeparator()
        appointment_menu.addAction(self.open_chart_action)
        patient_menu = bar.addMenu("&Patient")
        patient_menu.addAction(self.find_action)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.shortcuts_action)
        for menu in (file_menu, view_menu, appointment_menu, patient_menu, help_menu):
            menu.setAccessibleName(menu.title().replace("&", "") + " menu")

        toolbar = QToolBar("Main toolbar")
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setIconSize(QSize(20, 20))
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.addActions([self.today_action, self.book_action])
        toolbar.addSeparator()
        toolbar.addActions(list(self.status_actions.values()))
        toolbar.addSeparator()
        toolbar.addAction(self.lock_action)
        self.addToolBar(toolbar)
        self.toolbar = toolbar

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        user = self.workspace.user
        self.user_label = QLabel(f"Signed in: {user.full_name} ({user.role.value})")
        self.user_label.setAccessibleName("Signed-in user")
        self.lock_label = QLabel()
        self.lock_label.setAccessibleName("Lock state")
        self.busy_label = QLabel("")
        status.addWidget(self.user_label)
        status.addPermanentWidget(self.busy_label)
        status.addPermanentWidget(self.lock_label)
        self._show_lock_state()

    # -- navigation -------------------------------------------------------------------------------

    def show_page(self, page: int) -> None:
        self.navigation.setCurrentRow(page)

    def find_patient(self) -> None:
        self.show_page(PATIENTS_PAGE)
        self.patients.focus_search()

    def show_patient(self, patient_id: object) -> None:
        self.show_page(PATIENTS_PAGE)
        self.patients.open_chart(patient_id)  # type: ignore[arg-type]

    def _open_selected_chart(self) -> None:
        entry = self.schedule.selected_appointment()
        if entry is not None and entry.patient_id is not None:
            self.show_patient(entry.patient_id)

    def refresh(self) -> None:
        if self.pages.currentIndex() == PATIENTS_PAGE:
            self.patients.run_search()
        else:
            self.schedule.refresh()

    def _previous_day(self) -> None:
        self.show_page(SCHEDULE_PAGE)
        self.schedule.previous_day()

    def _next_day(self) -> None:
        self.show_page(SCHEDULE_PAGE)
        self.schedule.next_day()

    def _today(self) -> None:
        self.show_page(SCHEDULE_PAGE)
        self.schedule.go_today()

    # -- appointment actions ----------------------------------------------------------------------

    def _update_actions(self) -> None:
        entry = self.schedule.selected_appointment()
        for status, action in self.status_actions.items():
            allowed = entry is not None and entry.status is not None and status in TRANSITIONS[entry.status]
            action.setEnabled(allowed and not self.locked)
        self.open_chart_action.setEnabled(entry is not None and not self.locked)

    def change_status(self, status: AppointmentStatus) -> None:
        """Change the selected appointment's status; cancelling first asks for a reason."""
        entry = self.schedule.selected_appointment()
        if self.locked or entry is None or entry.appointment_id is None:
            return
        appointment_id = entry.appointment_id
        if status == S.CANCELLED:
            dialog = CancelDialog(f"{entry.start:%H:%M} on {entry.start:%A %d %B}", self)
            dialog.accepted.connect(lambda: self._submit_status(appointment_id, status, dialog.reason_text()))
            dialog.finished.connect(dialog.deleteLater)
            self.cancel_dialog = dialog
            dialog.open()
            return
        self._submit_status(appointment_id, status, None)

    def _submit_status(self, appointment_id: object, status: AppointmentStatus, reason: str | None) -> None:
        self.cancel_dialog = None
        self.runner.run(
            lambda: self.workspace.change_appointment_status(appointment_id, status, reason=reason),  # type: ignore[arg-type]
            label="changing the appointment status",
            on_done=self._status_changed,
        )

    def _status_changed(self, result: object) -> None:
        assert isinstance(result, AppointmentView)
        at = result.start.astimezone(self.workspace.practice_tz)
        self.statusBar().showMessage(
            f"Appointment at {at:%H:%M} is now {status_label(result.status).lower()}", 5000
        )
        self.schedule.refresh()
        self.status_changed.emit(result)

    def book(self) -> None:
        if self.locked:
            return
        entry = self.schedule.selected_entry()
        dialog = BookingDialog(
            self.runner,
            self.workspace,
            clinicians=self.schedule.clinicians(),
            clinician_id=self.schedule.clinician_id,
            day=self.schedule.day,
            patient=self.patients.chart.patient
            if self.pages.currentIndex() == PATIENTS_PAGE and self.patients.chart
            else None,
            parent=self,
        )
        if entry is not None:
            dialog.set_slot(self.schedule.day, entry.end.timetz().replace(tzinfo=None))
        else:
            dialog.set_slot(self.schedule.day, time(9, 0))
        dialog.accepted.connect(lambda: self._booked(dialog.booked))
        dialog.finished.connect(dialog.deleteLater)
        self.booking_dialog = dialog
        dialog.open()

    def _booked(self, result: AppointmentView | None) -> None:
        self.booking_dialog = None
        if result is None:
            return
        self.statusBar().showMessage(f"Booked: confirmation number {result.confirmation_number}", 8000)
        self.schedule.refresh()
        self.booked.emit(result)

    # -- errors and help --------------------------------------------------------------------------

    def show_error(self, error: object) -> None:
        message = (
            error.message if isinstance(error, ClinicDeskError) else "something went wrong; please report it"
        )
        box = QMessageBox(
            QMessageBox.Icon.Warning, "ClinicDesk", message[:1].upper() + message[1:], parent=self
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.error_box = box
        box.open()

    def show_shortcuts(self) -> None:
        rows = "".join(
            f"<tr><td>{action.text().replace('&', '')}</td>"
            f"<td><b>{shortcut_text(action.shortcut())}</b></td></tr>"
            for action in self._all_actions()
        )
        box = QMessageBox(
            QMessageBox.Icon.Information, "Keyboard shortcuts", f"<table>{rows}</table>", parent=self
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    # -- locking ----------------------------------------------------------------------------------

    def lock(self) -> None:
        """Hide every view and dialog that could show patient data until the password is given."""
        if self.locked or self._closed:
            return
        self.locked = True
        for dialog in self.findChildren(QDialog):
            if dialog.isVisible():
                dialog.reject()
        self.idle.stop()
        self.outer.setCurrentWidget(self.lock_screen)
        self.menuBar().setEnabled(False)
        self.toolbar.setEnabled(False)
        for action in self._all_actions():
            action.setEnabled(action is self.quit_action)
        self.lock_screen.reset()
        self._show_lock_state()
        self.locked_changed.emit(True)

    def unlock(self) -> None:
        if not self.locked:
            return
        self.locked = False
        self.outer.setCurrentIndex(0)
        self.menuBar().setEnabled(True)
        self.toolbar.setEnabled(True)
        for action in self._all_actions():
            action.setEnabled(True)
        self._update_actions()
        self._show_lock_state()
        self.idle.start()
        self.schedule.refresh()
        self.locked_changed.emit(False)

    def _show_lock_state(self) -> None:
        self.lock_label.setText("Locked" if self.locked else "Unlocked")
        self.lock_label.setObjectName("statusLocked" if self.locked else "statusUnlocked")
        self.lock_label.style().unpolish(self.lock_label)
        self.lock_label.style().polish(self.lock_label)
        set_accessible(self.lock_label, "Lock state")

    # -- shutdown ---------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Wait for running work, then close the store (a query must not outlive its engine)."""
        if self._closed:
            return
        self._closed = True
        self.idle.uninstall()
        self.runner.shutdown()
        self.workspace.close()
