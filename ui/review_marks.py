"""The doctor's review of dictation's marks in the window: how a mark looks in the editor, what its
tooltip says, and the Dictation menu's review actions (next and previous unreviewed mark, accept,
revert). The rules themselves (what accept and revert do, how marks follow edits) are
``app.note_review``'s; the note editor holds the marks.

A mark is shown by its underline's *style*, not only by colour, so the two kinds stay apart for a
colour-blind reader and on either theme: an automatic change has a wavy underline, an uncertain word a
dotted one; the mark being reviewed has a stronger tint. The tooltip and the editor's review line say
the rest in words (heard, now, score, pass). Reviewed marks are no longer drawn, but keep their tooltip.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from html import escape
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QColor, QPalette, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QWidget

from app.note_review import ACCEPTED, CORRECTION, EDITED, REVERTED, NoteMark, Reviewer
from ui.actions import ActionRegistry, Menu

if TYPE_CHECKING:
    from ui.note_editor import NoteEditor
    from ui.sign_review import SignReviewDialog

#: (underline colour, tint) per kind, for a light and a dark base colour
_COLOURS = {
    (CORRECTION, False): ("#b45309", QColor(245, 158, 11, 90)),
    (CORRECTION, True): ("#fbbf24", QColor(251, 191, 36, 80)),
    ("uncertain", False): ("#1d4ed8", QColor(59, 130, 246, 45)),
    ("uncertain", True): ("#93c5fd", QColor(147, 197, 253, 60)),
}
_UNDERLINE = {
    CORRECTION: QTextCharFormat.UnderlineStyle.WaveUnderline,
    "uncertain": QTextCharFormat.UnderlineStyle.DotLine,
}
STATE_WORDS = {ACCEPTED: "accepted", REVERTED: "reverted to what was heard", EDITED: "edited by hand"}


def mark_format(kind: str, *, palette: QPalette, current: bool) -> QTextCharFormat:
    """A mark's look: its kind's underline style and tint; the mark under review in the palette's
    selection colours (readable on either theme), keeping its underline style."""
    dark = palette.color(QPalette.ColorRole.Base).lightness() < 128
    colour, tint = _COLOURS[(kind, dark)]
    fmt = QTextCharFormat()
    fmt.setUnderlineStyle(_UNDERLINE[kind])
    if current:
        fmt.setBackground(palette.color(QPalette.ColorRole.Highlight))
        fmt.setForeground(palette.color(QPalette.ColorRole.HighlightedText))
        fmt.setUnderlineColor(palette.color(QPalette.ColorRole.HighlightedText))
    else:
        fmt.setBackground(tint)
        fmt.setUnderlineColor(QColor(colour))
    return fmt


def paint(edit: QPlainTextEdit, marks: Iterable[NoteMark], *, current: str | None) -> None:
    """Draws the unreviewed marks of one section: uncertain stretches first, so that a correction
    inside one shows as a correction, and the mark under review last, on top."""
    selections = []
    length = edit.document().characterCount() - 1
    shown = sorted(
        (m for m in marks if m.unreviewed or m.id == current),
        key=lambda m: (m.id == current, m.kind == CORRECTION),
    )
    for mark in shown:
        start, end = min(mark.start, length), min(mark.end, length)
        if start >= end:
            continue
        selection = QTextEdit.ExtraSelection()
        cursor = QTextCursor(edit.document())
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        selection.cursor = cursor
        selection.format = mark_format(mark.kind, palette=edit.palette(), current=mark.id == current)
        selections.append(selection)
    edit.setExtraSelections(selections)


def describe(mark: NoteMark) -> str:
    """The mark in one line of plain words (the review line, the sign dialog, screen readers)."""
    if mark.kind == CORRECTION:
        what = f"automatic change: heard “{mark.original}”, now “{mark.text}”"
    else:
        what = f"uncertain words “{mark.text}”"
    details = [f"{mark.pass_name.replace('_', ' ')} pass"] if mark.pass_name else []
    if mark.score is not None:
        details.append(f"score {mark.score:g}")
    if mark.note:
        details.append(mark.note)
    return f"{what} ({'; '.join(details)})" if details else what


def why(mark: NoteMark) -> str:
    """Why the mark asks for review, for the sign dialog's list."""
    if mark.kind == CORRECTION:
        return f"changed from “{mark.original}” by the {mark.pass_name.replace('_', ' ')} pass"
    return mark.note or "the speech engine was unsure of these words"


def review_line(marks: list[NoteMark], current: NoteMark | None) -> str:
    """The editor's review line: what waits review, and the mark under review in words."""
    waiting = [m for m in marks if m.unreviewed]
    changes = sum(m.kind == CORRECTION for m in waiting)
    lines = [
        f"To review: {changes} automatic change(s) (wavy underline), {len(waiting) - changes} uncertain "
        "(dotted underline). F3 next, F2 accept, Shift+F2 revert; hover a mark for details."
        if waiting
        else "Every automatic change and uncertain word has been reviewed."
    ]
    if current is not None:
        state = "not reviewed" if current.unreviewed else STATE_WORDS[current.state]
        lines.append(f"{current.section.capitalize()}: {describe(current)} — {state}.")
    return "\n".join(lines)


def tooltip(mark: NoteMark) -> str:
    kind = "Automatic change" if mark.kind == CORRECTION else "Uncertain words"
    rows = [f"<b>{kind}</b> — {escape(mark.section.capitalize())}"]
    if mark.kind == CORRECTION:
        rows.append(f"Heard: “{escape(mark.original)}”<br>Changed to: “{escape(mark.new)}”")
    else:
        rows.append(f"Heard: “{escape(mark.original)}”")
    pass_line = f"Pass: {escape(mark.pass_name.replace('_', ' '))}"
    if mark.score is not None:
        pass_line += f" · score {mark.score:g}"
    rows.append(pass_line)
    if mark.note:
        rows.append(escape(mark.note))
    if mark.unreviewed:
        keys = "F2 accepts" + (", Shift+F2 reverts" if mark.can_revert else "; type over it to correct it")
        rows.append(f"<i>Not reviewed yet: {keys}</i>")
    else:
        who = f" by {escape(mark.by_name)}" if mark.by_name else ""
        rows.append(f"<i>{STATE_WORDS.get(mark.state, mark.state)}{who}</i>")
    return "<br>".join(rows)


class MarkReview(QObject):
    """The review actions of the encounter page (Dictation menu) over its note editor. ``status``
    says what happened, for the window's status bar."""

    status = Signal(str)

    def __init__(
        self,
        editor: NoteEditor,
        *,
        reviewer: Reviewer,
        editable: Callable[[], bool],
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.editor = editor
        self._editable = editable
        self._page = parent
        self._actions: ActionRegistry | None = None
        editor.reviewer = reviewer
        editor.marks_changed.connect(self.update_actions)

    def make_actions(self, actions: ActionRegistry) -> list[QAction]:
        self._actions = actions
        made = [
            actions.create(text, name=name, menu=Menu.DICTATION, group=1, shortcut=key, slot=slot, tip=tip)
            for text, name, key, slot, tip in (
                ("&Next mark to review", "next_mark", "F3", lambda: self.step(forward=True),
                 "Go to the next automatic change or uncertain word not reviewed yet"),
                ("Pre&vious mark to review", "previous_mark", "Shift+F3", lambda: self.step(forward=False),
                 "Go to the previous automatic change or uncertain word not reviewed yet"),
                ("A&ccept mark", "accept_mark", "F2", lambda: self.review(accept=True),
                 "Keep the words of the mark at the cursor as they are now"),
                ("Rever&t mark to what was heard", "revert_mark", "Shift+F2",
                 lambda: self.review(accept=False),
                 "Put back the words that were heard in place of the automatic change at the cursor"),
            )
        ]  # fmt: skip
        self.next_action, self.previous_action, self.accept_action, self.revert_action = made
        return made

    def update_actions(self) -> None:
        if self._actions is None:
            return
        editable = self._editable()
        marks = self.editor.marks
        waiting = any(m.unreviewed for m in marks)
        self._actions.enable(self.next_action, editable and waiting)
        self._actions.enable(self.previous_action, editable and waiting)
        self._actions.enable(self.accept_action, editable and bool(marks))
        self._actions.enable(self.revert_action, editable and any(m.can_revert for m in marks))

    def step(self, *, forward: bool) -> None:
        if not self._editable():
            return
        mark = self.editor.step_mark(forward=forward)
        if mark is None:
            self.status.emit("Every automatic change and uncertain word has been reviewed.")
        else:
            self.status.emit(describe(mark)[:1].upper() + describe(mark)[1:])

    def review(self, *, accept: bool) -> None:
        """Accepts or reverts the mark at the cursor (or the one last gone to), then goes on to the
        next one waiting, so a run of F2 / Shift+F2 and F3 walks the note."""
        if not self._editable():
            return
        mark = self.editor.target_mark()
        if mark is None:  # show the next one first: nothing is reviewed unseen
            if self.editor.step_mark(forward=True) is not None:
                self.status.emit("This is the next mark to review: F2 accepts it, Shift+F2 reverts it.")
            return
        if not accept and not mark.can_revert:
            self.status.emit(
                "These words are as they were heard: there is nothing to revert to. Type over them to "
                "correct them, or press F2 to accept them."
            )
            return
        done = self.editor.review_mark(mark.id, accept=accept)
        verb = "Accepted" if accept else "Reverted to what was heard"
        self.status.emit(f"{verb}: “{done.text}”.")
        if any(m.unreviewed for m in self.editor.marks):
            self.editor.step_mark(forward=True)

    def before_signing(self, sign: Callable[[int], None]) -> SignReviewDialog | None:
        """Signs straight away when nothing waits review (``sign(0)``); otherwise opens the dialog that
        lists what does, where the doctor reviews, goes back, or confirms and signs (``sign(count)``)."""
        if not self.editor.unreviewed_marks():
            sign(0)
            return None
        from ui.sign_review import SignReviewDialog

        dialog = SignReviewDialog(self.editor, parent=self._page)
        dialog.sign_confirmed.connect(sign)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog
