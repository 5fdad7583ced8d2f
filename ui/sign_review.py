"""Before a dictated note is signed: what is still unreviewed, with the choice to review it here, go
back to the note, or sign with it after saying so explicitly.

Signing is not blocked: a clinician closing a visit over an uncertain "the" must be able to, and the
note says afterwards that they did (who, when, how many marks were unreviewed; app.services.notes).
But it takes a deliberate act, a ticked confirmation naming the number, never a default button.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.note_review import NoteMark
from ui.app import icon, set_accessible
from ui.review_marks import why

if TYPE_CHECKING:
    from ui.note_editor import NoteEditor


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


class SignReviewDialog(QDialog):
    """``sign_confirmed(count)``: the doctor chose to sign, with ``count`` marks still unreviewed
    (0 when the last ones were reviewed here)."""

    sign_confirmed = Signal(int)

    def __init__(self, editor: NoteEditor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.setWindowTitle("Sign note — marks not reviewed")
        self.setWindowIcon(icon("app"))
        self.resize(820, 420)
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Section", "Words", "Why"])
        set_accessible(self.table, "Unreviewed marks", "Automatic changes and uncertain words not reviewed")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.doubleClicked.connect(lambda _index: self.show_in_note())
        self.table.itemSelectionChanged.connect(self._update_buttons)

        self.accept_button = QPushButton("&Accept")
        self.revert_button = QPushButton("&Revert to what was heard")
        self.show_button = QPushButton("Show in &note")
        for button, tip in (
            (self.accept_button, "Keep the selected mark's words as they are"),
            (self.revert_button, "Put back the words that were heard in place of the selected change"),
            (self.show_button, "Close this and go to the selected mark in the note"),
        ):
            button.setToolTip(tip)
            button.setAutoDefault(False)
        self.accept_button.clicked.connect(lambda: self._review(accept=True))
        self.revert_button.clicked.connect(lambda: self._review(accept=False))
        self.show_button.clicked.connect(self.show_in_note)

        self.confirm = QCheckBox()
        self.confirm.toggled.connect(self._update_buttons)
        self.back_button = QPushButton("Go &back to the note")
        self.sign_button = QPushButton()
        self.back_button.setDefault(True)
        self.sign_button.setAutoDefault(False)
        self.back_button.clicked.connect(self.reject)
        self.sign_button.clicked.connect(self._sign)

        review_row = QHBoxLayout()
        for button in (self.accept_button, self.revert_button, self.show_button):
            review_row.addWidget(button)
        review_row.addStretch(1)
        final_row = QHBoxLayout()
        final_row.addStretch(1)
        final_row.addWidget(self.back_button)
        final_row.addWidget(self.sign_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.table, 1)
        layout.addLayout(review_row)
        layout.addWidget(self.confirm)
        layout.addLayout(final_row)
        self.pending: list[NoteMark] = []
        self.refresh()
        self.table.setFocus()

    def refresh(self) -> None:
        """Lists the marks still unreviewed (after each review made here)."""
        row = max(0, self.table.currentRow())
        self.pending = self.editor.unreviewed_marks()
        n = len(self.pending)
        self.table.setRowCount(0)
        for mark in self.pending:
            r = self.table.rowCount()
            self.table.insertRow(r)
            words = mark.text or f"(removed) {mark.original}"
            for column, text in enumerate((mark.section.capitalize(), words, why(mark))):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, mark.id)
                self.table.setItem(r, column, item)
        if n:
            self.table.selectRow(min(row, n - 1))
            self.intro.setText(
                f"{_plural(n, 'automatic change or uncertain word')} of the dictation "
                f"{'has' if n == 1 else 'have'} not been reviewed. Review them here or in the note "
                "(F3 next, F2 accept, Shift+F2 revert), or sign with them after confirming below: the "
                "note will record that you did."
            )
            self.confirm.setText(f"&I have read the note and sign it with {_plural(n, 'mark')} unreviewed")
            self.sign_button.setText(f"&Sign with {n} unreviewed")
        else:
            self.intro.setText("Every automatic change and uncertain word has been reviewed.")
            self.confirm.setText("&I have read the note")
            self.sign_button.setText("&Sign note")
        self.confirm.setChecked(False)
        self.confirm.setVisible(bool(n))
        set_accessible(self.confirm, "Confirm signing with unreviewed marks")
        set_accessible(self.sign_button, "Sign the note")
        self._update_buttons()

    def selected(self) -> NoteMark | None:
        row = self.table.currentRow()
        return self.pending[row] if 0 <= row < len(self.pending) else None

    def _update_buttons(self) -> None:
        mark = self.selected()
        self.accept_button.setEnabled(mark is not None)
        self.revert_button.setEnabled(mark is not None and mark.can_revert)
        self.show_button.setEnabled(mark is not None)
        self.sign_button.setEnabled(not self.pending or self.confirm.isChecked())

    def _review(self, *, accept: bool) -> None:
        mark = self.selected()
        if mark is None or (not accept and not mark.can_revert):
            return
        self.editor.review_mark(mark.id, accept=accept)
        self.refresh()

    def show_in_note(self) -> None:
        mark = self.selected()
        if mark is None:
            return
        self.reject()
        self.editor.go_to_mark(mark.id)

    def _sign(self) -> None:
        if self.pending and not self.confirm.isChecked():
            return
        count = len(self.pending)
        self.accept()
        self.sign_confirmed.emit(count)
