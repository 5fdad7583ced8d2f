"""The dictation synthesiser: its plan covers every condition, and its audio is reproducible and as asked.

Real espeak-ng and sox make the speech (skipped where they are absent); the words are made up here and
belong to no dictation set.
"""

from __future__ import annotations

import io
import json
import shutil
import wave
from pathlib import Path

import numpy as np
import pytest

from bench import dictation_synth as synth
from bench import dictation_voices

WORDS = ["subjective", "knee pain after a fall", "objective", "pulse seventy two", "plan", "rest"]


def _samples(data: bytes) -> np.ndarray:
    with wave.open(io.BytesIO(data), "rb") as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2)
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64) / 32768.0


def _longest_silence(audio: np.ndarray) -> float:
    frames = np.abs(audio[: len(audio) // 160 * 160].reshape(-1, 160)).max(axis=1) < 1e-3
    best = run = 0
    for quiet in frames[55:-55]:  # past the 0.5 s edges
        run = run + 1 if quiet else 0
        best = max(best, run)
    return best / 100


@pytest.fixture
def espeak() -> None:
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        pytest.skip("espeak-ng and sox are needed to make speech")


def test_a_set_of_forty_gets_every_voice_rate_noise_and_pacing() -> None:
    conditions = [c for _, c in synth.plan(40)]
    assert {c.voice for c in conditions} == set(dictation_voices.VOICES)
    assert {c.rate_wpm for c in conditions} == set(synth.RATES)
    slots = {(n[0], n[1]) if n else (None, None) for n in synth.NOISES}
    assert {(c.noise, c.snr_db) for c in conditions} == slots
    assert {c.pacing for c in conditions} == {"paused", "continuous"}
    assert all(15 <= c.snr_db <= 25 for c in conditions if c.snr_db is not None)
    assert synth.plan(40) == synth.plan(40)


def test_every_voice_meets_both_pacings_in_a_set_of_eighteen() -> None:
    pairs = {(c.voice, c.pacing) for _, c in synth.plan(18)}
    assert len(pairs) == len(dictation_voices.VOICES) * 2


def test_a_second_pass_gives_each_dictation_another_condition() -> None:
    items = synth.plan(40, passes=2)
    by_index: dict[int, list[synth.Condition]] = {}
    for index, condition in items:
        by_index.setdefault(index, []).append(condition)
    assert all(len(cs) == 2 for cs in by_index.values())
    for first, second in by_index.values():
        assert first.voice != second.voice
        assert first.rate_wpm != second.rate_wpm
        assert first.pacing != second.pacing


def test_a_missing_engine_is_one_line_naming_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dictation_voices.shutil, "which", lambda _tool: None)
    conditions = [synth.Condition("flite-slt", 150, None, None, "paused")]
    assert synth.missing_tools(conditions) == {"flite-slt": "flite not found: apt-get install flite"}


@pytest.mark.usefixtures("espeak")
def test_the_same_words_and_condition_give_the_same_bytes_at_the_asked_rate(tmp_path: Path) -> None:
    condition = synth.Condition("espeak-en-us+m3", 170, None, None, "paused")
    first, seconds, wpm = synth.render_dictation(WORDS, condition, seed=3, noise_dir=tmp_path)
    second, _, _ = synth.render_dictation(WORDS, condition, seed=3, noise_dir=tmp_path)
    assert first == second
    assert abs(wpm - 170) <= 0.02 * 170
    assert seconds == pytest.approx(len(_samples(first)) / 16000)


@pytest.mark.usefixtures("espeak")
def test_paused_speech_has_pauses_and_continuous_speech_has_none(tmp_path: Path) -> None:
    paused = synth.Condition("espeak-en-us", 150, None, None, "paused")
    continuous = synth.Condition("espeak-en-us", 150, None, None, "continuous")
    gaps = _longest_silence(_samples(synth.render_dictation(WORDS, paused, seed=1, noise_dir=tmp_path)[0]))
    run_on = _longest_silence(
        _samples(synth.render_dictation(WORDS, continuous, seed=1, noise_dir=tmp_path)[0])
    )
    assert 0.4 <= gaps <= 1.2
    assert run_on < 0.3


@pytest.mark.usefixtures("espeak")
@pytest.mark.parametrize(("kind", "snr"), [("pink", 20), ("brown", 15), ("babble", 25)])
def test_noise_is_mixed_at_the_asked_signal_to_noise_ratio(tmp_path: Path, kind: str, snr: int) -> None:
    clean = synth.Condition("espeak-en-us", 160, None, None, "paused")
    noisy = synth.Condition("espeak-en-us", 160, kind, snr, "paused")
    speech = _samples(synth.render_dictation(WORDS, clean, seed=2, noise_dir=tmp_path)[0])
    mixed = _samples(synth.render_dictation(WORDS, noisy, seed=2, noise_dir=tmp_path)[0])
    noise = mixed - speech
    measured = 10 * np.log10(synth.active_power(speech) / np.mean(noise**2))
    assert measured == pytest.approx(snr, abs=0.3)


@pytest.mark.usefixtures("espeak")
def test_a_rendered_set_has_a_manifest_and_is_reused_the_second_time(tmp_path: Path) -> None:
    source = tmp_path / "tiny.json"
    source.write_text(json.dumps({"about": "made up", "dictations": [{"id": "z1", "utterances": WORDS}]}))
    first = synth.render_set("tiny", source, out_root=tmp_path / "out")
    again = synth.render_set("tiny", source, out_root=tmp_path / "out")
    (entry,) = json.loads((tmp_path / "out" / "tiny" / "manifest.json").read_text())["renders"]
    assert (first["_rendered"], again["_rendered"]) == (1, 0)
    assert entry["id"] == "z1"
    assert entry["voice"] == "espeak-en-us"
    assert (entry["noise"], entry["snr_db"], entry["pacing"]) == (None, None, "paused")
    assert (tmp_path / "out" / "tiny" / entry["file"]).is_file()
