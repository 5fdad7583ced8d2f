"""The SOAP note editor: four sections and the structured parts (vitals, medications, diagnoses
with ICD-10 suggestions) as editable tables.

Dictation writes into it through :meth:`NoteEditor.begin_dictation` / :meth:`show_dictated`: the
text typed before the dictation started is kept as it is and the structured dictation is shown after
it, re-rendered after each utterance, so voice commands such as "scratch that" also take back text
that is already on screen.

The editor also holds the dictation's marks (automatic changes and uncertain words, app.note_review):
each is drawn on its words (ui.review_marks), follows the doctor's edits, and is accepted or reverted
here; ``content()`` gives them back with the note as "corrections" and "uncertain".
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QHelpEvent, QTextCursor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from app import note_review
from app.note_review import NoteMark, Reviewer
from models.enums import SOAP_SECTIONS
from ui import review_marks
from ui.app import set_accessible

SECTIONS = SOAP_SECTIONS
SECTION_TITLES = {  # no mnemonics: Alt+1..4 reach the sections, and Alt+letters belong to the menus
    "subjective": "Subjective",
    "objective": "Objective",
    "assessment": "Assessment",
    "plan": "Plan",
}
VITAL_LABELS = {
    "blood_pressure": "Blood pressure",
    "heart_rate": "Heart rate",
    "respiratory_rate": "Respiratory rate",
    "temperature": "Temperature",
    "temperature_unit": "Temperature unit",
    "oxygen_saturation": "SpO₂",
    "weight": "Weight",
    "weight_unit": "Weight unit",
    "height": "Height",
    "height_unit": "Height unit",
    "pain_score": "Pain score",
}
MED_FIELDS = ("name", "dose", "unit", "route", "frequency", "duration")
SUGGESTED = "suggested"
ACCEPTED = "accepted"


def _number_or_text(text: str) -> Any:
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


class SectionEdit(QPlainTextEdit):
    """One SOAP section; tells the editor when it gets the focus, which makes it the section that
    dictation writes into."""

    focused = Signal(str)

    def __init__(self, section: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.section = section
        self.setTabChangesFocus(True)
        #: the tooltip for a character position (the mark there), set by the editor
        self.tooltip_at: Callable[[int], str] = lambda _position: ""

    def focusInEvent(self, event: Any) -> None:
        super().focusInEvent(event)
        self.focused.emit(self.section)

    def viewportEvent(self, event: QEvent) -> bool:
        """A tooltip over a mark says what it is (the text area's viewport gets the hover)."""
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            text = self.tooltip_at(self.cursorForPosition(event.pos()).position())
            if text:
                QToolTip.showText(event.globalPos(), text, self.viewport())
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().viewportEvent(event)


class NoteEditor(QWidget):
    """``marks_changed``: a mark was added, reviewed, edited or gone to (the review actions follow)."""

    changed = Signal()
    active_section_changed = Signal(str)
    marks_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loading = False
        self._read_only = False
        self.active_section = "subjective"
        self._base_text: dict[str, str] = {}
        self._base_structured: dict[str, Any] = {}
        self.extra: dict[str, Any] = {}
        #: who reviews marks in this editor (the signed-in doctor; None in a bare editor)
        self.reviewer: Reviewer | None = None
        self._marks: list[NoteMark] = []
        self._other_marks: dict[str, list[Any]] = {}
        self._marks_present = False
        self._texts: dict[str, str] = {s: "" for s in SOAP_SECTIONS}
        self.current_mark: str | None = None
        self._base_marks: list[NoteMark] = []
        self._id_prefix = ""

        self.edits: dict[str, SectionEdit] = {}
        self.labels: dict[str, QLabel] = {}
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        for i, section in enumerate(SECTIONS):
            edit = SectionEdit(section)
            set_accessible(edit, f"{section.capitalize()} section", f"The {section} part of the SOAP note")
            edit.setObjectName(f"section_{section}")
            edit.setPlaceholderText(f"{section.capitalize()}…")
            edit.textChanged.connect(lambda s=section: self._section_edited(s))
            edit.tooltip_at = partial(self._tooltip, section)
            edit.focused.connect(self.set_active_section)
            label = QLabel(f"{SECTION_TITLES[section]}  <span style='color:gray'>(Alt+{i + 1})</span>")
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setBuddy(edit)
            label.setObjectName("sectionLabel")
            self.edits[section] = edit
            self.labels[section] = label
            grid.addWidget(label, (i // 2) * 2, i % 2)
            grid.addWidget(edit, (i // 2) * 2 + 1, i % 2)

        self.vitals = QTableWidget(0, 2)
        self.vitals.setHorizontalHeaderLabels(["Vital", "Value"])
        set_accessible(self.vitals, "Vitals", "Vital signs; edit the value column")
        self.medications = QTableWidget(0, len(MED_FIELDS))
        self.medications.setHorizontalHeaderLabels([f.capitalize() for f in MED_FIELDS])
        set_accessible(self.medications, "Medications", "Medications mentioned in the note")
        self.diagnoses = QTableWidget(0, 3)
        self.diagnoses.setHorizontalHeaderLabels(["Diagnosis", "ICD-10", "Code"])
        set_accessible(self.diagnoses, "Diagnoses", "Diagnoses with ICD-10 codes; F4 accepts a suggestion")
        for table in (self.vitals, self.medications, self.diagnoses):
            table.verticalHeader().setVisible(False)
            table.horizontalHeader().setStretchLastSection(True)
            table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
            table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
            table.setTabKeyNavigation(False)
            table.itemChanged.connect(lambda _item: self._edited())

        self.add_vital_button = QPushButton("Add vital")
        self.add_med_button = QPushButton("Add medication")
        self.add_diagnosis_button = QPushButton("Add diagnosis")
        self.accept_code_button = QPushButton("Accept ICD-10 suggestion (F4)")
        set_accessible(self.accept_code_button, "Accept ICD-10 suggestion")
        self.add_vital_button.clicked.connect(lambda: self._add_row(self.vitals, ["", ""]))
        self.add_med_button.clicked.connect(lambda: self._add_row(self.medications, [""] * len(MED_FIELDS)))
        self.add_diagnosis_button.clicked.connect(lambda: self._add_diagnosis({"text": "", "icd10": None}))
        self.accept_code_button.clicked.connect(self.accept_suggestion)

        self.structured = QTabWidget()
        self.structured.setAccessibleName("Structured fields")
        self.structured.addTab(self._with_buttons(self.vitals, self.add_vital_button), "Vi&tals")
        self.structured.addTab(self._with_buttons(self.medications, self.add_med_button), "&Medications")
        self.structured.addTab(
            self._with_buttons(self.diagnoses, self.add_diagnosis_button, self.accept_code_button),
            "D&iagnoses",
        )
        self.structured.setMaximumHeight(230)

        self.review_info = QLabel()
        self.review_info.setObjectName("reviewInfo")
        self.review_info.setWordWrap(True)
        self.review_info.setTextFormat(Qt.TextFormat.PlainText)
        set_accessible(
            self.review_info, "Dictation review", "Automatic changes and uncertain words to review"
        )
        self.review_info.setVisible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(grid, 3)
        layout.addWidget(self.review_info)
        layout.addWidget(self.structured, 2)
        self.set_active_section("subjective")

    @staticmethod
    def _with_buttons(table: QTableWidget, *buttons: QPushButton) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(table, 1)
        row = QHBoxLayout()
        for button in buttons:
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)
        return box

    # -- state ------------------------------------------------------------------------------------

    def _edited(self) -> None:
        if not self._loading:
            self.changed.emit()

    def set_active_section(self, section: str) -> None:
        if section not in SECTIONS:
            return
        self.active_section = section
        for name, label in self.labels.items():
            label.setProperty("active", name == section)
            label.style().unpolish(label)
            label.style().polish(label)
        self.active_section_changed.emit(section)

    def focus_section(self, section: str) -> None:
        self.set_active_section(section)
        self.edits[section].setFocus()

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        for edit in self.edits.values():
            edit.setReadOnly(read_only)
        triggers = (
            QAbstractItemView.EditTrigger.NoEditTriggers
            if read_only
            else QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        for table in (self.vitals, self.medications, self.diagnoses):
            table.setEditTriggers(triggers)
        for button in (
            self.add_vital_button,
            self.add_med_button,
            self.add_diagnosis_button,
            self.accept_code_button,
        ):
            button.setEnabled(not read_only)

    @property
    def read_only(self) -> bool:
        return self._read_only

    def section_text(self, section: str) -> str:
        return self.edits[section].toPlainText()

    def set_content(self, content: dict[str, Any]) -> None:
        self._loading = True
        try:
            managed = (*SECTIONS, "vitals", "medications", "diagnoses", *note_review.LISTS.values())
            self.extra = {k: v for k, v in content.items() if k not in managed}
            for section in SECTIONS:
                self.edits[section].setPlainText(str(content.get(section, "") or ""))
            self._set_structured(content)
            found = note_review.read_marks({**content, **{s: self.section_text(s) for s in SECTIONS}})
            self._marks, self._other_marks, self._marks_present = found.marks, found.other, found.present
            self.current_mark = None
        finally:
            self._loading = False
        self._marks_shown()

    def _set_structured(self, content: dict[str, Any]) -> None:
        self.vitals.setRowCount(0)
        for key, value in (content.get("vitals") or {}).items():
            self._add_row(
                self.vitals, [VITAL_LABELS.get(key, key), "" if value is None else str(value)], key=key
            )
        self.medications.setRowCount(0)
        for med in content.get("medications") or []:
            if isinstance(med, dict):
                self._add_row(self.medications, [str(med.get(f) or "") for f in MED_FIELDS])
        self.diagnoses.setRowCount(0)
        for diagnosis in content.get("diagnoses") or []:
            if isinstance(diagnosis, dict):
                self._add_diagnosis(diagnosis)

    def _add_row(self, table: QTableWidget, values: list[str], *, key: str | None = None) -> int:
        loading, self._loading = self._loading, True
        row = table.rowCount()
        table.insertRow(row)
        for column, value in enumerate(values):
            item = QTableWidgetItem(value)
            if column == 0 and key is not None:
                item.setData(Qt.ItemDataRole.UserRole, key)
            table.setItem(row, column, item)
        self._loading = loading
        if not loading:
            self.changed.emit()
        return row

    def _add_diagnosis(self, diagnosis: dict[str, Any]) -> None:
        loading, self._loading = self._loading, True
        code = diagnosis.get("icd10") or ""
        status = ACCEPTED if diagnosis.get("accepted") or not code else SUGGESTED
        row = self._add_row(self.diagnoses, [str(diagnosis.get("text") or ""), str(code), ""])
        self._set_code_status(row, status if code else "")
        self._loading = loading
        if not loading:
            self.changed.emit()

    def _set_code_status(self, row: int, status: str) -> None:
        item = self.diagnoses.item(row, 2)
        if item is None:
            return
        item.setText({SUGGESTED: "suggested — F4 to accept", ACCEPTED: "accepted", "": ""}[status])
        item.setData(Qt.ItemDataRole.UserRole, status)
        item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
        colour = "#8a4a0b" if status == SUGGESTED else "#1f6b3a"
        item.setForeground(QBrush(QColor(colour)))

    def suggestions(self) -> list[int]:
        return [
            row
            for row in range(self.diagnoses.rowCount())
            if (item := self.diagnoses.item(row, 2)) is not None
            and item.data(Qt.ItemDataRole.UserRole) == SUGGESTED
        ]

    def accept_suggestion(self) -> bool:
        """Accepts the selected row's ICD-10 suggestion, or the first one waiting (one key: F4)."""
        if self._read_only:
            return False
        waiting = self.suggestions()
        if not waiting:
            return False
        current = self.diagnoses.currentRow()
        row = current if current in waiting else waiting[0]
        self._set_code_status(row, ACCEPTED)
        remaining = self.suggestions()
        if remaining:
            self.diagnoses.selectRow(remaining[0])
        self.changed.emit()
        return True

    @staticmethod
    def _cell(table: QTableWidget, row: int, column: int) -> str:
        item = table.item(row, column)
        return item.text().strip() if item is not None else ""

    def content(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.extra)
        for section in SECTIONS:
            out[section] = self.section_text(section)
        vitals: dict[str, Any] = {}
        for row in range(self.vitals.rowCount()):
            name_item, value_item = self.vitals.item(row, 0), self.vitals.item(row, 1)
            if name_item is None or value_item is None or not value_item.text().strip():
                continue
            key = name_item.data(Qt.ItemDataRole.UserRole) or name_item.text().strip().lower().replace(
                " ", "_"
            )
            if key:
                vitals[str(key)] = _number_or_text(value_item.text())
        out["vitals"] = vitals
        medications = []
        for row in range(self.medications.rowCount()):
            med = {f: self._cell(self.medications, row, c) for c, f in enumerate(MED_FIELDS)}
            if med["name"]:
                medications.append({k: (v or None) for k, v in med.items()})
        out["medications"] = medications
        diagnoses = []
        for row in range(self.diagnoses.rowCount()):
            text_item, code_item, status_item = (self.diagnoses.item(row, c) for c in range(3))
            text = text_item.text().strip() if text_item else ""
            if not text:
                continue
            code = code_item.text().strip() if code_item else ""
            status = status_item.data(Qt.ItemDataRole.UserRole) if status_item else ""
            diagnoses.append(
                {"text": text, "icd10": code or None, "accepted": bool(code) and status != SUGGESTED}
            )
        out["diagnoses"] = diagnoses
        if self._marks or self._marks_present:
            note_review.write_marks(out, self._marks, other=self._other_marks)
        return out

    # -- dictation --------------------------------------------------------------------------------

    def begin_dictation(self) -> None:
        self._base_text = {s: self.section_text(s) for s in SECTIONS}
        self._base_structured = self.content()
        self._base_marks = list(self._marks)
        # a second dictation's ids start again from its own first utterance: keep them apart
        self._id_prefix = f"{uuid.uuid4().hex[:6]}:" if self._marks else ""

    def show_dictated(self, soap: dict[str, Any]) -> None:
        """Base text + the dictation so far, per section; extracted fields merged after the base's."""
        if not self._base_text:
            self.begin_dictation()
        self._loading = True
        offsets: dict[str, int] = {}
        try:
            for section in SECTIONS:
                base = self._base_text.get(section, "")
                dictated = str(soap.get(section, "") or "").strip()
                text = f"{base.rstrip()}\n{dictated}" if base.strip() and dictated else (dictated or base)
                offsets[section] = len(text) - len(dictated)
                edit = self.edits[section]
                if edit.toPlainText() != text:
                    edit.setPlainText(text)
                    edit.moveCursor(edit.textCursor().MoveOperation.End)
            earlier = self._base_structured
            vitals = {**(earlier.get("vitals") or {}), **(soap.get("vitals") or {})}
            medications = list(earlier.get("medications") or [])
            known = {str(m.get("name", "")).lower() for m in medications}
            medications += [
                m for m in soap.get("medications") or [] if str(m.get("name", "")).lower() not in known
            ]
            diagnoses = list(earlier.get("diagnoses") or [])
            seen = {str(d.get("text", "")).lower() for d in diagnoses}
            diagnoses += [
                d for d in soap.get("diagnoses") or [] if str(d.get("text", "")).lower() not in seen
            ]
            self._set_structured({"vitals": vitals, "medications": medications, "diagnoses": diagnoses})
            placed = note_review.dictated_marks(soap, offsets=offsets, id_prefix=self._id_prefix)
            self._marks = note_review.ordered([*self._base_marks, *placed])
        finally:
            self._loading = False
        self._marks_shown()
        self.changed.emit()

    def end_dictation(self) -> None:
        self._base_text = {}
        self._base_structured = {}
        self._base_marks = []

    # -- the dictation's marks ---------------------------------------------------------------------

    @property
    def marks(self) -> list[NoteMark]:
        return list(self._marks)

    def unreviewed_marks(self) -> list[NoteMark]:
        return [m for m in self._marks if m.unreviewed]

    def mark(self, mark_id: str) -> NoteMark | None:
        return next((m for m in self._marks if m.id == mark_id), None)

    def _now(self) -> datetime:
        return datetime.now(UTC).replace(microsecond=0)

    def _section_edited(self, section: str) -> None:
        """The doctor changed a section: its marks follow the words (app.note_review.follow_edit)."""
        if self._loading:
            return
        new = self.section_text(section)
        old, self._texts[section] = self._texts.get(section, ""), new
        if any(m.section == section for m in self._marks):
            self._marks = note_review.follow_edit(
                self._marks, section, old, new, reviewer=self.reviewer, now=self._now()
            )
            self._marks_shown(section)
        self._edited()

    def _marks_shown(self, section: str | None = None) -> None:
        """Redraws the marks (of one section, or all) and the review line."""
        for name in [section] if section else SECTIONS:
            self._texts[name] = self.section_text(name)
            here = [m for m in self._marks if m.section == name]
            review_marks.paint(self.edits[name], here, current=self.current_mark)
        self._show_review_info()
        self.marks_changed.emit()

    def _show_review_info(self) -> None:
        self.review_info.setVisible(bool(self._marks))
        current = self.mark(self.current_mark) if self.current_mark else None
        self.review_info.setText(review_marks.review_line(self._marks, current))

    def _tooltip(self, section: str, position: int) -> str:
        here = [m for m in self._marks if m.section == section and m.start <= position < m.end]
        if not here:
            return ""
        return "<hr>".join(review_marks.tooltip(m) for m in sorted(here, key=lambda m: m.end - m.start))

    def go_to_mark(self, mark_id: str) -> NoteMark | None:
        """Shows the mark: its section gets the focus, the cursor goes to its start, it is drawn as the
        one under review and the review line describes it."""
        mark = self.mark(mark_id)
        if mark is None:
            return None
        self.current_mark = mark.id
        edit = self.edits[mark.section]
        self.focus_section(mark.section)
        cursor = edit.textCursor()
        cursor.setPosition(min(mark.start, len(edit.toPlainText())))
        edit.setTextCursor(cursor)
        edit.ensureCursorVisible()
        self._marks_shown()
        return mark

    def step_mark(self, *, forward: bool) -> NoteMark | None:
        """Goes to the next (or previous) unreviewed mark in reading order from the one under review,
        or from the cursor; wraps around. None when none is waiting."""
        here = self.mark(self.current_mark) if self.current_mark else None
        cursor = self.edits[self.active_section].textCursor().position()
        if here is not None and (here.section != self.active_section or not here.start <= cursor <= here.end):
            here = None  # the doctor moved on from it: go on from the cursor
        found = note_review.step(
            self._marks, forward=forward, from_mark=here, from_place=(self.active_section, cursor)
        )
        return self.go_to_mark(found.id) if found is not None else None

    def target_mark(self) -> NoteMark | None:
        """The mark to review: the one under the cursor of the focused section, else the one last
        gone to (drawn as under review), else none."""
        section = self.active_section
        position = self.edits[section].textCursor().position()
        here = [m for m in self._marks if m.section == section and m.start <= position <= m.end]
        if here:
            chosen = next((m for m in here if m.id == self.current_mark), None)
            return chosen or min(here, key=lambda m: (not m.unreviewed, m.end - m.start))
        return self.mark(self.current_mark) if self.current_mark else None

    def review_mark(self, mark_id: str, *, accept: bool) -> NoteMark:
        """Accepts or reverts a mark (app.note_review.review): the words in the section and the
        structured fields change with it, as one undoable edit of the section."""
        mark = self.mark(mark_id)
        if mark is None:
            raise KeyError(mark_id)
        edit = self.edits[mark.section]
        structured = {k: v for k, v in self.content().items() if k in ("vitals", "medications", "diagnoses")}
        done = note_review.review(
            self._marks, mark_id, accept=accept, text=edit.toPlainText(), structured=structured,
            reviewer=self.reviewer, now=self._now(),
        )  # fmt: skip
        self._loading = True
        try:
            if done.text != edit.toPlainText():
                cursor = QTextCursor(edit.document())
                cursor.setPosition(mark.start)
                cursor.setPosition(mark.end, QTextCursor.MoveMode.KeepAnchor)
                cursor.insertText(done.mark.text)
            if done.structured != structured:
                self._set_structured(done.structured)
            self._marks = done.marks
            self.current_mark = mark_id
        finally:
            self._loading = False
        self._marks_shown()
        self.changed.emit()
        return done.mark
