"""Dialogs of the encounter: amend a signed note (with a reason), the version history with a
side-by-side difference, nurse's vitals, a prescription and an order.

Each dialog only collects input; the encounter page runs the service call on the worker and shows
errors in the dialog's own error line, so a refused rule is fixed right where it was typed.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.services.notes import SECTIONS, NoteVersionRecord, diff_sections
from app.services.orders import OrderItemInput, PrescriptionItemInput
from clinicdesk.errors import ClinicDeskError
from models.enums import OrderType
from ui.app import error_label, icon, set_accessible, show_error_in
from ui.note_editor import NoteEditor

T = TypeVar("T")


class FormDialog(QDialog):
    """A dialog with an error line and OK/Cancel, whose OK starts work elsewhere (``on_submit``): the
    work's success closes it (``done_ok``), its error is said on the error line (``show_error``)."""

    def __init__(self, title: str, ok_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setWindowIcon(icon("app"))
        self.error = error_label()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.addButton(ok_text, QDialogButtonBox.ButtonRole.AcceptRole)
        set_accessible(self.ok_button, ok_text.replace("&", ""))
        self.ok_button.setDefault(True)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        self.on_submit: Callable[[], object] | None = None

    def submit(self) -> None:
        problem = self.problem()
        if problem:
            self.show_error(ClinicDeskError(problem))
            return
        self.ok_button.setEnabled(False)
        self.error.setVisible(False)
        if self.on_submit is not None:
            self.on_submit()
        else:
            self.accept()

    def problem(self) -> str | None:
        return None

    def done_ok(self, _result: object = None) -> None:
        self.ok_button.setEnabled(True)
        self.accept()

    def closing(self, then: Callable[[T], object]) -> Callable[[T], None]:
        """A success callback that closes the dialog, then hands the result on."""

        def done(result: T) -> None:
            self.done_ok()
            then(result)

        return done

    def show_error(self, error: ClinicDeskError) -> None:
        self.ok_button.setEnabled(True)
        show_error_in(self.error, error)


class AmendDialog(FormDialog):
    """A signed note changes only by amendment: edit a copy and say why; a new version is made."""

    def __init__(self, content: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__("Amend signed note", "&Amend note", parent)
        self.resize(900, 640)
        intro = QLabel("The signed text is kept as its own version. Edit below and give the reason.")
        intro.setWordWrap(True)
        self.editor = NoteEditor()
        self.editor.set_content(content)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("Reason for the amendment (required)")
        set_accessible(self.reason, "Amendment reason", "Why the signed note is changed (required)")
        form = QFormLayout()
        form.addRow("&Reason:", self.reason)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.editor, 1)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.reason.setFocus()

    def reason_text(self) -> str:
        return " ".join(self.reason.text().split())

    def problem(self) -> str | None:
        return None if self.reason_text() else "an amendment needs a reason"


def diff_html(old: dict[str, Any], new: dict[str, Any]) -> str:
    """Side-by-side rows per changed section, removed text red on the left, added green on the right."""
    changes = diff_sections(old, new)
    if not changes:
        return "<p style='color:gray'>No text changes in this version.</p>"
    colours = {
        "equal": ("", ""),
        "replace": ("#fde8e8", "#e3f6e8"),
        "delete": ("#fde8e8", ""),
        "insert": ("", "#e3f6e8"),
    }
    parts = []
    for section in SECTIONS:
        rows = changes.get(section)
        if not rows:
            continue
        body = "".join(
            f"<tr><td width='50%' style='background:{colours[tag][0]}'>{escape(a) or '&nbsp;'}</td>"
            f"<td width='50%' style='background:{colours[tag][1]}'>{escape(b) or '&nbsp;'}</td></tr>"
            for tag, a, b in rows
        )
        parts.append(
            f"<h4 style='margin:6px 0 2px 0'>{section.capitalize()}</h4>"
            "<table width='100%' cellspacing='0' cellpadding='3' border='1' style='border-color:#ccc'>"
            "<tr><th>Before</th><th>After</th></tr>" + body + "</table>"
        )
    return "".join(parts)


class HistoryDialog(QDialog):
    """Every version with who, when and why; choosing one shows what it changed, side by side."""

    def __init__(
        self, versions: list[NoteVersionRecord], *, tz: Any = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Note history")
        self.setWindowIcon(icon("app"))
        self.resize(980, 620)
        self.versions = versions
        self.list = QListWidget()
        set_accessible(self.list, "Versions", "Each signed version and amendment")
        for v in versions:
            when = v.at.astimezone(tz) if tz is not None else v.at
            text = f"Version {v.version_number} — {v.author_name}, {when:%Y-%m-%d %H:%M}"
            text += f"\nReason: {v.reason}" if v.reason else "\nSigned"
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, v.version_number)
            self.list.addItem(item)
        self.diff = QTextBrowser()
        set_accessible(self.diff, "Differences", "What the chosen version changed, before and after")
        self.list.currentRowChanged.connect(self.show_version)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.list)
        splitter.addWidget(self.diff)
        splitter.setSizes([300, 680])
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(buttons)
        if versions:
            self.list.setCurrentRow(len(versions) - 1)
        self.list.setFocus()

    def show_version(self, row: int) -> None:
        if not 0 <= row < len(self.versions):
            return
        new = self.versions[row]
        old = self.versions[row - 1].content if row > 0 else {}
        title = f"<h3>Version {new.version_number}</h3>"
        if row == 0:
            title += "<p>The text as first signed.</p>"
        self.diff.setHtml(title + diff_html(old, new.content))


VITAL_FIELDS = (
    ("blood_pressure", "Blood &pressure (e.g. 120/80)"),
    ("heart_rate", "&Heart rate (/min)"),
    ("respiratory_rate", "&Respiratory rate (/min)"),
    ("temperature", "&Temperature (°C)"),
    ("oxygen_saturation", "&SpO₂ (%)"),
    ("weight", "&Weight (kg)"),
)


class VitalsDialog(FormDialog):
    def __init__(self, current: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__("Record vitals", "&Save vitals", parent)
        self.fields: dict[str, QLineEdit] = {}
        form = QFormLayout()
        for key, label in VITAL_FIELDS:
            edit = QLineEdit("" if current.get(key) is None else str(current.get(key)))
            set_accessible(edit, label.replace("&", "").split(" (")[0])
            self.fields[key] = edit
            form.addRow(label + ":", edit)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("The doctor's note picks these up."))
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def vitals(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, edit in self.fields.items():
            text = edit.text().strip()
            if not text:
                continue
            if key == "blood_pressure":
                out[key] = text
                continue
            try:
                out[key] = int(text) if text.isdigit() else float(text)
            except ValueError:
                out[key] = text
        return out

    def problem(self) -> str | None:
        values = self.vitals()
        if not values:
            return "enter at least one vital sign"
        bp = values.get("blood_pressure")
        if bp is not None and not (
            isinstance(bp, str) and "/" in bp and all(p.strip().isdigit() for p in bp.split("/"))
        ):
            return "blood pressure looks like 120/80"
        for key, value in values.items():
            if key != "blood_pressure" and not isinstance(value, int | float):
                return f"{key.replace('_', ' ')} must be a number"
        return None


RX_COLUMNS = ("Medication", "Dose", "Frequency", "Duration", "Quantity", "Refills", "Instructions")


class _ItemsTable(QTableWidget):
    def __init__(self, columns: tuple[str, ...], name: str) -> None:
        super().__init__(0, len(columns))
        self.setHorizontalHeaderLabels(list(columns))
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.verticalHeader().setVisible(False)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setTabKeyNavigation(True)
        set_accessible(self, name)

    def add(self, values: list[str] | None = None) -> int:
        row = self.rowCount()
        self.insertRow(row)
        for column in range(self.columnCount()):
            value = values[column] if values and column < len(values) else ""
            self.setItem(row, column, QTableWidgetItem(value))
        self.setCurrentCell(row, 0)
        return row

    def set_cell(self, row: int, column: int, text: str) -> None:
        item = self.item(row, column)
        if item is None:
            item = QTableWidgetItem()
            self.setItem(row, column, item)
        item.setText(text)

    def _text(self, row: int, column: int) -> str:
        item = self.item(row, column)
        return item.text().strip() if item is not None else ""

    def rows(self) -> list[list[str]]:
        out = []
        for row in range(self.rowCount()):
            values = [self._text(row, c) for c in range(self.columnCount())]
            if any(values):
                out.append(values)
        return out


class PrescriptionDialog(FormDialog):
    """Medication, dose, frequency, duration, quantity, refills; saved as a draft until signed."""

    def __init__(
        self, suggestions: list[dict[str, Any]] | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__("New prescription", "&Save draft prescription", parent)
        self.resize(860, 360)
        self.table = _ItemsTable(RX_COLUMNS, "Prescription items")
        for med in suggestions or []:
            dose = " ".join(str(med.get(k) or "") for k in ("dose", "unit")).strip()
            self.table.add(
                [
                    str(med.get("name") or ""),
                    dose,
                    str(med.get("frequency") or ""),
                    str(med.get("duration") or ""),
                    "",
                    "0",
                    "",
                ]
            )
        if not self.table.rowCount():
            self.table.add(["", "", "", "", "", "0", ""])
        add = QPushButton("&Add medication")
        set_accessible(add, "Add medication")
        add.clicked.connect(lambda: self.table.add(["", "", "", "", "", "0", ""]))
        row = QHBoxLayout()
        row.addWidget(add)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("A prescription stays a draft until you sign it."))
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.table.setFocus()

    def items(self) -> list[PrescriptionItemInput]:
        out = []
        for med, dose, freq, duration, quantity, refills, instructions in self.table.rows():
            out.append(
                PrescriptionItemInput(
                    medication=med,
                    dosage=dose or None,
                    frequency=freq or None,
                    duration=duration or None,
                    quantity=quantity or None,
                    refills=int(refills) if refills.strip().isdigit() else 0,
                    instructions=instructions or None,
                )
            )
        return out

    def problem(self) -> str | None:
        rows = self.table.rows()
        if not rows:
            return "a prescription needs at least one medication"
        for values in rows:
            if not values[0]:
                return "each prescription item needs a medication name"
            if values[5] and not values[5].isdigit():
                return "refills must be a whole number between 0 and 12"
        return None


ORDER_COLUMNS = ("Code", "Name", "Instructions")


class OrderDialog(FormDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("New order", "&Save draft order", parent)
        self.resize(760, 340)
        self.type_box = QComboBox()
        for kind in OrderType:
            self.type_box.addItem(kind.value.capitalize(), kind.value)
        set_accessible(self.type_box, "Order type", "Lab, imaging, procedure or referral")
        self.priority = QComboBox()
        self.priority.addItems(["routine", "urgent", "stat"])
        set_accessible(self.priority, "Order priority")
        self.table = _ItemsTable(ORDER_COLUMNS, "Order items")
        self.table.add()
        add = QPushButton("&Add item")
        set_accessible(add, "Add order item")
        add.clicked.connect(lambda: self.table.add())
        form = QFormLayout()
        form.addRow("&Type:", self.type_box)
        form.addRow("&Priority:", self.priority)
        row = QHBoxLayout()
        row.addWidget(add)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.type_box.setFocus()

    def order_type(self) -> OrderType:
        return OrderType(str(self.type_box.currentData()))

    def set_type(self, kind: OrderType) -> None:
        self.type_box.setCurrentIndex(self.type_box.findData(kind.value))

    def items(self) -> list[OrderItemInput]:
        return [
            OrderItemInput(name=name, code=code or None, instructions=ins or None)
            for code, name, ins in self.table.rows()
        ]

    def problem(self) -> str | None:
        rows = self.table.rows()
        if not rows or any(not r[1] for r in rows):
            return "an order needs at least one named item"
        return None


class ReasonDialog(FormDialog):
    """A short required reason (cancelling a task or a prescription)."""

    def __init__(self, title: str, ok_text: str, prompt: str, parent: QWidget | None = None) -> None:
        super().__init__(title, ok_text, parent)
        self.reason = QPlainTextEdit()
        self.reason.setFixedHeight(70)
        self.reason.setTabChangesFocus(True)
        set_accessible(self.reason, "Reason")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(prompt))
        layout.addWidget(self.reason)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.reason.setFocus()

    def reason_text(self) -> str:
        return " ".join(self.reason.toPlainText().split())

    def problem(self) -> str | None:
        return None if self.reason_text() else "give a reason"
