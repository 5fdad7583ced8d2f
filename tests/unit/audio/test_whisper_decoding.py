"""Whisper's decoding settings: deterministic (temperature 0 only), and a looping decoding retried with
less priming. The model is a stand-in recording what it was asked (the real model is exercised in
tests/integration/speech/test_whisper.py)."""

from dataclasses import dataclass
from typing import Any

import numpy as np

from audio.whisper_engine import LOOP_COMPRESSION, WhisperTranscriber


@dataclass
class _Segment:
    text: str
    compression_ratio: float
    start: float = 0.0
    end: float = 1.0
    avg_logprob: float = -0.2
    no_speech_prob: float = 0.01


class _Model:
    """Loops ("Assalamu'alaikum. Assalamu'alaikum. ...") while hot words are given, as the real one did."""

    def __init__(self, loops_with: set[str]) -> None:
        self.loops_with = loops_with
        self.calls: list[dict[str, Any]] = []

    def transcribe(self, audio: object, **kwargs: Any) -> tuple[list[_Segment], None]:
        self.calls.append(kwargs)
        primed = "hotwords" if kwargs["hotwords"] else "prompt" if kwargs["initial_prompt"] else "none"
        if primed in self.loops_with:
            return [_Segment("Assalamu'alaikum. " * 20, LOOP_COMPRESSION + 3)], None
        return [_Segment(" Assessment.", 1.1)], None


def _whisper(model: _Model) -> WhisperTranscriber:
    w = WhisperTranscriber.__new__(WhisperTranscriber)
    w.beam_size, w.initial_prompt, w.hotwords = 5, "Subjective. Objective.", "Medications: aspirin."
    w._model, w._multilingual = model, False
    return w


AUDIO = np.full(16_000, 0.1, dtype=np.float32)


def test_every_decoding_is_at_temperature_zero_so_the_same_audio_gives_the_same_text() -> None:
    model = _Model(set())
    assert _whisper(model).transcribe(AUDIO).text == "Assessment."
    assert [c["temperature"] for c in model.calls] == [0.0]
    assert model.calls[0]["hotwords"] and model.calls[0]["initial_prompt"]


def test_a_looping_decoding_is_retried_without_hot_words_then_without_the_prompt() -> None:
    model = _Model({"hotwords"})
    assert _whisper(model).transcribe(AUDIO).text == "Assessment."
    assert [(bool(c["initial_prompt"]), bool(c["hotwords"])) for c in model.calls] == [
        (True, True),
        (True, False),
    ]
    model = _Model({"hotwords", "prompt"})
    assert _whisper(model).transcribe(AUDIO).text == "Assessment."
    assert len(model.calls) == 3 and model.calls[-1]["initial_prompt"] is None
    assert all(c["temperature"] == 0.0 for c in model.calls)


def _padded(content_frames: int) -> np.ndarray:
    """A 30-second window as faster-whisper builds it: log-mel frames, then zeros (``pad_or_trim``)."""
    window = np.zeros((80, 3000), dtype=np.float32)
    window[:, :content_frames] = -0.7  # the scaled log-mel of silence is not zero
    return window


def test_the_encoder_is_given_the_utterance_and_two_seconds_of_padding_in_at_least_twenty_seconds() -> None:
    from audio.whisper_engine import window_frames

    assert window_frames(_padded(300)) == 2000  # a 3-second utterance: a 20-second window
    assert window_frames(_padded(2300)) == 2500  # 23 s: 2 s of the padding after it
    assert window_frames(_padded(2301)) == 2500  # even: the encoder's convolution halves the frames
    assert window_frames(_padded(2900)) == 3000  # never past the 30 s Whisper reads
    assert window_frames(_padded(3000)[None]) == 3000  # a batch of one is read the same way
    assert window_frames(np.zeros((80, 3000), dtype=np.float32)) == 2000  # no audio: the shortest


def test_the_encoding_is_made_once_per_window_and_never_cuts_the_utterance() -> None:
    from audio.whisper_engine import _LastEncoding

    seen: list[tuple[int, ...]] = []

    def encode(features: np.ndarray) -> str:
        seen.append(features.shape)
        assert np.all(features[..., :2100] == -0.7)  # every frame of the utterance is there
        return "encoded"

    last = _LastEncoding(encode)
    assert last(_padded(2100)) == last(_padded(2100)) == "encoded"
    assert seen == [(80, 2300)] and last.hits == 1


class _Twice(_Model):
    def transcribe(self, audio: object, **kwargs: Any) -> tuple[list[_Segment], None]:
        self.calls.append(kwargs)
        return [_Segment(" Plan. Plan.", 1.1)], None


def test_a_lone_header_written_twice_is_kept_once_and_the_cut_is_shown() -> None:
    result = _whisper(_Twice(set())).transcribe(AUDIO)
    assert result.text == "Plan."
    assert [(m.pass_name, m.original) for m in result.marks] == [("loop", "Plan.")]  # the copy dropped


def test_only_a_whole_short_phrase_said_twice_counts_as_written_twice() -> None:
    from audio.whisper_engine import said_twice

    assert said_twice("Plan. Plan.") == 6
    assert said_twice("Go to plan, go to plan.") == 12
    assert said_twice("No. No. No.") is None  # three times: the loop check's business
    assert said_twice("Plan. Start metformin.") is None
    assert said_twice("Pain in the left knee, pain in the left knee, worse at night.") is None
    assert said_twice("One two three four five, one two three four five.") is None  # too long to be a slip
