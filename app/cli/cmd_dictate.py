"""``clinicdesk dictate FILE.wav``: transcribe, apply voice commands, structure into a SOAP note."""

from __future__ import annotations

import argparse
import json

from app.cli.cmd_transcribe import add_speech_options, transcribe
from app.soap import structure_note
from audio.commands import apply_commands


def configure(parser: argparse.ArgumentParser) -> None:
    add_speech_options(parser)
    parser.add_argument("--format", choices=("json",), default="json", help="output format (JSON)")


def run(args: argparse.Namespace) -> int:
    transcript = transcribe(args)
    dictated = apply_commands(transcript.utterances)
    note = structure_note(dictated.utterances, sections=dictated.sections)
    out = note.to_dict()
    out["transcript"] = transcript.to_json()
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0
