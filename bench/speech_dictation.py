"""Medical dictation made with espeak-ng (tests/data/dictation/dictations.json, 20 dictations):
WER, SOAP section token F1, vitals exact match and medication names found, through `dictate`'s
own code path (VAD, Whisper with the medical prompt and post-correction, commands, structuring).

    .venv/bin/python -m bench.speech_dictation [--model base|tiny.en]
"""

from __future__ import annotations

import argparse

from bench.soap_structuring import f1, tokens
from bench.speech_common import load, load_dictations, synthesize, wer, wer_text
from clinicdesk.app.soap import structure_note
from clinicdesk.audio.commands import apply_commands
from clinicdesk.audio.pipeline import open_engine, transcribe_audio

COMMAND = ".venv/bin/python -m bench.speech_dictation"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="base")
    parser.add_argument("--raw", action="store_true", help="no medical prompt or post-correction")
    args = parser.parse_args(argv)
    engine = open_engine("whisper", model=args.model, medical=not args.raw)
    refs, hyps = [], []
    f1s, vit_ok, vit_all, med_ok, med_all = [], 0, 0, 0, 0
    audio_s = proc_s = 0.0
    for d in load_dictations():
        utterances = list(d["utterances"])  # type: ignore[call-overload]
        transcript = transcribe_audio(load(synthesize(utterances)), engine)
        audio_s += transcript.audio_seconds
        proc_s += transcript.processing_seconds
        refs.append(" ".join(utterances))
        hyps.append(transcript.text)
        dictated = apply_commands(transcript.utterances)
        note = structure_note(dictated.utterances, sections=dictated.sections)
        gold = d["sections"]  # type: ignore[index]
        for name in ("subjective", "objective", "assessment", "plan"):
            f1s.append(
                f1(tokens(wer_text(note.section_text(name, labels=False))), tokens(wer_text(gold[name])))
            )
        for key, value in d["vitals"].items():  # type: ignore[attr-defined]
            vit_all += 1
            vit_ok += note.vitals.get(key) == value
        names = {m.name for m in note.medications}
        for name in d["medications"]:  # type: ignore[attr-defined]
            med_all += 1
            med_ok += name in names
    print(
        f"dictation_wer[{args.model}{',raw' if args.raw else ''}]={wer(refs, hyps):.3f} "
        f"soap_f1={sum(f1s) / len(f1s):.3f} vitals_exact={vit_ok / vit_all:.3f} "
        f"medications_found={med_ok / med_all:.3f} rtf={proc_s / audio_s:.3f} dictations={len(refs)}"
        f"  (command: {COMMAND}{' --model ' + args.model if args.model != 'base' else ''})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
