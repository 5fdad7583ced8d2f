"""What a doctor waits for while dictating, measured through the live dictation session at real pace.

Dictations of the dev set (the paused renders of ``bench.dictation_synth``) are played chunk by chunk
(0.1 s) at the speed of speech by one thread, as a microphone delivers them; another thread feeds them to
``audio.session.DictationSession`` as the window's audio thread does: with ``background=True``, so Whisper
works on its own thread, starting in the pause before an utterance ends, while live words are held
back (``--inline``: recognition on the feeding thread, as before round 5, where the time Whisper takes
on one utterance delays the audio of the next). Two figures:

- **final text**: from the end of an utterance's speech (the last voiced frame, found from the audio
  itself) to the moment its final text is out of the session (the ``UtteranceEvent``), p50 and p95; also
  from the voice-activity step's own end-of-utterance decision, which comes ``merge_gap`` later;
- **first live words**: from the start of an utterance's speech to its first partial text (Moonshine's
  live words when no English Vosk model is installed), median.

    .venv/bin/python -m bench.speech_latency [--model base] [--dictations 8] [--inline] [--no-moonshine]

Run it alone on a quiet machine when the figure matters: other work on the two cores adds to both.
"""

from __future__ import annotations

import argparse
import os
import queue
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from audio.pipeline import open_engine
from audio.session import DictationSession, PartialEvent, UtteranceEvent
from audio.vad import FRAME, VadConfig, frame_levels_db, speech_threshold_db
from audio.wavfile import SAMPLE_RATE, FloatArray, read_wav

COMMAND = ".venv/bin/python -m bench.speech_latency"
CHUNK = 1600


@dataclass
class Timing:
    final_from_speech: list[float] = field(default_factory=list)
    final_from_vad: list[float] = field(default_factory=list)
    first_words: list[float] = field(default_factory=list)
    utterances: int = 0
    missed_partials: int = 0
    kept: int = 0  # early recognitions used
    dropped: int = 0  # early recognitions thrown away (the doctor went on speaking)


def speech_segments(audio: FloatArray, config: VadConfig) -> list[tuple[float, float]]:
    """Where speech really is (seconds, no padding): voiced frames, with pauses shorter than the session's
    merge gap joined, as the session's own voice-activity step joins them."""
    levels = frame_levels_db(audio)
    mask = levels > speech_threshold_db(levels)
    gap = int(config.merge_gap_seconds * SAMPLE_RATE / FRAME)
    segments: list[list[int]] = []
    for i in np.flatnonzero(mask):
        if segments and i - segments[-1][1] <= gap:
            segments[-1][1] = int(i)
        else:
            segments.append([int(i), int(i)])
    frame = FRAME / SAMPLE_RATE
    return [(a * frame, (b + 1) * frame) for a, b in segments if (b - a + 1) * frame >= 0.15]


def play(audio: FloatArray, chunks: queue.Queue[tuple[float, FloatArray] | None], start: float) -> None:
    """Puts each 0.1 s chunk on the queue at the moment a microphone would deliver it."""
    for i in range(0, len(audio), CHUNK):
        due = start + (i + CHUNK) / SAMPLE_RATE
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        chunks.put((due, audio[i : i + CHUNK]))
    chunks.put(None)


def dictate(path: Path, engine: object, timing: Timing, *, background: bool = True) -> None:
    audio = read_wav(path)
    config = VadConfig()
    segments = speech_segments(audio, config)
    finals: list[tuple[float, float]] = []  # (wall time, utterance end in audio seconds)
    partials: list[tuple[float, float]] = []  # (wall time, audio seconds fed so far)
    fed = 0

    def seen(event: object) -> None:  # on the feeding thread, or the session's recognition thread
        now = time.perf_counter()
        if isinstance(event, PartialEvent):
            partials.append((now, fed / SAMPLE_RATE))
        elif isinstance(event, UtteranceEvent):
            finals.append((now, event.utterance.end))

    session = DictationSession(engine, on_event=seen, background=background)  # type: ignore[arg-type]
    chunks: queue.Queue[tuple[float, FloatArray] | None] = queue.Queue()
    start = time.perf_counter() + 0.05
    player = threading.Thread(target=play, args=(audio, chunks, start), daemon=True)
    player.start()
    while (item := chunks.get()) is not None:
        _, chunk = item
        fed += len(chunk)
        session.feed(chunk)
    session.finish()
    timing.kept += session.speculated["kept"]
    timing.dropped += session.speculated["dropped"]
    player.join()
    for seg_start, seg_end in segments:
        timing.utterances += 1
        done = [
            wall for wall, end in finals if seg_end - 0.05 <= end <= seg_end + config.merge_gap_seconds + 1.5
        ]
        if done:
            timing.final_from_speech.append(done[0] - (start + seg_end))
            timing.final_from_vad.append(done[0] - (start + seg_end + config.merge_gap_seconds))
        heard = [wall for wall, at in partials if seg_start < at <= seg_end + 0.2]
        if heard:
            timing.first_words.append(heard[0] - (start + seg_start))
        else:
            timing.missed_partials += 1


def _paused_renders(count: int) -> list[Path]:
    from bench.dictation_synth import OUT, render_set
    from bench.speech_dictation import SETS

    manifest = render_set("dev", SETS["dev"], skip_missing=True)
    files = [OUT / "dev" / str(r["file"]) for r in manifest["renders"] if r["pacing"] == "paused"]
    return files[:count]


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="base")
    parser.add_argument("--dictations", type=int, default=8)
    parser.add_argument("--no-moonshine", action="store_true", help="Whisper alone: no live words, no check")
    parser.add_argument(
        "--inline", action="store_true", help="recognition on the feeding thread, as before round 5"
    )
    args = parser.parse_args(argv)
    engine = open_engine("whisper", model=args.model, second_opinion=not args.no_moonshine)
    timing = Timing()
    files = _paused_renders(args.dictations)
    for path in files:
        dictate(path, engine, timing, background=not args.inline)
    live = getattr(engine.live, "engine", "none")
    first = statistics.median(timing.first_words) if timing.first_words else float("nan")
    command = f"{COMMAND} --model {args.model} --dictations {args.dictations}"
    command += " --no-moonshine" if args.no_moonshine else ""
    command += " --inline" if args.inline else ""
    print(
        f"latency[{args.model}] final_from_end_of_speech p50={_pct(timing.final_from_speech, 0.5):.2f}s "
        f"p95={_pct(timing.final_from_speech, 0.95):.2f}s "
        f"final_from_vad_end p50={_pct(timing.final_from_vad, 0.5):.2f}s "
        f"p95={_pct(timing.final_from_vad, 0.95):.2f}s "
        f"first_live_words[{live}] median={first:.2f}s "
        f"utterances={timing.utterances} finals={len(timing.final_from_speech)} "
        f"without_live_words={timing.missed_partials} early_recognitions_kept={timing.kept} "
        f"dropped={timing.dropped} dictations={len(files)} cores={os.cpu_count()} "
        f"load={os.getloadavg()[0]:.1f}  (command: {command})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
