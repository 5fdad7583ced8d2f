"""A clinician's day: appointments and time blocks in one table, with date and clinician choosers.

Loads exactly one day for one clinician through the Workspace on the worker thread; a newer
request supersedes an older one still in flight (its result is dropped), so clicking "next day"
quickly never shows a stale day.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import (
    QDate,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.services.views import DaySchedule, ScheduleEntry, UserSummary
from app.workspace import Workspace
from clinicdesk.errors import ClinicDeskError
from models.enums import AppointmentStatus
from ui.app import icon, set_accessible
from ui.table_model import ListTableModel
from ui.worker import Runner

S = AppointmentStatus

#: status -> (background, foreground); None keeps the palette's colour
STATUS_COLOURS: dict[AppointmentStatus, tuple[str | None, str | None]] = {
    S.SCHEDULED: (None, None),
    S.CONFIRMED: ("#e6f0fb", "#1a4f8b"),
    S.CHECKED_IN: ("#e3f6e8", "#1f6b3a"),
    S.IN_PROGRESS: ("#fdf6d3", "#7a5a00"),
    S.COMPLETED: ("#eeeeee", "#4a4a4a"),
    S.CANCELLED: ("#fde8e8", "#9b1c1c"),
    S.NO_SHOW: ("#fdeedc", "#8a4a0b"),
}
BLOCK_BACKGROUND = "#e2e2e2"
BLOCK_FOREGROUND = "#555555"


def status_label(status: AppointmentStatus | None) -> str:
    if status is None:
        return ""
    return {S.CHECKED_IN: "Checked in", S.NO_SHOW: "No-show", S.IN_PROGRESS: "In progress"}.get(
        status, status.value.replace("_", " ").capitalize()
    )


def type_label(value: Any) -> str:
    return str(getattr(value, "value", value) or "").replace("_", "-").capitalize()


def block_label(entry: ScheduleEntry) -> str:
    what = entry.reason or type_label(entry.block_type) or "Unavailable"
    return f"Blocked — {what}"


class ScheduleModel(ListTableModel):
    COLUMNS = ("Time", "Patient", "Type", "Status", "Reason")

    @property
    def entries(self) -> list[ScheduleEntry]:
        return self.rows

    def set_entries(self, entries: list[ScheduleEntry]) -> None:
        self.replace_rows(entries)

    def entry(self, row: int) -> ScheduleEntry | None:
        return self.row_item(row)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        entry = self.entry(index.row())
        if entry is None:
            return None
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._text(entry, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if entry.kind == "block":
                return block_label(entry)
            return f"{entry.patient_name} · {entry.mrn}" if column == 1 else self._text(entry, column)
        if entry.kind == "block":
            if role == Qt.ItemDataRole.BackgroundRole:
                return QBrush(QColor(BLOCK_BACKGROUND))
            if role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(QColor(BLOCK_FOREGROUND))
            if role == Qt.ItemDataRole.FontRole:
                font = QFont()
                font.setItalic(True)
                return font
            return None
        colours = STATUS_COLOURS.get(entry.status or S.SCHEDULED, (None, None))
        if role == Qt.ItemDataRole.BackgroundRole and colours[0]:
            return QBrush(QColor(colours[0]))
        if role == Qt.ItemDataRole.ForegroundRole and colours[1]:
            return QBrush(QColor(colours[1]))
        if role == Qt.ItemDataRole.FontRole and (column == 3 or entry.status == S.CANCELLED):
            font = QFont()
            font.setBold(column == 3)
            font.setStrikeOut(entry.status == S.CANCELLED and column in (0, 1))
            return font
        return None

    @staticmethod
    def _text(entry: ScheduleEntry, column: int) -> str:
        if column == 0:
            return f"{entry.start:%H:%M}–{entry.end:%H:%M}"
        if entry.kind == "block":
            return block_label(entry) if column == 1 else ""
        if column == 1:
            return f"{entry.patient_name}  ·  {entry.mrn}"
        if column == 2:
            return type_label(entry.appointment_type)
        if column == 3:
            return status_label(entry.status)
        return entry.reason or ""


class ScheduleView(QWidget):
    """``loaded`` fires after each day is shown; ``first_drawn`` once, after the first populated
    day has actually been painted (the cold-start benchmark's finish line)."""

    loaded = Signal(object)
    first_drawn = Signal()
    open_patient = Signal(object)
    selection_changed = Signal()
    failed = Signal(object)

    def __init__(
        self, runner: Runner, workspace: Workspace, *, day: date | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._workspace = workspace
        self._generation = 0
        self._populated = False
        self._drawn_reported = False
        self._stale = False
        self.schedule: DaySchedule | None = None
        self.day: date = day or workspace.today()
        self.clinician_id: uuid.UUID = workspace.user.id

        self.title = QLabel("Schedule")
        self.title.setObjectName("viewTitle")
        self.title.setAccessibleName("Schedule day")
        self.info = QLabel("Loading…")
        self.info.setObjectName("dayInfo")

        self.previous_button = self._tool_button("previous", "Previous day", self.previous_day)
        self.today_button = self._tool_button("today", "Today", self.go_today)
        self.next_button = self._tool_button("next", "Next day", self.next_day)
        self.date_edit = QDateEdit()
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("ddd d MMM yyyy")
        self.date_edit.setDate(QDate(self.day.year, self.day.month, self.day.day))
        set_accessible(self.date_edit, "Schedule date")
        self.date_edit.dateChanged.connect(self._date_edited)

        self.clinician_box = QComboBox()
        self.clinician_box.setMinimumContentsLength(22)
        set_accessible(self.clinician_box, "Clinician", "Whose schedule to show")
        self.clinician_box.addItem(workspace.user.full_name, workspace.user.id)
        self.clinician_box.currentIndexChanged.connect(self._clinician_chosen)

        self.closed_banner = QLabel()
        self.closed_banner.setObjectName("closedBanner")
        self.closed_banner.setVisible(False)

        self.model = ScheduleModel(self)
        self.table = QTableView()
        set_accessible(self.table, "Appointments", "The day's appointments and blocked times")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(28)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        header.resizeSection(1, 300)
        self.table.activated.connect(self._activated)  # Enter or double-click
        self.table.selectionModel().selectionChanged.connect(lambda *_: self.selection_changed.emit())
        self.table.viewport().installEventFilter(self)

        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addStretch(1)
        for widget in (self.previous_button, self.today_button, self.next_button, self.date_edit):
            top.addWidget(widget)
        top.addSpacing(12)
        top.addWidget(QLabel("Clinician:"))
        top.addWidget(self.clinician_box)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.info)
        layout.addWidget(self.closed_banner)
        layout.addWidget(self.table, 1)

    def _tool_button(self, icon_name: str, text: str, slot: Any) -> QToolButton:
        button = QToolButton()
        button.setIcon(icon(icon_name))
        button.setText(text)
        button.setToolTip(text)
        button.setAutoRaise(True)
        set_accessible(button, text)
        button.clicked.connect(slot)
        return button

    # -- loading ----------------------------------------------------------------------------------

    def load(self, day: date | None = None) -> None:
        if day is not None:
            self.day = day
        self._generation += 1
        generation = self._generation
        day_, clinician = self.day, self.clinician_id
        self._sync_date_edit()
        self.info.setText("Loading…")
        self._runner.run(
            lambda: self._workspace.schedule(day_, clinician_id=clinician),
            label="loading the schedule",
            on_done=lambda result: self._show(generation, result),
            on_error=lambda error: self._failed(generation, error),
        )

    def refresh(self) -> None:
        self.load()

    def refresh_when_shown(self) -> None:
        """Reloads now if the schedule is on screen, else the next time it is shown: a sync that
        received records need not redraw a page nobody is looking at (the GUI thread pays for each
        redraw while a dictation is running)."""
        if self.isVisible():
            self._stale = False
            self.load()
        else:
            self._stale = True

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self._stale = False
            self.load()

    def load_clinicians(self) -> None:
        """Fill the clinician chooser; done after the first day is drawn to keep start-up lean."""
        self._runner.run(
            self._workspace.clinicians, label="loading the clinicians", on_done=self._set_clinicians
        )

    def _set_clinicians(self, result: object) -> None:
        clinicians = [c for c in result if isinstance(c, UserSummary)] if isinstance(result, list) else []
        self.clinician_box.blockSignals(True)
        self.clinician_box.clear()
        for clinician in clinicians:
            label = clinician.full_name + (f" — {clinician.specialty}" if clinician.specialty else "")
            self.clinician_box.addItem(label, clinician.id)
        if self.clinician_box.findData(self.clinician_id) < 0:
            self.clinician_box.insertItem(0, self._workspace.user.full_name, self._workspace.user.id)
        self.clinician_box.setCurrentIndex(self.clinician_box.findData(self.clinician_id))
        self.clinician_box.blockSignals(False)

    def clinicians(self) -> list[tuple[str, uuid.UUID]]:
        return [
            (self.clinician_box.itemText(i), self.clinician_box.itemData(i))
            for i in range(self.clinician_box.count())
        ]

    def _show(self, generation: int, result: object) -> None:
        if generation != self._generation:
            return
        assert isinstance(result, DaySchedule)
        selected = self.selected_entry()
        self.schedule = result
        self.model.set_entries(result.entries)
        self.table.clearSpans()
        for row, entry in enumerate(result.entries):
            if entry.kind == "block":
                self.table.setSpan(row, 1, 1, len(ScheduleModel.COLUMNS) - 1)
        self._restore_selection(selected)
        appointments = [e for e in result.entries if e.kind == "appointment"]
        active = [e for e in appointments if e.status not in (S.CANCELLED, S.NO_SHOW)]
        self.title.setText(f"{result.day:%A %d %B %Y}")
        today = " (today)" if result.day == self._workspace.today() else ""
        self.info.setText(
            f"{result.clinician.full_name}{today}: {len(active)} appointment(s)"
            + (
                f", {len(appointments) - len(active)} cancelled or no-show"
                if len(active) != len(appointments)
                else ""
            )
        )
        self.closed_banner.setText(_closed_text(result))
        self.closed_banner.setVisible(bool(result.closed_reason))
        self._populated = True
        self.loaded.emit(result)

    def _failed(self, generation: int, error: ClinicDeskError) -> None:
        if generation != self._generation:
            return
        self.info.setText(error.message)
        self.failed.emit(error)

    def _restore_selection(self, previous: ScheduleEntry | None) -> None:
        if previous is None or previous.appointment_id is None:
            return
        for row, entry in enumerate(self.model.entries):
            if entry.appointment_id == previous.appointment_id:
                self.table.selectRow(row)
                return

    # -- navigation -------------------------------------------------------------------------------

    def previous_day(self) -> None:
        self.load(self.day - timedelta(days=1))

    def next_day(self) -> None:
        self.load(self.day + timedelta(days=1))

    def go_today(self) -> None:
        self.load(self._workspace.today())

    def _sync_date_edit(self) -> None:
        self.date_edit.blockSignals(True)
        self.date_edit.setDate(QDate(self.day.year, self.day.month, self.day.day))
        self.date_edit.blockSignals(False)

    def _date_edited(self, value: QDate) -> None:
        self.load(date(value.year(), value.month(), value.day()))

    def _clinician_chosen(self, index: int) -> None:
        data = self.clinician_box.itemData(index)
        if isinstance(data, uuid.UUID) and data != self.clinician_id:
            self.clinician_id = data
            self.load()

    # -- selection --------------------------------------------------------------------------------

    def selected_entry(self) -> ScheduleEntry | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self.model.entry(rows[0].row()) if rows else None

    def selected_appointment(self) -> ScheduleEntry | None:
        entry = self.selected_entry()
        return entry if entry is not None and entry.kind == "appointment" else None

    def select_appointment(self, appointment_id: uuid.UUID) -> bool:
        for row, entry in enumerate(self.model.entries):
            if entry.appointment_id == appointment_id:
                self.table.selectRow(row)
                return True
        return False

    def _activated(self, index: QModelIndex) -> None:
        entry = self.model.entry(index.row())
        if entry is not None and entry.patient_id is not None:
            self.open_patient.emit(entry.patient_id)

    # -- first paint (cold-start benchmark) -------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.Paint
            and self._populated
            and not self._drawn_reported
            and watched is self.table.viewport()
        ):
            self._drawn_reported = True
            QTimer.singleShot(0, self.first_drawn.emit)
        return False


def _closed_text(schedule: DaySchedule) -> str:
    if schedule.closed_reason is None:
        return ""
    if schedule.closed_reason == "holiday":
        return f"The practice is closed on {schedule.day:%A %d %B} (holiday)."
    return f"The practice is closed on {schedule.day:%A}s."
