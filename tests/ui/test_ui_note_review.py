"""The doctor reviews what dictation did to the words, in the real window (issue 12, "always show"): a
WAV dictated through the real Whisper tiny.en engine gives automatic changes and uncertain words; they
are drawn on their words, walked with the keyboard, reverted (the heard words come back) and accepted;
signing lists what is still unreviewed and, once confirmed, records it with the note; reopening the
signed note shows every review as it was left."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QHelpEvent, QTextCharFormat
from PySide6.QtWidgets import QApplication, QToolTip
from pytestqt.qtbot import QtBot

from app import note_review
from app.note_review import ACCEPTED, CORRECTION, REVERTED, UNREVIEWED
from app.services import notes
from models.enums import NoteStatus
from ui.sign_review import SignReviewDialog

from .conftest import speak

DICTATION_MS = 180_000
#: spoken numbers and a dose: Whisper tiny.en writes some of them in forms the correction passes rewrite
LINES = [
    "Objective.",
    "Weight two hundred and four pounds.",
    "Plan.",
    "Atorvastatin forty milligrams nightly.",
]
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
UNDERLINE = {
    CORRECTION: QTextCharFormat.UnderlineStyle.WaveUnderline,
    note_review.UNCERTAIN: QTextCharFormat.UnderlineStyle.DotLine,
}


@pytest.fixture(scope="module")
def review_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is needed to make test speech")
    return speak(tmp_path_factory.mktemp("review-speech"), LINES)


def _press(qtbot: QtBot, window, key: Qt.Key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """A key pressed where the focus is, as the doctor would."""
    target = QApplication.focusWidget() or window
    qtbot.keyClick(target, key, modifier)


def _drawn(edit) -> set[tuple[int, int, QTextCharFormat.UnderlineStyle]]:
    return {
        (s.cursor.selectionStart(), s.cursor.selectionEnd(), s.format.underlineStyle())
        for s in edit.extraSelections()
    }


def test_a_doctor_reviews_dictation_marks_by_keyboard_and_signs_with_the_rest_confirmed(
    qtbot: QtBot, profile: Path, open_window, ui, review_wav: Path
) -> None:
    window = open_window(profile)
    _day, entry = ui.choose_appointment(window, ui.is_open_appointment)
    page = window.encounter
    with qtbot.waitSignal(page.opened, timeout=ui.wait_ms):
        window.schedule.encounter_action.trigger()
    with qtbot.waitSignal(page.dictation_finished, timeout=DICTATION_MS):
        page.dictate_file(review_wav)
    ui.wait_quiet(window)
    editor = page.editor
    marks = editor.marks
    assert any(m.kind == CORRECTION for m in marks) and len(marks) >= 3, (
        f"want a correction and more to review: {[(m.kind, m.text) for m in marks]}"
    )
    assert page.note is not None and not page.dirty  # saved with the dictation, marks included
    stored = window.workspace.call(notes.encounter_notes, page.bundle.encounter.id)[0]
    assert len(note_review.read_marks(stored.content).marks) == len(marks)

    # each mark is drawn on its words, in its kind's underline style, and its tooltip says what it is
    for mark in marks:
        edit = editor.edits[mark.section]
        assert edit.toPlainText()[mark.start : mark.end] == mark.text
        assert (mark.start, mark.end, UNDERLINE[mark.kind]) in _drawn(edit)
    change = next(m for m in marks if m.kind == CORRECTION)
    edit = editor.edits[change.section]
    cursor = edit.textCursor()
    cursor.setPosition(change.start)
    where = edit.cursorRect(cursor).center() + QPoint(3, 0)  # inside the mark's first character
    QApplication.sendEvent(
        edit.viewport(), QHelpEvent(QEvent.Type.ToolTip, where, edit.viewport().mapToGlobal(where))
    )
    assert change.original in QToolTip.text() and change.pass_name.replace("_", " ") in QToolTip.text()
    QToolTip.hideText()

    # F3 / Shift+F3 walk the unreviewed marks in reading order; the one under review is drawn on top
    order = note_review.ordered(marks)
    editor.edits["subjective"].setFocus()
    _press(qtbot, window, Qt.Key.Key_F3)
    assert editor.current_mark == order[0].id
    assert QApplication.focusWidget() is editor.edits[order[0].section]
    _press(qtbot, window, Qt.Key.Key_F3)
    assert editor.current_mark == order[1].id
    _press(qtbot, window, Qt.Key.Key_F3, Qt.KeyboardModifier.ShiftModifier)
    assert editor.current_mark == order[0].id
    while editor.mark(editor.current_mark).kind != CORRECTION:
        _press(qtbot, window, Qt.Key.Key_F3)
    reverted = editor.mark(editor.current_mark)
    assert reverted.original.lower() not in editor.section_text(reverted.section).lower()

    # Shift+F2 reverts it: the words that were heard are back in the text
    _press(qtbot, window, Qt.Key.Key_F2, Qt.KeyboardModifier.ShiftModifier)
    assert reverted.original in editor.section_text(reverted.section)
    assert editor.mark(reverted.id).state == REVERTED
    assert page.dirty  # a review is an edit of the note, saved with it

    # F2 accepts the next one (the review went on to it), leaving its words as they are
    accepted = editor.mark(editor.current_mark)
    assert accepted.unreviewed and accepted.id != reverted.id
    words_before = editor.section_text(accepted.section)
    _press(qtbot, window, Qt.Key.Key_F2)
    assert editor.mark(accepted.id).state == ACCEPTED
    assert editor.section_text(accepted.section) == words_before
    for mark in editor.marks:  # every mark still sits on its words
        assert editor.section_text(mark.section)[mark.start : mark.end] == mark.text
    remaining = editor.unreviewed_marks()
    assert len(remaining) == len(marks) - 2

    # signing lists what is still unreviewed; it signs only once that is confirmed
    _press(qtbot, window, Qt.Key.Key_S, CTRL_SHIFT)
    dialog = page.dialog
    assert isinstance(dialog, SignReviewDialog) and dialog.isVisible()
    listed = [
        (dialog.table.item(row, 0).text(), dialog.table.item(row, 1).text())
        for row in range(dialog.table.rowCount())
    ]
    assert listed == [(m.section.capitalize(), m.text) for m in remaining]
    assert all(dialog.table.item(row, 2).text() for row in range(dialog.table.rowCount()))  # why
    assert not dialog.sign_button.isEnabled()
    dialog.confirm.click()
    assert dialog.sign_button.isEnabled()
    with qtbot.waitSignal(page.signed, timeout=ui.wait_ms) as signed:
        dialog.sign_button.click()
    assert signed.args[0].status is NoteStatus.SIGNED
    record = signed.args[0].content[note_review.SIGN_CONFIRMATION]
    assert record["count"] == len(remaining) and record["ids"] == [m.id for m in remaining]
    assert record["by_name"] == window.workspace.user.full_name
    ui.wait_quiet(window)

    # reopened, the signed note shows every review as it was left
    window.show_page(window.schedule)
    ui.select_appointment(window, entry)
    with qtbot.waitSignal(page.opened, timeout=ui.wait_ms) as reopened:
        window.schedule.encounter_action.trigger()
    assert reopened.args[0].note.status is NoteStatus.SIGNED
    states = {m.id: m.state for m in editor.marks}
    assert states[reverted.id] == REVERTED and states[accepted.id] == ACCEPTED
    assert [m.id for m in editor.marks if m.state == UNREVIEWED] == [m.id for m in remaining]
    assert editor.mark(reverted.id).by_name == window.workspace.user.full_name
    assert reverted.original in editor.section_text(reverted.section)
    for mark in remaining:  # still drawn on the signed note, which can no longer be reviewed here
        assert (mark.start, mark.end, UNDERLINE[mark.kind]) in _drawn(editor.edits[mark.section])
    assert not page.review.accept_action.isEnabled() and not page.review.next_action.isEnabled()
