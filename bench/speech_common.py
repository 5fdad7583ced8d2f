"""Shared by the speech benchmarks: WER text normalisation and the dictation sets (the espeak-ng audio
they share with the speech tests is tests/support/speech.py's).

WER is computed as the issue defines it: lower-case, punctuation removed, numbers written as words.
Spoken numbers on either side are first read into digits by the app's own normaliser, then every
number is written out one canonical way, so "one forty two over eighty eight" and "142/88" compare
equal and neither side is favoured.
"""

from __future__ import annotations

import json
import re
import shutil
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


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None and shutil.which("sox") is not None


def load(path: Path) -> FloatArray:
    return np.asarray(read_wav(path), dtype=np.float32)
