"""The main window: navigation between the pages, the lock screen that replaces everything, the status
bar (who is signed in, sync state, the alert badge, busy, locked) and shutdown.

Each page (schedule, patients, encounter, tasks, alerts, settings) and the sync controller makes its
own actions and places them in the menus and the toolbar through the ActionRegistry, enables them
from its own state, and refreshes itself from the change sets of operations; the window lays the
menus out, wires the pages to each other (open this patient's chart, open this encounter) and
never reaches into a page's widgets. It owns the Workspace from the moment it is shown and closes it
when the window closes; the GUI thread never waits on the database.
"""

from __future__ import annotations

import uuid
from datetime import date
from functools import partial

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent, QKeySequence
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

from app.ops.changes import Changes
from app.services.records import ScheduleEntry
from app.settings import WorkstationSettings
from app.sync_service import AccountDeactivated, SyncService
from app.workspace import Workspace
from clinicdesk.errors import ClinicDeskError
from models.enums import Role
from ui.actions import ActionRegistry, Menu
from ui.alerts_page import AlertsPage
from ui.app import icon, set_accessible, shortcut_text
from ui.clinical_loop import ClinicalLoop
from ui.encounter_page import EncounterPage
from ui.lock import IdleWatcher, LockScreen
from ui.messages_page import MessagesPage
from ui.page import Page, PageContext
from ui.patients_page import PatientsPage
from ui.practice_setup import PracticePage
from ui.schedule_page import SchedulePage
from ui.settings_page import SettingsPage
from ui.staff_page import StaffPage
from ui.sync_view import SyncController
from ui.tasks_page import TasksPage
from ui.worker import Operations, Runner

#: the navigation, in order: (text, icon)
PAGES = (
    ("Schedule", "schedule"), ("Patients", "patients"), ("Encounter", "encounter"),
    ("Tasks", "tasks"), ("Alerts", "alerts"), ("Settings", "settings"), ("Messages", "messages"),
    ("Practice", "practice"), ("Staff", "staff"),
)  # fmt: skip


class MainWindow(QMainWindow):
    locked_changed = Signal(bool)

    def __init__(
        self,
        workspace: Workspace,
        *,
        runner: Runner | None = None,
        idle_lock_minutes: float | None = None,
        day: date | None = None,
        settings: WorkstationSettings | None = None,
        sync_service: SyncService | None = None,
        sync_interval: float = 60.0,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.runner = runner or Runner(self)
        self.settings = settings or WorkstationSettings.load()
        if idle_lock_minutes is None:
            idle_lock_minutes = self.settings.idle_lock_minutes
        self.tray: QSystemTrayIcon | None = None
        self.error_box: QMessageBox | None = None
        self.last_notification: tuple[str, str] | None = None
        self.locked = False
        self._closed = False
        self._background_started = False
        self.setWindowTitle(f"ClinicDesk — {workspace.user.full_name}")
        self.setWindowIcon(icon("app"))
        self.resize(1180, 760)

        self.pages = QStackedWidget()
        self.ops = Operations(self.runner, workspace, self)
        self.registry = ActionRegistry(self.pages.currentWidget, self)
        ctx = PageContext(self.ops, self.registry, self.settings)
        # made in the order their actions sit in shared menu groups (Refresh after the day's
        # navigation, Sync now before Settings in File); shown in the navigation's order below
        self.schedule = SchedulePage(ctx, day=day, patient_in_view=lambda: self.patients.patient_in_view())
        self.patients = PatientsPage(ctx)
        self.encounter = EncounterPage(ctx)
        self.alerts = AlertsPage(ctx)
        self.tasks = TasksPage(ctx)
        self.sync_service = sync_service or SyncService(
            workspace.store, self.settings.server_url, user_id=workspace.user.id
        )
        self.sync = SyncController(ctx, self.sync_service, interval=sync_interval, parent=self)
        self.settings_page = SettingsPage(ctx, sync=self.sync_service)
        self.practice_page = PracticePage(ctx)
        self.staff_page = StaffPage(ctx)
        self.staff_page.sync = self.patients.tools.sync = self.sync_service
        self.messages = MessagesPage(ctx, patient_in_view=lambda: self.patients.patient_in_view())
        fetch = self.sync_service.download  # recordings and documents made on other workstations
        self.clinical = ClinicalLoop(
            ctx, encounter=self.encounter, patients=self.patients, fetch=fetch, parent=self
        )
        self.page_list: list[Page] = [
            self.schedule, self.patients, self.encounter, self.tasks, self.alerts, self.settings_page,
            self.messages, self.practice_page, self.staff_page,
        ]  # fmt: skip
        for page in self.page_list:
            self.pages.addWidget(page)
            page.show_requested.connect(lambda page=page: self.show_page(page))
            page.status_message.connect(self.statusBar().showMessage)

        self.navigation = QListWidget()
        self.navigation.setObjectName("navigation")
        self.navigation.setAccessibleName("Navigation")
        self.navigation.setIconSize(QSize(22, 22))
        self.navigation.setFixedWidth(170)
        for text, icon_name in PAGES:
            QListWidgetItem(icon(icon_name), text, self.navigation)
        self.navigation.currentRowChanged.connect(self.pages.setCurrentIndex)
        self.navigation.setCurrentRow(0)

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

        self._make_actions()
        self.toolbar = self.registry.install(self)
        self._build_status_bar()
        self._connect_pages()

        self.idle = IdleWatcher(int(idle_lock_minutes * 60_000), self)
        self.idle.idle.connect(self.lock)
        self.idle.start()
        self.registry.set_locked(False)  # every owner enables its actions from its state
        self.schedule.load()
        # what can wait until the day is on screen: the alert badge and the background sync
        self.schedule.first_drawn.connect(self._start_background_work)
        self.schedule.failed.connect(lambda _e: self._start_background_work())
        if workspace.user.role is not Role.DOCTOR:
            self.show_page(self.tasks)

    # -- construction -----------------------------------------------------------------------------

    def _make_actions(self) -> None:
        a = self.registry.create
        for i, (text, icon_name) in enumerate(PAGES):
            a(
                f"&{text}", name=f"show_{icon_name}", menu=Menu.VIEW, shortcut=f"Ctrl+{i + 1}",
                slot=partial(self.navigation.setCurrentRow, i), icon_name=icon_name,
            )  # fmt: skip
        self.lock_action = a(
            "&Lock", name="lock", menu=Menu.FILE, group=1, shortcut="Ctrl+L", slot=self.lock,
            icon_name="lock", tip="Lock ClinicDesk", toolbar=3,
        )  # fmt: skip
        self.quit_action = a(
            "&Quit",
            name="quit",
            menu=Menu.FILE,
            group=2,
            shortcut="Ctrl+Q",
            slot=self.close,
            while_locked=True,
        )
        self.shortcuts_action = a(
            "&Keyboard shortcuts", name="shortcuts", menu=Menu.HELP,
            shortcut=QKeySequence.StandardKey.HelpContents, slot=self.show_shortcuts,
        )  # fmt: skip

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        user = self.workspace.user
        self.user_label = QLabel(f"Signed in: {user.full_name} ({user.role.value})")
        self.user_label.setAccessibleName("Signed-in user")
        self.lock_label = QLabel()
        self.lock_label.setAccessibleName("Lock state")
        self.busy_label = QLabel("")
        self.sync_label = self.sync.label
        self.alert_badge = QLabel("")
        self.alert_badge.setObjectName("alertBadge")
        self.alert_badge.setAccessibleName("Critical alerts")
        status.addWidget(self.user_label)
        status.addPermanentWidget(self.busy_label)
        status.addPermanentWidget(self.alert_badge)
        status.addPermanentWidget(self.sync_label)
        status.addPermanentWidget(self.lock_label)
        self._show_lock_state()

    def _connect_pages(self) -> None:
        self.runner.error.connect(self.show_error)
        self.runner.busy_changed.connect(lambda busy: self.busy_label.setText("Working…" if busy else ""))
        for page in (self.schedule, self.tasks, self.alerts):
            page.open_patient.connect(self.show_patient)
        self.schedule.open_encounter.connect(self.open_encounter)
        self.alerts.open_task.connect(self.show_task)
        self.alerts.counted.connect(self._show_alert_badge)
        self.alerts.critical.connect(self._notify_critical)
        self.sync.status_message.connect(self.statusBar().showMessage)
        self.settings_page.saved.connect(self._settings_saved)
        self.settings_page.model_imported.connect(lambda _m: self.encounter.settings_changed())
        self.settings_page.signed_in.connect(self.sync.sync_now)
        self.settings_page.practice_requested.connect(lambda: self.show_page(self.practice_page))
        self.settings_page.staff_requested.connect(lambda: self.show_page(self.staff_page))
        self.sync.failed.connect(self._sync_failed)
        self.messages.counted.connect(self._show_unread_messages)

    def _start_background_work(self) -> None:
        if not self._background_started and not self._closed:
            self._background_started = True
            self.practice_page.load()  # on day one, leads an administrator through the set-up
            self.alerts.reload()
            self.messages.reload()
            self.sync.start()

    # -- navigation -------------------------------------------------------------------------------

    def show_page(self, page: QWidget | int) -> None:
        index = page if isinstance(page, int) else self.pages.indexOf(page)
        self.navigation.setCurrentRow(index)

    def show_patient(self, patient_id: uuid.UUID) -> None:
        self.show_page(self.patients)
        self.patients.open_chart(patient_id)

    def open_encounter(self, entry: ScheduleEntry) -> None:
        self.show_page(self.encounter)
        self.encounter.open_entry(entry)

    def show_task(self, task_id: uuid.UUID) -> None:
        self.show_page(self.tasks)
        self.tasks.show_task(task_id)

    # -- status -----------------------------------------------------------------------------------

    def _show_alert_badge(self, unread: int, critical: int) -> None:
        item = self.navigation.item(self.pages.indexOf(self.alerts))
        if item is not None:
            item.setText(f"Alerts ({unread})" if unread else "Alerts")
        self.alert_badge.setText(f"⚠ {critical} critical" if critical else "")

    def _show_unread_messages(self, unread: int) -> None:
        item = self.navigation.item(self.pages.indexOf(self.messages))
        if item is not None:
            item.setText(f"Messages ({unread})" if unread else "Messages")

    def _notify_critical(self, alerts: list[object]) -> None:
        """A desktop notification (tray message where there is a tray) and the taskbar's attention."""
        count = len(alerts)
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

    def _settings_saved(self, settings: WorkstationSettings) -> None:
        self.idle.set_timeout_ms(int(settings.idle_lock_minutes * 60_000))
        self.sync.set_server(settings.server_url)
        self.encounter.settings_changed()

    def _sync_failed(self, error: ClinicDeskError) -> None:
        """The server deactivated this account: the window locks, and the lock screen refuses to
        open again (Workspace.verify_password)."""
        if isinstance(error, AccountDeactivated):
            self.lock()
            self.show_error(error)

    # -- errors and help --------------------------------------------------------------------------

    def show_error(self, error: ClinicDeskError) -> None:
        message = error.message or "something went wrong; please report it"
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
            for action in self.registry.all()
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
        for page in self.page_list:
            page.set_locked(True)
        for dialog in self.findChildren(QDialog):
            if dialog.isVisible():
                dialog.reject()
        self.idle.stop()
        self.outer.setCurrentWidget(self.lock_screen)
        self.menuBar().setEnabled(False)
        self.toolbar.setEnabled(False)
        self.registry.set_locked(True)
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
        self.registry.set_locked(False)
        for page in self.page_list:
            page.set_locked(False)
        self._show_lock_state()
        self.idle.start()
        self.ops.announce(Changes.from_elsewhere(), self)  # others worked on while this was locked
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
