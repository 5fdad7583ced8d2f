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
