"""Dictation in the window: the engine loaded on a worker with progress, the audio fed into a
DictationSession on its own thread (app.dictation, the same pipeline ``clinicdesk dictate`` uses),
and the session's events brought to the GUI thread by one queued signal. The GUI thread never
touches audio or the engine, so the window stays responsive while Whisper finishes an utterance.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.dictation import (
    Chunks,
    DictationFeed,
    DictationResult,
    EngineChoice,
    FeedCallbacks,
    Snapshot,
    engine_for_settings,
    loaded_engine,
    microphone_chunks,
    wav_chunks,
)
from app.settings import WorkstationSettings
from clinicdesk.errors import ClinicDeskError
from ui.app import set_accessible
from ui.worker import QueryOp, Runner

IDLE, LOADING, RECORDING, PAUSED, FINISHING = "idle", "loading", "recording", "paused", "finishing"


class DictationController(QObject):
    """One dictation at a time, as signals on the GUI thread: the level, the live (partial) words,
    each utterance's start, a section or command heard, the dictation so far after each utterance or
    command (``dictated``), and the result once the audio thread is done (``finished``)."""

    level = Signal(float)
    partial = Signal(str)
    utterance_heard = Signal(float)  # the new utterance's start, in seconds
    section_spoken = Signal(str)
    command_heard = Signal(str)
    dictated = Signal(Snapshot)
    finished = Signal(DictationResult)
    failed = Signal(ClinicDeskError)
    state_changed = Signal(str)
    #: from the audio thread: ("event", a session event, its snapshot or None), ("state", ...), ("done", ...)
    _from_audio = Signal(str, object, object)

    def __init__(self, runner: Runner, settings: WorkstationSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.settings = settings
        self.state = IDLE
        #: the SOAP section the next dictation starts in (the one the doctor clicked into), if any
        self.section: str | None = None
        self.engine: object | None = None
        self._feed: DictationFeed | None = None
        self._pending_start: Callable[[], None] | None = None
        self._from_audio.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    # -- engine -----------------------------------------------------------------------------------

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)

    def ensure_engine(self, then: Callable[[], None] | None = None) -> None:
        """Loads the settings' engine on the worker (once per process), then runs ``then``."""
        loaded = loaded_engine(EngineChoice.of_settings(self.settings)) if self.engine is not None else None
        if loaded is not None:
            self.engine = loaded
            if then is not None:
                then()
            return
        self._pending_start = then
        self._set_state(LOADING)
        settings = dataclasses.replace(self.settings)
        QueryOp(self.runner, lambda: engine_for_settings(settings), label="loading the speech model").success(
            self._engine_loaded
        ).failure(self._engine_failed).run()

    def _engine_loaded(self, engine: object) -> None:
        self.engine = engine
        self._set_state(IDLE)
        then, self._pending_start = self._pending_start, None
        if then is not None:
            then()

    def _engine_failed(self, error: ClinicDeskError) -> None:
        self._pending_start = None
        self._set_state(IDLE)
        self.failed.emit(error)

    def forget_engine(self) -> None:
        """After a settings change or a model import: the next dictation loads the new engine."""
        self.engine = None

    # -- dictation --------------------------------------------------------------------------------

    @property
    def active(self) -> bool:
        return self.state in (RECORDING, PAUSED, FINISHING)

    def start_wav(self, path: Path, *, realtime: bool = False) -> None:
        self._start(lambda _stop: wav_chunks(path, realtime=realtime), live=False)

    def start_microphone(self, device: int | str | None = None, *, paused: bool = False) -> None:
        self._start(lambda stop: microphone_chunks(device, stop), live=True, paused=paused)

    def _start(
        self, source: Callable[[threading.Event], Chunks], *, live: bool, paused: bool = False
    ) -> None:
        if self.active or self.state == LOADING:
            return
        self.ensure_engine(lambda: self._launch(source, live=live, paused=paused))

    def _launch(self, source: Callable[[threading.Event], Chunks], *, live: bool, paused: bool) -> None:
        from audio.pipeline import SpeechEngine

        assert isinstance(self.engine, SpeechEngine)
        callbacks = FeedCallbacks(
            on_event=lambda event, snapshot: self._from_audio.emit("event", event, snapshot),
            on_finishing=lambda: self._from_audio.emit("state", FINISHING, None),
            on_done=lambda result: self._from_audio.emit("done", result, None),
        )
        self._feed = DictationFeed(self.engine, source, callbacks, live=live, section=self.section)
        self._set_state(PAUSED if paused else RECORDING)
        self._feed.start(paused=paused)

    @Slot(str, object, object)
    def _deliver(self, kind: str, payload: object, snapshot: object) -> None:
        if kind == "event":
            self._event(payload, snapshot if isinstance(snapshot, Snapshot) else None)
        elif kind == "state":
            self._set_state(str(payload))
        elif isinstance(payload, DictationResult):
            self._feed = None
            self._set_state(IDLE)
            self.finished.emit(payload)

    def _event(self, event: object, snapshot: Snapshot | None) -> None:
        from audio.session import (
            CommandEvent,
            LevelEvent,
            PartialEvent,
            SectionEvent,
            StoppedEvent,
            UtteranceEvent,
        )

        if isinstance(event, LevelEvent):
            self.level.emit(float(event.db))
        elif isinstance(event, PartialEvent):
            self.partial.emit(event.text)
        elif isinstance(event, SectionEvent):
            self.section_spoken.emit(event.section)
        elif isinstance(event, UtteranceEvent):
            self.utterance_heard.emit(float(event.utterance.start))
        elif isinstance(event, CommandEvent):
            self.command_heard.emit(event.command.name)
        if isinstance(event, StoppedEvent):
            self.stop()
        if snapshot is not None and isinstance(event, UtteranceEvent | CommandEvent):
            self.dictated.emit(snapshot)

    def pause(self) -> None:
        if self.state == RECORDING and self._feed is not None:
            self._feed.pause()
            self._set_state(PAUSED)

    def resume(self) -> None:
        if self.state == PAUSED and self._feed is not None:
            self._feed.resume()
            self._set_state(RECORDING)

    def stop(self) -> None:
        if self.state in (RECORDING, PAUSED) and self._feed is not None:
            self._feed.stop()
            self._set_state(FINISHING)

    def shutdown(self, timeout: float = 30.0) -> None:
        feed = self._feed
        if feed is not None:
            feed.stop()
            feed.join(timeout)


def level_percent(db: float) -> int:
    return int(max(0.0, min(100.0, (db + 60.0) / 60.0 * 100.0)))


class DictationPanel(QFrame):
    """Record / pause / from-file buttons, the level meter, the live words (partial ones greyed
    until final), the model-missing notice with its Import button, and loading progress."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dictationPanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.record_button = QPushButton("● Record (F9)")
        self.record_button.setCheckable(True)
        set_accessible(self.record_button, "Record", "Start or stop dictation (F9); hold F8 to talk")
        self.record_button.setToolTip("Start or stop dictation (F9). Hold F8 to push-to-talk.")
        self.pause_button = QPushButton("Pause (F7)")
        self.pause_button.setCheckable(True)
        set_accessible(self.pause_button, "Pause dictation", "Pause or resume (F7)")
        self.pause_button.setToolTip("Pause or resume dictation (F7)")
        self.file_button = QPushButton("From file…")
        set_accessible(self.file_button, "Dictate from file", "Dictate from a WAV recording (Ctrl+Shift+D)")
        self.level = QProgressBar()
        self.level.setRange(0, 100)
        self.level.setTextVisible(False)
        self.level.setFixedWidth(120)
        self.level.setMaximumHeight(12)
        set_accessible(self.level, "Microphone level")
        self.status = QLabel("Dictation ready")
        self.status.setObjectName("dictationStatus")
        self.status.setAccessibleName("Dictation status")
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.live = QLabel("")
        self.live.setObjectName("liveWords")
        self.live.setWordWrap(True)
        self.live.setTextFormat(Qt.TextFormat.RichText)
        self.live.setAccessibleName("Live words")
        self.live.setMinimumHeight(34)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setVisible(False)
        self.progress.setMaximumHeight(14)
        set_accessible(self.progress, "Progress")
        self.problem = QLabel("")
        self.problem.setObjectName("modelProblem")
        self.problem.setWordWrap(True)
        self.problem.setAccessibleName("Speech model problem")
        self.import_button = QPushButton("Import model… (Ctrl+Shift+M)")
        set_accessible(
            self.import_button, "Import speech model", "Import a model folder or zip (Ctrl+Shift+M)"
        )
        problem_row = QHBoxLayout()
        problem_row.addWidget(self.problem, 1)
        problem_row.addWidget(self.import_button)
        self.problem_box = QWidget()
        self.problem_box.setLayout(problem_row)
        self.problem_box.setVisible(False)

        top = QHBoxLayout()
        top.addWidget(self.record_button)
        top.addWidget(self.pause_button)
        top.addWidget(self.file_button)
        top.addWidget(QLabel("Level:"))
        top.addWidget(self.level)
        top.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(top)
        layout.addWidget(self.progress)
        layout.addWidget(self.live)
        layout.addWidget(self.problem_box)
        self._final: list[str] = []
        self._partial = ""
        self.set_state(IDLE)

    def set_state(self, state: str, *, section: str = "") -> None:
        self.record_button.setChecked(state in (RECORDING, PAUSED))
        self.record_button.setText("■ Stop (F9)" if state in (RECORDING, PAUSED) else "● Record (F9)")
        self.pause_button.setEnabled(state in (RECORDING, PAUSED))
        self.pause_button.setChecked(state == PAUSED)
        self.pause_button.setText("Resume (F7)" if state == PAUSED else "Pause (F7)")
        self.file_button.setEnabled(state == IDLE)
        self.progress.setVisible(state in (LOADING, FINISHING))
        where = f" into {section.capitalize()}" if section else ""
        self.status.setText(
            {
                IDLE: "Dictation ready",
                LOADING: "Loading the speech model…",
                RECORDING: f"Listening{where}…",
                PAUSED: "Paused (F7 or hold F8 to resume)",
                FINISHING: "Finishing the last words…",
            }.get(state, state)
        )
        if state != LOADING:
            self.level.setValue(0)

    def show_problem(self, message: str) -> None:
        self.problem.setText(message)
        self.problem_box.setVisible(bool(message))

    def show_level(self, db: float) -> None:
        self.level.setValue(level_percent(db))

    def reset_words(self) -> None:
        self._final = []
        self._partial = ""
        self._render()

    def show_partial(self, text: str) -> None:
        self._partial = text
        self._render()

    def show_final(self, texts: list[str]) -> None:
        self._final = list(texts)
        self._partial = ""
        self._render()

    @property
    def final_text(self) -> str:
        return " ".join(self._final)

    def _render(self) -> None:
        from html import escape

        final = escape(" ".join(self._final[-3:]))
        partial = f" <i style='color:gray'>{escape(self._partial)}</i>" if self._partial else ""
        self.live.setText(final + partial)
