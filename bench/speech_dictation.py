"""Medical dictation through `dictate`'s own code path (VAD, Whisper with the medical prompt and the
correction passes, voice commands, structuring), scored on three sets of dictations:

- ``dev``: bench/dictation_sets/dev.json, the set tuned on;
- ``dev2``: bench/dictation_sets/dev2.json, a second set tuned on (round 3), adapted from ACI-Bench
  train/valid notes by a helper who does not tune the pipeline;
- ``test``: bench/dictation_sets/test.json, written by someone else and never tuned on. Only aggregate
  figures are printed for it: no item text, no per-item line, nothing saved;
- ``old``: tests/data/dictation/dictations.json, the 20 dictations of the first rounds (``old-dev``: the
  15 development dictations of those rounds).

Figures: WER; SOAP section token F1 (numbers and units compared as spoken: "500 mg" equals "five hundred
milligrams"); vitals exact; medication names found; **invented drugs** and **invented diagnoses** (a
medication or diagnosis in the structured note whose words were never said: not in the gold lists and
not in the spoken words); and how many automatic corrections and uncertain marks the notes carry.

    .venv/bin/python -m bench.speech_dictation --set dev [--model base|tiny.en] [--verbose] [--save F]

Audio is made by ``bench.dictation_synth`` when it is there (several voices, rates and noise), else by
espeak-ng (``tests.support.speech.synthesize``); the line printed says which.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from app.soap import structure_note
from audio.commands import apply_commands
from audio.pipeline import open_engine, transcribe_audio
from bench.soap_structuring import f1, tokens
from bench.speech_common import (
    DEV_DICTATIONS,
    DICTATIONS,
    ROOT,
    load,
    load_dictations,
    wer,
    wer_text,
)
from tests.support.speech import synthesize

COMMAND = ".venv/bin/python -m bench.speech_dictation"
SETS = {
    "dev": ROOT / "bench" / "dictation_sets" / "dev.json",
    "dev2": ROOT / "bench" / "dictation_sets" / "dev2.json",
    "test": ROOT / "bench" / "dictation_sets" / "test.json",
    "old": DICTATIONS,
    "old-dev": DEV_DICTATIONS,
}
SECTIONS = ("subjective", "objective", "assessment", "plan")


@dataclass
class Tally:
    refs: list[str] = field(default_factory=list)
    hyps: list[str] = field(default_factory=list)
    f1s: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in SECTIONS})
    vitals_ok: int = 0
    vitals_all: int = 0
    meds_ok: int = 0
    meds_all: int = 0
    invented_drugs: int = 0
    invented_diagnoses: int = 0
    corrections: int = 0
    uncertain: int = 0
    audio_seconds: float = 0.0
    processing_seconds: float = 0.0


def said(phrase: str, spoken: str, gold: list[str]) -> bool:
    """Whether a drug or diagnosis of the note was said: its words occur in the spoken words, or it is
    one of the gold names (compared as spoken, so "type 2 diabetes" was said as "type two diabetes")."""
    words = f" {wer_text(phrase)} "
    return words in f" {wer_text(spoken)} " or any(words.strip() == wer_text(g) for g in gold)


def renders(set_name: str, path: Path, *, espeak: bool) -> tuple[dict[str, list[Path]], str]:
    """Each dictation's audio files (by id) and the name of what made them: ``bench.dictation_synth``
    (nine voices, 140-180 wpm, noise, paused or run-on; one condition per dictation), or with
    ``espeak`` the single espeak-ng voice of the earlier rounds."""
    if espeak:
        return {
            str(d["id"]): [synthesize([str(u) for u in d["utterances"]])] for d in load_dictations(path)
        }, "espeak-ng en-us 150 wpm, paused"
    from bench.dictation_synth import OUT, render_set

    manifest = render_set(set_name, path, skip_missing=True)
    files: dict[str, list[Path]] = {}
    for entry in manifest["renders"]:
        files.setdefault(str(entry["id"]), []).append(OUT / set_name / str(entry["file"]))
    voices = len({entry["voice"] for entry in manifest["renders"]})
    return files, f"bench.dictation_synth: {voices} voices, {len(manifest['skipped'])} files skipped"


def score_one(tally: Tally, dictation: dict[str, Any], engine: Any, *, wav: Path) -> dict[str, Any]:
    utterances = [str(u) for u in dictation["utterances"]]
    transcript = transcribe_audio(load(wav), engine)
    tally.audio_seconds += transcript.audio_seconds
    tally.processing_seconds += transcript.processing_seconds
    spoken = " ".join(utterances)
    tally.refs.append(spoken)
    tally.hyps.append(transcript.text)
    dictated = apply_commands(transcript.utterances)
    note = structure_note(dictated.utterances, sections=dictated.sections)
    data = note.to_dict()
    gold = cast(dict[str, str], dictation["sections"])
    for name in SECTIONS:
        pred = tokens(wer_text(note.section_text(name, labels=False)))
        tally.f1s[name].append(f1(pred, tokens(wer_text(gold[name]))))
    for key, value in cast(dict[str, Any], dictation["vitals"]).items():
        tally.vitals_all += 1
        tally.vitals_ok += note.vitals.get(key) == value
    names = {m.name for m in note.medications}
    gold_meds = [str(m) for m in dictation["medications"]]
    for name in gold_meds:
        tally.meds_all += 1
        tally.meds_ok += name in names
    gold_dx = [str(x) for x in dictation.get("diagnoses", [])]
    wrong_drugs = [m.name for m in note.medications if not said(m.name, spoken, gold_meds)]
    wrong_dx = [d.text for d in note.diagnoses if not said(d.text, spoken, gold_dx)]
    tally.invented_drugs += len(wrong_drugs)
    tally.invented_diagnoses += len(wrong_dx)
    tally.corrections += len(data.get("corrections", []))
    tally.uncertain += len(data.get("uncertain", []))
    return {
        "id": dictation["id"],
        "file": wav.name,
        "heard": [u.text for u in transcript.utterances],
        "note": data,
        "invented_drugs": wrong_drugs,
        "invented_diagnoses": wrong_dx,
    }


def summary(tally: Tally) -> dict[str, float]:
    every = [x for scores in tally.f1s.values() for x in scores]
    out = {
        "wer": wer(tally.refs, tally.hyps),
        "soap_f1": sum(every) / len(every),
        **{f"f1_{s[0]}": sum(tally.f1s[s]) / len(tally.f1s[s]) for s in SECTIONS},
        "vitals_exact": tally.vitals_ok / max(1, tally.vitals_all),
        "medications_found": tally.meds_ok / max(1, tally.meds_all),
        "invented_drugs": tally.invented_drugs,
        "invented_diagnoses": tally.invented_diagnoses,
        "corrections": tally.corrections,
        "uncertain": tally.uncertain,
        "rtf": tally.processing_seconds / max(1e-9, tally.audio_seconds),
        "dictations": len(tally.refs),
    }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--set", choices=tuple(SETS), default="dev")
    parser.add_argument("--model", default="base")
    parser.add_argument("--raw", action="store_true", help="no medical prompt or post-correction")
    parser.add_argument("--verbose", action="store_true", help="a line per dictation (never for test)")
    parser.add_argument("--save", type=Path, help="write every note as JSON (never for test)")
    parser.add_argument("--espeak", action="store_true", help="one espeak-ng voice, not dictation_synth")
    parser.add_argument("--memo", type=Path, help="reuse Whisper's answers for the same audio (dev tuning)")
    args = parser.parse_args(argv)
    path = SETS[args.set]
    if not path.is_file():
        print(f"{path} is not there yet", file=sys.stderr)
        return 2
    private = args.set == "test"
    if private and (args.verbose or args.save):
        print("the test set is reported as aggregate figures only", file=sys.stderr)
        return 2
    engine = open_engine("whisper", model=args.model, medical=not args.raw)
    if args.memo and not private:
        from bench.speech_memo import remember

        remember(engine, args.memo)
    tally = Tally()
    details: list[dict[str, Any]] = []
    files, tool = renders(args.set, path, espeak=args.espeak)
    for dictation in load_dictations(path):
        for wav in files.get(str(dictation["id"]), []):
            detail = score_one(tally, dictation, engine, wav=wav)
            if private:
                continue
            details.append(detail)
            if args.verbose:
                keys = ("id", "file", "heard", "invented_drugs", "invented_diagnoses")
                print(json.dumps({k: detail[k] for k in keys}))
    if args.save and not private:
        args.save.write_text(json.dumps(details, indent=1, ensure_ascii=False))
    s = summary(tally)
    tags = f"{args.set},{args.model}" + (",raw" if args.raw else "")
    print(
        f"dictation[{tags}] wer={s['wer']:.3f} soap_f1={s['soap_f1']:.3f} "
        f"(S {s['f1_s']:.3f} O {s['f1_o']:.3f} A {s['f1_a']:.3f} P {s['f1_p']:.3f}) "
        f"vitals_exact={s['vitals_exact']:.3f} medications_found={s['medications_found']:.3f} "
        f"invented_drugs={s['invented_drugs']} invented_diagnoses={s['invented_diagnoses']} "
        f"corrections={s['corrections']} uncertain={s['uncertain']} rtf={s['rtf']:.3f} "
        f"dictations={s['dictations']} audio={tool!r}"
        f"  (command: {COMMAND} --set {args.set}{' --espeak' if args.espeak else ''}"
        f"{' --model ' + args.model if args.model != 'base' else ''}{' --raw' if args.raw else ''})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
