"""The live session's background recognition: ``feed`` never waits for the final engine, the early
recognition started in a pause is used when the utterance ends there and thrown away when the doctor
goes on, and the result is the same dictation as recognising each utterance on the feeding thread.

The engine is a real ``SpeechEngine`` around a stand-in transcriber (the session's bookkeeping is what
is tested here; real Whisper through the background session is in tests/integration/speech)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from audio.pipeline import SpeechEngine
from audio.session import DictationSession, Event, UtteranceEvent
from audio.transcriber import Recognition, Stream, Transcriber
from audio.wavfile import SAMPLE_RATE
from clinicdesk.errors import SpeechError

CHUNK = 1600


def _tone(seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def _silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SAMPLE_RATE), dtype=np.float32)


class _ByLength(Transcriber):
    """Hears the audio's length: equal audio gives equal text, different audio different text."""

    engine = "fixed"
    model = "fixed"

    def __init__(self) -> None:
        self.calls: list[int] = []

    def transcribe(self, audio: np.ndarray) -> Recognition:  # type: ignore[override]
        self.calls.append(len(audio))
        return Recognition(f"heard {len(audio)} samples", 1.0)


def _dictate(
    engine: SpeechEngine, audio: np.ndarray, *, background: bool
) -> tuple[DictationSession, list[Event]]:
    seen: list[Event] = []
    session = DictationSession(engine, on_event=seen.append, background=background)
    for i in range(0, len(audio), CHUNK):
        session.feed(audio[i : i + CHUNK])
    session.finish()
    return session, seen


def _utterances(events: list[Event]) -> list[tuple[str, float, float]]:
    said = [e.utterance for e in events if isinstance(e, UtteranceEvent)]
    return [(u.text, u.start, u.end) for u in said]


def test_the_background_session_gives_the_same_dictation_as_recognising_on_the_feeding_thread() -> None:
    audio = np.concatenate(
        [_silence(1.0), _tone(1.2), _silence(1.0), _tone(0.7), _silence(1.5), _tone(2.0), _silence(0.2)]
    )
    inline, inline_events = _dictate(SpeechEngine("whisper", accurate=_ByLength()), audio, background=False)
    engine = SpeechEngine("whisper", accurate=_ByLength())
    session, events = _dictate(engine, audio, background=True)
    assert len(_utterances(events)) == 3
    assert _utterances(events) == _utterances(inline_events)
    assert [u.text for u in session.dictated.utterances] == [u.text for u in inline.dictated.utterances]
    # the two utterances that ended in a pause were recognised early, once each, and that was used;
    # the last one, ended by finish(), was recognised after it
    assert session.speculated == {"kept": 2, "dropped": 0}
    assert len(engine.accurate.calls) == 3  # type: ignore[union-attr]


class _Blocking(Transcriber):
    engine = "fixed"
    model = "fixed"

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = threading.Event()

    def transcribe(self, audio: np.ndarray) -> Recognition:  # type: ignore[override]
        self.started.set()
        assert self.release.wait(10)
        return Recognition("cough for two days", 1.0)


def test_feeding_never_waits_for_the_final_recognition() -> None:
    blocking = _Blocking()
    seen: list[Event] = []
    engine = SpeechEngine("whisper", accurate=blocking)
    session = DictationSession(engine, on_event=seen.append, background=True)
    audio = np.concatenate([_silence(0.5), _tone(1.0), _silence(3.0)])
    for i in range(0, len(audio), CHUNK):
        session.feed(audio[i : i + CHUNK])  # would hang here if feed waited for the blocked engine
    assert blocking.started.wait(5)
    assert not any(isinstance(e, UtteranceEvent) for e in seen)
    blocking.release.set()
    session.finish()
    assert [u.text for u in session.dictated.utterances] == ["cough for two days"]


class _AssessmentThenHistory(Transcriber):
    """The early recognition (the first half, before a short pause) hears a header; the whole utterance
    hears no header at all."""

    engine = "fixed"
    model = "fixed"

    def transcribe(self, audio: np.ndarray) -> Recognition:  # type: ignore[override]
        if len(audio) < 2 * SAMPLE_RATE:
            return Recognition("Assessment.", 1.0)
        return Recognition("cough for two days and a fever", 1.0)


def test_an_early_recognition_thrown_away_leaves_no_trace_in_the_dictation_or_the_engine() -> None:
    engine = SpeechEngine("whisper", accurate=_AssessmentThenHistory())
    # a pause longer than the kept silence (0.3 s) but shorter than the end of an utterance (0.6 s)
    audio = np.concatenate([_silence(0.5), _tone(1.0), _silence(0.45), _tone(1.0), _silence(2.0)])
    session, _ = _dictate(engine, audio, background=True)
    assert [u.text for u in session.dictated.utterances] == ["cough for two days and a fever"]
    assert session.speculated["dropped"] == 1 and session.speculated["kept"] == 1
    # "Assessment." was heard only by the thrown-away recognition: the dictation is not in the assessment
    assert not engine.in_assessment


class _Failing(Transcriber):
    engine = "fixed"
    model = "fixed"

    def transcribe(self, audio: np.ndarray) -> Recognition:  # type: ignore[override]
        raise SpeechError("The Whisper model could not be read.")


def test_a_failed_background_recognition_is_raised_on_the_callers_thread() -> None:
    session = DictationSession(SpeechEngine("whisper", accurate=_Failing()), background=True)
    audio = np.concatenate([_silence(0.5), _tone(1.0), _silence(2.0)])

    def dictate() -> None:
        for i in range(0, len(audio), CHUNK):
            session.feed(audio[i : i + CHUNK])
        session.finish()

    with pytest.raises(SpeechError, match="could not be read"):
        dictate()
    assert session.dictated.utterances == []


class _LiveWords(Transcriber):
    """A live engine whose stream records when it was asked to hold back (``Stream.hold``)."""

    engine = "live"
    model = "live"

    def __init__(self) -> None:
        self.holds: list[bool] = []

    @property
    def streaming(self) -> bool:
        return True

    def transcribe(self, audio: np.ndarray) -> Recognition:  # type: ignore[override]
        return Recognition("live words", 1.0)

    def stream(self) -> Stream:
        engine = self

        class _Stream(Stream):
            def accept(self, audio: np.ndarray) -> str | None:  # type: ignore[override]
                return None

            def finish(self) -> Recognition:
                return Recognition("live words", 1.0)

            def reset(self) -> None:
                pass

            def hold(self, held: bool) -> None:
                engine.holds.append(held)

        return _Stream()


def test_live_words_are_held_back_while_whisper_works_and_let_go_after() -> None:
    live = _LiveWords()
    engine = SpeechEngine("whisper", live=live, accurate=_ByLength())
    audio = np.concatenate([_silence(0.5), _tone(1.0), _silence(1.0), _tone(1.0), _silence(1.0)])
    session, _ = _dictate(engine, audio, background=True)
    assert len(session.dictated.utterances) == 2
    assert live.holds == [True, False, True, False]  # once per recognition, always let go


def test_a_held_moonshine_stream_shows_the_first_words_then_waits() -> None:
    from audio.moonshine_engine import MoonshineStream

    class _Counting:
        calls = 0

        def transcribe(self, audio: np.ndarray) -> Recognition:
            self.calls += 1
            return Recognition(f"words {self.calls}", 1.0)

    model = _Counting()
    stream = MoonshineStream(model)  # type: ignore[arg-type]
    stream.hold(True)
    stream._started = -100.0  # as if spoken long ago: no backlog guard
    first = [stream.accept(_tone(0.5)) for _ in range(4)]
    assert first[0] == "words 1" and first[1:] == [None, None, None] and model.calls == 1
    stream.hold(False)
    assert stream.accept(_tone(0.5)) == "words 2"
