"""``clinicdesk dictate FILE.wav``: a recording dictated into a SOAP note, as JSON.

The window's own dictation pipeline (app.dictation): the same engine choice and cache, the same
session (voice activity detection, voice commands, sections) fed from the file, and the same
structuring, so a recording makes the same note here as dictated in the window. The note's fields
come with ``transcript``: the utterances as kept after voice commands, the engine and the model.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from app.cli.cmd_transcribe import add_speech_options


def configure(parser: argparse.ArgumentParser) -> None:
    add_speech_options(parser)
    parser.add_argument("--format", choices=("json",), default="json", help="output format (JSON)")


def run(args: argparse.Namespace) -> int:
    from app.dictation import EngineChoice, dictate_file, engine_for, structure

    engine = engine_for(EngineChoice.of_command(args.engine, model=args.model, vosk_model=args.vosk_model))
    result, transcript = dictate_file(Path(args.file), engine)
    out = structure(result.snapshot)
    out["transcript"] = transcript.to_json()
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0
