"""Speech for the speech tests and benchmarks: espeak-ng audio of given words, and a probe of how much
audio a Vosk decoder needs before it scores anything.

The audio is made without sox's dither (``-D``): its dither is random noise, so every synthesis of the
same text gave different samples, and a dictation's figures changed whenever the cache was made afresh.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from audio.wavfile import SAMPLE_RATE


def cache_dir() -> Path:
    """Where made audio is kept between runs ($CLINICDESK_BENCH_CACHE, else the temp folder)."""
    base = Path(os.environ.get("CLINICDESK_BENCH_CACHE", Path(tempfile.gettempdir()) / "clinicdesk-bench"))
    base.mkdir(parents=True, exist_ok=True)
    return base


def synthesize(utterances: list[str], *, voice: str = "en-us", speed: int = 150, pause: float = 1.0) -> Path:
    """A 16 kHz mono WAV of the utterances said one after another with pauses; cached by content."""
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
            to_16k = ["-r", str(SAMPLE_RATE), "-c", "1", "-b", "16"]
            subprocess.run(["sox", "-D", str(raw), *to_16k, str(fixed), "pad", "0", str(pause)], check=True)
            parts.append(str(fixed))
        joined = Path(tmp) / "joined.wav"
        subprocess.run(["sox", "-D", *parts, str(joined), "pad", "0.5", "0.5"], check=True)
        shutil.move(str(joined), out)
    return out


def lookahead_samples(recogniser: Callable[[], Any]) -> int:
    """The fewest samples after which a Vosk decoder made by ``recogniser`` has scored a frame: the
    acoustic model's right context, the feature window and one decoding chunk (what speech at time t
    waits for before it can change the text; bench/speech_vosk_latency.py explains the figure).

    With alternatives on, Vosk's result for a recogniser that decoded nothing is the fixed empty one
    (confidence exactly 1.0); any decoded frame gives a lattice cost instead. Noise makes the frames.
    """
    noise = (np.random.default_rng(0).standard_normal(SAMPLE_RATE) * 3000).astype("<i2").tobytes()

    def decoded(samples: int) -> bool:
        rec = recogniser()
        rec.SetMaxAlternatives(1)
        rec.AcceptWaveform(noise[: 2 * samples])
        return bool(json.loads(rec.Result())["alternatives"][0]["confidence"] != 1.0)

    lo, hi = 0, SAMPLE_RATE  # decoded(lo) is False, decoded(hi) is True
    if not decoded(hi):
        raise RuntimeError("the decoder scored nothing after a second of audio")
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if decoded(mid) else (mid, hi)
    return hi
