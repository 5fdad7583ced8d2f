"""Settings: the speech engine and model (with the missing-model notice and "Import model…"), the
microphone, the sync server and sign-in, and the idle lock. Saved to the workstation's settings file
(never patient data).

The sync server's "CA certificate" is for a practice whose server certificate comes from its own
certificate authority: the profile keeps that file (SyncService.set_ca_file), which is checked on
the worker before anything is saved, so a wrong file is said at once, naming it.

The page owns "Import speech model…" and "Settings" in the File menu; the dictation panel's Import
button triggers the same action.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
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
from app.settings import WorkstationSettings
from app.sync_service import SyncService, check_ca_file
from clinicdesk.errors import ClinicDeskError
from ui.actions import Menu
from ui.app import error_label, set_accessible, shortcut_text, show_error_in
from ui.page import Page, PageContext
from ui.worker import QueryOp
from ui.workstation_setup import ca_file_field

ENGINES = (
    ("Whisper (accurate)", "whisper"),
    ("Vosk (live words)", "vosk"),
    ("Two-pass: Vosk live, Whisper final", "two-pass"),
)


class SettingsPage(Page):
    saved = Signal(WorkstationSettings)
    model_imported = Signal(ImportedModel)
    model_checked = Signal(str)  # what is missing, or "" when the model is ready
    signed_in = Signal()
    failed = Signal(ClinicDeskError)
    #: Settings → Practice and Settings → Staff: the window shows those pages
    practice_requested = Signal()
    staff_requested = Signal()
    _progress = Signal(int)

    def __init__(
        self, ctx: PageContext, *, sync: SyncService | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(ctx, parent)
        self._runner = ctx.ops.runner
        self.settings = ctx.settings
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
        self._ca_unread = False
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
        self.practice_button = QPushButton("Practice…")
        set_accessible(self.practice_button, "Practice settings: hours, holidays, appointment types")
        self.practice_button.clicked.connect(self.practice_requested.emit)
        self.staff_button = QPushButton("Staff…")
        set_accessible(self.staff_button, "Staff accounts")
        self.staff_button.clicked.connect(self.staff_requested.emit)
        practice_row = QHBoxLayout()
        practice_row.addWidget(self.practice_button)
        practice_row.addWidget(self.staff_button)
        practice_row.addStretch(1)
        form.addRow(QLabel("<b>Practice</b>"))
        form.addRow("", practice_row)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(form)
        layout.addWidget(self.error)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self.show_settings(self.settings)
        self._make_actions()

    def _make_actions(self) -> None:
        a = self.ctx.actions.create
        self.import_model_action = a(
            "&Import speech model…", name="import_speech_model", menu=Menu.FILE, shortcut="Ctrl+Shift+M",
            slot=self.ask_and_import,
        )  # fmt: skip
        preferences = QKeySequence(QKeySequence.StandardKey.Preferences)
        if shortcut_text(preferences) in ("", "Ctrl+6"):  # no platform key, or the 6th page's own
            preferences = QKeySequence("Ctrl+,")
        self.settings_action = a(
            "Se&ttings", name="settings", menu=Menu.FILE, shortcut=preferences,
            slot=self.show_requested.emit, icon_name="settings",
        )  # fmt: skip

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._ca_unread:
            self._read_ca()
        self.load_devices()

    def ask_and_import(self) -> None:
        """Folder or zip? Then the page shows itself and imports with its progress bar."""
        source, _folder = ask_import(self)
        if source is not None:
            self.show_requested.emit()
            self.import_from(source)

    def show_settings(self, settings: WorkstationSettings) -> None:
        self.engine.setCurrentIndex(max(0, self.engine.findData(settings.speech_engine)))
        self.whisper_model.setCurrentText(settings.whisper_model)
        self.vosk_path.setText(settings.vosk_model_path)
        self.server_url.setText(settings.server_url)
        self.idle.setValue(settings.idle_lock_minutes)
        if self.sync is None:
            self._show_ca(settings.ca_file or "")
        elif self.isVisible():
            self._read_ca()
        else:  # read when the page is first shown: the sync code stays off the app's start-up
            self._ca_unread = True

    def _read_ca(self) -> None:
        """The profile's own CA file is read from the store: on the worker, never here."""
        sync = self.sync
        self._ca_unread = False
        if sync is not None:
            QueryOp(self._runner, lambda: sync.ca_file or "", label="reading the sync settings").success(
                self._show_ca
            ).run()

    def _show_ca(self, path: str) -> None:
        self._shown_ca = path
        if not self.ca_file.isModified():  # what the user has started typing stays
            self.ca_file.setText(self._shown_ca)

    def load_devices(self) -> None:
        def devices() -> list[tuple[int, str]]:
            try:
                from audio.microphone import input_devices

                return input_devices()
            except ClinicDeskError:
                return []

        QueryOp(self._runner, devices, label="listing microphones").success(self._set_devices).failure(
            lambda _e: None
        ).run()

    def _set_devices(self, devices: list[tuple[int, str]]) -> None:
        current = self.settings.extra.get("microphone")
        self.microphone.clear()
        self.microphone.addItem("System default", None)
        for _index, name in devices:
            self.microphone.addItem(name, name)
        self.microphone.setCurrentIndex(max(0, self.microphone.findData(current)))

    def apply_to(self, settings: WorkstationSettings) -> None:
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
        QueryOp(self._runner, keep_ca, label="checking the CA certificate").success(self._ca_kept).failure(
            self._ca_refused
        ).run()

    def _ca_kept(self, path: str | None) -> None:
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
        probe = WorkstationSettings()
        self.apply_to(probe)
        self.model_state.setText("Checking the speech model…")
        QueryOp(self._runner, lambda: model_problem(probe), label="checking the speech model").success(
            self._checked
        ).run()

    def _checked(self, problem: str | None) -> None:
        self.model_state.setText(problem or "The speech model is installed and ready.")
        self.model_checked.emit(problem or "")

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

        QueryOp(
            self._runner,
            lambda: import_model(source, settings=settings, progress=progress),
            label="importing the speech model",
        ).success(self._imported).failure(self._import_failed).run()

    def _imported(self, result: ImportedModel) -> None:
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
        QueryOp(self._runner, sign_in, label="signing in to the sync server").success(
            lambda account: self._signed_in(url, account)
        ).failure(self._sign_in_failed).run()

    def _signed_in(self, url: str, account: str | None) -> None:
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
        show_error_in(self.error, error)
        self.failed.emit(error)


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
