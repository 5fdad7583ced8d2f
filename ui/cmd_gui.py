"""``clinicdesk gui [--profile DIR]``: start the desktop app.

Without a password the unlock dialog asks for one. With ``--profile`` and the environment variable
CLINICDESK_PASSWORD (kiosks, benchmarks) the profile is unlocked straight away; a wrong password
falls back to the dialog with the message. CLINICDESK_EXIT_AFTER_FIRST_PAINT=1 prints
``first-paint <unix time>`` once today's schedule has been drawn and quits: the cold-start
benchmark's finish line. Qt and the windows are imported inside ``run`` so ``--help`` stays quick.

Start-up overlaps its two slow parts: the auto-unlock (argon2id, which releases the GIL) starts on
a plain thread before Qt is even imported, while the GUI thread imports Qt and the windows.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from app.settings import WorkstationSettings
    from app.workspace import Workspace
    from ui.main_window import MainWindow
    from ui.unlock import UnlockDialog
    from ui.worker import Runner

PASSWORD_ENV = "CLINICDESK_PASSWORD"
EXIT_AFTER_PAINT_ENV = "CLINICDESK_EXIT_AFTER_FIRST_PAINT"


class EarlyUnlock:
    """Unlocks a profile on a background thread started before Qt exists; ``result`` joins it."""

    def __init__(self, profile: Path, password: str) -> None:
        self._profile = profile
        self._password = password
        self._workspace: Workspace | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="clinicdesk-unlock", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            from app.workspace import Workspace

            self._workspace = Workspace.unlock(self._profile, self._password)
        except BaseException as exc:  # handed to the GUI thread by result(), never lost
            self._error = exc
        finally:
            self._password = ""

    def result(self) -> Workspace:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._workspace is not None
        return self._workspace


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="profile folder to preselect (with CLINICDESK_PASSWORD set: unlock it without asking)",
    )
    parser.add_argument(
        "--date", type=date.fromisoformat, default=None, help="open the schedule on this day (YYYY-MM-DD)"
    )


class GuiSession:
    """Takes the app from "locked profile" to "main window": the unlock dialog, or a direct unlock."""

    def __init__(
        self,
        app: QApplication,
        settings: WorkstationSettings,
        *,
        profile: Path | None,
        day: date | None = None,
    ) -> None:
        from ui.worker import Runner

        self.app = app
        self.settings = settings
        self.profile = profile
        self.day = day
        self.runner: Runner = Runner()
        self.window: MainWindow | None = None
        self.dialog: UnlockDialog | None = None
        self.exit_after_paint = os.environ.get(EXIT_AFTER_PAINT_ENV) == "1"

    def start(self, password: str | None, *, early: EarlyUnlock | None = None) -> None:
        self.app.setQuitOnLastWindowClosed(False)  # no window is visible between dialog and window
        if self.profile is not None and password:
            if early is None:
                early = EarlyUnlock(self.profile, password)
            import ui.main_window  # noqa: F401  (imported while the key derivation runs)
            from ui.worker import QueryOp

            QueryOp(self.runner, early.result, label="unlocking the profile").success(
                self.open_window
            ).failure(lambda error: self.ask(message=error.message)).run()
        else:
            self.ask()

    def ask(self, message: str = "") -> None:
        from app.settings import list_profiles
        from ui.unlock import UnlockDialog

        preselect = self.profile or (Path(self.settings.last_profile) if self.settings.last_profile else None)
        dialog = UnlockDialog(
            self.runner, list_profiles(), preselect=preselect, message=message, settings=self.settings
        )
        dialog.accepted.connect(lambda: self.open_window(dialog.workspace))
        dialog.rejected.connect(self.app.quit)
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.show()

    def open_window(self, workspace: Workspace | None) -> None:
        from ui.main_window import MainWindow

        if workspace is None:
            return
        self._remember(workspace)
        window = MainWindow(
            workspace,
            runner=self.runner,
            idle_lock_minutes=self.settings.idle_lock_minutes,
            day=self.day,
            settings=self.settings,
        )
        if self.exit_after_paint:
            window.schedule.first_drawn.connect(self._first_paint)
        self.window = window
        window.show()
        self.app.setQuitOnLastWindowClosed(True)

    def _remember(self, workspace: Workspace) -> None:
        if self.settings.last_profile != str(workspace.profile_dir):
            self.settings.last_profile = str(workspace.profile_dir)
            with contextlib.suppress(OSError):  # a read-only settings folder must not stop the clinician
                self.settings.save()

    def _first_paint(self) -> None:
        rows = self.window.schedule.model.rowCount() if self.window is not None else 0
        sys.stdout.write(f"first-paint {time.time():.6f} rows={rows}\n")
        sys.stdout.flush()
        if self.window is not None:
            self.window.close()
        self.app.quit()


def run(args: argparse.Namespace) -> int:
    password = os.environ.get(PASSWORD_ENV)
    early = EarlyUnlock(args.profile, password) if args.profile is not None and password else None

    from ui.app import application

    app = application()  # Qt first: the unlock thread is importing the store meanwhile
    from app.settings import WorkstationSettings

    session = GuiSession(app, WorkstationSettings.load(), profile=args.profile, day=args.date)
    session.start(password, early=early)
    code = app.exec()
    if session.window is not None:
        session.window.shutdown()
    session.runner.shutdown()
    return int(code)
