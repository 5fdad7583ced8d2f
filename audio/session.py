"""A live dictation: audio chunks in, events out. Thread-agnostic and Qt-free.

The caller (a Qt worker, the command line, a test) pushes audio with ``feed`` from whatever thread
it likes and gets back the events that chunk caused; an optional callback receives the same events.
Nothing here blocks on a clock, so a WAV file can be dictated faster than real time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from audio.commands import Command, CommandState, Dictated
from audio.pipeline import SpeechEngine
from audio.transcriber import Recognition, Stream, Utterance
from audio.vad import StreamingVad, VadConfig, level_db
from audio.wavfile import SAMPLE_RATE, FloatArray


@dataclass(frozen=True)
class LevelEvent:
    db: float  # dBFS of the chunk, for the level meter


@dataclass(frozen=True)
class PartialEvent:
    text: str  # what the live engine has heard so far in this utterance


@dataclass(frozen=True)
class UtteranceEvent:
    utterance: Utterance  # a finished utterance that went into the note


@dataclass(frozen=True)
class CommandEvent:
    command: Command


@dataclass(frozen=True)
class SectionEvent:
    section: str


@dataclass(frozen=True)
class StoppedEvent:
    pass


Event = LevelEvent | PartialEvent | UtteranceEvent | CommandEvent | SectionEvent | StoppedEvent


class DictationSession:
    def __init__(
        self,
        engine: SpeechEngine,
        *,
        on_event: Callable[[Event], None] | None = None,
        vad: VadConfig | None = None,
        section: str | None = None,
    ) -> None:
        """``section``: the SOAP section the dictation starts in, when the doctor chose one before
        speaking (what is said in the assessment is listened to for diagnoses)."""
        self.engine = engine
        engine.begin(section)  # nothing of the last dictation's place carries over into this one
        self.on_event = on_event
        self.vad = StreamingVad(vad)
        self.commands = CommandState()
        self._pad = int(self.vad.config.pad_seconds * SAMPLE_RATE)
        self._history = np.zeros(0, dtype=np.float32)  # recent audio, for the padding before speech
        self._utterance: list[FloatArray] = []
        # One live stream for the whole session, opened now: opening a Vosk recogniser takes a few hundred
        # milliseconds, which at the start of every utterance would delay the first partial by as much.
        # ``finish`` leaves it ready for the next utterance.
        self._live: Stream | None = (
            engine.live.stream() if engine.live is not None and engine.live.streaming else None
        )
        self._stream: Stream | None = None
        self._position = 0  # samples fed so far
        self._start = 0
        self.recording: list[FloatArray] = []  # everything heard, to keep (encrypted) with the note
        self.keep_recording = True

    @property
    def dictated(self) -> Dictated:
        return self.commands.result

    @property
    def stopped(self) -> bool:
        return self.commands.result.stopped

    def feed(self, chunk: FloatArray) -> list[Event]:
        if self.stopped:
            return []
        chunk = np.asarray(chunk, dtype=np.float32).reshape(-1)
        if self.keep_recording:
            self.recording.append(chunk.copy())
        events: list[Event] = [LevelEvent(level_db(chunk))]
        cursor = 0
        for kind, offset in self.vad.feed(chunk):
            offset = max(0, min(len(chunk), offset))
            if kind == "start":
                self._begin(chunk[:offset] if offset > 0 else chunk[:0], self._position + offset)
                cursor = offset
            else:
                self._add(chunk[cursor:offset], events)
                cursor = offset
                events.extend(self._end(extra=chunk[:0], trailing_silence=True))
                if self.stopped:
                    break
        if self.vad.in_speech:
            self._add(chunk[cursor:], events)
        self._history = np.concatenate([self._history, chunk])[-self._pad * 2 :]
        self._position += len(chunk)
        return self._emit(events)

    def finish(self) -> list[Event]:
        """Ends the dictation: the utterance in progress is finished."""
        events: list[Event] = []
        if self._utterance:
            events.extend(self._end(extra=np.zeros(0, dtype=np.float32)))
        self.vad.reset()
        return self._emit(events)

    def _begin(self, before: FloatArray, start: int) -> None:
        preroll = np.concatenate([self._history, before])[-self._pad - len(before) :]
        self._utterance = [preroll]
        self._start = max(0, start - len(preroll))  # the pre-roll ends where speech was detected
        if self._live is not None:
            self._stream = self._live
            self._stream.accept(preroll)

    def _add(self, audio: FloatArray, events: list[Event]) -> None:
        if not self._utterance or len(audio) == 0:
            return
        self._utterance.append(audio)
        if self._stream is not None:
            partial = self._stream.accept(audio)
            if partial:
                events.append(PartialEvent(partial))

    def _end(self, *, extra: FloatArray, trailing_silence: bool = False) -> list[Event]:
        """Finishes the utterance. When the voice-activity step ended it, the utterance ends in the
        silence that decided it (``merge_gap`` long); all but ``pad_seconds`` of it is cut off, because
        Whisper fills a long silence with words never said ("Thank you very much.")."""
        audio = np.concatenate([*self._utterance, extra]) if self._utterance else extra
        if trailing_silence:
            cut = int((self.vad.config.merge_gap_seconds - self.vad.config.pad_seconds) * SAMPLE_RATE)
            if 0 < cut < len(audio) - self._pad:
                audio = audio[: len(audio) - cut]
        self._utterance = []
        live_text: Recognition | None = self._stream.finish() if self._stream is not None else None
        self._stream = None
        result = self.engine.recognise(audio, live_text=live_text)
        if not result.text:
            return []
        start = self._start / SAMPLE_RATE
        utterance = Utterance(
            result.text,
            start,
            start + len(audio) / SAMPLE_RATE,
            result.confidence,
            self.engine.mode,
            result.marks,
        )
        before = len(self.commands.result.utterances)
        commands = self.commands.add(utterance)
        events: list[Event] = [UtteranceEvent(u) for u in self.commands.result.utterances[before:]]
        for command in commands:
            events.append(CommandEvent(command))
            if command.name == "go_to" and command.argument:
                events.append(SectionEvent(command.argument))
            if command.name == "stop":
                events.append(StoppedEvent())
        return events

    def _emit(self, events: list[Event]) -> list[Event]:
        if self.on_event is not None:
            for event in events:
                self.on_event(event)
        return events
