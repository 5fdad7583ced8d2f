"""A live dictation: audio chunks in, events out. Thread-agnostic and Qt-free.

The caller (a Qt worker, the command line, a test) pushes audio with ``feed`` from whatever thread
it likes and gets back the events that chunk caused; an optional callback receives the same events.
Nothing here blocks on a clock, so a WAV file can be dictated faster than real time.

With ``background=True`` (the window's live dictation) an utterance's final recognition runs on the
session's own thread, so ``feed`` never waits for Whisper and the live words of the next utterance keep
coming; that recognition starts as soon as the silence the final audio keeps has been heard, before the
voice-activity step has decided the utterance is over, and is thrown away if the doctor goes on speaking.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from audio.commands import Command, CommandState, Dictated
from audio.pipeline import SpeechEngine
from audio.transcriber import Recognition, Stream, Utterance
from audio.vad import StreamingVad, VadConfig, level_db
from audio.wavfile import SAMPLE_RATE, FloatArray
from clinicdesk.errors import ClinicDeskError


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


@dataclass(eq=False)
class _Job:
    """One utterance's final recognition, for the background thread."""

    audio: FloatArray
    start: int  # the sample of the dictation where the utterance's audio starts
    live_text: Recognition | None = None
    #: started before the voice-activity step ended the utterance: its result is used only once the
    #: utterance ends with exactly this audio (``keep``), else thrown away
    speculative: bool = False
    silence: int = 0  # samples of trailing silence heard when it started
    decided: threading.Event = field(default_factory=threading.Event)
    keep: bool = False

    def decide(self, *, keep: bool) -> None:
        self.keep = keep
        self.decided.set()


class DictationSession:
    def __init__(
        self,
        engine: SpeechEngine,
        *,
        on_event: Callable[[Event], None] | None = None,
        vad: VadConfig | None = None,
        section: str | None = None,
        background: bool = False,
    ) -> None:
        """``section``: the SOAP section the dictation starts in, when the doctor chose one before
        speaking (what is said in the assessment is listened to for diagnoses). ``background``: final
        recognition on the session's own thread (see the module's text); its events then reach
        ``on_event`` only, from that thread, and ``finish`` waits for them."""
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
        self._background = background
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._speculation: _Job | None = None
        self._failure: BaseException | None = None  # raised once, on the caller's thread
        self._broken = False  # a recognition failed: nothing more is recognised
        #: how many early recognitions were used and thrown away (for the latency benchmark)
        self.speculated = {"kept": 0, "dropped": 0}

    @property
    def dictated(self) -> Dictated:
        return self.commands.result

    @property
    def stopped(self) -> bool:
        return self.commands.result.stopped

    def feed(self, chunk: FloatArray) -> list[Event]:
        self._raise_failure()
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
            if self._background:
                self._speculate()
        self._history = np.concatenate([self._history, chunk])[-self._pad * 2 :]
        self._position += len(chunk)
        return self._emit(events)

    def finish(self) -> list[Event]:
        """Ends the dictation: the utterance in progress is finished (in the background, every
        recognition still under way is waited for)."""
        events: list[Event] = []
        if self._utterance:
            events.extend(self._end(extra=np.zeros(0, dtype=np.float32)))
        self.vad.reset()
        self.close()
        if self._worker is not None:
            self._worker.join()
            self._worker = None
        self._raise_failure()
        return self._emit(events)

    def close(self) -> None:
        """Lets the background thread end once its queue is done, without waiting for it (a caller
        that gives up on the dictation after an error calls this instead of ``finish``)."""
        self._drop_speculation()
        if self._worker is not None:
            self._jobs.put(None)

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
            cut = self._cut()
            if 0 < cut < len(audio) - self._pad:
                audio = audio[: len(audio) - cut]
        self._utterance = []
        early, self._speculation = self._speculation, None
        if early is not None:
            kept = np.array_equal(early.audio, audio)
            self.speculated["kept" if kept else "dropped"] += 1
            early.decide(keep=kept)
            if kept:  # its recognition is already under way, with the second engine's own decoding
                if self._stream is not None:
                    self._stream.reset()
                self._stream = None
                return []
        live_text: Recognition | None = self._stream.finish() if self._stream is not None else None
        self._stream = None
        if self._background:
            self._submit(_Job(audio, self._start, live_text))
            return []
        result = self.engine.recognise(audio, live_text=live_text)
        return self._settle(result, start=self._start, samples=len(audio))

    def _settle(self, result: Recognition, *, start: int, samples: int) -> list[Event]:
        """A recognised utterance into the dictation: its text, the commands it gave."""
        if not result.text:
            return []
        utterance = Utterance(
            result.text,
            start / SAMPLE_RATE,
            (start + samples) / SAMPLE_RATE,
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

    def _cut(self) -> int:
        """Samples of the voice-activity step's closing silence that the final audio leaves out."""
        return int((self.vad.config.merge_gap_seconds - self.vad.config.pad_seconds) * SAMPLE_RATE)

    def _speculate(self) -> None:
        """Starts the final recognition early, once the silence after the last voiced frame is as long
        as the silence the final audio keeps: if the utterance ends at this pause, its audio is exactly
        this. Speech that comes back before the end throws the early recognition away."""
        heard = self.vad.silent_samples
        early = self._speculation
        if early is not None:
            if heard < early.silence:  # the silence was broken: the utterance goes on
                self._drop_speculation()
            return
        hang = self.vad.closing_silence_samples
        kept_silence = hang - self._cut()
        if heard < kept_silence or heard >= hang:
            return
        audio = np.concatenate(self._utterance)
        end = len(audio) - self.vad.unjudged_samples - heard + kept_silence
        if end <= self._pad:
            return
        self._speculation = _Job(audio[:end], self._start, speculative=True, silence=heard)
        self._submit(self._speculation)

    def _drop_speculation(self) -> None:
        early, self._speculation = self._speculation, None
        if early is not None:
            self.speculated["dropped"] += 1
            early.decide(keep=False)

    def _submit(self, job: _Job) -> None:
        if self._worker is None:
            self._worker = threading.Thread(target=self._work, name="clinicdesk-recognise", daemon=True)
            self._worker.start()
        self._jobs.put(job)

    def _work(self) -> None:
        """The background thread: recognitions one at a time, in the order the utterances ended (the
        engine follows the dictation's sections from one utterance to the next)."""
        while (job := self._jobs.get()) is not None:
            if self._broken or self.stopped:
                continue
            place = self.engine.in_assessment
            try:
                self._hold_live(True)
                try:
                    result = self.engine.recognise(job.audio, live_text=job.live_text)
                finally:
                    self._hold_live(False)
                if job.speculative:
                    job.decided.wait()
                    if not job.keep:
                        self.engine.in_assessment = place  # as if it had never been heard
                        continue
                self._emit(self._settle(result, start=job.start, samples=len(job.audio)))
            except ClinicDeskError as exc:
                self._failure, self._broken = exc, True
            except Exception as exc:  # a bug: handed to the caller's thread, which reports it
                self._failure, self._broken = exc, True

    def _hold_live(self, held: bool) -> None:
        """Live words take a back seat while Whisper works (``Stream.hold``)."""
        if self._live is not None:
            self._live.hold(held)

    def _raise_failure(self) -> None:
        failure, self._failure = self._failure, None
        if failure is not None:
            raise failure

    def _emit(self, events: list[Event]) -> list[Event]:
        if self.on_event is not None:
            for event in events:
                self.on_event(event)
        return events
