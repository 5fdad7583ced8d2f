"""The window-level input watcher sees the user's input in every window of the application, and is
not called for the flood of other events (timers, queued signals, paints) that an application-wide
Python filter would have to take the GIL for."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialog, QLineEdit, QMainWindow
from pytestqt.qtbot import QtBot

from ui.app import WindowInputWatcher

WAIT_MS = 5_000


class CountingWatcher(WindowInputWatcher):
    def __init__(self, on_input) -> None:  # type: ignore[no-untyped-def]
        super().__init__(on_input)
        self.calls = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        self.calls += 1
        return super().eventFilter(watched, event)


def shown(qtbot: QtBot, window: QMainWindow | QDialog) -> None:
    window.show()
    window.activateWindow()
    qtbot.waitUntil(lambda: window.windowHandle() is not None and window.isActiveWindow(), timeout=WAIT_MS)


def test_typing_in_the_main_window_and_then_in_a_dialog_is_seen(qtbot: QtBot) -> None:
    seen: list[int] = []
    watcher = CountingWatcher(lambda: seen.append(1))
    main = QMainWindow()
    main.setCentralWidget(QLineEdit())
    qtbot.addWidget(main)
    shown(qtbot, main)
    QTest.keyClick(main.windowHandle(), Qt.Key.Key_A)
    assert seen, "a key typed in the main window was not seen"

    seen.clear()
    dialog = QDialog(main)
    dialog.resize(200, 100)
    shown(qtbot, dialog)
    QTest.mouseClick(dialog.windowHandle(), Qt.MouseButton.LeftButton)
    assert seen, "a click in a dialog opened later was not seen"
    watcher.stop()


def test_timers_and_other_objects_events_do_not_call_it(qtbot: QtBot) -> None:
    watcher = CountingWatcher(lambda: None)
    main = QMainWindow()
    qtbot.addWidget(main)
    shown(qtbot, main)
    qtbot.wait(50)
    before = watcher.calls
    ticks: list[int] = []
    timer = QTimer()
    timer.setInterval(1)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()
    qtbot.waitUntil(lambda: len(ticks) >= 100, timeout=WAIT_MS)
    timer.stop()
    assert watcher.calls - before < 10  # an application-wide filter would have seen every tick
    watcher.stop()


def test_after_stop_input_is_no_longer_reported(qtbot: QtBot) -> None:
    seen: list[int] = []
    watcher = WindowInputWatcher(lambda: seen.append(1))
    main = QMainWindow()
    qtbot.addWidget(main)
    shown(qtbot, main)
    watcher.stop()
    QTest.keyClick(main.windowHandle(), Qt.Key.Key_B)
    assert seen == []
