"""Dictation in the window: the engine loaded on a worker with progress, the audio pumped into a
DictationSession on its own thread, and the session's events brought to the GUI thread by a queued
signal. The GUI thread never touches audio or the engine, so the window stays responsive while
Whisper finishes an utterance.

Audio comes from the microphone (sounddevice) or from a WAV file (tests, demos, the benchmark),
through the same code path. Pause stops feeding the session (microphone audio heard while paused is
dropped, not recorded); push-to-talk is pause/resume bound to holding a key.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

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

from app.settings import Settings
from clinicdesk.errors import ClinicDeskError, SpeechError
from ui.app import set_accessible
from ui.worker import Runner

log = logging.getLogger(__name__)

CHUNK = 1600  # 0.1 s at 16 kHz
LEVEL_INTERVAL = 0.05
IDLE, LOADING, RECORDING, PAUSED, FINISHING = "idle", "loading", "recording", "paused", "finishing"

_engines: dict[tuple[str, str, str], Any] = {}
_engines_lock = threading.Lock()


def engine_key(settings: Settings) -> tuple[str, str, str]:
    engine = settings.speech_engine or "whisper"
    whisper = settings.whisper_model if engine in ("whisper", "two-pass") else ""
    vosk = settings.vosk_model_path if engine in ("vosk", "two-pass") else ""
    return engine, whisper or "", vosk or ""


def load_engine(settings: Settings) -> Any:
    """The SpeechEngine for these settings, loaded once per process (seconds the first time).
    Runs on a worker; the missing-model check comes first so its message names what to add."""
    from app.model_import import model_problem
    from audio.pipeline import open_engine

    key = engine_key(settings)
    with _engines_lock:
        cached = _engines.get(key)
        if cached is not None:
            return cached
        problem = model_problem(settings)
        if problem:
            raise SpeechError(problem)
        engine, whisper, vosk = key
        if engine == "vosk":
            loaded = open_engine("vosk", model=vosk or None)
        else:
            loaded = open_engine(engine, model=whisper or None, vosk_model=vosk or None)
        _engines[key] = loaded
        return loaded


@dataclass
class Snapshot:
    """The dictation so far, copied on the audio thread so the GUI never reads a list being changed."""

    texts: list[str]
    starts: list[float]
    confidences: list[float | None]
    sections: list[str | None]


@dataclass
class DictationResult:
    snapshot: Snapshot
    wav: bytes
    seconds: float
    engine: str
    model: str
    error: ClinicDeskError | None = None
    stats: dict[str, float] = field(default_factory=dict)


class _Bridge(QObject):
    """Lives in the GUI thread; the audio thread emits, Qt queues, the GUI thread delivers."""

    raw = Signal(object)

    def __init__(self, deliver: Callable[[object], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._deliver = deliver
        self.raw.connect(self._on_raw, Qt.ConnectionType.QueuedConnection)

    @Slot(object)
    def _on_raw(self, item: object) -> None:
        self._deliver(item)


def wav_chunks(path: Path, *, realtime: bool = False) -> Iterator[Any]:
    from audio.wavfile import read_wav

    audio = read_wav(path)
    for start in range(0, len(audio), CHUNK):
        if realtime:
            time.sleep(CHUNK / 16_000)
        yield audio[start : start + CHUNK]


class DictationController(QObject):
    """``session_event(ev, snapshot)`` for each session event (snapshot None for level/partial events);
    ``finished(DictationResult)`` once the audio thread is done; ``state_changed(str)``."""

    session_event = Signal(object, object)
    finished = Signal(object)
    failed = Signal(object)
    state_changed = Signal(str)
    engine_ready = Signal(object)

    def __init__(self, runner: Runner, settings: Settings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.settings = settings
        self.state = IDLE
        #: the SOAP section the next dictation starts in (the one the doctor clicked into), if any
        self.section: str | None = None
        self.engine: Any = None
        self._bridge = _Bridge(self._deliver, self)
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._running = threading.Event()  # set = feeding, clear = paused
        self._pending_start: Callable[[], None] | None = None
        self._last_level = 0.0

    # -- engine -----------------------------------------------------------------------------------

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)

    def ensure_engine(self, then: Callable[[], None] | None = None) -> None:
        if self.engine is not None and engine_key(self.settings) in _engines:
            self.engine = _engines[engine_key(self.settings)]
            if then is not None:
                then()
            return
        self._pending_start = then
        self._set_state(LOADING)
        settings = Settings(**{k: getattr(self.settings, k) for k in Settings.__dataclass_fields__})
        self.runner.run(
            lambda: load_engine(settings),
            label="loading the speech model",
            on_done=self._engine_loaded,
            on_error=self._engine_failed,
        )

    def _engine_loaded(self, engine: object) -> None:
        self.engine = engine
        self._set_state(IDLE)
        self.engine_ready.emit(engine)
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
        self._start(lambda: wav_chunks(path, realtime=realtime), live=False)

    def start_microphone(self, device: int | str | None = None, *, paused: bool = False) -> None:
        self._start(lambda: self._microphone_chunks(device), live=True, paused=paused)

    def _start(self, source: Callable[[], Iterator[Any]], *, live: bool, paused: bool = False) -> None:
        if self.active or self.state == LOADING:
            return
        self.ensure_engine(lambda: self._launch(source, live=live, paused=paused))

    def _launch(self, source: Callable[[], Iterator[Any]], *, live: bool, paused: bool) -> None:
        from audio.session import DictationSession

        self._stop.clear()
        if paused:
            self._running.clear()
        else:
            self._running.set()
        engine = self.engine
        session = DictationSession(
            engine, on_event=lambda ev: self._from_audio(ev, session), section=self.section
        )
        self._thread = threading.Thread(
            target=self._pump, args=(session, source, live), name="clinicdesk-dictation", daemon=True
        )
        self._set_state(PAUSED if paused else RECORDING)
        self._thread.start()

    def _microphone_chunks(self, device: int | str | None) -> Iterator[Any]:
        from audio.microphone import MicrophoneSource

        with MicrophoneSource(device) as mic:
            while not self._stop.is_set():
                yield from mic.chunks(timeout=0.2)

    def _from_audio(self, event: object, session: Any) -> None:
        """Called on the audio thread for each session event. Level readings are thinned to what a
        meter can show (20 a second), so a file fed faster than real time cannot flood the GUI."""
        from audio.session import LevelEvent, PartialEvent

        if isinstance(event, LevelEvent):
            now = time.monotonic()
            if now - self._last_level < LEVEL_INTERVAL:
                return
            self._last_level = now
        snapshot = None if isinstance(event, (LevelEvent, PartialEvent)) else _snapshot(session)
        self._bridge.raw.emit(("event", event, snapshot))

    def _pump(self, session: Any, source: Callable[[], Iterator[Any]], live: bool) -> None:
        started = time.perf_counter()
        error: ClinicDeskError | None = None
        try:
            for chunk in source():
                if self._stop.is_set() or session.stopped:
                    break
                if not self._running.is_set():
                    if live:
                        continue  # heard while paused: neither transcribed nor kept
                    while not self._running.wait(0.1):
                        if self._stop.is_set():
                            break
                    if self._stop.is_set():
                        break
                session.feed(chunk)
                time.sleep(0)  # let the GUI thread take the GIL between chunks
            self._bridge.raw.emit(("state", FINISHING, None))
            session.finish()
        except ClinicDeskError as exc:
            error = exc
        except Exception as exc:  # a bug: keep the window alive; the type only, never audio or text
            log.error("dictation failed with %s", type(exc).__name__)
            error = ClinicDeskError(f"dictation stopped because of an internal error ({type(exc).__name__})")
        # the callback closes over the session: break that cycle, so the session and its engine
        # stream are freed now (a Vosk recogniser then returns to the warm pool) and not by the
        # collector, whose full passes hold the GIL
        session.on_event = None
        import numpy as np  # only once a dictation ran: start-up never pays for numpy

        from audio.wavfile import SAMPLE_RATE, encode_wav

        audio = np.concatenate(session.recording) if session.recording else np.zeros(0, dtype=np.float32)
        result = DictationResult(
            snapshot=_snapshot(session),
            wav=encode_wav(audio) if len(audio) else b"",
            seconds=len(audio) / SAMPLE_RATE,
            engine=session.engine.mode,
            model=session.engine.model,
            error=error,
            stats={"processing_seconds": time.perf_counter() - started},
        )
        self._bridge.raw.emit(("done", result, None))

    def _deliver(self, item: object) -> None:
        kind, payload, snapshot = cast(tuple[str, Any, Any], item)
        if kind == "event":
            self.session_event.emit(payload, snapshot)
        elif kind == "state":
            self._set_state(str(payload))
        else:
            self._thread = None
            self._set_state(IDLE)
            self.finished.emit(payload)

    def pause(self) -> None:
        if self.state == RECORDING:
            self._running.clear()
            self._set_state(PAUSED)

    def resume(self) -> None:
        if self.state == PAUSED:
            self._running.set()
            self._set_state(RECORDING)

    def stop(self) -> None:
        if self.state in (RECORDING, PAUSED):
            self._stop.set()
            self._running.set()
            self._set_state(FINISHING)

    def shutdown(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._running.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)


def _snapshot(session: Any) -> Snapshot:
    dictated = session.dictated
    utterances = list(dictated.utterances)
    return Snapshot(
        texts=[u.text for u in utterances],
        starts=[float(u.start) for u in utterances],
        confidences=[None if u.confidence is None else float(u.confidence) for u in utterances],
        sections=list(dictated.sections),
    )


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
    def partial_text(self) -> str:
        return self._partial

    @property
    def final_text(self) -> str:
        return " ".join(self._final)

    def _render(self) -> None:
        from html import escape

        final = escape(" ".join(self._final[-3:]))
        partial = f" <i style='color:gray'>{escape(self._partial)}</i>" if self._partial else ""
        self.live.setText(final + partial)
