"""Medical dictation made with espeak-ng (tests/data/dictation/dictations.json, 20 dictations):
WER, SOAP section token F1, vitals exact match and medication names found, through `dictate`'s
own code path (VAD, Whisper with the medical prompt and post-correction, commands, structuring).

    .venv/bin/python -m bench.speech_dictation [--model base|tiny.en] [--dev]

``--dev`` runs the development dictations (tests/data/dictation/dev_dictations.json) instead: the set to
tune on, so that the 20 benchmark dictations stay a fair test.
"""

from __future__ import annotations

import argparse
from typing import cast

from app.soap import structure_note
from audio.commands import apply_commands
from audio.pipeline import open_engine, transcribe_audio
from bench.soap_structuring import f1, tokens
from bench.speech_common import DEV_DICTATIONS, load, load_dictations, synthesize, wer, wer_text

COMMAND = ".venv/bin/python -m bench.speech_dictation"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="base")
    parser.add_argument("--raw", action="store_true", help="no medical prompt or post-correction")
    parser.add_argument("--dev", action="store_true", help="the development dictations, not the benchmark's")
    args = parser.parse_args(argv)
    engine = open_engine("whisper", model=args.model, medical=not args.raw)
    refs, hyps = [], []
    sections = ("subjective", "objective", "assessment", "plan")
    f1s: dict[str, list[float]] = {name: [] for name in sections}
    vit_ok = vit_all = med_ok = med_all = 0
    audio_s = proc_s = 0.0
    for d in load_dictations(DEV_DICTATIONS if args.dev else None):
        utterances = list(d["utterances"])  # type: ignore[call-overload]
        transcript = transcribe_audio(load(synthesize(utterances)), engine)
        audio_s += transcript.audio_seconds
        proc_s += transcript.processing_seconds
        refs.append(" ".join(utterances))
        hyps.append(transcript.text)
        dictated = apply_commands(transcript.utterances)
        note = structure_note(dictated.utterances, sections=dictated.sections)
        gold = cast(dict[str, str], d["sections"])
        for name in sections:
            f1s[name].append(
                f1(tokens(wer_text(note.section_text(name, labels=False))), tokens(wer_text(gold[name])))
            )
        for key, value in d["vitals"].items():  # type: ignore[attr-defined]
            vit_all += 1
            vit_ok += note.vitals.get(key) == value
        names = {m.name for m in note.medications}
        for name in d["medications"]:  # type: ignore[attr-defined]
            med_all += 1
            med_ok += name in names
    every = [x for scores in f1s.values() for x in scores]
    per_section = " ".join(f"{name[0].upper()} {sum(f1s[name]) / len(f1s[name]):.3f}" for name in sections)
    tags = args.model + (",raw" if args.raw else "") + (",dev" if args.dev else "")
    print(
        f"dictation_wer[{tags}]={wer(refs, hyps):.3f} "
        f"soap_f1={sum(every) / len(every):.3f} ({per_section}) vitals_exact={vit_ok / vit_all:.3f} "
        f"medications_found={med_ok / med_all:.3f} rtf={proc_s / audio_s:.3f} dictations={len(refs)}"
        f"  (command: {COMMAND}{' --model ' + args.model if args.model != 'base' else ''}"
        f"{' --raw' if args.raw else ''}{' --dev' if args.dev else ''})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
