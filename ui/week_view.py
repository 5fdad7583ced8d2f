"""A clinician's week beside the day view: seven columns (Monday to Sunday), a row per half hour,
appointments and time blocks drawn in the cells they cover, closed days and holidays greyed.
Double-clicking a cell shows that day in the day view. The week is read on the worker (one query
per day, app.ops.scheduling.week) and read again when appointments or blocks change."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.ops import scheduling as scheduling_ops
from app.services.records import DaySchedule, ScheduleEntry
from ui.app import icon, set_accessible
from ui.schedule_model import block_label, status_label
from ui.worker import Operations

SLOT = timedelta(minutes=30)
FIRST, LAST = time(7, 0), time(20, 0)
BLOCKED = QColor("#e2e8f0")
BOOKED = QColor("#bee3f8")
CLOSED = QColor("#f7f7f7")


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


class WeekView(QWidget):
    """``day_requested`` asks the day view to show a day; ``loaded`` fires after each week."""

    day_requested = Signal(date)
    loaded = Signal(list)

    def __init__(self, ops: Operations, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self._generation = 0
        self.monday = monday_of(ops.workspace.today())
        self.clinician_id: uuid.UUID = ops.workspace.user.id
        self.week: list[DaySchedule] = []
        self.title = QLabel("Week")
        self.title.setAccessibleName("Week shown")
        previous = QToolButton()
        previous.setIcon(icon("previous"))
        set_accessible(previous, "Previous week")
        previous.clicked.connect(lambda _c=False: self.show_week(self.monday - timedelta(days=7)))
        following = QToolButton()
        following.setIcon(icon("next"))
        set_accessible(following, "Next week")
        following.clicked.connect(lambda _c=False: self.show_week(self.monday + timedelta(days=7)))
        self.slots = [
            (datetime.combine(date.min, FIRST) + SLOT * i).time()
            for i in range(int((datetime.combine(date.min, LAST) - datetime.combine(date.min, FIRST)) / SLOT))
        ]
        self.table = QTableWidget(len(self.slots), 7)
        set_accessible(self.table, "Week schedule", "A clinician's week; double-click a day to see it")
        self.table.setVerticalHeaderLabels([f"{s:%H:%M}" for s in self.slots])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.cellDoubleClicked.connect(self._double_clicked)
        top = QHBoxLayout()
        top.addWidget(previous)
        top.addWidget(self.title, 1)
        top.addWidget(following)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)

    def _double_clicked(self, _row: int, column: int) -> None:
        self.day_requested.emit(self.monday + timedelta(days=column))

    def show_week(self, monday: date, clinician_id: uuid.UUID | None = None) -> None:
        self.monday = monday_of(monday)
        if clinician_id is not None:
            self.clinician_id = clinician_id
        self._generation += 1
        generation, first, who = self._generation, self.monday, self.clinician_id
        self.title.setText(f"Week of {first:%d %B %Y} (loading…)")
        self._ops.query(
            lambda ws: scheduling_ops.week(ws, clinician_id=who, monday=first), label="loading the week"
        ).success(lambda week: self._show(generation, week)).failure(
            lambda error: self.title.setText(error.message)
        ).run()

    def reload(self) -> None:
        self.show_week(self.monday)

    def _show(self, generation: int, week: list[DaySchedule]) -> None:
        if generation != self._generation:
            return
        self.week = week
        self.table.clearContents()
        self.table.setHorizontalHeaderLabels([f"{d.day:%a %d}" for d in week])
        for column, day in enumerate(week):
            if day.closed_reason:
                for row in range(len(self.slots)):
                    item = QTableWidgetItem("holiday" if day.closed_reason == "holiday" and row == 0 else "")
                    item.setBackground(QBrush(CLOSED))
                    self.table.setItem(row, column, item)
            for entry in day.entries:
                self._place(column, day, entry)
        name = week[0].clinician.full_name if week else ""
        self.title.setText(f"{name}: week of {self.monday:%d %B %Y}")
        self.loaded.emit(week)

    def _place(self, column: int, day: DaySchedule, entry: ScheduleEntry) -> None:
        if (
            entry.kind == "appointment"
            and entry.status is not None
            and entry.status.value in ("cancelled", "no_show")
        ):
            return
        tz = entry.start.tzinfo
        for row, slot in enumerate(self.slots):
            start = datetime.combine(day.day, slot, tzinfo=tz)
            if not (entry.start < start + SLOT and start < entry.end):
                continue
            first = entry.start >= start
            if entry.kind == "block":  # the reason alone fits a cell; the tooltip says the rest
                text = (entry.reason or block_label(entry)) if first else ""
                colour = BLOCKED
            else:
                text = f"{entry.patient_name} ({status_label(entry.status).lower()})" if first else "⋮"
                colour = BOOKED
            item = QTableWidgetItem(text)
            item.setBackground(QBrush(colour))
            what = block_label(entry) if entry.kind == "block" else entry.patient_name or ""
            item.setToolTip(f"{entry.start:%H:%M}–{entry.end:%H:%M} {what}")
            item.setData(Qt.ItemDataRole.UserRole, entry.appointment_id)
            self.table.setItem(row, column, item)

    def cell_text(self, day: date, at: time) -> str:
        """What the week shows for a day and half hour (tests read the grid through this)."""
        column = (day - self.monday).days
        row = next((i for i, s in enumerate(self.slots) if s == at), -1)
        item = self.table.item(row, column) if 0 <= column < 7 and row >= 0 else None
        return item.text() if item is not None else ""
