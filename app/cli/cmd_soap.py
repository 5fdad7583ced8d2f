"""``clinicdesk soap``: a transcript on stdin (one utterance per line) to a SOAP note in JSON.

Voice commands in the transcript ("scratch that", "go to plan", "new paragraph") are applied as in a
dictation, wherever they fall in a line, so a saved transcript gives the same note as the dictation."""

from __future__ import annotations

import argparse
import json
import sys

from app.soap import structure_note
from audio.commands import apply_commands
from audio.transcriber import Utterance


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("json",), default="json", help="output format (JSON)")


def run(args: argparse.Namespace) -> int:
    lines = [line.strip() for line in sys.stdin.read().splitlines() if line.strip()]
    dictated = apply_commands(
        [Utterance(line, float(i), float(i), 1.0, "text") for i, line in enumerate(lines)]
    )
    note = structure_note(dictated.utterances, sections=dictated.sections)
    data = note.to_dict()
    data["raw_transcription"] = "\n".join(lines)  # as given, commands and all
    for utterance in data["utterances"]:
        utterance["confidence"] = None  # typed text has no engine confidence
    print(json.dumps(data, ensure_ascii=False, indent=2))
    return 0
