"""A visit's recordings, played back: the sealed audio is opened with the practice's key (downloaded
first when it was recorded on another workstation) and played from memory through the speakers,
without a temporary file. Any doctor or nurse of the practice may listen; the read is audited."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.ops import media as media_ops
from app.ops.media import Fetch
from app.services.recordings import RecordingRecord
from clinicdesk.errors import ClinicDeskError
from ui.app import error_label, icon, set_accessible, show_error_in
from ui.worker import Operations

if TYPE_CHECKING:
    from audio.playback import Playback  # numpy and PortAudio load when a recording is first played


class RecordingsDialog(QDialog):
    """``decrypted(bytes)`` when a recording's audio is open; ``finished_playing(seconds)`` after."""

    decrypted = Signal(bytes)
    finished_playing = Signal(float)
    failed = Signal(ClinicDeskError)

    def __init__(
        self,
        ops: Operations,
        *,
        encounter_id: uuid.UUID | None = None,
        patient_id: uuid.UUID | None = None,
        fetch: Fetch = None,
        device: int | str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(
            "Recordings of this visit" if patient_id is None else "Recordings of this patient"
        )
        self.setWindowIcon(icon("app"))
        self.resize(560, 300)
        self._ops, self._fetch, self.device = ops, fetch, device
        self.encounter_id, self.patient_id = encounter_id, patient_id
        self.recordings: list[RecordingRecord] = []
        self.playback: Playback | None = None
        self.list = QListWidget()
        set_accessible(self.list, "Recordings", "The visit's dictations; Enter plays one")
        self.list.itemActivated.connect(lambda _i: self.play_selected())
        self.play_button = QPushButton("&Play")
        self.stop_button = QPushButton("S&top")
        set_accessible(self.play_button, "Play recording")
        set_accessible(self.stop_button, "Stop playing")
        self.play_button.clicked.connect(self.play_selected)
        self.stop_button.clicked.connect(self.stop)
        self.state = QLabel("")
        self.state.setAccessibleName("Playback")
        self.error = error_label()
        self._timer = QTimer(self)
        self._timer.setInterval(200)
        self._timer.timeout.connect(self._tick)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.play_button)
        row.addWidget(self.stop_button)
        row.addWidget(self.state, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addLayout(row)
        layout.addWidget(self.error)
        layout.addWidget(close)
        self.finished.connect(lambda _r: self.stop())
        self.reload()

    def reload(self) -> None:
        encounter_id, patient_id = self.encounter_id, self.patient_id
        self._ops.query(
            lambda ws: media_ops.recordings_of(ws, encounter_id=encounter_id, patient_id=patient_id),
            label="loading recordings",
        ).success(self._show).failure(self._fail).run()

    def _show(self, recordings: list[RecordingRecord]) -> None:
        self.recordings = list(recordings)
        self.list.clear()
        for rec in recordings:
            item = QListWidgetItem(f"{rec.duration_seconds:.0f} s dictation ({rec.engine or 'speech'})")
            item.setData(Qt.ItemDataRole.UserRole, rec.id)
            self.list.addItem(item)
        if recordings:
            self.list.setCurrentRow(0)
        else:
            self.list.addItem("No recordings yet.")

    def _fail(self, error: ClinicDeskError) -> None:
        show_error_in(self.error, error)
        self.state.setText("")
        self.failed.emit(error)

    def play_selected(self) -> None:
        item = self.list.currentItem()
        recording_id = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if not isinstance(recording_id, uuid.UUID):
            return
        self.stop()
        self.error.setVisible(False)
        self.state.setText("Opening…")
        fetch = self._fetch
        self._ops.query(
            lambda ws: media_ops.open_recording(ws, recording_id, fetch=fetch), label="opening the recording"
        ).success(self._play).failure(self._fail).run()

    def _play(self, wav: bytes) -> None:
        self.decrypted.emit(wav)
        try:
            from audio.playback import Playback

            self.playback = Playback(wav, device=self.device)
            self.playback.start()
        except ClinicDeskError as exc:
            self.playback = None
            self._fail(exc)
            return
        self.state.setText(f"Playing… ({self.playback.seconds:.0f} s)")
        self._timer.start()

    def _tick(self) -> None:
        playback = self.playback
        if playback is None:
            self._timer.stop()
            return
        self.state.setText(f"Playing… {playback.played_seconds:.0f} of {playback.seconds:.0f} s")
        if playback.done:
            self._timer.stop()
            self.state.setText(f"Played {playback.played_seconds:.0f} s.")
            self.finished_playing.emit(playback.played_seconds)

    def stop(self) -> None:
        if self.playback is not None:
            self.playback.stop()
        self._timer.stop()
