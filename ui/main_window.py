# mypy: disable-error-code="func-returns-value"
"""The main window: navigation (Schedule, Patients, Encounter, Tasks, Alerts, Settings), menus and
toolbar with a shortcut for every action, the status bar (sync state, alert badge), and the lock
screen that replaces everything.

The window owns the Workspace from the moment it is shown and closes it when the window closes.
It only calls Workspace methods, always through the Runner, so the GUI thread never waits on the
database.
"""

from __future__ import annotations

import logging
from datetime import date, time
from functools import partial

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QSystemTrayIcon,
    QWidget,
)

from app.services.appointments import TRANSITIONS
from app.services.views import AppointmentView
from app.settings import Settings
from app.sync_service import SyncService
from app.workspace import Workspace
from clinicdesk.errors import ClinicDeskError
from models.enums import SOAP_SECTIONS, AppointmentStatus, Role, TaskStatus
from ui.app import icon, make_action, set_accessible, shortcut_text
from ui.dialogs import BookingDialog, CancelDialog
from ui.encounter_view import EncounterPage
from ui.lock import IdleWatcher, LockScreen
from ui.main_menus import build_menus, build_toolbar
from ui.patients_view import PatientsView
from ui.schedule_view import ScheduleView, status_label
from ui.settings_view import SettingsView, ask_import
from ui.sync_view import ConflictDialog, SyncController, SyncStatusLabel
from ui.work_view import AlertsView, TasksView
from ui.worker import Runner

log = logging.getLogger(__name__)

S = AppointmentStatus
SCHEDULE_PAGE, PATIENTS_PAGE, ENCOUNTER_PAGE, TASKS_PAGE, ALERTS_PAGE, SETTINGS_PAGE = range(6)
PAGES = (
    ("Schedule", "schedule"), ("Patients", "patients"), ("Encounter", "encounter"),
    ("Tasks", "tasks"), ("Alerts", "alerts"), ("Settings", "settings"),
)  # fmt: skip


class MainWindow(QMainWindow):
    locked_changed = Signal(bool)
    status_changed = Signal(object)  # AppointmentView after a successful status change
    booked = Signal(object)  # AppointmentView after a successful booking

    def __init__(
        self,
        workspace: Workspace,
        *,
        runner: Runner | None = None,
        idle_lock_minutes: float | None = None,
        day: date | None = None,
        settings: Settings | None = None,
        sync_service: SyncService | None = None,
        sync_interval: float = 60.0,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.runner = runner or Runner(self)
        self.settings = settings or Settings.load()
        if idle_lock_minutes is None:
            idle_lock_minutes = self.settings.idle_lock_minutes
        self.conflict_dialog: ConflictDialog | None = None
        self.tray: QSystemTrayIcon | None = None
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
        self.encounter = EncounterPage(self.runner, workspace, self.settings)
        self.tasks = TasksView(self.runner, workspace)
        self.alerts = AlertsView(self.runner, workspace)
        self.sync_service = sync_service or SyncService(
            workspace.store, self.settings.server_url, user_id=workspace.user.id
        )
        self.sync = SyncController(self.runner, self.sync_service, interval=sync_interval, parent=self)
        self.settings_view = SettingsView(self.runner, self.settings, sync=self.sync_service)
        self.pages = QStackedWidget()
        for page in (
            self.schedule,
            self.patients,
            self.encounter,
            self.tasks,
            self.alerts,
            self.settings_view,
        ):
            self.pages.addWidget(page)

        self.navigation = QListWidget()
        self.navigation.setObjectName("navigation")
        self.navigation.setAccessibleName("Navigation")
        self.navigation.setIconSize(QSize(22, 22))
        self.navigation.setFixedWidth(170)
        for text, icon_name in PAGES:
            QListWidgetItem(icon(icon_name), text, self.navigation)
        self.navigation.currentRowChanged.connect(self._page_chosen)
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
        build_menus(self)
        self.toolbar = build_toolbar(self)
        self._build_status_bar()

        self.schedule.selection_changed.connect(self._update_actions)
        self.schedule.loaded.connect(lambda _s: self._update_actions())
        self.schedule.open_patient.connect(self.show_patient)
        self.schedule.first_drawn.connect(self.schedule.load_clinicians)
        self.runner.error.connect(self.show_error)
        self.runner.busy_changed.connect(lambda busy: self.busy_label.setText("Working…" if busy else ""))
        self._connect_clinical()

        self.idle = IdleWatcher(int(idle_lock_minutes * 60_000), self)
        self.idle.idle.connect(self.lock)
        self.idle.start()
        self._update_actions()
        self.schedule.load()
        self.alerts.load()
        self.sync.start()
        if workspace.user.role is not Role.DOCTOR:
            self.show_page(TASKS_PAGE)

    def _connect_clinical(self) -> None:
        self.encounter.opened.connect(lambda _b: self._update_actions())
        # the editor's text, kept beside a note a sync changed meanwhile: straight to the reconcile view
        self.encounter.kept_aside.connect(lambda _c: (self.sync.refresh(), self.show_conflicts()))
        for signal in (self.encounter.saved, self.encounter.signed, self.encounter.amended):
            signal.connect(lambda _n: (self._update_actions(), self.sync.refresh()))
        self.encounter.signed.connect(
            lambda _n: self.statusBar().showMessage("Note signed; it is now read-only", 5000)
        )
        self.encounter.amended.connect(
            lambda n: self.statusBar().showMessage(f"Amendment saved as version {n.version}", 5000)
        )
        self.encounter.failed.connect(self.show_error)
        self.encounter.dictation.state_changed.connect(lambda _s: self._update_actions())
        self.encounter.panel.import_button.clicked.connect(self.import_model)
        self.tasks.open_patient.connect(self.show_patient)
        self.tasks.loaded.connect(lambda _t: self._update_actions())
        self.tasks.table.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        self.tasks.changed.connect(self.sync.refresh)
        self.alerts.open_patient.connect(self.show_patient)
        self.alerts.open_task.connect(self._show_task)
        self.alerts.loaded.connect(lambda _a: self._show_alert_badge())
        self.alerts.critical.connect(self._notify_critical)
        self.alerts.table.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        self.sync.state_changed.connect(self._show_sync_state)
        for changed in (self.status_changed, self.booked):  # the count of changes waiting moves
            changed.connect(lambda _a: self.sync.refresh())
        self.sync.synced.connect(self._synced)
        self.sync.failed.connect(lambda e: self.statusBar().showMessage(e.message, 8000))
        self.sync_label.clicked.connect(self.show_conflicts)
        self.settings_view.saved.connect(self._settings_saved)
        self.settings_view.model_imported.connect(lambda _m: self._model_changed())
        self.settings_view.signed_in.connect(self.sync_now)

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
        self._build_clinical_actions()
        self.status_actions: dict[AppointmentStatus, QAction] = {
            S.CONFIRMED: self.confirm_action,
            S.CHECKED_IN: self.check_in_action,
            S.NO_SHOW: self.no_show_action,
            S.CANCELLED: self.cancel_action,
        }
        for action in self._all_actions():
            self.addAction(action)  # shortcuts work even when the menu bar is hidden

    def _build_clinical_actions(self) -> None:
        a = make_action
        e = self.encounter
        self.page_actions = [self.schedule_action, self.patients_action] + [
            a(self, f"&{text}", shortcut=f"Ctrl+{i + 1}", slot=partial(self.show_page, i), icon_name=name)
            for i, (text, name) in enumerate(PAGES)
            if i >= ENCOUNTER_PAGE
        ]
        self.encounter_action = a(
            self,
            "Open &encounter",
            shortcut="Ctrl+E",
            slot=self.open_encounter,
            icon_name="encounter",
            tip="Open the encounter of the selected appointment",
        )
        self.vitals_action = a(self, "Record &vitals…", shortcut="Ctrl+Shift+V", slot=e.record_vitals)
        self.save_note_action = a(
            self, "&Save draft", shortcut=QKeySequence.StandardKey.Save, slot=e.save_draft
        )
        self.sign_note_action = a(
            self,
            "Si&gn note",
            shortcut="Ctrl+Shift+S",
            slot=e.sign,
            icon_name="sign",
            tip="Sign the note (doctor only); it becomes read-only",
        )
        self.amend_note_action = a(
            self,
            "&Amend note…",
            shortcut="Ctrl+Shift+A",
            slot=e.amend,
            tip="Amend the signed note with a reason (new version)",
        )
        self.history_action = a(self, "Note &history…", shortcut="Ctrl+H", slot=e.show_history)
        self.complete_action = a(self, "&Complete encounter", shortcut="Ctrl+Shift+E", slot=e.complete)
        self.record_action = a(
            self,
            "&Record / stop dictation",
            shortcut="F9",
            slot=e.toggle_recording,
            icon_name="mic",
            tip="Start or stop dictation (hold F8 to push-to-talk)",
        )
        self.pause_action = a(self, "&Pause / resume dictation", shortcut="F7", slot=e.toggle_pause)
        self.dictate_file_action = a(self, "Dictate from &file…", shortcut="Ctrl+Shift+D", slot=e.choose_wav)
        self.accept_code_action = a(
            self, "Accept ICD-10 s&uggestion", shortcut="F4", slot=e.editor.accept_suggestion
        )
        self.section_actions = [
            a(
                self,
                f"Go to {name.capitalize()}",
                shortcut=f"Alt+{i + 1}",
                slot=partial(e.go_to_section, name),
            )
            for i, name in enumerate(SOAP_SECTIONS)
        ]
        self.prescription_action = a(
            self, "New &prescription…", shortcut="Ctrl+Shift+P", slot=e.new_prescription
        )
        self.order_action = a(self, "New &order…", shortcut="Ctrl+Shift+O", slot=e.new_order)
        self.sign_order_action = a(
            self, "Sign prescription or order", shortcut="Ctrl+Shift+G", slot=e.sign_selected_order
        )
        t = self.tasks
        self.new_task_action = a(self, "&New task…", shortcut="Ctrl+Shift+T", slot=t.new_task)
        self.start_task_action = a(
            self, "&Start task", shortcut="Ctrl+Shift+B", slot=lambda: t.set_status(TaskStatus.IN_PROGRESS)
        )
        self.complete_task_action = a(
            self, "&Complete task", shortcut="Ctrl+Shift+K", slot=lambda: t.set_status(TaskStatus.COMPLETED)
        )
        self.cancel_task_action = a(
            self, "C&ancel task…", shortcut="Ctrl+Shift+L", slot=lambda: t.set_status(TaskStatus.CANCELLED)
        )
        self.assign_task_action = a(self, "Assign to &me", shortcut="Ctrl+Shift+U", slot=t.assign_to_me)
        self.mark_read_action = a(
            self, "&Mark alert read", shortcut="Ctrl+Shift+R", slot=self.alerts.mark_read
        )
        self.open_linked_action = a(
            self, "Open &linked patient or task", shortcut="Ctrl+Shift+H", slot=self._open_linked
        )
        self.sync_action = a(self, "S&ync now", shortcut="Ctrl+Shift+Y", slot=self.sync_now, icon_name="sync")
        self.conflicts_action = a(self, "Sync &conflicts…", shortcut="Ctrl+Shift+J", slot=self.show_conflicts)
        self.import_model_action = a(
            self, "&Import speech model…", shortcut="Ctrl+Shift+M", slot=self.import_model
        )
        self.settings_action = a(
            self,
            "Se&ttings",
            shortcut=QKeySequence.StandardKey.Preferences,
            slot=lambda: self.show_page(SETTINGS_PAGE),
            icon_name="settings",
        )
        if shortcut_text(self.settings_action.shortcut()) in ("", "Ctrl+6"):
            self.settings_action.setShortcut(QKeySequence("Ctrl+,"))
            self.settings_action.setToolTip("Settings (Ctrl+,)")  # fmt: skip
        self.doctor_actions = [
            self.save_note_action, self.sign_note_action, self.amend_note_action, self.complete_action,
            self.record_action, self.pause_action, self.dictate_file_action, self.accept_code_action,
            self.prescription_action, self.order_action, self.sign_order_action, *self.section_actions,
        ]  # fmt: skip

    def _clinical_actions(self) -> list[QAction]:
        return [
            *self.page_actions[2:], self.encounter_action, self.vitals_action, self.save_note_action,
            self.sign_note_action, self.amend_note_action, self.history_action, self.complete_action,
            self.record_action, self.pause_action, self.dictate_file_action, self.accept_code_action,
            *self.section_actions, self.prescription_action, self.order_action, self.sign_order_action,
            self.new_task_action, self.start_task_action, self.complete_task_action, self.cancel_task_action,
            self.assign_task_action, self.mark_read_action, self.open_linked_action, self.sync_action,
            self.conflicts_action, self.import_model_action, self.settings_action,
        ]  # fmt: skip

    def _all_actions(self) -> list[QAction]:
        return [
            self.book_action, self.find_action, self.lock_action, self.quit_action,
            self.schedule_action, self.patients_action, self.refresh_action,
            self.previous_action, self.today_action, self.next_action,
            *self.status_actions.values(), self.open_chart_action, self.shortcuts_action,
            *self._clinical_actions(),
        ]  # fmt: skip

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        user = self.workspace.user
        self.user_label = QLabel(f"Signed in: {user.full_name} ({user.role.value})")
        self.user_label.setAccessibleName("Signed-in user")
        self.lock_label = QLabel()
        self.lock_label.setAccessibleName("Lock state")
        self.busy_label = QLabel("")
        self.sync_label = SyncStatusLabel()
        self.alert_badge = QLabel("")
        self.alert_badge.setObjectName("alertBadge")
        self.alert_badge.setAccessibleName("Critical alerts")
        status.addWidget(self.user_label)
        status.addPermanentWidget(self.busy_label)
        status.addPermanentWidget(self.alert_badge)
        status.addPermanentWidget(self.sync_label)
        status.addPermanentWidget(self.lock_label)
        self._show_lock_state()

    # -- navigation -------------------------------------------------------------------------------

    def show_page(self, page: int) -> None:
        self.navigation.setCurrentRow(page)

    def _page_chosen(self, page: int) -> None:
        self.pages.setCurrentIndex(page)
        if page == TASKS_PAGE:
            self.tasks.load()
        elif page == ALERTS_PAGE:
            self.alerts.load()
        elif page == SETTINGS_PAGE:
            self.settings_view.load_devices()
        if hasattr(self, "status_actions"):  # not while the window is being built
            self._update_actions()

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
        page = self.pages.currentIndex()
        if page == PATIENTS_PAGE:
            self.patients.run_search()
        elif page == TASKS_PAGE:
            self.tasks.load()
        elif page == ALERTS_PAGE:
            self.alerts.load()
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
        if hasattr(self, "encounter_action"):
            self._update_clinical_actions(entry)

    def _update_clinical_actions(self, entry: object) -> None:
        role = self.workspace.user.role
        clinical = role in (Role.DOCTOR, Role.NURSE) and not self.locked
        e = self.encounter
        self.encounter_action.setEnabled(
            clinical and entry is not None and getattr(entry, "status", None) not in (S.CANCELLED, S.NO_SHOW)
        )
        self.vitals_action.setEnabled(clinical and e.has_encounter)
        doctor = role is Role.DOCTOR and not self.locked
        draft = doctor and e.editable
        dictating = e.dictation.active
        for action in self.doctor_actions:
            action.setEnabled(draft)
        self.record_action.setEnabled(draft)
        self.pause_action.setEnabled(draft and dictating)
        self.sign_note_action.setEnabled(draft and not dictating)
        self.amend_note_action.setEnabled(doctor and e.note is not None and not e.editable)
        self.history_action.setEnabled(e.note is not None and not self.locked)
        self.complete_action.setEnabled(doctor and e.has_encounter)
        for action in (self.prescription_action, self.order_action, self.sign_order_action):
            action.setEnabled(doctor and e.has_encounter)
        for action in self.section_actions:
            action.setEnabled(draft)
        has_task = self.tasks.selected() is not None and not self.locked
        for action in (
            self.start_task_action,
            self.complete_task_action,
            self.cancel_task_action,
            self.assign_task_action,
        ):
            action.setEnabled(has_task)
        alert = self.alerts.selected()
        self.mark_read_action.setEnabled(alert is not None and not alert.read and not self.locked)

    # -- encounter, tasks, alerts, sync -----------------------------------------------------------

    def open_encounter(self) -> None:
        entry = self.schedule.selected_appointment()
        if self.locked or entry is None or self.workspace.user.role not in (Role.DOCTOR, Role.NURSE):
            if entry is not None and not self.locked:
                self.show_error(ClinicDeskError("only a doctor or a nurse can open an encounter"))
            return
        self.show_page(ENCOUNTER_PAGE)
        self.encounter.open_entry(entry)

    def _open_linked(self) -> None:
        if self.pages.currentIndex() == TASKS_PAGE:
            self.tasks.open_selected_patient()
        else:
            self.alerts.open_selected()

    def _show_task(self, task_id: object) -> None:
        self.show_page(TASKS_PAGE)
        self.tasks.closed.setCurrentIndex(1)
        self.tasks.scope.setCurrentIndex(2)
        self.tasks.loaded.connect(self._select_task_once)
        self._wanted_task = task_id

    def _select_task_once(self, _tasks: object) -> None:
        self.tasks.loaded.disconnect(self._select_task_once)
        self.tasks.select(self._wanted_task)  # type: ignore[arg-type]

    def _show_alert_badge(self) -> None:
        unread = self.alerts.unread
        critical = sum(1 for a in self.alerts.model.alerts if not a.read and a.severity.value == "critical")
        item = self.navigation.item(ALERTS_PAGE)
        if item is not None:
            item.setText(f"Alerts ({unread})" if unread else "Alerts")
        self.alert_badge.setText(f"⚠ {critical} critical" if critical else "")
        self._update_actions()

    def _notify_critical(self, alerts: object) -> None:
        """A desktop notification (tray message where there is a tray) and the taskbar's attention."""
        count = len(alerts) if isinstance(alerts, list) else 1
        title = "Critical alert" if count == 1 else f"{count} critical alerts"
        text = (
            "Open ClinicDesk's Alerts (Ctrl+5) to read it."
            if count == 1
            else "Open ClinicDesk's Alerts (Ctrl+5)."
        )
        if QSystemTrayIcon.isSystemTrayAvailable():
            if self.tray is None:
                self.tray = QSystemTrayIcon(icon("app"), self)
                self.tray.show()
            self.tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Critical, 10_000)
        QApplication.alert(self, 0)
        self.statusBar().showMessage(f"{title}: {text}", 10_000)
        self.last_notification = (title, text)

    def sync_now(self) -> None:
        if not self.locked:
            self.sync.sync_now()

    def _show_sync_state(self, state: object) -> None:
        from app.sync_service import SyncState

        assert isinstance(state, SyncState)
        self.sync_label.show_state(state)

    def _synced(self, report: object) -> None:
        from sync.status import SyncReport

        assert isinstance(report, SyncReport)
        if report.errors:
            self.statusBar().showMessage(f"Sync: {report.errors[0]}", 8000)
        else:
            self.statusBar().showMessage(
                f"Synced: {report.pushed} sent, {report.pulled} received"
                + (f", {report.conflicts} conflict(s) to reconcile" if report.conflicts else ""),
                8000,
            )
        if report.pulled:
            self.schedule.refresh_when_shown()
        if report.pulled or report.conflicts:
            self._reload_open_note()
        if report.conflicts:
            self.show_conflicts()

    def _reload_open_note(self) -> None:
        """A sync or a reconciled conflict may have changed the note on screen: if it did, show it
        as it now stands, so a later save does not write the old text back over it. Not while the
        user is typing or dictating into it."""
        page, service = self.encounter, self.sync_service
        note = page.note
        if self.locked or page.bundle is None or note is None or page.dirty or page.dictation.active:
            return
        entry = page.bundle.entry

        def reload(changed: object) -> None:
            current = page.note
            same = current is not None and current.id == note.id and page.bundle is not None
            if changed and same and not page.dirty and not page.dictation.active and not self.locked:
                page.open_entry(entry)

        self.runner.run(
            lambda: service.note_changed(note.id, content=note.content, version=note.version),
            label="checking the open note",
            on_done=reload,
            on_error=lambda _e: None,
        )

    def show_conflicts(self) -> None:
        if self.locked:
            return
        dialog = ConflictDialog(self.runner, self.sync_service, self)
        dialog.resolved.connect(lambda _c: (self.sync.refresh(), self._reload_open_note()))
        dialog.finished.connect(dialog.deleteLater)
        self.conflict_dialog = dialog
        dialog.open()

    def import_model(self) -> None:
        source, _folder = ask_import(self)
        if source is not None:
            self.show_page(SETTINGS_PAGE)
            self.settings_view.import_from(source)

    def _settings_saved(self, settings: object) -> None:
        self.idle.set_timeout_ms(int(self.settings.idle_lock_minutes * 60_000))
        self.sync_service.set_server(self.settings.server_url)
        self._model_changed()
        self.sync.refresh()

    def _model_changed(self) -> None:
        self.encounter.dictation.forget_engine()
        self.encounter.panel.show_problem("")

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
        self.encounter.dictation.stop()
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

    # -- push-to-talk -----------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Key events the focused widget leaves unhandled come up to the window: push-to-talk (F8)
        works wherever the focus is, without an application-wide event filter."""
        if self.locked or not self.encounter.push_to_talk_key(event):
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if self.locked or not self.encounter.push_to_talk_key(event):
            super().keyReleaseEvent(event)

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
        self.encounter.shutdown()
        self.sync.shutdown()
        if self.tray is not None:
            self.tray.hide()
        self.runner.shutdown()
        self.workspace.close()
