"""``clinicdesk screenshot --profile DIR --password PW --view VIEW --out FILE.png``

VIEW is schedule, chart, note, tasks, alerts, settings, messages, safety, results, documents, or one
of day one's: practice, practice-wizard, staff, register, record, import, week, block, checkin.

Renders the real main window (not a mock-up) with QWidget.grab() once the requested view has its
data, for documentation and visual checks. Works under Xvfb or, with no display at all, on Qt's
offscreen platform. ``chart`` shows the patient found by ``--patient`` (name, MRN or date of birth),
or else the first patient on the day's schedule. ``note`` opens the encounter of the day's first
open appointment (checking the patient in, as a doctor would) and, with ``--wav``, dictates that
recording into the note through the configured speech engine first, and goes to the first mark to
review (an automatic change or uncertain word, highlighted). ``messages``, ``safety``, ``results`` and
``documents`` set their scene up on the profile first (ui/screenshot_loop.py: a conversation, a
prescription held by an allergy, an abnormal result under review, a chart's documents).
"""

from __future__ import annotations

import argparse
import os
from datetime import date
from pathlib import Path
from typing import Any

from clinicdesk.errors import ClinicDeskError, NotFoundError, UsageError

#: day one's views (ui/screenshot_day_one.py)
DAY_ONE_VIEWS = (
    "practice",
    "practice-wizard",
    "staff",
    "register",
    "record",
    "import",
    "week",
    "block",
    "checkin",
)
VIEWS: tuple[str, ...] = (
    "schedule",
    "chart",
    "note",
    "tasks",
    "alerts",
    "settings",
    "messages",
    "safety",
    "results",
    "documents",
    *DAY_ONE_VIEWS,
)
TIMEOUT_MS = 120_000


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", type=Path, required=True, help="profile folder")
    parser.add_argument(
        "--password",
        default=None,
        help="the profile's password (default: the CLINICDESK_PASSWORD environment variable)",
    )
    parser.add_argument("--view", choices=VIEWS, default="schedule", help="which view to show")
    parser.add_argument("--out", type=Path, required=True, help="PNG file to write")
    parser.add_argument("--date", type=date.fromisoformat, default=None, help="schedule day (YYYY-MM-DD)")
    parser.add_argument("--patient", default=None, help="chart view: search text for the patient")
    parser.add_argument("--size", default="1280x800", help="window size, WIDTHxHEIGHT (default 1280x800)")
    parser.add_argument(
        "--wav", type=Path, default=None, help="note view: dictate this WAV into the note first"
    )


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise UsageError("--size must look like 1280x800") from None
    if not (320 <= width <= 4096 and 240 <= height <= 4096):
        raise UsageError("--size must be between 320x240 and 4096x4096")
    return width, height


class _Waiter:
    """Runs the event loop until a signal fires (or an error / timeout); gives back its argument."""

    def __init__(self) -> None:
        from PySide6.QtCore import QEventLoop, QTimer

        self.loop = QEventLoop()
        self.timer = QTimer()
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self._timeout)
        self.value: Any = None
        self.error: ClinicDeskError | None = None

    def _timeout(self) -> None:
        self.error = ClinicDeskError("the window did not finish loading in time; try again")
        self.loop.quit()

    def done(self, value: Any = None) -> None:
        self.value = value
        self.loop.quit()

    def fail(self, error: object) -> None:
        self.error = error if isinstance(error, ClinicDeskError) else ClinicDeskError(str(error))
        self.loop.quit()

    def wait(self, start: Any = None) -> Any:
        self.timer.start(TIMEOUT_MS)
        if start is not None:
            start()
        self.loop.exec()
        self.timer.stop()
        if self.error is not None:
            raise self.error
        return self.value


def run(args: argparse.Namespace) -> int:
    password = args.password or os.environ.get("CLINICDESK_PASSWORD")
    if not password:
        raise UsageError("give the profile's password with --password or CLINICDESK_PASSWORD")
    width, height = _size(args.size)
    if not any(os.environ.get(v) for v in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"

    from app.workspace import Workspace
    from ui.app import application
    from ui.main_window import MainWindow
    from ui.worker import QueryOp, Runner

    app = application()
    runner = Runner()
    unlocked = _Waiter()
    workspace = unlocked.wait(
        lambda: (
            QueryOp(runner, lambda: Workspace.unlock(args.profile, password), label="unlocking the profile")
            .success(unlocked.done)
            .failure(unlocked.fail)
            .run()
        )
    )
    from app.settings import WorkstationSettings

    window = MainWindow(workspace, runner=runner, day=args.date, settings=WorkstationSettings.load())
    try:
        window.resize(width, height)
        loaded = _Waiter()
        window.schedule.loaded.connect(loaded.done)
        window.schedule.failed.connect(loaded.fail)
        window.show()
        schedule = loaded.wait()
        grabbed: Any = window
        if args.view in DAY_ONE_VIEWS:
            from ui.screenshot_day_one import SCENES

            grabbed = SCENES[args.view](window, schedule, _Waiter)
        elif args.view in ("safety", "results", "documents"):
            from ui import screenshot_loop

            grabbed = getattr(screenshot_loop, args.view)(window, schedule, _Waiter)
        elif args.view == "messages":
            from ui import screenshot_loop

            grabbed = screenshot_loop.messages(window, _Waiter)
        elif args.view == "chart":
            _open_chart(window, schedule, args.patient)
        elif args.view == "note":
            _open_note(window, schedule, args.wav)
        elif args.view in ("tasks", "alerts"):
            view = window.tasks if args.view == "tasks" else window.alerts
            shown = _Waiter()
            view.loaded.connect(shown.done)
            view.failed.connect(shown.fail)
            shown.wait(lambda: window.show_page(view))
            if view.table.model().rowCount():
                view.table.selectRow(0)
        elif args.view == "settings":
            window.show_page(window.settings_page)
            checked = _Waiter()
            window.settings_page.model_checked.connect(checked.done)
            checked.wait(window.settings_page.check_model)
        # background work still running (a sync-status read, say) would change the window after
        # the grab, or between a label's new text and the layout that makes room for it
        if runner.pending:
            idle = _Waiter()
            runner.busy_changed.connect(lambda busy: None if busy else idle.done())
            idle.wait()
        for _ in range(3):  # let layouts and the first paint settle
            app.processEvents()
        args.out.parent.mkdir(parents=True, exist_ok=True)
        if not grabbed.grab().save(str(args.out), "PNG"):
            raise ClinicDeskError(f"could not write {args.out}; check the folder exists and is writable")
    finally:
        window.close()
        window.shutdown()
    return 0


def _open_chart(window: Any, schedule: Any, patient_text: str | None) -> None:
    window.show_page(window.patients)
    patients = window.patients
    searched = _Waiter()
    patients.searched.connect(searched.done)
    patients.failed.connect(searched.fail)
    if patient_text:
        query = patient_text
    else:
        first = next((e for e in schedule.entries if e.kind == "appointment" and e.mrn), None)
        if first is None:
            raise NotFoundError("the day has no appointments; give --patient to choose whom to show")
        query = first.mrn
    found = searched.wait(lambda: (patients.search.setText(query), patients.run_search()))
    if not found:
        raise NotFoundError("no patient matches --patient; try a name, MRN or date of birth")
    shown = _Waiter()
    patients.chart_shown.connect(shown.done)
    shown.wait(lambda: patients.table.selectRow(0))


def _open_note(window: Any, schedule: Any, wav: Path | None) -> None:
    from ui.screenshot_loop import open_first_visit

    open_first_visit(window, schedule, _Waiter, begun=True)
    if wav is not None:
        dictated = _Waiter()
        window.encounter.dictation_finished.connect(dictated.done)
        window.encounter.failed.connect(dictated.fail)
        dictated.wait(lambda: window.encounter.dictate_file(wav))
        window.encounter.editor.structured.setCurrentIndex(2)
        # the dictation's first automatic change or uncertain word, as the doctor reviews it (F3)
        window.encounter.editor.step_mark(forward=True)
