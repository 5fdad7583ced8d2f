"""``clinicdesk soap``: a transcript on stdin (one utterance per line) to a SOAP note in JSON."""

from __future__ import annotations

import argparse
import json
import sys

from app.soap import structure_note


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("json",), default="json", help="output format (JSON)")


def run(args: argparse.Namespace) -> int:
    lines = [line.strip() for line in sys.stdin.read().splitlines() if line.strip()]
    note = structure_note(lines)
    print(json.dumps(note.to_dict(), ensure_ascii=False, indent=2))
    return 0
