"""Locking: Ctrl+L, the idle timer, and unlocking with the password (throttled like sign-in)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot


def _assert_locked(window) -> None:
    assert window.locked
    assert window.lock_label.text() == "Locked"
    assert window.outer.currentWidget() is window.lock_screen
    assert not window.schedule.isVisible()
    assert not window.patients.isVisible()
    assert not window.schedule.check_in_action.isEnabled()
    assert not window.schedule.book_action.isEnabled()


def test_ctrl_l_locks_and_the_password_unlocks(qtbot: QtBot, profile: Path, open_window, ui) -> None:
    window = open_window(profile)
    window.activateWindow()
    qtbot.waitUntil(window.schedule.isVisible, timeout=ui.wait_ms)
    with qtbot.waitSignal(window.locked_changed, timeout=ui.wait_ms):
        qtbot.keyClick(window.schedule.table, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    _assert_locked(window)

    screen = window.lock_screen
    qtbot.keyClicks(screen.password, "wrong password")
    qtbot.keyClick(screen.password, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: screen.unlock_button.isEnabled() and screen.message.text() == "wrong password",
        timeout=ui.wait_ms,
    )
    _assert_locked(window)

    qtbot.keyClicks(screen.password, ui.password)
    with qtbot.waitSignal(window.locked_changed, timeout=ui.wait_ms) as changed:
        qtbot.mouseClick(screen.unlock_button, Qt.MouseButton.LeftButton)
    assert changed.args == [False]
    assert not window.locked
    assert window.lock_label.text() == "Unlocked"
    assert window.schedule.isVisible()
    assert screen.password.text() == ""


def test_the_idle_timer_locks_the_window(qtbot: QtBot, profile: Path, open_window, ui) -> None:
    window = open_window(profile)
    window.idle.set_timeout_ms(200)
    window.idle.start()
    qtbot.waitUntil(lambda: window.locked, timeout=ui.wait_ms)
    _assert_locked(window)
    assert not window.idle._timer.isActive()  # no second lock while locked


def test_locking_closes_an_open_dialog_so_it_cannot_show_patient_data(
    qtbot: QtBot, profile: Path, open_window, ui
) -> None:
    window = open_window(profile)
    window.schedule.book_action.trigger()
    dialog = window.schedule.booking_dialog
    assert dialog is not None and dialog.isVisible()
    window.lock_action.trigger()
    _assert_locked(window)
    assert not dialog.isVisible()
