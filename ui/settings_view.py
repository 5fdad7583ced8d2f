# mypy: disable-error-code="func-returns-value"
"""Settings: the speech engine and model (with the missing-model notice and "Import model…"), the
microphone, the sync server and sign-in, and the idle lock. Saved to the workstation's settings file
(never patient data).

The sync server's "CA certificate" is for a practice whose server certificate comes from its own
certificate authority: the profile keeps that file (SyncService.set_ca_file), which is checked on
the worker before anything is saved, so a wrong file is said at once, naming it.

Also the first start of a practice's workstation (:class:`WorkstationSetupDialog`): the profile is
made from the sync server, whose first download shows its progress."""

from __future__ import annotations

import contextlib
import re
import socket
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.model_import import ImportedModel, import_model, model_problem
from app.settings import Settings, profiles_root
from app.store import MIN_PASSWORD_LENGTH
from app.sync_service import (
    SetupProgress,
    SyncService,
    WorkstationSetup,
    check_ca_file,
    setup_workstation,
)
from clinicdesk.errors import ClinicDeskError
from ui.app import set_accessible
from ui.clinical_dialogs import error_label
from ui.worker import Runner

ENGINES = (
    ("Whisper (accurate)", "whisper"),
    ("Vosk (live words)", "vosk"),
    ("Two-pass: Vosk live, Whisper final", "two-pass"),
)
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


class SettingsView(QWidget):
    saved = Signal(object)  # Settings
    model_imported = Signal(object)  # ImportedModel
    model_checked = Signal(object)  # str | None
    signed_in = Signal()
    failed = Signal(object)
    _progress = Signal(int)

    def __init__(
        self,
        runner: Runner,
        settings: Settings,
        *,
        sync: SyncService | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self.settings = settings
        self.sync = sync
        title = QLabel("Settings")
        title.setObjectName("viewTitle")
        self.engine = QComboBox()
        for text, value in ENGINES:
            self.engine.addItem(text, value)
        set_accessible(self.engine, "Speech engine")
        self.whisper_model = QComboBox()
        self.whisper_model.setEditable(True)
        self.whisper_model.addItems(["tiny.en", "base"])
        set_accessible(self.whisper_model, "Whisper model", "tiny.en, base, or a model folder")
        self.vosk_path = QLineEdit()
        self.vosk_path.setPlaceholderText("Folder of a Vosk model (for example vosk-model-small-en-us)")
        set_accessible(self.vosk_path, "Vosk model folder")
        browse = QPushButton("Browse…")
        set_accessible(browse, "Browse for the Vosk model folder")
        browse.clicked.connect(self._browse_vosk)
        vosk_row = QHBoxLayout()
        vosk_row.addWidget(self.vosk_path, 1)
        vosk_row.addWidget(browse)
        self.microphone = QComboBox()
        set_accessible(self.microphone, "Microphone")
        self.microphone.addItem("System default", None)
        self.model_state = QLabel("")
        self.model_state.setWordWrap(True)
        self.model_state.setObjectName("modelProblem")
        self.model_state.setAccessibleName("Speech model state")
        self.check_button = QPushButton("Check model")
        set_accessible(self.check_button, "Check speech model")
        self.check_button.clicked.connect(self.check_model)
        self.import_folder_button = QPushButton("Import model folder…")
        set_accessible(self.import_folder_button, "Import model folder")
        self.import_folder_button.clicked.connect(lambda: self.choose_import(folder=True))
        self.import_zip_button = QPushButton("Import model zip…")
        set_accessible(self.import_zip_button, "Import model zip")
        self.import_zip_button.clicked.connect(lambda: self.choose_import(folder=False))
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setVisible(False)
        set_accessible(self.progress, "Import progress")
        self._progress.connect(self.progress.setValue)
        model_row = QHBoxLayout()
        model_row.addWidget(self.check_button)
        model_row.addWidget(self.import_folder_button)
        model_row.addWidget(self.import_zip_button)
        model_row.addStretch(1)

        self.server_url = QLineEdit()
        self.server_url.setPlaceholderText("https://sync.example-clinic:8700")
        set_accessible(self.server_url, "Sync server address")
        self.ca_file, self.ca_browse, ca_row, ca_label = ca_file_field(self)
        #: the CA file as last shown or saved: a change is checked on the worker before saving
        self._shown_ca = ""
        self.server_user = QLineEdit()
        set_accessible(self.server_user, "Sync username")
        self.server_password = QLineEdit()
        self.server_password.setEchoMode(QLineEdit.EchoMode.Password)
        set_accessible(self.server_password, "Sync password")
        self.sign_in_button = QPushButton("Sign in to sync")
        set_accessible(self.sign_in_button, "Sign in to the sync server")
        self.sign_in_button.clicked.connect(self.sign_in)
        self.sign_in_state = QLabel("")
        self.sign_in_state.setWordWrap(True)
        self.sign_in_state.setAccessibleName("Sync sign-in state")
        self.idle = QDoubleSpinBox()
        self.idle.setRange(1, 120)
        self.idle.setSuffix(" min")
        set_accessible(self.idle, "Lock after idle minutes")
        self.error = error_label()
        self.save_button = QPushButton("&Save settings")
        set_accessible(self.save_button, "Save settings")
        self.save_button.clicked.connect(self.save)

        form = QFormLayout()
        form.addRow("Speech &engine:", self.engine)
        form.addRow("&Whisper model:", self.whisper_model)
        vosk_label = QLabel("&Vosk model folder:")
        vosk_label.setBuddy(self.vosk_path)  # a row of two widgets gets no buddy (nor Alt+V) by itself
        form.addRow(vosk_label, vosk_row)
        form.addRow("Micro&phone:", self.microphone)
        form.addRow("Model:", self.model_state)
        form.addRow("", model_row)
        form.addRow("", self.progress)
        form.addRow(QLabel("<b>Sync</b>"))
        form.addRow("Se&rver:", self.server_url)
        form.addRow(ca_label, ca_row)
        form.addRow("&Username:", self.server_user)
        form.addRow("Pass&word:", self.server_password)
        form.addRow("", self.sign_in_button)
        form.addRow("", self.sign_in_state)
        form.addRow(QLabel("<b>Security</b>"))
        form.addRow("&Lock after:", self.idle)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(form)
        layout.addWidget(self.error)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self.show_settings(settings)

    def show_settings(self, settings: Settings) -> None:
        self.engine.setCurrentIndex(max(0, self.engine.findData(settings.speech_engine)))
        self.whisper_model.setCurrentText(settings.whisper_model)
        self.vosk_path.setText(settings.vosk_model_path)
        self.server_url.setText(settings.server_url)
        self.idle.setValue(settings.idle_lock_minutes)
        sync = self.sync
        if sync is None:
            self._show_ca(settings.ca_file or "")
        else:  # the profile's own CA file is read from the store: on the worker, never here
            self._runner.run(
                lambda: sync.ca_file or "", label="reading the sync settings", on_done=self._show_ca
            )

    def _show_ca(self, path: object) -> None:
        self._shown_ca = str(path)
        if not self.ca_file.isModified():  # what the user has started typing stays
            self.ca_file.setText(self._shown_ca)

    def load_devices(self) -> None:
        def devices() -> list[tuple[int, str]]:
            try:
                from audio.microphone import input_devices

                return input_devices()
            except ClinicDeskError:
                return []

        self._runner.run(
            devices, label="listing microphones", on_done=self._set_devices, on_error=lambda _e: None
        )

    def _set_devices(self, result: object) -> None:
        current = self.settings.extra.get("microphone")
        self.microphone.clear()
        self.microphone.addItem("System default", None)
        for _index, name in result if isinstance(result, list) else []:
            self.microphone.addItem(name, name)
        self.microphone.setCurrentIndex(max(0, self.microphone.findData(current)))

    def apply_to(self, settings: Settings) -> None:
        settings.speech_engine = str(self.engine.currentData())
        settings.whisper_model = self.whisper_model.currentText().strip() or "base"
        settings.vosk_model_path = self.vosk_path.text().strip()
        settings.server_url = self.server_url.text().strip()
        settings.ca_file = self.ca_file.text().strip()
        settings.idle_lock_minutes = float(self.idle.value())
        microphone = self.microphone.currentData()
        if microphone:
            settings.extra["microphone"] = microphone
        else:
            settings.extra.pop("microphone", None)

    def save(self) -> None:
        """Saves at once, unless the CA certificate changed: that file is checked (and kept in the
        profile) on the worker first, and a bad one is an error naming it with nothing saved."""
        ca = self.ca_file.text().strip()
        if ca == self._shown_ca:
            self._save_settings()
            return
        sync = self.sync

        def keep_ca() -> str | None:
            return sync.set_ca_file(ca) if sync is not None else check_ca_file(ca)

        self.save_button.setEnabled(False)
        self._runner.run(
            keep_ca, label="checking the CA certificate", on_done=self._ca_kept, on_error=self._ca_refused
        )

    def _ca_kept(self, path: object) -> None:
        self.save_button.setEnabled(True)
        self._shown_ca = str(path or "")
        self.ca_file.setText(self._shown_ca)
        self._save_settings()

    def _ca_refused(self, error: ClinicDeskError) -> None:
        self.save_button.setEnabled(True)
        self.show_error(error)

    def _save_settings(self) -> None:
        self.apply_to(self.settings)
        try:
            self.settings.save()
        except OSError:
            self.show_error(
                ClinicDeskError("the settings could not be saved; check the data folder is writable")
            )
            return
        self.error.setVisible(False)
        self.saved.emit(self.settings)
        self.check_model()

    def check_model(self) -> None:
        probe = Settings()
        self.apply_to(probe)
        self.model_state.setText("Checking the speech model…")
        self._runner.run(
            lambda: model_problem(probe), label="checking the speech model", on_done=self._checked
        )

    def _checked(self, problem: object) -> None:
        self.model_state.setText(str(problem) if problem else "The speech model is installed and ready.")
        self.model_checked.emit(problem)

    def _browse_vosk(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Vosk model folder")
        if path:
            self.vosk_path.setText(path)

    def choose_import(self, *, folder: bool) -> None:
        if folder:
            path = QFileDialog.getExistingDirectory(self, "Speech model folder")
        else:
            path, _ = QFileDialog.getOpenFileName(self, "Speech model archive", "", "Zip archives (*.zip)")
        if path:
            self.import_from(Path(path))

    def import_from(self, source: Path) -> None:
        """Imports on the worker with a progress bar; the settings change only after validation."""
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.import_folder_button.setEnabled(False)
        self.import_zip_button.setEnabled(False)
        settings = self.settings

        def progress(fraction: float) -> None:  # on the worker: the signal queues it to the GUI thread
            self._progress.emit(int(fraction * 100))

        self._runner.run(
            lambda: import_model(source, settings=settings, progress=progress),
            label="importing the speech model",
            on_done=self._imported,
            on_error=self._import_failed,
        )

    def _imported(self, result: object) -> None:
        assert isinstance(result, ImportedModel)
        self.progress.setVisible(False)
        self.import_folder_button.setEnabled(True)
        self.import_zip_button.setEnabled(True)
        self.show_settings(self.settings)
        self.model_state.setText(f"Imported the {result.kind} model “{result.name}”; it is now in use.")
        self.model_imported.emit(result)

    def _import_failed(self, error: ClinicDeskError) -> None:
        self.progress.setVisible(False)
        self.import_folder_button.setEnabled(True)
        self.import_zip_button.setEnabled(True)
        self.show_error(error)

    def sign_in(self) -> None:
        """Signs in on the worker; the address in effect is the one typed (an engine made for a
        previous address is dropped), and it is saved once the server has accepted the sign-in."""
        if self.sync is None:
            return
        url = self.server_url.text().strip()
        username, password = self.server_user.text().strip(), self.server_password.text()
        if not url or not username or not password:
            self.show_error(ClinicDeskError("enter the sync server's address, your username and password"))
            return
        sync = self.sync
        ca = self.ca_file.text().strip()
        ca_changed = ca != self._shown_ca

        def sign_in() -> str | None:
            if ca_changed:  # the typed CA file is the one in effect, as the typed address is
                sync.set_ca_file(ca)
            sync.set_server(url)
            sync.sign_in(username=username, password=password, device_name=socket.gethostname()[:120])
            return sync.signed_in_as()

        self.sign_in_button.setEnabled(False)
        self.sign_in_state.setText("Signing in to the sync server…")
        self._runner.run(
            sign_in,
            label="signing in to the sync server",
            on_done=lambda account: self._signed_in(url, account),
            on_error=self._sign_in_failed,
        )

    def _signed_in(self, url: str, account: object) -> None:
        self.server_password.clear()
        self.sign_in_button.setEnabled(True)
        self.error.setVisible(False)
        self.sign_in_state.setText(f"Signed in to the sync server as {account}.")
        self.settings.server_url = url
        if self.sync is not None:
            self._shown_ca = self.sync.ca_file or ""
            self.ca_file.setText(self._shown_ca)
            self.settings.ca_file = self._shown_ca
        try:
            self.settings.save()
        except OSError:
            self.show_error(ClinicDeskError("the server address could not be saved; check the data folder"))
        self.signed_in.emit()

    def _sign_in_failed(self, error: ClinicDeskError) -> None:
        self.sign_in_button.setEnabled(True)
        self.sign_in_state.setText("Not signed in.")
        self.show_error(error)

    def show_error(self, error: ClinicDeskError) -> None:
        self.error.setText(error.message[:1].upper() + error.message[1:])
        self.error.setVisible(True)
        self.failed.emit(error)


class WorkstationSetupDialog(QDialog):
    """A new workstation starts from the server's data: the server's address and the user's account
    make a new encrypted profile (with its own password), filled by a first sync whose progress is
    shown. On success ``setup`` holds the result; the profile then unlocks like any other."""

    progressed = Signal(object)  # SetupProgress, on the GUI thread
    _progress = Signal(object)  # SetupProgress, emitted on the worker and queued to the GUI thread

    def __init__(
        self, runner: Runner, settings: Settings, *, root: Path | None = None, parent: QWidget | None = None
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
        self.inputs: list[QWidget] = [
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
        profile_dir = self.profile_dir()
        ca_file = self.ca_file.text().strip() or None
        self._set_busy(True)
        self.error.setVisible(False)
        self._runner.run(
            lambda: setup_workstation(
                profile_dir,
                profile_password=password,
                server_url=url,
                username=username,
                server_password=server_password,
                device_name=socket.gethostname()[:120],
                progress=self._progress.emit,
                ca_file=ca_file,
            ),
            label="setting up the workstation",
            on_done=lambda result: self._done(url, result),
            on_error=self._fail,
        )

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        for widget in self.inputs:
            widget.setEnabled(not busy)
        self.set_up_button.setEnabled(not busy)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setEnabled(not busy)
        self.progress.setVisible(busy)
        if busy:
            self.progress_text.setText("Starting…")

    def _show_progress(self, progress: object) -> None:
        if isinstance(progress, SetupProgress):
            received = f" {progress.received:,} records received." if progress.received else ""
            self.progress_text.setText(f"{progress.step}{received}")
            self.progressed.emit(progress)

    def _done(self, url: str, result: object) -> None:
        assert isinstance(result, WorkstationSetup)
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
        self.error.setText(error.message[:1].upper() + error.message[1:])
        self.error.setVisible(True)

    def reject(self) -> None:
        if not self.busy:  # a download under way finishes first; it cleans up after itself if it fails
            super().reject()


def ask_import(parent: QWidget) -> tuple[Path | None, bool]:
    """Folder or zip? Asked from the dictation panel's Import button."""
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "Import speech model",
        "Import a model folder or a zip archive?",
        parent=parent,
    )
    folder = box.addButton("Folder…", QMessageBox.ButtonRole.AcceptRole)
    archive = box.addButton("Zip archive…", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    clicked: Any = box.clickedButton()
    if clicked is folder:
        return Path(p) if (
            p := QFileDialog.getExistingDirectory(parent, "Speech model folder")
        ) else None, True
    if clicked is archive:
        p, _ = QFileDialog.getOpenFileName(parent, "Speech model archive", "", "Zip archives (*.zip)")
        return (Path(p) if p else None), False
    return None, False
