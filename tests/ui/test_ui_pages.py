"""Pages as rooms with their own doors: each page places its own actions in the menus and enables them
from its own state, and refreshes itself from the change sets of operations, ignoring the others."""

from __future__ import annotations

import uuid
from pathlib import Path

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from app.ops.changes import Changes
from models.enums import AppointmentStatus
from ui.main_window import MainWindow


def _menu_of(window: MainWindow, action: QAction) -> str:
    for menu in window.menuBar().findChildren(QMenu):
        if action in menu.actions():
            return menu.title().replace("&", "")
    raise AssertionError(f"{action.text()!r} is in no menu")


def test_each_pages_actions_sit_in_its_menus_and_only_there(profile: Path, open_window) -> None:
    window = open_window(profile)
    schedule, encounter, registry = window.schedule, window.encounter, window.registry
    placed = {
        "Appointment": [schedule.book_action, schedule.check_in_action, schedule.encounter_action],
        "View": [schedule.today_action, registry.get("refresh")],
        "Patient": [window.patients.find_action],
        "Encounter": [encounter.sign_note_action, encounter.prescription_action],
        "Dictation": [encounter.dictation.record_action, *encounter.dictation.section_actions],
        "Work": [window.tasks.new_task_action, window.alerts.mark_read_action, registry.get("open_linked")],
        "File": [window.sync.sync_action, window.sync.conflicts_action, registry.get("import_speech_model")],
    }  # fmt: skip
    for menu, actions in placed.items():
        assert [_menu_of(window, a) for a in actions] == [menu] * len(actions)
    names = [a.objectName() for a in window.registry.all()]
    assert len(names) == len(set(names))  # one action per command, however many pages share a menu
    toolbar = [a.text() for a in window.toolbar.actions() if not a.isSeparator()]
    assert toolbar[:2] == ["&Today", "&Book appointment…"] and toolbar[-2:] == ["S&ync now", "&Lock"]


def test_the_schedules_actions_follow_the_chosen_appointment_and_the_lock(
    qtbot: QtBot, profile: Path, open_window, ui
) -> None:
    window = open_window(profile)
    page = window.schedule
    assert page.selected_appointment() is None
    assert not page.check_in_action.isEnabled() and not page.encounter_action.isEnabled()
    assert page.book_action.isEnabled()  # booking needs no selection
    _day, entry = ui.choose_appointment(window, ui.is_open_appointment)
    assert page.check_in_action.isEnabled() and page.encounter_action.isEnabled()
    # a confirmed appointment can be checked in but not confirmed again
    assert page.confirm_action.isEnabled() == (entry.status is AppointmentStatus.SCHEDULED)
    window.lock()
    assert not any(a.isEnabled() for a in (page.check_in_action, page.book_action, page.encounter_action))
    assert window.quit_action.isEnabled()
    window.unlock()
    assert page.check_in_action.isEnabled() and page.book_action.isEnabled()


def test_the_encounter_and_task_actions_wait_for_something_to_act_on(
    qtbot: QtBot, profile: Path, open_window, ui
) -> None:
    window = open_window(profile)
    encounter, tasks = window.encounter, window.tasks
    assert not encounter.has_encounter
    assert not any(
        a.isEnabled()
        for a in (encounter.sign_note_action, encounter.save_note_action, encounter.vitals_action,
                  encounter.dictation.record_action, encounter.prescription_action)
    )  # fmt: skip
    window.show_page(tasks)
    tasks.scope.setCurrentIndex(2)  # everyone's tasks: the doctor may have none of his own
    qtbot.waitUntil(lambda: tasks.model.rows != [], timeout=ui.wait_ms)
    assert tasks.selected() is None and not tasks.start_task_action.isEnabled()
    assert tasks.new_task_action.isEnabled()
    tasks.table.selectRow(0)
    assert tasks.start_task_action.isEnabled() and tasks.complete_task_action.isEnabled()


def test_a_page_reloads_for_a_change_set_it_shows_and_ignores_one_it_does_not(
    qtbot: QtBot, profile: Path, open_window, ui
) -> None:
    window = open_window(profile)
    tasks = window.tasks
    window.show_page(tasks)
    tasks.scope.setCurrentIndex(2)
    qtbot.waitUntil(lambda: tasks.model.rows != [], timeout=ui.wait_ms)
    ui.wait_quiet(window)
    one_task = frozenset({tasks.model.rows[0].id})

    window.ops.announce(Changes(appointments=frozenset({uuid.uuid4()}), outbox=1))
    assert window.runner.pending == 1  # the sync status is read again; the task list is not
    ui.wait_quiet(window)
    with qtbot.waitSignal(tasks.loaded, timeout=ui.wait_ms):
        window.ops.announce(Changes(tasks=one_task))

    # a page not on screen only notes it is out of date, and reloads when it is shown
    schedule = window.schedule
    ui.wait_quiet(window)
    window.ops.announce(Changes(appointments=frozenset({uuid.uuid4()})))
    assert window.runner.pending == 0 and not schedule.isVisible()
    with qtbot.waitSignal(schedule.loaded, timeout=ui.wait_ms):
        window.show_page(schedule)
    ui.wait_quiet(window)
    window.show_page(window.patients)
    window.ops.announce(Changes(tasks=one_task))  # the tasks page is hidden too now
    assert window.runner.pending == 0


def test_a_sync_that_brought_records_refreshes_the_page_on_screen(
    qtbot: QtBot, profile: Path, open_window, ui
) -> None:
    window = open_window(profile)
    ui.wait_quiet(window)
    with qtbot.waitSignal(window.schedule.loaded, timeout=ui.wait_ms):
        window.ops.announce(Changes.from_elsewhere(), window.sync)
