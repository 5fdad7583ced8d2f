# mypy: disable-error-code="func-returns-value"
"""A nurse's day: the task list (mine / my team / all; sortable; overdue highlighted) and alerts
(unread first, by severity; a critical one raises a desktop notification and a badge).

Both load through the worker; every change (start, complete, cancel, assign, mark read) reloads the
list afterwards, so what is shown is always what the store holds.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from typing import Any

from PySide6.QtCore import (
    QDate,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTime,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateTimeEdit,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.services import work
from app.services.views import UserSummary
from app.services.work import PRIORITY_RANK, AlertView, TaskScope, TaskView
from app.workspace import Workspace
from clinicdesk.errors import ClinicDeskError
from models.enums import AlertSeverity, TaskPriority, TaskStatus, TaskType
from ui.app import set_accessible
from ui.clinical_dialogs import ReasonDialog, _Dialog
from ui.table_model import ListTableModel
from ui.worker import Runner

SEVERITY_COLOURS = {
    AlertSeverity.CRITICAL: ("#fde8e8", "#9b1c1c"),
    AlertSeverity.HIGH: ("#fdeedc", "#8a4a0b"),
    AlertSeverity.MEDIUM: ("#fdf6d3", "#7a5a00"),
    AlertSeverity.LOW: (None, None),
}
SORT_ROLE = Qt.ItemDataRole.UserRole + 1


def _label(value: Any) -> str:
    return str(getattr(value, "value", value) or "").replace("_", " ").capitalize()


class TaskModel(ListTableModel):
    COLUMNS = ("Priority", "Due", "Title", "Patient", "Assignee", "Status", "Type")

    def __init__(self, tz: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tz = tz

    @property
    def tasks(self) -> list[TaskView]:
        return self.rows

    def set_tasks(self, tasks: list[TaskView]) -> None:
        self.replace_rows(tasks)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not 0 <= index.row() < len(self.tasks):
            return None
        t = self.tasks[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            due = f"{t.due_at.astimezone(self.tz):%a %d %b %H:%M}" if t.due_at else "—"
            if t.overdue and column == 1:
                due += "  (overdue)"
            return (
                _label(t.priority), due, t.title, t.patient_name or "", t.assignee_name or "unassigned",
                _label(t.status), _label(t.task_type),
            )[column]  # fmt: skip
        if role == SORT_ROLE:
            if column == 0:
                return PRIORITY_RANK.get(t.priority, 9)
            if column == 1:
                return t.due_at.timestamp() if t.due_at else float("inf")
            return str(self.data(index)).lower()
        if role == Qt.ItemDataRole.BackgroundRole and t.overdue:
            return QBrush(QColor("#fde8e8"))
        if role == Qt.ItemDataRole.ForegroundRole and t.overdue:
            return QBrush(QColor("#9b1c1c"))
        if (
            role == Qt.ItemDataRole.FontRole
            and (t.overdue or t.priority is TaskPriority.URGENT)
            and column in (0, 1)
        ):
            font = QFont()
            font.setBold(True)
            return font
        return None


class TaskDialog(_Dialog):
    def __init__(
        self, clinicians: list[UserSummary], me: uuid.UUID, *, tz: Any, parent: QWidget | None = None
    ) -> None:
        super().__init__("New task", "&Create task", parent)
        self.tz = tz
        self.title = QLineEdit()
        set_accessible(self.title, "Task title")
        self.assignee = QComboBox()
        set_accessible(self.assignee, "Assignee")
        self.assignee.addItem("Unassigned", None)
        for person in clinicians:
            self.assignee.addItem(f"{person.full_name} ({person.role.value})", person.id)
        self.assignee.setCurrentIndex(max(0, self.assignee.findData(me)))
        self.priority = QComboBox()
        set_accessible(self.priority, "Task priority")
        for p in TaskPriority:
            self.priority.addItem(_label(p), p.value)
        self.priority.setCurrentIndex(self.priority.findData(TaskPriority.MEDIUM.value))
        self.kind = QComboBox()
        set_accessible(self.kind, "Task type")
        for k in TaskType:
            self.kind.addItem(_label(k), k.value)
        self.due = QDateTimeEdit()
        self.due.setCalendarPopup(True)
        self.due.setDisplayFormat("ddd d MMM yyyy HH:mm")
        now = datetime.now(tz)
        self.due.setDate(QDate(now.year, now.month, now.day))
        self.due.setTime(QTime(min(now.hour + 2, 23), 0))
        set_accessible(self.due, "Due time")
        self.description = QLineEdit()
        set_accessible(self.description, "Task description")
        form = QFormLayout()
        form.addRow("&Title:", self.title)
        form.addRow("&Assign to:", self.assignee)
        form.addRow("&Priority:", self.priority)
        form.addRow("T&ype:", self.kind)
        form.addRow("&Due:", self.due)
        form.addRow("D&escription:", self.description)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.title.setFocus()

    def problem(self) -> str | None:
        return None if self.title.text().strip() else "a task needs a title"

    def values(self) -> dict[str, Any]:
        d, t = self.due.date(), self.due.time()
        due = datetime.combine(date(d.year(), d.month(), d.day()), time(t.hour(), t.minute()), tzinfo=self.tz)
        return {
            "title": self.title.text().strip(),
            "assignee_id": self.assignee.currentData(),
            "priority": TaskPriority(str(self.priority.currentData())),
            "task_type": TaskType(str(self.kind.currentData())),
            "due_at": due.astimezone(UTC),
            "description": self.description.text().strip() or None,
        }


class TasksView(QWidget):
    loaded = Signal(object)
    changed = Signal()
    open_patient = Signal(object)
    failed = Signal(object)

    def __init__(self, runner: Runner, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._workspace = workspace
        self._generation = 0
        self.dialog: QWidget | None = None
        self.clinicians: list[UserSummary] = []
        title = QLabel("Tasks")
        title.setObjectName("viewTitle")
        self.scope = QComboBox()
        for text, scope in (("Mine", TaskScope.MINE), ("My team", TaskScope.TEAM), ("All", TaskScope.ALL)):
            self.scope.addItem(text, scope.value)
        set_accessible(self.scope, "Task scope", "Mine, my team or all tasks")
        self.scope.currentIndexChanged.connect(lambda _i: self.load())
        self.closed = QComboBox()
        self.closed.addItems(["Open tasks", "Include closed"])
        set_accessible(self.closed, "Closed tasks")
        self.closed.currentIndexChanged.connect(lambda _i: self.load())
        self.info = QLabel("")
        self.info.setObjectName("dayInfo")
        self.model = TaskModel(workspace.practice_tz, self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        set_accessible(self.table, "Tasks", "Tasks; overdue ones are red. Enter opens the patient's chart")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.activated.connect(lambda _i: self.open_selected_patient())
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(QLabel("Show:"))
        top.addWidget(self.scope)
        top.addWidget(self.closed)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.info)
        layout.addWidget(self.table, 1)

    def load(self) -> None:
        self._generation += 1
        generation = self._generation
        scope = TaskScope(str(self.scope.currentData()))
        include_closed = self.closed.currentIndex() == 1
        self._runner.run(
            lambda: self._workspace.call(work.list_tasks, scope=scope, include_closed=include_closed),
            label="loading tasks",
            on_done=lambda r: self._show(generation, r),
            on_error=self._fail,
        )
        if not self.clinicians:
            self._runner.run(self._workspace.clinicians, label="loading staff", on_done=self._set_staff)

    def _set_staff(self, result: object) -> None:
        self.clinicians = (
            [u for u in result if isinstance(u, UserSummary)] if isinstance(result, list) else []
        )

    def _show(self, generation: int, result: object) -> None:
        if generation != self._generation:
            return
        selected = self.selected()
        tasks = [t for t in result if isinstance(t, TaskView)] if isinstance(result, list) else []
        self.model.set_tasks(tasks)
        overdue = sum(t.overdue for t in tasks)
        self.info.setText(f"{len(tasks)} task(s)" + (f", {overdue} overdue" if overdue else ""))
        if selected is not None:
            self.select(selected.id)
        self.loaded.emit(tasks)

    def _fail(self, error: ClinicDeskError) -> None:
        self.info.setText(error.message)
        self.failed.emit(error)

    def selected(self) -> TaskView | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return None
        source = self.proxy.mapToSource(rows[0])
        return self.model.tasks[source.row()] if 0 <= source.row() < len(self.model.tasks) else None

    def select(self, task_id: uuid.UUID) -> bool:
        for row, task in enumerate(self.model.tasks):
            if task.id == task_id:
                self.table.selectRow(self.proxy.mapFromSource(self.model.index(row, 0)).row())
                return True
        return False

    def open_selected_patient(self) -> None:
        task = self.selected()
        if task is not None and task.patient_id is not None:
            self.open_patient.emit(task.patient_id)

    def set_status(self, status: TaskStatus) -> None:
        task = self.selected()
        if task is None:
            return
        if status is TaskStatus.CANCELLED:
            dialog = ReasonDialog("Cancel task", "Cancel &task", "Why is this task cancelled?", self)
            task_id = task.id

            def submit(d: Any) -> None:
                reason = d.reason_text()
                self._runner.run(
                    lambda: self._workspace.call(work.set_task_status, task_id, status, reason=reason),
                    label="cancelling the task",
                    on_done=lambda _r: (d.done_ok(), self._changed()),
                    on_error=d.show_error,
                )

            dialog.on_submit = submit
            dialog.finished.connect(dialog.deleteLater)
            self.dialog = dialog
            dialog.open()
            return
        task_id = task.id
        self._runner.run(
            lambda: self._workspace.call(work.set_task_status, task_id, status),
            label="changing the task",
            on_done=lambda _r: self._changed(),
            on_error=self._fail,
        )

    def assign_to_me(self) -> None:
        task = self.selected()
        if task is None:
            return
        task_id, me = task.id, self._workspace.user.id
        self._runner.run(
            lambda: self._workspace.call(work.assign_task, task_id, me),
            label="assigning the task",
            on_done=lambda _r: self._changed(),
            on_error=self._fail,
        )

    def new_task(self, *, patient_id: uuid.UUID | None = None) -> None:
        me = self._workspace.user
        people = list(self.clinicians)
        if all(p.id != me.id for p in people):
            people.insert(0, UserSummary(me.id, me.username, me.full_name, me.role, None))
        dialog = TaskDialog(people, me.id, tz=self._workspace.practice_tz, parent=self)

        def submit(d: Any) -> None:
            values = d.values()
            self._runner.run(
                lambda: self._workspace.call(work.create_task, patient_id=patient_id, **values),
                label="creating the task",
                on_done=lambda _r: (d.done_ok(), self._changed()),
                on_error=d.show_error,
            )

        dialog.on_submit = submit
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.open()

    def _changed(self) -> None:
        self.load()
        self.changed.emit()


class AlertModel(ListTableModel):
    COLUMNS = ("Severity", "Title", "Message", "Type", "When")

    def __init__(self, tz: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tz = tz

    @property
    def alerts(self) -> list[AlertView]:
        return self.rows

    def set_alerts(self, alerts: list[AlertView]) -> None:
        self.replace_rows(alerts)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not 0 <= index.row() < len(self.alerts):
            return None
        a = self.alerts[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            severity = _label(a.severity) + ("" if a.read else " • unread")
            return (severity, a.title, a.message or "", _label(a.alert_type),
                    f"{a.created_at.astimezone(self.tz):%a %d %b %H:%M}")[index.column()]  # fmt: skip
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


class AlertsView(QWidget):
    """``critical(list[AlertView])`` fires for unread critical alerts not announced before."""

    loaded = Signal(object)
    changed = Signal()
    critical = Signal(object)
    open_patient = Signal(object)
    open_task = Signal(object)
    failed = Signal(object)

    def __init__(self, runner: Runner, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._workspace = workspace
        self._generation = 0
        self._announced: set[uuid.UUID] = set()
        title = QLabel("Alerts")
        title.setObjectName("viewTitle")
        self.info = QLabel("")
        self.info.setObjectName("dayInfo")
        self.model = AlertModel(workspace.practice_tz, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        set_accessible(
            self.table, "Alerts", "Unread first, most severe first; Enter opens the linked patient"
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.activated.connect(lambda _i: self.open_selected())
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.info)
        layout.addWidget(self.table, 1)

    @property
    def unread(self) -> int:
        return sum(not a.read for a in self.model.alerts)

    def load(self) -> None:
        self._generation += 1
        generation = self._generation
        self._runner.run(
            lambda: self._workspace.call(work.list_alerts),
            label="loading alerts",
            on_done=lambda r: self._show(generation, r),
            on_error=self._fail,
        )

    def _show(self, generation: int, result: object) -> None:
        if generation != self._generation:
            return
        selected = self.selected()
        alerts = [a for a in result if isinstance(a, AlertView)] if isinstance(result, list) else []
        self.model.set_alerts(alerts)
        critical = [a for a in alerts if a.severity is AlertSeverity.CRITICAL and not a.read]
        self.info.setText(f"{self.unread} unread" + (f", {len(critical)} critical" if critical else ""))
        if selected is not None:
            for row, a in enumerate(alerts):
                if a.id == selected.id:
                    self.table.selectRow(row)
        new = [a for a in critical if a.id not in self._announced]
        self._announced.update(a.id for a in new)
        self.loaded.emit(alerts)
        if new:
            self.critical.emit(new)

    def _fail(self, error: ClinicDeskError) -> None:
        self.info.setText(error.message)
        self.failed.emit(error)

    def selected(self) -> AlertView | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self.model.alerts[rows[0].row()] if rows and rows[0].row() < len(self.model.alerts) else None

    def mark_read(self) -> None:
        alert = self.selected()
        if alert is None or alert.read:
            return
        alert_id = alert.id
        self._runner.run(
            lambda: self._workspace.call(work.mark_alert_read, alert_id),
            label="marking the alert read",
            on_done=lambda _r: (self.load(), self.changed.emit()),
            on_error=self._fail,
        )

    def open_selected(self) -> None:
        alert = self.selected()
        if alert is None:
            return
        if alert.source == "task" and alert.source_id is not None:
            self.open_task.emit(alert.source_id)
        elif alert.patient_id is not None:
            self.open_patient.emit(alert.patient_id)
