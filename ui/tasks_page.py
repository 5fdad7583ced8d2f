"""A nurse's task list: mine, my team's or all; sortable; overdue ones highlighted; start, complete,
cancel (with a reason), take, and new tasks.

The list loads on the worker and reloads itself whenever an operation changed tasks (its own or
another page's), so what is shown is what the store holds.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, tzinfo
from typing import Any

from PySide6.QtCore import (
    QDate,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTime,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.ops import alerting
from app.ops import schedule as schedule_ops
from app.ops import work as work_ops
from app.ops.changes import Changes
from app.services.records import UserSummary
from app.services.work import PRIORITY_RANK, TaskRecord, TaskScope
from clinicdesk.errors import ClinicDeskError
from models.enums import TaskPriority, TaskStatus, TaskType
from ui.actions import Menu
from ui.app import set_accessible
from ui.assign import ReassignDialog
from ui.clinical_dialogs import FormDialog, ReasonDialog
from ui.page import Page, PageContext
from ui.table_model import ZonedListModel, enum_words, list_table, selected_row

SORT_ROLE = Qt.ItemDataRole.UserRole + 1


class TaskModel(ZonedListModel[TaskRecord]):
    COLUMNS = ("Priority", "Due", "Title", "Patient", "Assignee", "Status", "Type")

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        t = self.row_item(index.row())
        if t is None:
            return None
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            due = f"{t.due_at.astimezone(self.tz):%a %d %b %H:%M}" if t.due_at else "—"
            if t.overdue and column == 1:
                due += "  (overdue)"
            return (
                enum_words(t.priority), due, t.title, t.patient_name or "",
                t.assignee_name or (f"any {t.assignee_role.value}" if t.assignee_role else "unassigned"),
                enum_words(t.status), enum_words(t.task_type),
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


class TaskDialog(FormDialog):
    def __init__(
        self, clinicians: list[UserSummary], me: uuid.UUID, *, tz: tzinfo, parent: QWidget | None = None
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
            self.priority.addItem(enum_words(p), p.value)
        self.priority.setCurrentIndex(self.priority.findData(TaskPriority.MEDIUM.value))
        self.kind = QComboBox()
        set_accessible(self.kind, "Task type")
        for k in TaskType:
            self.kind.addItem(enum_words(k), k.value)
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


class TasksPage(Page):
    """``loaded`` fires with the list after each load (tests and the alert's "open task" wait on it)."""

    reload_on_show = True  # another user may have assigned a task meanwhile

    loaded = Signal(list)  # list[TaskRecord]
    open_patient = Signal(uuid.UUID)
    failed = Signal(ClinicDeskError)

    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self._generation = 0
        self._wanted: uuid.UUID | None = None
        self.dialog: FormDialog | None = None
        self.clinicians: list[UserSummary] = []
        title = QLabel("Tasks")
        title.setObjectName("viewTitle")
        self.scope = QComboBox()
        for text, scope in (("Mine", TaskScope.MINE), ("My team", TaskScope.TEAM), ("All", TaskScope.ALL)):
            self.scope.addItem(text, scope.value)
        set_accessible(self.scope, "Task scope", "Mine, my team or all tasks")
        self.scope.currentIndexChanged.connect(lambda _i: self.reload())
        self.closed = QComboBox()
        self.closed.addItems(["Open tasks", "Include closed"])
        set_accessible(self.closed, "Closed tasks")
        self.closed.currentIndexChanged.connect(lambda _i: self.reload())
        self.info = QLabel("")
        self.info.setObjectName("dayInfo")
        self.model = TaskModel(self.workspace.practice_tz, self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = list_table("Tasks", "Tasks; overdue ones are red. Enter opens the patient's chart")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        self.table.activated.connect(lambda _i: self.open_selected_patient())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self.update_actions())
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
        self._make_actions()

    def _make_actions(self) -> None:
        a = self.ctx.actions.create
        work = Menu.WORK
        self.new_task_action = a(
            "&New task…", name="new_task", menu=work, shortcut="Ctrl+Shift+T", slot=self.new_task
        )
        self.start_task_action = a(
            "&Start task", name="start_task", menu=work, shortcut="Ctrl+Shift+B",
            slot=lambda: self.set_status(TaskStatus.IN_PROGRESS),
        )  # fmt: skip
        self.complete_task_action = a(
            "&Complete task", name="complete_task", menu=work, shortcut="Ctrl+Shift+K",
            slot=lambda: self.set_status(TaskStatus.COMPLETED),
        )  # fmt: skip
        self.cancel_task_action = a(
            "C&ancel task…", name="cancel_task", menu=work, shortcut="Ctrl+Shift+L",
            slot=lambda: self.set_status(TaskStatus.CANCELLED),
        )  # fmt: skip
        self.assign_task_action = a(
            "Assign to &me", name="assign_task", menu=work, shortcut="Ctrl+Shift+U", slot=self.assign_to_me
        )
        self.reassign_action = a(
            "Rea&ssign task…", name="reassign_task", menu=work, shortcut="Shift+F9", slot=self.reassign
        )
        self.task_actions = [
            self.start_task_action,
            self.complete_task_action,
            self.cancel_task_action,
            self.assign_task_action,
            self.reassign_action,
        ]
        self.ctx.actions.get_routed("refresh").handle(self, self.reload)
        self.ctx.actions.get_routed("open_linked").handle(self, self.open_selected_patient)

    def update_actions(self) -> None:
        for action in self.task_actions:
            self.ctx.actions.enable(action, self.selected() is not None)

    def on_changes(self, changes: Changes, initiator: object) -> None:
        if changes.touches("tasks"):
            self.reload_when_shown()

    def reload(self) -> None:
        self._generation += 1
        generation = self._generation
        scope = TaskScope(str(self.scope.currentData()))
        include_closed = self.closed.currentIndex() == 1
        self.ctx.ops.query(
            lambda ws: work_ops.tasks(ws, scope=scope, include_closed=include_closed), label="loading tasks"
        ).success(lambda tasks: self._show(generation, tasks)).failure(self._fail).run()
        if not self.clinicians:
            self.ctx.ops.query(schedule_ops.staff, label="loading staff").success(self._set_staff).run()

    def _set_staff(self, staff: list[UserSummary]) -> None:
        self.clinicians = list(staff)

    def _show(self, generation: int, tasks: list[TaskRecord]) -> None:
        if generation != self._generation:
            return
        selected = self.selected()
        self.model.replace_rows(tasks)
        overdue = sum(t.overdue for t in tasks)
        self.info.setText(f"{len(tasks)} task(s)" + (f", {overdue} overdue" if overdue else ""))
        wanted = self._wanted or (selected.id if selected is not None else None)
        self._wanted = None
        if wanted is not None:
            self.select(wanted)
        self.update_actions()
        self.loaded.emit(tasks)

    def _fail(self, error: ClinicDeskError) -> None:
        self.info.setText(error.message)
        self.failed.emit(error)

    def selected(self) -> TaskRecord | None:
        row = selected_row(self.table)
        if row is None:
            return None
        return self.model.row_item(self.proxy.mapToSource(self.proxy.index(row, 0)).row())

    def select(self, task_id: uuid.UUID) -> bool:
        for row, task in enumerate(self.model.rows):
            if task.id == task_id:
                self.table.selectRow(self.proxy.mapFromSource(self.model.index(row, 0)).row())
                return True
        return False

    def show_task(self, task_id: uuid.UUID) -> None:
        """Shows every task (closed ones too) and selects this one once the list has loaded."""
        self._wanted = task_id
        self.closed.setCurrentIndex(1)
        self.scope.setCurrentIndex(2)
        self.reload()

    def open_selected_patient(self) -> None:
        task = self.selected()
        if task is not None and task.patient_id is not None:
            self.open_patient.emit(task.patient_id)

    def set_status(self, status: TaskStatus) -> None:
        task = self.selected()
        if task is None:
            return
        task_id = task.id
        if status is TaskStatus.CANCELLED:
            dialog = ReasonDialog("Cancel task", "Cancel &task", "Why is this task cancelled?", self)

            def submit() -> None:
                reason = dialog.reason_text()
                self.ctx.ops.op(
                    lambda ws: work_ops.set_task_status(ws, task_id, status, reason=reason),
                    label="cancelling the task",
                    initiator=self,
                ).success(dialog.done_ok).failure(dialog.show_error).run()

            self._open(dialog, submit)
            return
        self.ctx.ops.op(
            lambda ws: work_ops.set_task_status(ws, task_id, status),
            label="changing the task",
            initiator=self,
        ).failure(self._fail).run()

    def assign_to_me(self) -> None:
        task = self.selected()
        if task is None:
            return
        task_id = task.id
        self.ctx.ops.op(
            lambda ws: work_ops.take_task(ws, task_id), label="assigning the task", initiator=self
        ).failure(self._fail).run()

    def reassign(self) -> None:
        """Gives the task to a colleague, or to everyone of a role ("any nurse")."""
        task = self.selected()
        if task is None:
            return
        task_id = task.id
        dialog = ReassignDialog(self.clinicians, title=task.title, parent=self)

        def submit() -> None:
            person, role = dialog.assignee.choice()
            self.ctx.ops.op(
                lambda ws: alerting.reassign_task(ws, task_id, person, role=role),
                label="reassigning the task",
                initiator=self,
            ).success(dialog.done_ok).failure(dialog.show_error).run()

        self._open(dialog, submit)

    def new_task(self, *, patient_id: uuid.UUID | None = None) -> None:
        me = self.workspace.user
        people = list(self.clinicians)
        if all(p.id != me.id for p in people):
            people.insert(0, UserSummary(me.id, me.username, me.full_name, me.role, None))
        dialog = TaskDialog(people, me.id, tz=self.workspace.practice_tz, parent=self)

        def submit() -> None:
            values = dialog.values()
            self.ctx.ops.op(
                lambda ws: work_ops.create_task(ws, patient_id=patient_id, **values),
                label="creating the task",
                initiator=self,
            ).success(dialog.done_ok).failure(dialog.show_error).run()

        self._open(dialog, submit)

    def _open(self, dialog: FormDialog, submit: Any) -> None:
        dialog.on_submit = submit
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.open()
