"""Pick a profile and unlock it, or set a new workstation's profile up from the sync server.

Unlocking derives the key with argon2id (deliberately ~0.4 s) and may wait out a throttle, so it
runs on the worker; the dialog stays responsive and shows the store's AuthenticationError or
StoreError message as it is. The password is never logged and is cleared after each attempt.

A practice's new workstation has no profile yet, and this is the first screen it shows, so the way
to make one from the server starts here ("Set up from server…", Ctrl+Shift+N): the setup dialog
(workstation_setup.WorkstationSetupDialog) makes and fills the profile, which is then selected here,
ready for its password.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

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

from app.settings import ProfileInfo, WorkstationSettings, profiles_root
from app.workspace import Workspace
from clinicdesk.errors import ClinicDeskError
from ui.app import icon, make_action, set_accessible, shortcut_text
from ui.worker import QueryOp, Runner

if TYPE_CHECKING:  # the setup dialog loads when asked for, not with the first screen
    from app.sync_service import WorkstationSetup
    from ui.workstation_setup import WorkstationSetupDialog

SET_UP_SHORTCUT = "Ctrl+Shift+N"


class UnlockDialog(QDialog):
    """On success ``workspace`` holds the unlocked Workspace and the dialog is accepted.

    ``settings`` is what a setup from the server records the server's address and the new profile
    in (and saves); without it the saved settings are loaded when a setup starts."""

    def __init__(
        self,
        runner: Runner,
        profiles: list[ProfileInfo],
        *,
        preselect: Path | None = None,
        message: str = "",
        settings: WorkstationSettings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Unlock ClinicDesk")
        self.setWindowIcon(icon("lock"))
        self.setMinimumWidth(460)
        self._runner = runner
        self.settings = settings
        self.workspace: Workspace | None = None
        self.setup_dialog: WorkstationSetupDialog | None = None
        self.workstation_setup: WorkstationSetup | None = None

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

        # made with its parent, so that setDefault below reaches the dialog: otherwise the dialog
        # picks the first button in the focus chain (Cancel) and Enter in an empty password quits
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.unlock_button = self.buttons.addButton("&Unlock", QDialogButtonBox.ButtonRole.AcceptRole)
        set_accessible(self.unlock_button, "Unlock", "Open the profile with this password (Enter)")
        self.unlock_button.setDefault(True)
        self.set_up_action = make_action(
            self,
            "Set up from &server…",
            shortcut=SET_UP_SHORTCUT,
            slot=self.set_up_from_server,
            tip="Set up this workstation's profile from the practice's sync server",
            name="set_up_from_server",
        )
        self.addAction(self.set_up_action)  # the shortcut works wherever the focus is in the dialog
        self.set_up_button = QPushButton(self.set_up_action.text())
        set_accessible(self.set_up_button, "Set up from server", self.set_up_action.toolTip())
        self.set_up_button.setToolTip(self.set_up_action.toolTip())
        self.set_up_button.setAutoDefault(False)  # Enter in the password field still unlocks
        self.set_up_button.clicked.connect(self.set_up_action.trigger)
        self.buttons.addButton(self.set_up_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.accepted.connect(self.attempt)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        self.hint: QLabel | None = None
        if not profiles:
            self.hint = QLabel(
                f"No profiles were found in {profiles_root()}. On a practice's workstation, set one "
                f"up from the sync server (Set up from server…, {shortcut_text(SET_UP_SHORTCUT)}); "
                "for a demo, create one with “clinicdesk demo-profile” or “clinicdesk seed”; or "
                "browse to a profile folder."
            )
            self.hint.setWordWrap(True)
            self.hint.setAccessibleName("No profiles found")
            layout.addWidget(self.hint)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.password.setFocus()

    def select_profile(self, path: Path, *, label: str | None = None) -> None:
        index = self.profile_box.findData(str(path))
        if index < 0:
            self.profile_box.addItem(label or path.name, str(path))
            index = self.profile_box.count() - 1
            self.profile_box.setItemData(index, str(path), Qt.ItemDataRole.ToolTipRole)
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
        QueryOp(
            self._runner, lambda: Workspace.unlock(profile, password), label="unlocking the profile"
        ).success(self._unlocked).failure(self._failed).run()

    def show_message(self, text: str, *, error: bool = True) -> None:
        self.message.setObjectName("errorMessage" if error else "")
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def _unlocked(self, workspace: Workspace) -> None:
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
        for widget in (self.profile_box, self.password, self.unlock_button, self.set_up_button):
            widget.setEnabled(not busy)
        self.set_up_action.setEnabled(not busy)
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

    # -- a new workstation ----------------------------------------------------------------------

    def set_up_from_server(self) -> None:
        """Opens the setup dialog (window-modal); once it has made the profile, that profile is
        selected here with the password field focused, ready to unlock."""
        if not self.unlock_button.isEnabled() or self.setup_dialog is not None:
            return  # an unlock is running, or the setup dialog is open already
        from ui.workstation_setup import WorkstationSetupDialog

        if self.settings is None:
            self.settings = WorkstationSettings.load()
        dialog = WorkstationSetupDialog(self._runner, self.settings, parent=self)
        dialog.accepted.connect(lambda: self._set_up(dialog.setup))
        dialog.finished.connect(lambda _result: self._setup_closed(dialog))
        self.setup_dialog = dialog
        dialog.open()

    def _setup_closed(self, dialog: WorkstationSetupDialog) -> None:
        if self.setup_dialog is dialog:
            self.setup_dialog = None
        dialog.deleteLater()

    def _set_up(self, setup: WorkstationSetup | None) -> None:
        if setup is None:
            return
        self.workstation_setup = setup
        self.select_profile(setup.profile_dir, label=f"{setup.full_name} ({setup.username})")
        if self.hint is not None:
            self.hint.setVisible(False)
        self.show_message(
            f"The profile for {setup.full_name} is set up from the server ({setup.received:,} records). "
            "Enter its profile password to unlock it.",
            error=False,
        )
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
