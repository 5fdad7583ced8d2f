"""The dictation synthesiser, run as its command (``python -m bench.dictation_synth``): its plan covers
every condition, and the audio it writes is reproducible and as asked (the figures it records in the
manifest, and the files themselves).

Real espeak-ng and sox make the speech (skipped where they are absent); the words are made up here and
belong to no dictation set.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import wave
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[3]
WORDS = ["subjective", "knee pain after a fall", "objective", "pulse seventy two", "plan", "rest"]
#: what the synthesiser says it can make (bench/dictation_voices.py, bench/dictation_synth.py)
VOICE_COUNT, RATES, NOISE_SLOTS = 9, {140, 150, 160, 170, 180}, 11


def synth(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench.dictation_synth", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )


def dictation_set(folder: Path, count: int) -> Path:
    source = folder / f"set-{count}.json"
    items = [{"id": f"z{i}", "utterances": WORDS} for i in range(count)]
    source.write_text(json.dumps({"about": "made up", "dictations": items}))
    return source


def plan(folder: Path, count: int, *options: str) -> list[dict[str, Any]]:
    run = synth("--set", "made-up", "--input", str(dictation_set(folder, count)), "--plan", *options)
    assert run.returncode == 0, run.stderr
    return [json.loads(line) for line in run.stdout.splitlines()]


def render(folder: Path, out: Path, condition: Sequence[str]) -> tuple[dict[str, Any], bytes, str]:
    """Renders a one-dictation set under ``condition``; (its manifest entry, the WAV, the summary)."""
    run = synth("--set", "tiny", "--input", str(dictation_set(folder, 1)), "--out", str(out), *condition)
    assert run.returncode == 0, run.stderr
    (entry,) = json.loads((out / "tiny" / "manifest.json").read_text())["renders"]
    return entry, (out / "tiny" / entry["file"]).read_bytes(), run.stdout


def condition(voice: str, rate: int, pacing: str, noise: tuple[str, int] | None = None) -> list[str]:
    noisy = ["--noise", noise[0], "--snr", str(noise[1])] if noise else []
    return ["--voice", voice, "--rate", str(rate), "--pacing", pacing, *noisy]


def samples(data: bytes) -> np.ndarray:
    with wave.open(io.BytesIO(data), "rb") as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2)
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64) / 32768.0


def longest_silence(audio: np.ndarray) -> float:
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


def test_a_set_of_forty_gets_every_voice_rate_noise_and_pacing(tmp_path: Path) -> None:
    planned = plan(tmp_path, 40)
    assert len({c["voice"] for c in planned}) == VOICE_COUNT
    assert {c["rate_wpm"] for c in planned} == RATES
    assert {c["pacing"] for c in planned} == {"paused", "continuous"}
    noises = {(c["noise"], c["snr_db"]) for c in planned}
    assert {kind for kind, _ in noises} == {None, "pink", "brown", "babble"}
    assert len(noises) == NOISE_SLOTS - 5  # six clean slots are one (None, None)
    assert all(15 <= c["snr_db"] <= 25 for c in planned if c["snr_db"] is not None)
    assert plan(tmp_path, 40) == planned


def test_every_voice_meets_both_pacings_in_a_set_of_eighteen(tmp_path: Path) -> None:
    pairs = {(c["voice"], c["pacing"]) for c in plan(tmp_path, 18)}
    assert len(pairs) == VOICE_COUNT * 2


def test_a_second_pass_gives_each_dictation_another_condition(tmp_path: Path) -> None:
    by_id: dict[str, list[dict[str, Any]]] = {}
    for c in plan(tmp_path, 40, "--passes", "2"):
        by_id.setdefault(c["id"], []).append(c)
    assert len(by_id) == 40
    for first, second in by_id.values():
        assert first["voice"] != second["voice"]
        assert first["rate_wpm"] != second["rate_wpm"]
        assert first["pacing"] != second["pacing"]


def test_one_condition_asked_for_is_every_dictations(tmp_path: Path) -> None:
    asked = plan(tmp_path, 3, *condition("piper-joe", 180, "continuous", ("brown", 15)))
    assert [c["id"] for c in asked] == ["z0", "z1", "z2"]
    wanted = {"voice": "piper-joe", "rate_wpm": 180, "noise": "brown", "snr_db": 15, "pacing": "continuous"}
    assert all({k: c[k] for k in wanted} == wanted for c in asked)
    half = synth("--set", "x", "--input", str(dictation_set(tmp_path, 1)), "--plan", "--noise", "pink")
    assert half.returncode == 2
    assert "one condition needs --voice, --rate and --pacing, and --snr with --noise" in half.stderr


def test_a_missing_engine_is_one_line_naming_the_package_and_nothing_is_made(tmp_path: Path) -> None:
    no_tools = tmp_path / "bin"
    no_tools.mkdir()
    out = tmp_path / "out"
    run = synth(
        "--set", "tiny", "--input", str(dictation_set(tmp_path, 1)), "--out", str(out),
        *condition("flite-slt", 150, "paused"), env={"PATH": str(no_tools)},
    )  # fmt: skip
    assert run.returncode == 2
    assert run.stderr.splitlines() == ["flite not found: apt-get install flite"]
    assert not out.exists()


@pytest.mark.usefixtures("espeak")
def test_the_same_words_and_condition_give_the_same_bytes_at_the_asked_rate(tmp_path: Path) -> None:
    asked = condition("espeak-en-us+m3", 170, "paused")
    entry, first, _ = render(tmp_path, tmp_path / "one", asked)
    _, second, _ = render(tmp_path, tmp_path / "two", asked)
    assert first == second
    assert abs(entry["measured_wpm"] - 170) <= 0.02 * 170
    assert entry["seconds"] == pytest.approx(len(samples(first)) / 16000, abs=0.01)


@pytest.mark.usefixtures("espeak")
def test_paused_speech_has_pauses_and_continuous_speech_has_none(tmp_path: Path) -> None:
    _, paused, _ = render(tmp_path, tmp_path / "paused", condition("espeak-en-us", 150, "paused"))
    _, run_on, _ = render(tmp_path, tmp_path / "run-on", condition("espeak-en-us", 150, "continuous"))
    assert 0.4 <= longest_silence(samples(paused)) <= 1.2
    assert longest_silence(samples(run_on)) < 0.3


@pytest.mark.usefixtures("espeak")
@pytest.mark.parametrize(("kind", "snr"), [("pink", 20), ("brown", 15), ("babble", 25)])
def test_noise_is_mixed_at_the_asked_signal_to_noise_ratio(tmp_path: Path, kind: str, snr: int) -> None:
    entry, _, summary = render(
        tmp_path, tmp_path / "out", condition("espeak-en-us", 160, "paused", (kind, snr))
    )
    assert (entry["noise"], entry["snr_db"]) == (kind, snr)
    assert entry["measured_snr_db"] == pytest.approx(snr, abs=0.3)
    assert f"measured SNR: {entry['measured_snr_db']:.1f} to {entry['measured_snr_db']:.1f} dB" in summary


@pytest.mark.usefixtures("espeak")
def test_a_rendered_set_has_a_manifest_and_is_reused_the_second_time(tmp_path: Path) -> None:
    source, out = dictation_set(tmp_path, 1), tmp_path / "out"
    first = synth("--set", "tiny", "--input", str(source), "--out", str(out))
    again = synth("--set", "tiny", "--input", str(source), "--out", str(out))
    assert (first.returncode, again.returncode) == (0, 0), first.stderr + again.stderr
    assert "1 files" in first.stdout and "1 rendered now" in first.stdout
    assert "0 rendered now" in again.stdout and "(1 reused)" in again.stdout
    manifest = json.loads((out / "tiny" / "manifest.json").read_text())
    (entry,) = manifest["renders"]
    assert entry["id"] == "z0"
    assert entry["voice"] == "espeak-en-us"
    assert (entry["noise"], entry["snr_db"], entry["pacing"]) == (None, None, "paused")
    assert (out / "tiny" / entry["file"]).is_file()
    assert (
        manifest["made_by"]
        == f".venv/bin/python -m bench.dictation_synth --set tiny --input {source} --out {out}"
    )
