"""The part every list-shaped table shares: a model over a list of frozen records with fixed column
titles, and a read-only table of whole-row single selection that shows it."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from ui.app import set_accessible

R = TypeVar("R")


def enum_words(value: Any) -> str:
    """An enum's value as words: "in_progress" -> "In progress"."""
    return str(getattr(value, "value", value) or "").replace("_", " ").capitalize()


class ListTableModel(QAbstractTableModel, Generic[R]):
    """Rows are replaced whole (the records come back from a worker as a list); subclasses say what a
    cell shows in ``data``."""

    COLUMNS: tuple[str, ...] = ()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[R] = []

    def replace_rows(self, rows: list[R]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def row_item(self, row: int) -> R | None:
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.COLUMNS[section]
        return None


class ZonedListModel(ListTableModel[R]):
    """A list model whose times are shown in the practice's timezone."""

    def __init__(self, tz: tzinfo, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tz = tz


def list_table(name: str, description: str) -> QTableView:
    """A read-only table where one whole row is chosen at a time, named for screen readers; its
    columns size to their contents and the last one takes the rest of the width."""
    table = QTableView()
    set_accessible(table, name, description)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def selected_row(table: QTableView) -> int | None:
    """The chosen row, in the table's own model (a sort proxy's row, when there is one)."""
    selection = table.selectionModel()
    rows = selection.selectedRows() if selection is not None else []
    return rows[0].row() if rows else None
