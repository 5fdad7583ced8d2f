"""How the schedule's rows look: the table model of a clinician's day and the labels for statuses and
types (the chart and the booking dialog show them the same way)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from app.services.records import ScheduleEntry
from models.enums import AppointmentStatus
from ui.table_model import ListTableModel

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


class ScheduleModel(ListTableModel[ScheduleEntry]):
    COLUMNS = ("Time", "Patient", "Type", "Status", "Reason")

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        entry = self.row_item(index.row())
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
