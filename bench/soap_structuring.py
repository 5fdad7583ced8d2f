"""SOAP structuring on ACI-Bench test1 + test2: token F1 per section (S, O = exam + results, A&P).

Two inputs per note: with spoken headers (text as written, each header said as its own utterance), and
without headers (lower-cased, no punctuation, one sentence per line, as Vosk would give it). Gold
header lines are removed from the gold text, since a header is a command, not content; the note's own
sub-header labels are left out of the prediction for the same reason.

A third input puts the whole note in one run-on utterance with the section headers said inside it
("... for two days. Physical exam. Blood pressure ..."), as a doctor who does not pause dictates it.

Which headers are said: the one that opens each gold section (ACI-Bench's own, e.g. "chief complaint",
"physical exam", "results", "assessment and plan"), i.e. the section headers a doctor says for S, O and
A&P. The sub-headers inside a section (review of systems, social history, vitals, instructions ...) are
the note writer's formatting, not section boundaries, and are not said. Saying them all is reported
too (``soap_f1[all_headers]``), but it cannot reach 1.0 even for a perfect structurer: ACI-Bench
files a "VITALS" block that precedes the physical exam under its subjective division (62 of 167 notes)
while a spoken "vitals" means Objective to a clinician (and to the app); ``[all_headers,vitals_as_O]``
counts those lines as O.

    .venv/bin/python -m bench.soap_structuring [--corpora PATH] [--verbose]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

from app.soap import structure_note
from app.soap.headers import match_header

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPORA = ROOT.parent / "shared" / "corpora"
SPLITS = ("clinicalnlp_taskB_test1", "clinicalnlp_taskC_test2")
DIVISIONS = {
    "subjective": "S",
    "objective_exam": "O",
    "objective_results": "O",
    "assessment_and_plan": "AP",
}
COMMAND = ".venv/bin/python -m bench.soap_structuring"


def sentences(text: str) -> list[str]:
    out: list[str] = []
    for line in text.split("\n"):
        line = line.strip().lstrip("•-* ").strip()
        if not line:
            continue
        out.extend(
            p.strip() for p in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9])", line) if re.search(r"[A-Za-z0-9]", p)
        )
    return out


def is_header(sentence: str) -> bool:
    header = match_header(sentence)
    return header is not None and not header.rest and sentence.upper() == sentence


def tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def f1(pred: list[str], gold: list[str]) -> float:
    if not pred and not gold:
        return 1.0
    common = sum((Counter(pred) & Counter(gold)).values())
    if common == 0:
        return 0.0
    p, r = common / len(pred), common / len(gold)
    return 2 * p * r / (p + r)


def load_notes(corpora: Path) -> list[list[tuple[str, str]]]:
    """Each note as (section, sentence) in note order; header sentences tagged 'H*' (the one opening a
    gold section) or 'H' (a sub-header inside it)."""
    folder = corpora / "notes" / "aci-bench" / "challenge_data_json"
    notes: list[list[tuple[str, str]]] = []
    for split in SPLITS:
        parts = {d: json.loads((folder / f"{split}_{d}.json").read_text())["data"] for d in DIVISIONS}
        for i in range(len(parts["subjective"])):
            note: list[tuple[str, str]] = []
            for division, section in DIVISIONS.items():
                if "#####EMPTY#####" in parts[division][i]["tgt"]:
                    continue  # ACI-Bench's placeholder for a section the note does not have
                in_vitals = False
                for n, sent in enumerate(sentences(parts[division][i]["tgt"])):
                    if is_header(sent):
                        in_vitals = spoken(sent).startswith("vital")
                        note.append(("H*" if n == 0 else "H", sent))  # H*: the header opening the section
                    else:
                        note.append(("SV" if in_vitals and section == "S" else section, sent))
            notes.append(note)
    return notes


def spoken(sentence: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9]+", " ", sentence.lower())).strip()


def score(
    notes: list[list[tuple[str, str]]], *, headers: bool | str, vitals_as_o: bool = False
) -> dict[str, float]:
    """``headers``: False (none said), True (the section-opening headers, each its own utterance),
    "runon" (the same headers inside one run-on utterance) or "all" (every ACI header)."""
    totals = {"S": 0.0, "O": 0.0, "AP": 0.0}
    for note in notes:
        if headers == "runon":
            # the whole note as one utterance, the section headers said inside it as Whisper writes a
            # run-on dictation: "... for two days. Physical exam. Blood pressure 142/88 ..."
            said = [_said_header(s) if sec == "H*" else s for sec, s in note if sec != "H"]
            lines = [" ".join(said)]
        elif headers == "all":
            lines = [spoken(s) if sec.startswith("H") else s for sec, s in note]
        elif headers:
            lines = [spoken(s) if sec == "H*" else s for sec, s in note if sec != "H"]
        else:
            lines = [spoken(s) for sec, s in note if not sec.startswith("H")]
            lines = [line for line in lines if line]
        result = structure_note(lines)
        pred = {
            "S": tokens(result.section_text("subjective", labels=False)),
            "O": tokens(result.section_text("objective", labels=False)),
            "AP": tokens(
                result.section_text("assessment", labels=False)
                + " "
                + result.section_text("plan", labels=False)
            ),
        }
        vitals_to = "O" if vitals_as_o else "S"
        gold = {
            k: tokens(" ".join(spoken(s) for sec, s in note if (vitals_to if sec == "SV" else sec) == k))
            for k in totals
        }
        # the note writes spoken numbers the clinical way; compare like with like
        for k in totals:
            gold[k] = tokens(" ".join(_canon(gold[k])))
            pred[k] = tokens(" ".join(_canon(pred[k])))
            totals[k] += f1(pred[k], gold[k])
    out = {k: v / len(notes) for k, v in totals.items()}
    out["mean"] = sum(out.values()) / 3
    return out


def _said_header(sentence: str) -> str:
    words = spoken(sentence)
    return words[:1].upper() + words[1:] + "."


def _canon(words: list[str]) -> list[str]:
    """Unit and frequency spellings both sides may use ("mg" and "milligrams")."""
    table = {"milligrams": "mg", "micrograms": "mcg", "percent": "", "daily": "daily"}
    return [table.get(w, w) for w in words]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    args = parser.parse_args(argv)
    if not (args.corpora / "notes" / "aci-bench").is_dir():
        print(f"corpora not found at {args.corpora}", file=sys.stderr)
        return 2
    notes = load_notes(args.corpora)
    t0 = time.perf_counter()
    with_h = score(notes, headers=True)
    without_h = score(notes, headers=False)
    seconds = time.perf_counter() - t0
    runon = score(notes, headers="runon")
    all_h = score(notes, headers="all")
    vitals_o = score(notes, headers="all", vitals_as_o=True)
    fmt = " ".join
    print(
        f"soap_f1[headers]={with_h['mean']:.3f} "
        + fmt(f"{k}={v:.3f}" for k, v in with_h.items() if k != "mean")
        + f"  soap_f1[no_headers]={without_h['mean']:.3f} "
        + fmt(f"{k}={v:.3f}" for k, v in without_h.items() if k != "mean")
        + f"  soap_f1[runon_headers]={runon['mean']:.3f} "
        + fmt(f"{k}={v:.3f}" for k, v in runon.items() if k != "mean")
        + f"  soap_f1[all_headers]={all_h['mean']:.3f} "
        + fmt(f"{k}={v:.3f}" for k, v in all_h.items() if k != "mean")
        + f"  soap_f1[all_headers,vitals_as_O]={vitals_o['mean']:.3f}"
        + f"  notes={len(notes)} seconds={seconds:.1f}  (command: {COMMAND})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
