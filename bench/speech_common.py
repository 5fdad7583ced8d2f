"""Shared by the speech benchmarks (and the speech tests): WER text normalisation and espeak-ng audio.

WER is computed as the issue defines it: lower-case, punctuation removed, numbers written as words.
Spoken numbers on either side are first read into digits by the app's own normaliser, then every
number is written out one canonical way, so "one forty two over eighty eight" and "142/88" compare
equal and neither side is favoured.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from audio.normalize import normalize
from audio.wavfile import FloatArray, read_wav

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT.parent / "shared" / "corpora"
DICTATIONS = ROOT / "tests" / "data" / "dictation" / "dictations.json"
DEV_DICTATIONS = ROOT / "tests" / "data" / "dictation" / "dev_dictations.json"

_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_EXPAND = {
    "mg": "milligrams", "mcg": "micrograms", "ml": "milliliters", "kg": "kilograms",
    "cm": "centimeters", "mm": "millimeters", "lb": "pounds", "lbs": "pounds",
    "mmhg": "millimeters of mercury",
    "bpm": "beats per minute", "mr": "mister", "mrs": "missus", "dr": "doctor", "st": "saint",
    "°f": "degrees fahrenheit", "°c": "degrees celsius", "%": " percent", "/": " over ", "&": " and ",
}  # fmt: skip


def number_words(n: int) -> str:
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        return _ONES[n // 100] + " hundred" + ("" if n % 100 == 0 else " " + number_words(n % 100))
    if n < 1_000_000:
        return number_words(n // 1000) + " thousand" + ("" if n % 1000 == 0 else " " + number_words(n % 1000))
    return " ".join(_ONES[int(d)] for d in str(n))


def _decimal_words(m: re.Match[str]) -> str:
    whole, _, frac = m.group(0).partition(".")
    out = number_words(int(whole))
    return out + (" point " + " ".join(_ONES[int(d)] for d in frac) if frac else "")


def wer_text(text: str) -> str:
    """Lower-case, no punctuation, numbers as words (both sides go through this)."""
    text = normalize(text).lower()
    text = re.sub(r"(\d)-(\d)", r"\1 to \2", text)
    for short, long in sorted(_EXPAND.items(), key=lambda kv: -len(kv[0])):
        if short.isalpha():
            text = re.sub(rf"\b{re.escape(short)}\b", long, text)
        else:
            text = text.replace(short, f" {long} ")
    text = re.sub(r"\d+(?:\.\d+)?", lambda m: " " + _decimal_words(m) + " ", text)
    text = re.sub(r"[^a-z' ]+", " ", text).replace("'", "")
    return re.sub(r"\s+", " ", text).strip()


def wer(references: list[str], hypotheses: list[str]) -> float:
    import jiwer

    return float(jiwer.wer([wer_text(r) for r in references], [wer_text(h) for h in hypotheses]))


def librivox() -> list[tuple[Path, str]]:
    folder = CORPORA / "speech" / "librivox"
    return [(wav, wav.with_suffix(".txt").read_text().strip()) for wav in sorted(folder.glob("*.wav"))]


def load_dictations(path: Path | None = None) -> list[dict[str, object]]:
    """The benchmark's dictations, or another file of the same shape (the development set)."""
    return list(json.loads((path or DICTATIONS).read_text())["dictations"])


def cache_dir() -> Path:
    base = Path(os.environ.get("CLINICDESK_BENCH_CACHE", Path(tempfile.gettempdir()) / "clinicdesk-bench"))
    base.mkdir(parents=True, exist_ok=True)
    return base


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None and shutil.which("sox") is not None


def synthesize(utterances: list[str], *, voice: str = "en-us", speed: int = 150, pause: float = 1.0) -> Path:
    """A 16 kHz mono WAV of the utterances said one after another with pauses; cached by content.

    sox runs without dither (``-D``): its dither is random noise, so every synthesis of the same text
    gave different samples, and a dictation's figures changed whenever the cache was made afresh."""
    key = hashlib.sha256(json.dumps([utterances, voice, speed, pause, "no-dither"]).encode()).hexdigest()[:16]
    out = cache_dir() / f"dictation-{key}.wav"
    if out.exists():
        return out
    with tempfile.TemporaryDirectory() as tmp:
        parts: list[str] = []
        for i, text in enumerate(utterances):
            raw = Path(tmp) / f"{i}.wav"
            subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text], check=True)
            fixed = Path(tmp) / f"{i}-16k.wav"
            sox = [
                "sox",
                "-D",
                str(raw),
                "-r",
                "16000",
                "-c",
                "1",
                "-b",
                "16",
                str(fixed),
                "pad",
                "0",
                str(pause),
            ]
            subprocess.run(sox, check=True)
            parts.append(str(fixed))
        joined = Path(tmp) / "joined.wav"
        subprocess.run(["sox", "-D", *parts, str(joined), "pad", "0.5", "0.5"], check=True)
        shutil.move(str(joined), out)
    return out


def load(path: Path) -> FloatArray:
    return np.asarray(read_wav(path), dtype=np.float32)
