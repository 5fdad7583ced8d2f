"""One dictation pipeline, for the window and for ``clinicdesk dictate``: the speech engine (loaded
once per process), the audio fed into a DictationSession on its own thread, and the dictation
structured into a SOAP note.

The window and the command line thus turn the same recording into the same note: the same voice
activity detection, voice commands and sections, the same corrections. Qt-free: the window passes
the feed's callbacks, which run on the audio thread, on to its GUI thread itself.

Audio comes from the microphone (sounddevice) or a WAV file through the same path. Pause stops
feeding the session (microphone audio heard while paused is dropped, not recorded); push-to-talk
is pause and resume bound to holding a key. Speech, numpy and the SOAP code are imported on first
use, never at the app's start.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.ops.notes import DictatedAudio
from app.settings import WorkstationSettings
from clinicdesk.errors import ClinicDeskError, SpeechError

if TYPE_CHECKING:
    from audio.pipeline import SpeechEngine, Transcript
    from audio.session import DictationSession, Event
    from audio.transcriber import Utterance

log = logging.getLogger(__name__)

CHUNK = 1600  # 0.1 s at 16 kHz
#: a level meter shows at most 20 readings a second: more would only flood the window's thread
LEVEL_INTERVAL = 0.05

Chunks = Iterator[Any]  # float32 arrays of 16 kHz mono audio


@dataclass(frozen=True)
class EngineChoice:
    """Which engine and models: the settings' or a command line's. One engine per choice is loaded
    per process (the first load takes seconds)."""

    engine: str
    whisper: str = ""
    vosk: str = ""

    @classmethod
    def of_settings(cls, settings: WorkstationSettings) -> EngineChoice:
        engine = settings.speech_engine or "whisper"
        whisper = settings.whisper_model if engine in ("whisper", "two-pass") else ""
        vosk = settings.vosk_model_path if engine in ("vosk", "two-pass") else ""
        return cls(engine, whisper or "", vosk or "")

    @classmethod
    def of_command(cls, engine: str, *, model: str | None, vosk_model: str | None) -> EngineChoice:
        """``--model`` names the Whisper model, or for ``--engine vosk`` the Vosk folder."""
        if engine == "vosk":
            return cls(engine, "", model or vosk_model or "")
        return cls(engine, model or "", (vosk_model or "") if engine == "two-pass" else "")


_engines: dict[EngineChoice, SpeechEngine] = {}
_engines_lock = threading.Lock()


def engine_for(choice: EngineChoice, *, check: Callable[[], str | None] | None = None) -> SpeechEngine:
    """The engine for this choice, loaded on first use. ``check`` says what is missing (a model
    folder) before a load is tried, so the message names what to add. Never on a GUI thread."""
    from audio.pipeline import open_engine

    with _engines_lock:
        cached = _engines.get(choice)
        if cached is not None:
            return cached
        problem = check() if check is not None else None
        if problem:
            raise SpeechError(problem)
        model = choice.vosk if choice.engine == "vosk" else choice.whisper
        loaded = open_engine(choice.engine, model=model or None, vosk_model=choice.vosk or None)
        # the session code too, here on the worker: a dictation then starts and reports its events
        # on the window's thread without that thread importing anything
        import audio.session  # noqa: F401

        _engines[choice] = loaded
        return loaded


def loaded_engine(choice: EngineChoice) -> SpeechEngine | None:
    """The engine for this choice if it is loaded already."""
    with _engines_lock:
        return _engines.get(choice)


def engine_for_settings(settings: WorkstationSettings) -> SpeechEngine:
    from app.model_import import model_problem

    return engine_for(EngineChoice.of_settings(settings), check=lambda: model_problem(settings))


@dataclass(frozen=True)
class Snapshot:
    """The dictation so far, copied on the audio thread so nothing reads a list being changed."""

    utterances: list[Utterance]
    sections: list[str | None]

    @property
    def texts(self) -> list[str]:
        return [u.text for u in self.utterances]

    @property
    def starts(self) -> list[float]:
        return [float(u.start) for u in self.utterances]


@dataclass(frozen=True)
class DictationResult:
    snapshot: Snapshot
    audio: DictatedAudio
    error: ClinicDeskError | None = None


def snapshot_of(session: DictationSession) -> Snapshot:
    dictated = session.dictated
    return Snapshot(utterances=list(dictated.utterances), sections=list(dictated.sections))


def wav_chunks(path: Path, *, realtime: bool = False) -> Chunks:
    """A WAV file as 0.1 s chunks; ``realtime`` paces them as a microphone would."""
    from audio.wavfile import read_wav

    audio = read_wav(path)
    for start in range(0, len(audio), CHUNK):
        if realtime:
            time.sleep(CHUNK / 16_000)
        yield audio[start : start + CHUNK]


def microphone_chunks(device: int | str | None, stop: threading.Event) -> Chunks:
    """The microphone's chunks until ``stop``, then every chunk captured before it. Transcription can
    fall behind the microphone (a long utterance, a busy machine): the audio waiting in the queue when
    the doctor presses stop is what they said last, often the plan, and must not be thrown away."""
    from audio.microphone import MicrophoneSource

    with MicrophoneSource(device) as mic:
        while not stop.is_set():
            for chunk in mic.chunks(timeout=0.2):
                yield chunk
                if stop.is_set():
                    break
        yield from mic.drain()


@dataclass
class FeedCallbacks:
    """Called on the audio thread: each session event (with the dictation so far, except for level
    and partial events), once when the last words are being finished, and once with the result."""

    on_event: Callable[[Event, Snapshot | None], None] = lambda _event, _snapshot: None
    on_finishing: Callable[[], None] = lambda: None
    on_done: Callable[[DictationResult], None] = lambda _result: None
    #: when the last level event was passed on (level events are thinned to LEVEL_INTERVAL)
    last_level: float = field(default=0.0)


class DictationFeed:
    """The audio thread of one dictation: chunks from a source into a DictationSession, pausable,
    stoppable; the recording and the utterances come back in a :class:`DictationResult`."""

    def __init__(
        self,
        engine: SpeechEngine,
        source: Callable[[threading.Event], Chunks],
        callbacks: FeedCallbacks,
        *,
        live: bool,
        section: str | None = None,
    ) -> None:
        self.engine = engine
        self._source = source
        self._callbacks = callbacks
        self._live = live
        self._section = section
        self._stop = threading.Event()
        self._running = threading.Event()  # set = feeding, clear = paused
        self._thread: threading.Thread | None = None
        self._session: DictationSession | None = None

    def start(self, *, paused: bool = False) -> None:
        from audio.session import DictationSession

        if not paused:
            self._running.set()
        # background: Whisper's work on one utterance never holds up the audio (and the live words) of
        # the next, and it starts in the pause before the utterance is over (audio.session)
        session = DictationSession(
            self.engine, on_event=self._from_session, section=self._section, background=True
        )
        self._session = session
        self._thread = threading.Thread(
            target=self._pump, args=(session,), name="clinicdesk-dictation", daemon=True
        )
        self._thread.start()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _from_session(self, event: Event) -> None:
        from audio.session import LevelEvent, PartialEvent

        callbacks = self._callbacks
        if isinstance(event, LevelEvent):
            now = time.monotonic()
            if now - callbacks.last_level < LEVEL_INTERVAL:
                return
            callbacks.last_level = now
        session = self._session
        if session is None:
            return
        snapshot = None if isinstance(event, LevelEvent | PartialEvent) else snapshot_of(session)
        callbacks.on_event(event, snapshot)

    def _chunks(self) -> Chunks:
        """The source's chunks while feeding; while paused, live audio is dropped (neither
        transcribed nor kept) and a file waits."""
        for chunk in self._source(self._stop):
            # a file stops where it is; a live source ends by itself after handing over what it had
            # captured before the stop (see microphone_chunks), and all of that is the dictation's
            if self._stop.is_set() and not self._live:
                return
            if not self._running.is_set():
                if self._live:
                    continue
                while not self._running.wait(0.1):
                    if self._stop.is_set():
                        return
                if self._stop.is_set():
                    return
            yield chunk

    def _pump(self, session: DictationSession) -> None:
        started = time.perf_counter()
        error: ClinicDeskError | None = None
        try:
            for chunk in self._chunks():
                if session.stopped:
                    break
                session.feed(chunk)
                time.sleep(0)  # let a GUI thread take the GIL between chunks
            self._callbacks.on_finishing()
            session.finish()
        except ClinicDeskError as exc:
            error = exc
        except Exception as exc:  # a bug: keep the app alive; the type only, never audio or text
            log.error("dictation failed with %s", type(exc).__name__)
            error = ClinicDeskError(f"dictation stopped because of an internal error ({type(exc).__name__})")
        if error is not None:
            session.close()  # its recognition thread ends without the dictation waiting for it
        # the callback closes over the session: break that cycle, so the session and its engine
        # stream are freed now (a Vosk recogniser then returns to the warm pool) and not by the
        # collector, whose full passes hold the GIL
        session.on_event = None
        import numpy as np  # only once a dictation ran: start-up never pays for numpy

        from audio.wavfile import SAMPLE_RATE, encode_wav

        audio = np.concatenate(session.recording) if session.recording else np.zeros(0, dtype=np.float32)
        result = DictationResult(
            snapshot=snapshot_of(session),
            audio=DictatedAudio(
                wav=encode_wav(audio) if len(audio) else b"",
                seconds=len(audio) / SAMPLE_RATE,
                engine=session.engine.mode,
                model=session.engine.model,
                stats={"processing_seconds": time.perf_counter() - started},
            ),
            error=error,
        )
        self._session = None
        self._callbacks.on_done(result)


def structure(snapshot: Snapshot, sections: list[str | None] | None = None) -> dict[str, Any]:
    """The dictation as a SOAP note (``app.soap.structure_note(...).to_dict()``). ``sections`` says
    which section each utterance goes into when the doctor chose one, else the spoken headers do.

    The SOAP code is imported here: its first import loads the classifier weights, the vocabularies
    and the ICD-10 index, which must never happen on a GUI thread."""
    from app.soap import structure_note

    return structure_note(list(snapshot.utterances), sections=sections or list(snapshot.sections)).to_dict()


def prepare_structuring() -> None:
    """Loads everything structuring needs (structuring one word does), so that the first utterance
    of a dictation is structured without the loading pause. On a worker, when a note opens."""
    from audio.transcriber import Utterance

    structure(Snapshot([Utterance("hypertension", 0.0, 0.0, 1.0, "")], [None]))


def dictate_file(path: Path, engine: SpeechEngine) -> tuple[DictationResult, Transcript]:
    """A whole WAV file through the feed (as fast as the engine goes), waiting for the result: the
    command line's dictation. The transcript lists the utterances as kept after voice commands."""
    from audio.pipeline import Transcript

    done: list[DictationResult] = []
    feed = DictationFeed(
        engine, lambda _stop: wav_chunks(path), FeedCallbacks(on_done=done.append), live=False
    )
    feed.start()
    feed.join()
    result = done[0]
    if result.error is not None:
        raise result.error
    transcript = Transcript(
        list(result.snapshot.utterances),
        audio_seconds=result.audio.seconds,
        processing_seconds=result.audio.stats.get("processing_seconds", 0.0),
        engine=result.audio.engine,
        model=result.audio.model,
    )
    return result, transcript
