"""Pick a profile and unlock it.

Unlocking derives the key with argon2id (deliberately ~0.4 s) and may wait out a throttle, so it
runs on the worker; the dialog stays responsive and shows the store's AuthenticationError or
StoreError message as it is. The password is never logged and is cleared after each attempt.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.app.settings import ProfileInfo, profiles_root
from clinicdesk.app.workspace import Workspace
from clinicdesk.errors import ClinicDeskError
from clinicdesk.ui.app import icon, set_accessible
from clinicdesk.ui.worker import Runner


class UnlockDialog(QDialog):
    """On success ``workspace`` holds the unlocked Workspace and the dialog is accepted."""

    def __init__(
        self,
        runner: Runner,
        profiles: list[ProfileInfo],
        *,
        preselect: Path | None = None,
        message: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Unlock ClinicDesk")
        self.setWindowIcon(icon("lock"))
        self.setMinimumWidth(460)
        self._runner = runner
        self.workspace: Workspace | None = None

        title = QLabel("Sign in to your ClinicDesk profile")
        title.setObjectName("viewTitle")

        self.profile_box = QComboBox()
        set_accessible(self.profile_box, "Profile", "The encrypted profile to open")
        for info in profiles:
            label = info.display_name + (f" ({info.username})" if info.username else "")
            self.profile_box.addItem(label, str(info.path))
            self.profile_box.setItemData(
                self.profile_box.count() - 1, str(info.path), Qt.ItemDataRole.ToolTipRole
            )
        if preselect is not None:
            self.select_profile(preselect)
        browse = QPushButton("&Browse…")
        set_accessible(browse, "Browse for a profile folder")
        browse.clicked.connect(self._browse)
        profile_row = QHBoxLayout()
        profile_row.addWidget(self.profile_box, 1)
        profile_row.addWidget(browse)

        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        set_accessible(self.password, "Password", "The profile's password")
        self.password.returnPressed.connect(self.attempt)

        self.message = QLabel(message)
        self.message.setObjectName("errorMessage")
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Unlock message")
        self.message.setVisible(bool(message))

        form = QFormLayout()
        form.addRow("&Profile:", profile_row)
        form.addRow("Pass&word:", self.password)
        _set_buddies(form, [self.profile_box, self.password])

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.unlock_button = self.buttons.addButton("&Unlock", QDialogButtonBox.ButtonRole.AcceptRole)
        set_accessible(self.unlock_button, "Unlock", "Open the profile with this password (Enter)")
        self.unlock_button.setDefault(True)
        self.buttons.accepted.connect(self.attempt)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        if not profiles:
            hint = QLabel(
                f"No profiles were found in {profiles_root()}. Create one with "
                "“clinicdesk demo-profile” or “clinicdesk seed”, or browse to a profile folder."
            )
            hint.setWordWrap(True)
            layout.addWidget(hint)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.password.setFocus()

    def select_profile(self, path: Path) -> None:
        index = self.profile_box.findData(str(path))
        if index < 0:
            self.profile_box.addItem(path.name, str(path))
            index = self.profile_box.count() - 1
        self.profile_box.setCurrentIndex(index)

    def selected_profile(self) -> Path | None:
        data = self.profile_box.currentData()
        return Path(data) if data else None

    def attempt(self) -> None:
        if not self.unlock_button.isEnabled():
            return
        profile = self.selected_profile()
        if profile is None:
            self.show_message("Choose a profile first (Browse… opens a profile folder).")
            return
        password = self.password.text()
        if not password:
            self.show_message("Enter the profile's password.")
            return
        self._set_busy(True)
        self.show_message("Unlocking…", error=False)
        self._runner.run(
            lambda: Workspace.unlock(profile, password),
            label="unlocking the profile",
            on_done=self._unlocked,
            on_error=self._failed,
        )

    def show_message(self, text: str, *, error: bool = True) -> None:
        self.message.setObjectName("errorMessage" if error else "")
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def _unlocked(self, workspace: object) -> None:
        assert isinstance(workspace, Workspace)
        self.password.clear()
        self.workspace = workspace
        self._set_busy(False)
        self.accept()

    def _failed(self, error: ClinicDeskError) -> None:
        self._set_busy(False)
        self.password.clear()
        self.password.setFocus()
        self.show_message(error.message)

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.profile_box, self.password, self.unlock_button):
            widget.setEnabled(not busy)
        if busy:
            self.setCursor(Qt.CursorShape.BusyCursor)
        else:
            self.unsetCursor()

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Open a ClinicDesk profile folder", str(profiles_root())
        )
        if folder:
            self.select_profile(Path(folder))
            self.password.setFocus()

    def reject(self) -> None:
        if self.unlock_button.isEnabled():  # not while an unlock is running: it would leak the store
            super().reject()


def _set_buddies(form: QFormLayout, fields: list[QWidget]) -> None:
    for row, field in enumerate(fields):
        item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
        if item is not None and isinstance(item.widget(), QLabel):
            label = item.widget()
            assert isinstance(label, QLabel)
            label.setBuddy(field)
