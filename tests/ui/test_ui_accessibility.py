"""Every command is reachable from the keyboard and every control has a name for screen readers."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMenuBar,
    QPlainTextEdit,
    QTextBrowser,
    QToolButton,
    QWidget,
)

from ui.app import shortcut_text

CONTROLS = (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextBrowser,
)


def _inside_qt_internals(widget: QWidget) -> bool:
    """Qt's own sub-widgets: a combo box's popup list, a spin box's editor, the menu bar's overflow."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, (QComboBox, QAbstractSpinBox, QMenuBar)) or type(parent).__name__.startswith(
            "QComboBoxPrivate"
        ):
            return True
        parent = parent.parentWidget()
    return widget.objectName().startswith("qt_")


def _unnamed_controls(root: QWidget) -> list[str]:
    unnamed = []
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, CONTROLS) or widget.accessibleName() or _inside_qt_internals(widget):
            continue
        if isinstance(widget, QToolButton) and widget.defaultAction() is not None:
            continue  # toolbar buttons are named by their action
        if isinstance(widget, QAbstractButton) and widget.text().replace("&", "").strip():
            continue  # Qt's accessibility layer names a button by its text
        if isinstance(widget, QHeaderView):
            continue  # a table's header: its sections carry the column names
        unnamed.append(f"{type(widget).__name__} {widget.objectName()!r}")
    return unnamed


def test_every_action_has_a_unique_shortcut_shown_in_its_tooltip(profile: Path, open_window) -> None:
    window = open_window(profile)
    actions = window.registry.all()
    shortcuts = [shortcut_text(action.shortcut()) for action in actions]
    assert all(shortcuts), [a.text() for a in actions if not shortcut_text(a.shortcut())]
    assert len(set(shortcuts)) == len(shortcuts)
    for action, shortcut in zip(actions, shortcuts, strict=True):
        assert shortcut in action.toolTip(), action.text()
    in_menus = {a for menu in window.menuBar().findChildren(QMenu) for a in menu.actions()}
    assert set(actions) <= in_menus


def test_every_control_in_the_window_and_dialogs_has_an_accessible_name(profile: Path, open_window) -> None:
    window = open_window(profile)
    unnamed = _unnamed_controls(window)
    assert unnamed == [], "; ".join(unnamed)
    window.schedule.book_action.trigger()
    assert window.schedule.booking_dialog is not None
    assert _unnamed_controls(window.schedule.booking_dialog) == []
    window.schedule.booking_dialog.reject()
    window.lock()
    assert _unnamed_controls(window.lock_screen) == []


def test_every_label_with_an_alt_key_takes_the_focus_to_its_field(profile: Path, open_window) -> None:
    """A label's "&" is an Alt key only when the label has a buddy; without one the user sees a
    literal "&" and the key does nothing (a form row whose field is a layout gets no buddy)."""
    window = open_window(profile)
    window.schedule.book_action.trigger()
    assert window.schedule.booking_dialog is not None
    labels = [*window.findChildren(QLabel), *window.schedule.booking_dialog.findChildren(QLabel)]
    window.schedule.booking_dialog.reject()
    with_alt_key = [label for label in labels if "&" in label.text() and not label.text().startswith("<")]
    assert with_alt_key, "no label has an Alt key: the check would prove nothing"
    stray = [label.text() for label in with_alt_key if label.buddy() is None]
    assert stray == [], f"labels showing a literal '&': {stray}"
