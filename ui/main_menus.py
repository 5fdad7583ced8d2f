"""The main window's menu bar and toolbar, laid out from the window's actions.

Kept apart from main_window.py because it is pure layout: which action sits in which menu, in which
group. Every action also carries its shortcut, which the menus show beside it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QToolBar

if TYPE_CHECKING:
    from ui.main_window import MainWindow


def _menus(w: MainWindow) -> list[tuple[str, list[list[QAction]]]]:
    """Each menu's title and its groups of actions (a separator between groups)."""
    return [
        ("&File", [[w.sync_action, w.conflicts_action, w.import_model_action, w.settings_action],
                   [w.lock_action], [w.quit_action]]),
        ("&View", [w.page_actions, [w.previous_action, w.today_action, w.next_action, w.refresh_action]]),
        ("&Appointment", [[w.book_action], list(w.status_actions.values()),
                          [w.open_chart_action, w.encounter_action]]),
        ("&Patient", [[w.find_action]]),
        ("&Encounter", [[w.vitals_action, w.save_note_action, w.sign_note_action, w.amend_note_action,
                         w.history_action, w.complete_action],
                        [w.prescription_action, w.order_action, w.sign_order_action]]),
        ("&Dictation", [[w.record_action, w.pause_action, w.dictate_file_action, w.accept_code_action,
                         *w.section_actions]]),
        ("&Work", [[w.new_task_action, w.start_task_action, w.complete_task_action, w.cancel_task_action,
                    w.assign_task_action], [w.mark_read_action, w.open_linked_action]]),
        ("&Help", [[w.shortcuts_action]]),
    ]  # fmt: skip


def build_menus(window: MainWindow) -> None:
    bar = window.menuBar()
    for title, groups in _menus(window):
        menu = bar.addMenu(title)
        for i, group in enumerate(groups):
            if i:
                menu.addSeparator()
            menu.addActions(group)
        menu.setAccessibleName(title.replace("&", "") + " menu")


def build_toolbar(window: MainWindow) -> QToolBar:
    """The day's most used actions, with their names beside the icons."""
    w = window
    toolbar = QToolBar("Main toolbar")
    toolbar.setObjectName("mainToolbar")
    toolbar.setMovable(False)
    toolbar.setIconSize(QSize(20, 20))
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    groups = [
        [w.today_action, w.book_action],
        list(w.status_actions.values()),
        [w.encounter_action, w.record_action, w.sign_note_action],
        [w.sync_action, w.lock_action],
    ]
    for i, group in enumerate(groups):
        if i:
            toolbar.addSeparator()
        toolbar.addActions(group)
    window.addToolBar(toolbar)
    return toolbar
