"""The Runner brings results of background work back to the GUI thread through one relay object:
no QObject is made per task, because every object and event costs the GUI thread the GIL."""

from __future__ import annotations

import gc
import importlib
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QObject
from pytestqt.qtbot import QtBot

from clinicdesk.errors import ClinicDeskError, ValidationError
from ui import worker
from ui.worker import InternalError, Runner

WAIT_MS = 10_000


@pytest.fixture
def runner(qtbot: QtBot) -> Iterator[Runner]:
    made = Runner()
    yield made
    made.shutdown()


def test_a_result_comes_back_to_its_callback_on_the_gui_thread(qtbot: QtBot, runner: Runner) -> None:
    got: list[tuple[object, bool]] = []
    runner.run(
        lambda: threading.current_thread() is threading.main_thread(),
        label="checking the thread",
        on_done=lambda worked_on_gui: got.append(
            (worked_on_gui, threading.current_thread() is threading.main_thread())
        ),
    )
    qtbot.waitUntil(lambda: bool(got), timeout=WAIT_MS)
    assert got == [(False, True)]  # the work ran off the GUI thread, the callback on it
    assert runner.pending == 0


def test_a_user_error_goes_to_the_tasks_own_error_callback(qtbot: QtBot, runner: Runner) -> None:
    errors: list[ClinicDeskError] = []

    def refuse() -> None:
        raise ValidationError("the date is in the past; choose a later one")

    runner.run(
        refuse,
        label="booking",
        on_done=lambda _r: errors.append(ClinicDeskError("done?")),
        on_error=errors.append,
    )
    qtbot.waitUntil(lambda: bool(errors), timeout=WAIT_MS)
    assert isinstance(errors[0], ValidationError) and errors[0].message.startswith("the date is in the past")


def test_an_error_without_its_own_callback_goes_to_the_runners_error_signal(
    qtbot: QtBot, runner: Runner
) -> None:
    def refuse() -> None:
        raise ValidationError("no such patient")

    with qtbot.waitSignal(runner.error, timeout=WAIT_MS) as signal:
        runner.run(refuse, label="opening the chart")
    assert isinstance(signal.args[0], ValidationError)


def test_a_bug_becomes_an_internal_error_that_names_the_work_and_not_the_message(
    qtbot: QtBot, runner: Runner
) -> None:
    errors: list[ClinicDeskError] = []

    def crash() -> None:
        raise KeyError("Mara Quill")  # a message that could hold patient data

    runner.run(crash, label="loading the schedule", on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=WAIT_MS)
    assert isinstance(errors[0], InternalError)
    assert "loading the schedule" in errors[0].message and "KeyError" in errors[0].message
    assert "Mara" not in errors[0].message


def test_many_tasks_make_no_qobject_each_and_busy_goes_on_then_off_once(qtbot: QtBot, runner: Runner) -> None:
    children_before = len(runner.findChildren(QObject))
    busy: list[bool] = []
    runner.busy_changed.connect(busy.append)
    results: list[object] = []
    for n in range(200):
        runner.run(lambda n=n: n * n, label="squaring", on_done=results.append)
    assert runner.pending == 200
    assert len(runner.findChildren(QObject)) == children_before
    qtbot.waitUntil(lambda: runner.pending == 0, timeout=WAIT_MS)
    assert sorted(results) == [n * n for n in range(200)]
    assert busy == [True, False]


def test_after_shutdown_results_still_queued_are_dropped_and_new_work_is_ignored(
    qtbot: QtBot, runner: Runner
) -> None:
    delivered: list[object] = []
    gate = threading.Event()
    runner.run(lambda: gate.wait(5) and "late", label="waiting", on_done=delivered.append)
    gate.set()
    runner.shutdown()  # the task finished, but its result has not reached the GUI thread yet
    runner.run(lambda: "new", label="after shutdown", on_done=delivered.append)
    qtbot.wait(200)
    assert delivered == [] and runner.pending == 0 and runner.closed


def test_a_callback_may_shut_the_runner_down(qtbot: QtBot, runner: Runner) -> None:
    done: list[object] = []

    def finish(result: object) -> None:
        done.append(result)
        runner.shutdown()

    runner.run(lambda: 1, label="closing", on_done=finish)
    qtbot.waitUntil(lambda: bool(done), timeout=WAIT_MS)
    assert done == [1] and runner.pending == 0


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # other tests keep the collector as it was


def test_a_task_that_loads_modules_leaves_them_frozen_out_of_later_collections(
    qtbot: QtBot, runner: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unfrozen: None
) -> None:
    (tmp_path / "freshly_loaded_module.py").write_text("TABLE = {n: [n] for n in range(1000)}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(worker, "LOADED_MODULES", 1)
    monkeypatch.setattr(worker, "_modules_when_frozen", len(sys.modules))
    loaded: list[object] = []
    runner.run(
        lambda: importlib.import_module("freshly_loaded_module"), label="loading", on_done=loaded.append
    )
    qtbot.waitUntil(lambda: bool(loaded), timeout=WAIT_MS)
    assert gc.get_freeze_count() > 0
    assert not worker.freeze_what_loading_left()  # nothing new loaded since: no second collection


def test_a_task_that_loads_nothing_new_does_not_collect(
    qtbot: QtBot, runner: Runner, monkeypatch: pytest.MonkeyPatch, unfrozen: None
) -> None:
    monkeypatch.setattr(worker, "_modules_when_frozen", len(sys.modules))
    done: list[object] = []
    runner.run(lambda: 2 + 2, label="adding", on_done=done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=WAIT_MS)
    assert done == [4] and gc.get_freeze_count() == 0
