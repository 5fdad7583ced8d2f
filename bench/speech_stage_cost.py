"""Where a finished utterance's time goes, stage by stage, for the latency target of issue 12.

``bench.speech_latency`` says how long the doctor waits; this says why. The dev set's paused renders
are split into utterances by the voice-activity step and each is recognised as the session does it
(``SpeechEngine.recognise``), with every Whisper call and the second engine's check timed: one
decoding, forced-alignment scoring (drug and diagnosis recovery, the closed set), primed decodings.
It prints the per-utterance p50 and p90 of the whole, the total per stage, and the slowest utterances.
With ``--variants`` it also times one decoding of the same utterances with a smaller beam and with
less priming, to show what each costs (those settings are not what the app uses).

    .venv/bin/python -m bench.speech_stage_cost [--dictations 4] [--no-moonshine] [--variants]

Run it alone on a quiet machine: other work on the two cores adds to every figure.
"""

from __future__ import annotations

import argparse
import collections
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from audio.pipeline import open_engine
from audio.vad import split_utterances
from audio.wavfile import SAMPLE_RATE, read_wav
from audio.whisper_engine import HOTWORDS, MEDICAL_PROMPT
from bench.speech_latency import _paused_renders

COMMAND = ".venv/bin/python -m bench.speech_stage_cost"
WHISPER_CALLS = ("_decode", "score_texts", "transcribe_with_hint")


def _timed(owner: Any, name: str, tag: str, spent: dict[str, float]) -> None:
    original: Callable[..., Any] = getattr(owner, name)

    def call(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[tag] = spent.get(tag, 0.0) + time.perf_counter() - started

    setattr(owner, name, call)


def _variants(engine: Any, chunks: list[Any]) -> None:
    model = engine.accurate._model
    primed = {"initial_prompt": MEDICAL_PROMPT, "hotwords": HOTWORDS}
    settings: dict[str, dict[str, Any]] = {
        "beam 5, prompt and hot words (the app)": {"beam_size": 5, **primed},
        "beam 1, prompt and hot words": {"beam_size": 1, **primed},
        "beam 5, prompt only": {"beam_size": 5, "initial_prompt": MEDICAL_PROMPT},
        "beam 5, no priming": {"beam_size": 5},
    }
    for label, options in settings.items():
        started = time.perf_counter()
        for chunk in chunks:
            segments, _ = model.transcribe(
                chunk, language="en", condition_on_previous_text=False, vad_filter=False, temperature=0.0,
                **options,
            )  # fmt: skip
            list(segments)
        print(f"  one decoding, {label}: {(time.perf_counter() - started) / len(chunks):.2f} s per utterance")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="base")
    parser.add_argument("--dictations", type=int, default=4)
    parser.add_argument("--no-moonshine", action="store_true", help="Whisper alone, no second engine")
    parser.add_argument("--variants", action="store_true", help="also time other decoding settings")
    args = parser.parse_args(argv)
    engine = open_engine("whisper", model=args.model, second_opinion=not args.no_moonshine)
    spent: dict[str, float] = {}
    for name in WHISPER_CALLS:
        _timed(engine.accurate, name, name.strip("_"), spent)
    if engine.check is not None:
        _timed(engine.check, "transcribe", "second engine", spent)
    totals: collections.Counter[str] = collections.Counter()
    rows: list[tuple[float, float, dict[str, float]]] = []
    chunks = []
    for path in _paused_renders(args.dictations):
        audio = read_wav(path)
        engine.begin()
        for seg in split_utterances(audio, None):
            chunk = audio[seg.start : seg.end]
            chunks.append(chunk)
            spent.clear()
            started = time.perf_counter()
            engine.recognise(chunk)
            rows.append((time.perf_counter() - started, len(chunk) / SAMPLE_RATE, dict(spent)))
            totals.update(spent)
    whole = sorted(r[0] for r in rows)
    p90 = whole[min(len(whole) - 1, round(0.9 * (len(whole) - 1)))]
    load = os.getloadavg()[0]
    print(
        f"stage_cost[{args.model}{',no-moonshine' if args.no_moonshine else ''}] "
        f"recognise_p50={statistics.median(whole):.2f}s recognise_p90={p90:.2f}s utterances={len(rows)} "
        f"load={load:.1f}  (command: {COMMAND} --dictations {args.dictations}"
        f"{' --no-moonshine' if args.no_moonshine else ''})"
    )
    for stage, seconds in totals.most_common():
        calls = sum(1 for _, _, parts in rows if stage in parts)
        print(f"  {stage}: {seconds:.1f} s in all, in {calls} of {len(rows)} utterances")
    for seconds, length, parts in sorted(rows, key=lambda r: -r[0])[:5]:
        detail = ", ".join(f"{k} {v:.2f} s" for k, v in parts.items())
        print(f"  slowest: {seconds:.2f} s for {length:.1f} s of speech ({detail})")
    if args.variants:
        _variants(engine, chunks[:8])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
