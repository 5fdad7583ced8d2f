"""A clinician's alerts: unread first, most severe first, each naming its patient. A new unread
critical alert raises a desktop notification (the window shows it) and the navigation's badge.
Alerts are acknowledged, resolved with what was done, or followed up by a task (ui/assign.py).

Each load first lets the rules sweep (app/alert_rules.py: overdue tasks, signed notes changed in two
places); the list reloads itself whenever an operation or a sync changed alerts, and when shown.
"""

from __future__ import annotations

import uuid
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QHBoxLayout, QHeaderView, QLabel, QVBoxLayout, QWidget

from app.ops import alerting
from app.ops import schedule as schedule_ops
from app.ops import work as work_ops
from app.ops.changes import Changes
from app.services.work import AlertRecord
from clinicdesk.errors import ClinicDeskError
from models.enums import AlertSeverity, AlertStatus
from ui.actions import Menu
from ui.assign import TaskFromAlertDialog
from ui.clinical_dialogs import FormDialog, ReasonDialog
from ui.page import Page, PageContext
from ui.table_model import ZonedListModel, enum_words, list_table, selected_row

SEVERITY_COLOURS = {
    AlertSeverity.CRITICAL: ("#fde8e8", "#9b1c1c"),
    AlertSeverity.HIGH: ("#fdeedc", "#8a4a0b"),
    AlertSeverity.MEDIUM: ("#fdf6d3", "#7a5a00"),
    AlertSeverity.LOW: (None, None),
}


class AlertModel(ZonedListModel[AlertRecord]):
    COLUMNS = ("Severity", "Title", "Patient", "Status", "Message", "Type", "When")

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        a = self.row_item(index.row())
        if a is None:
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            severity = enum_words(a.severity) + ("" if a.read else " • unread")
            when = f"{a.created_at.astimezone(self.tz):%a %d %b %H:%M}"
            return (severity, a.title, a.patient_name or "", enum_words(a.status), a.message or "",
                    enum_words(a.alert_type), when)[index.column()]  # fmt: skip
        colours = SEVERITY_COLOURS.get(a.severity, (None, None))
        if role == Qt.ItemDataRole.BackgroundRole and colours[0] and not a.read:
            return QBrush(QColor(colours[0]))
        if role == Qt.ItemDataRole.ForegroundRole and colours[1]:
            return QBrush(QColor(colours[1] if not a.read else "#777777"))
        if role == Qt.ItemDataRole.FontRole and not a.read:
            font = QFont()
            font.setBold(True)
            return font
        return None


class AlertsPage(Page):
    """``critical(list[AlertRecord])`` fires for unread critical alerts not announced before;
    ``counted(unread, critical)`` after each load, for the navigation's badge."""

    reload_on_show = True  # alerts arrive from other people's work

    loaded = Signal(list)  # list[AlertRecord]
    counted = Signal(int, int)
    critical = Signal(list)  # list[AlertRecord]
    open_patient = Signal(uuid.UUID)
    open_task = Signal(uuid.UUID)
    failed = Signal(ClinicDeskError)

    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self._generation = 0
        self._announced: set[uuid.UUID] = set()
        title = QLabel("Alerts")
        title.setObjectName("viewTitle")
        self.info = QLabel("")
        self.info.setObjectName("dayInfo")
        self.model = AlertModel(self.workspace.practice_tz, self)
        self.table = list_table("Alerts", "Unread first, most severe first; Enter opens the linked patient")
        self.table.setModel(self.model)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.activated.connect(lambda _i: self.open_selected())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self.update_actions())
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.info)
        layout.addWidget(self.table, 1)
        actions = ctx.actions
        self.mark_read_action = actions.create(
            "&Acknowledge alert", name="mark_alert_read", menu=Menu.WORK, group=1, shortcut="Ctrl+Shift+R",
            slot=self.mark_read, tip="Mark the alert read: you have seen it and are on it",
        )  # fmt: skip
        self.resolve_action = actions.create(
            "Resol&ve alert…", name="resolve_alert", menu=Menu.WORK, group=1, shortcut="Ctrl+Shift+Q",
            slot=self.resolve,
        )  # fmt: skip
        self.task_action = actions.create(
            "New task from a&lert…", name="task_from_alert", menu=Menu.WORK, group=1, shortcut="Shift+F11",
            slot=self.task_from_alert,
        )  # fmt: skip
        self.dialog: FormDialog | None = None
        #: on the task list, the task's patient; anywhere else, what the chosen alert links to
        self.open_linked = actions.route(
            actions.create(
                "Open &linked patient or task", name="open_linked", menu=Menu.WORK, group=1,
                shortcut="Ctrl+Shift+H",
            )
        )  # fmt: skip
        self.open_linked.handle(self, self.open_selected, default=True)
        actions.get_routed("refresh").handle(self, self.reload)

    @property
    def unread(self) -> int:
        return sum(not a.read for a in self.model.rows)

    def update_actions(self) -> None:
        alert = self.selected()
        self.ctx.actions.enable(self.mark_read_action, alert is not None and not alert.read)
        open_alert = alert is not None and alert.status is not AlertStatus.RESOLVED
        self.ctx.actions.enable(self.resolve_action, open_alert)
        self.ctx.actions.enable(self.task_action, open_alert)

    def on_changes(self, changes: Changes, initiator: object) -> None:
        if initiator is self and not changes.alerts:
            return
        if changes.alerts or changes.external:  # the badge counts them: reload even when not shown
            self.reload()

    def reload(self) -> None:
        self._generation += 1
        generation = self._generation
        self.ctx.ops.op(alerting.sweep_and_list, label="loading alerts", initiator=self).success(
            lambda alerts: self._show(generation, alerts)
        ).failure(self._fail).run()

    def _show(self, generation: int, alerts: list[AlertRecord]) -> None:
        if generation != self._generation:
            return
        selected = self.selected()
        self.model.replace_rows(alerts)
        critical = [a for a in alerts if a.severity is AlertSeverity.CRITICAL and not a.read]
        self.info.setText(f"{self.unread} unread" + (f", {len(critical)} critical" if critical else ""))
        if selected is not None:
            for row, a in enumerate(alerts):
                if a.id == selected.id:
                    self.table.selectRow(row)
        new = [a for a in critical if a.id not in self._announced]
        self._announced.update(a.id for a in new)
        self.update_actions()
        self.loaded.emit(alerts)
        self.counted.emit(self.unread, len(critical))
        if new:
            self.critical.emit(new)

    def _fail(self, error: ClinicDeskError) -> None:
        self.info.setText(error.message)
        self.failed.emit(error)

    def selected(self) -> AlertRecord | None:
        row = selected_row(self.table)
        return self.model.row_item(row) if row is not None else None

    def mark_read(self) -> None:
        alert = self.selected()
        if alert is None or alert.read:
            return
        alert_id = alert.id
        self.ctx.ops.op(
            lambda ws: work_ops.mark_alert_read(ws, alert_id), label="marking the alert read", initiator=self
        ).failure(self._fail).run()

    def _open(self, dialog: FormDialog, submit: Any) -> None:
        dialog.on_submit = submit
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.open()

    def resolve(self) -> None:
        alert = self.selected()
        if alert is None:
            return
        alert_id = alert.id
        dialog = ReasonDialog("Resolve alert", "&Resolve", "What was done about it?", self)

        def submit() -> None:
            text = dialog.reason_text()
            self.ctx.ops.op(
                lambda ws: alerting.resolve(ws, alert_id, resolution=text), label="resolving the alert",
                initiator=self,
            ).success(dialog.done_ok).failure(dialog.show_error).run()  # fmt: skip

        self._open(dialog, submit)

    def task_from_alert(self) -> None:
        """A follow-up task (a nurse's "recheck in 15 minutes") for the alert's patient."""
        alert = self.selected()
        if alert is None:
            return
        self.ctx.ops.query(schedule_ops.staff, label="loading staff").success(
            lambda staff: self._task_dialog(alert, staff)
        ).failure(self._fail).run()

    def _task_dialog(self, alert: AlertRecord, staff: list[Any]) -> None:
        dialog = TaskFromAlertDialog(alert, staff, self)
        alert_id = alert.id

        def submit() -> None:
            values = dialog.values()
            self.ctx.ops.op(
                lambda ws: alerting.task_from_alert(ws, alert_id, **values), label="creating the task",
                initiator=self,
            ).success(dialog.done_ok).failure(dialog.show_error).run()  # fmt: skip

        self._open(dialog, submit)

    def open_selected(self) -> None:
        alert = self.selected()
        if alert is None:
            return
        if alert.source == "task" and alert.source_id is not None:
            self.open_task.emit(alert.source_id)
        elif alert.patient_id is not None:
            self.open_patient.emit(alert.patient_id)
