"""Locking: the lock screen that replaces every view, and the idle watcher that triggers it.

The idle watcher sees the input of every window: any key, click, wheel or touch restarts one
timer; when it fires the window locks (DESIGN.md: lock after an idle period, default 5 minutes).
Unlocking re-verifies the password through the store's throttled check on the worker thread, so
the growing delay and the lockout apply here exactly as at sign-in.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from clinicdesk.errors import ClinicDeskError
from ui.app import WindowInputWatcher, icon, set_accessible
from ui.worker import QueryOp, Runner


class IdleWatcher(QObject):
    """Emits ``idle`` after ``timeout_ms`` without user input in any of the application's windows.

    Input is seen through a WindowInputWatcher (a filter on each top-level window), not an
    application-wide event filter, which Python would have to run for every event of every object."""

    idle = Signal()

    def __init__(self, timeout_ms: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.idle)
        self.set_timeout_ms(timeout_ms)
        self._input = WindowInputWatcher(self._user_input, self)

    def set_timeout_ms(self, timeout_ms: int) -> None:
        self._timer.setInterval(max(1, int(timeout_ms)))
        if self._timer.isActive():
            self._timer.start()

    @property
    def timeout_ms(self) -> int:
        return self._timer.interval()

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _user_input(self) -> None:
        if self._timer.isActive():
            self._timer.start()

    def uninstall(self) -> None:
        self._input.stop()
        self._timer.stop()


class LockScreen(QWidget):
    """Shown instead of the views while locked. ``verify`` checks the password (slow, throttled)
    and raises AuthenticationError when wrong; it runs on the worker."""

    unlocked = Signal()

    def __init__(
        self, runner: Runner, verify: Callable[[str], None], *, who: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("lockScreen")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._runner = runner
        self._verify = verify

        picture = QLabel()
        picture.setPixmap(icon("lock").pixmap(64, 64))
        picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title = QLabel("ClinicDesk is locked")
        title.setObjectName("lockTitle")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.who = QLabel(f"Signed in as {who}. Enter your password to unlock.")
        self.who.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("Password")
        self.password.setMinimumWidth(260)
        set_accessible(self.password, "Unlock password", "Your password, to unlock ClinicDesk")
        self.password.returnPressed.connect(self.attempt)
        self.unlock_button = QPushButton(icon("lock"), "&Unlock")
        set_accessible(self.unlock_button, "Unlock", "Unlock ClinicDesk (Enter)")
        self.unlock_button.clicked.connect(self.attempt)

        self.message = QLabel("")
        self.message.setObjectName("errorMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Unlock message")

        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.password)
        row.addWidget(self.unlock_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        for widget in (picture, title, self.who):
            layout.addWidget(widget)
        layout.addSpacing(12)
        layout.addLayout(row)
        layout.addWidget(self.message)
        layout.addStretch(3)

    def reset(self) -> None:
        self.password.clear()
        self.message.clear()
        self._set_busy(False)
        self.password.setFocus()

    def attempt(self) -> None:
        if not self.unlock_button.isEnabled():
            return
        password = self.password.text()
        if not password:
            self.message.setText("Enter your password.")
            return
        self._set_busy(True)
        self.message.setText("Checking…")
        QueryOp(self._runner, lambda: self._verify(password), label="checking the password").success(
            self._verified
        ).failure(self._failed).run()

    def _verified(self, _result: None) -> None:
        self.password.clear()
        self.message.clear()
        self._set_busy(False)
        self.unlocked.emit()

    def _failed(self, error: ClinicDeskError) -> None:
        self._set_busy(False)
        self.password.clear()
        self.password.setFocus()
        self.message.setText(error.message)

    def _set_busy(self, busy: bool) -> None:
        self.password.setEnabled(not busy)
        self.unlock_button.setEnabled(not busy)
