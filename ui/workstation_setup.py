"""The first start of a practice's workstation: its profile is made from the sync server, whose first
download shows its progress (app.sync_service.setup_workstation, on the worker). Also the "CA
certificate" field the settings page shares: a practice whose server certificate comes from its own
certificate authority gives that authority's certificate here."""

from __future__ import annotations

import contextlib
import re
import socket
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.settings import WorkstationSettings, profiles_root
from app.store import MIN_PASSWORD_LENGTH
from app.sync_service import SetupProgress, WorkstationSetup, setup_workstation
from clinicdesk.errors import ClinicDeskError, PasswordChangeRequired
from ui.app import error_label, set_accessible, show_error_in
from ui.worker import QueryOp, Runner

CA_FILES = "Certificates (*.pem *.crt *.cer *.der);;All files (*)"
CA_HELP = (
    "Only when the practice's sync server uses a certificate from the practice's own certificate "
    "authority: that authority's certificate file (PEM or DER). Empty: the usual trusted authorities."
)


def ca_file_field(parent: QWidget) -> tuple[QLineEdit, QPushButton, QHBoxLayout, QLabel]:
    """The "CA certificate" file field with its Browse… button and a label that is its buddy (the
    field sits in a row layout, which a form does not give a buddy on its own), for the settings
    page and the set-up dialog alike."""
    field = QLineEdit()
    field.setPlaceholderText("Optional: the practice's CA certificate (.pem, .crt, .cer)")
    set_accessible(field, "CA certificate file", CA_HELP)
    field.setToolTip(CA_HELP)
    browse = QPushButton("Browse…")
    set_accessible(browse, "Browse for the CA certificate file")

    def choose() -> None:
        path, _ = QFileDialog.getOpenFileName(
            parent, "Practice CA certificate", field.text().strip(), CA_FILES
        )
        if path:
            field.setText(path)
            field.setFocus()

    browse.clicked.connect(choose)
    row = QHBoxLayout()
    row.addWidget(field, 1)
    row.addWidget(browse)
    label = QLabel("CA cer&tificate:")
    label.setBuddy(field)
    return field, browse, row, label


class WorkstationSetupDialog(QDialog):
    """A new workstation starts from the server's data: the server's address and the user's account
    make a new encrypted profile (with its own password), filled by a first sync whose progress is
    shown. On success ``setup`` holds the result; the profile then unlocks like any other."""

    progressed = Signal(SetupProgress)  # on the GUI thread
    _progress = Signal(SetupProgress)  # emitted on the worker and queued to the GUI thread

    def __init__(
        self,
        runner: Runner,
        settings: WorkstationSettings,
        *,
        root: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Set up this workstation")
        self.setMinimumWidth(520)
        self._runner = runner
        self.settings = settings
        self._root = root
        self.setup: WorkstationSetup | None = None
        self.busy = False
        title = QLabel("Set up this workstation from the sync server")
        title.setObjectName("viewTitle")
        intro = QLabel(
            "Enter the practice's sync server and your account. ClinicDesk makes an encrypted profile "
            "on this computer and downloads your schedule, patients and staff into it."
        )
        intro.setWordWrap(True)
        self.server_url = QLineEdit(settings.server_url)
        self.server_url.setPlaceholderText("https://sync.example-clinic:8700")
        set_accessible(self.server_url, "Sync server address")
        self.ca_file, self.ca_browse, ca_row, ca_label = ca_file_field(self)
        self.ca_file.setText(settings.ca_file)
        self.username = QLineEdit()
        set_accessible(self.username, "Sync username")
        self.server_password = QLineEdit()
        self.server_password.setEchoMode(QLineEdit.EchoMode.Password)
        set_accessible(self.server_password, "Sync password")
        self.profile_password = QLineEdit()
        self.profile_password.setEchoMode(QLineEdit.EchoMode.Password)
        set_accessible(
            self.profile_password, "Profile password", "Unlocks this workstation's encrypted profile"
        )
        self.profile_password_again = QLineEdit()
        self.profile_password_again.setEchoMode(QLineEdit.EchoMode.Password)
        set_accessible(self.profile_password_again, "Profile password again")
        # Asked for only when the server says the password was reset by an administrator.
        self.new_password = QLineEdit()
        self.new_password.setEchoMode(QLineEdit.EchoMode.Password)
        set_accessible(self.new_password, "New server password", "Your own password, replacing the reset one")
        self.new_password_again = QLineEdit()
        self.new_password_again.setEchoMode(QLineEdit.EchoMode.Password)
        set_accessible(self.new_password_again, "New server password again")
        self.inputs: list[QWidget] = [
            self.new_password,
            self.new_password_again,
            self.server_url,
            self.ca_file,
            self.ca_browse,
            self.username,
            self.server_password,
            self.profile_password,
            self.profile_password_again,
        ]
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # how much the server holds is not known until it has arrived
        self.progress.setVisible(False)
        set_accessible(self.progress, "First sync progress")
        self.progress_text = QLabel("")
        self.progress_text.setAccessibleName("First sync progress text")
        self.error = error_label()
        # parented at once: a parentless box lets Qt make Cancel the Enter key's default button
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.set_up_button = self.buttons.addButton("&Set up", QDialogButtonBox.ButtonRole.AcceptRole)
        set_accessible(self.set_up_button, "Set up the workstation", "Make the profile and download (Enter)")
        self.set_up_button.setDefault(True)
        self.buttons.accepted.connect(self.set_up)
        self.buttons.rejected.connect(self.reject)
        self._progress.connect(self._show_progress)

        form = QFormLayout()
        form.addRow("Se&rver:", self.server_url)
        form.addRow(ca_label, ca_row)
        form.addRow("&Username:", self.username)
        form.addRow("Server pass&word:", self.server_password)
        self.new_password_label = QLabel("&New server password:")
        self.new_password_label.setBuddy(self.new_password)
        form.addRow(self.new_password_label, self.new_password)
        form.addRow("New server password a&gain:", self.new_password_again)
        again_label = form.labelForField(self.new_password_again)
        self._new_rows = (self.new_password_label, self.new_password, again_label, self.new_password_again)
        for widget in self._new_rows:
            if widget is not None:
                widget.setVisible(False)
        form.addRow("&Profile password:", self.profile_password)
        form.addRow("Profile password &again:", self.profile_password_again)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.progress_text)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        (self.username if settings.server_url else self.server_url).setFocus()

    def profile_dir(self) -> Path:
        """One profile per account on a workstation, in the usual profiles folder."""
        name = re.sub(r"[^A-Za-z0-9._-]", "_", self.username.text().strip()) or "profile"
        return (self._root or profiles_root()) / name

    def set_up(self) -> None:
        if self.busy:
            return
        url, username = self.server_url.text().strip(), self.username.text().strip()
        server_password, password = self.server_password.text(), self.profile_password.text()
        if not url or not username or not server_password:
            self._fail(ClinicDeskError("enter the sync server's address, your username and password"))
            return
        if len(password) < MIN_PASSWORD_LENGTH:
            self._fail(
                ClinicDeskError(f"choose a profile password of at least {MIN_PASSWORD_LENGTH} characters")
            )
            return
        if password != self.profile_password_again.text():
            self._fail(ClinicDeskError("the two profile passwords differ; type the same one twice"))
            return
        new_server_password = None
        if not self.new_password.isHidden():
            new_server_password = self.new_password.text()
            if new_server_password != self.new_password_again.text():
                self._fail(ClinicDeskError("the two new server passwords differ; type the same one twice"))
                return
        profile_dir = self.profile_dir()
        ca_file = self.ca_file.text().strip() or None
        self._set_busy(True)
        self.error.setVisible(False)
        QueryOp(
            self._runner,
            lambda: setup_workstation(
                profile_dir,
                profile_password=password,
                server_url=url,
                username=username,
                server_password=server_password,
                device_name=socket.gethostname()[:120],
                progress=self._progress.emit,
                ca_file=ca_file,
                new_server_password=new_server_password,
            ),
            label="setting up the workstation",
        ).success(lambda result: self._done(url, result)).failure(self._fail).run()

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        for widget in self.inputs:
            widget.setEnabled(not busy)
        self.set_up_button.setEnabled(not busy)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setEnabled(not busy)
        self.progress.setVisible(busy)
        if busy:
            self.progress_text.setText("Starting…")

    def _show_progress(self, progress: SetupProgress) -> None:
        received = f" {progress.received:,} records received." if progress.received else ""
        self.progress_text.setText(f"{progress.step}{received}")
        self.progressed.emit(progress)

    def _done(self, url: str, result: WorkstationSetup) -> None:
        self._set_busy(False)
        self.setup = result
        self.progress_text.setText(f"Ready: {result.received:,} records downloaded for {result.full_name}.")
        self.settings.server_url = url
        self.settings.ca_file = result.ca_file or ""
        self.settings.last_profile = str(result.profile_dir)
        with contextlib.suppress(OSError):  # the profile is made; Settings asks for the address again
            self.settings.save()
        for widget in (self.server_password, self.profile_password, self.profile_password_again):
            widget.clear()
        self.accept()

    def _fail(self, error: ClinicDeskError) -> None:
        self._set_busy(False)
        if isinstance(error, PasswordChangeRequired):  # an administrator reset it: choose your own
            for widget in self._new_rows:
                if widget is not None:
                    widget.setVisible(True)
            self.new_password.setFocus()
        show_error_in(self.error, error)

    def reject(self) -> None:
        if not self.busy:  # a download under way finishes first; it cleans up after itself if it fails
            super().reject()
