"""``clinicdesk transcribe FILE.wav``: the transcript of a recording, as text or JSON."""

from __future__ import annotations

import argparse
import json

from audio.pipeline import ENGINES, Transcript, open_engine, transcribe_file


def add_speech_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE.wav", help="a WAV recording (any common rate or channel count)")
    parser.add_argument(
        "--engine", choices=ENGINES, default="whisper", help="speech engine (default: whisper)"
    )
    parser.add_argument(
        "--model",
        metavar="NAME_OR_PATH",
        help="Whisper model (tiny.en, base, or a folder); for --engine vosk, the Vosk model folder",
    )
    parser.add_argument(
        "--vosk-model", metavar="PATH", help="Vosk model folder for two-pass (default: CLINICDESK_VOSK_MODEL)"
    )


def configure(parser: argparse.ArgumentParser) -> None:
    add_speech_options(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text")


def transcribe(args: argparse.Namespace) -> Transcript:
    engine = open_engine(args.engine, model=args.model, vosk_model=args.vosk_model)
    return transcribe_file(args.file, engine)


def run(args: argparse.Namespace) -> int:
    transcript = transcribe(args)
    if args.format == "json":
        print(json.dumps(transcript.to_json(), ensure_ascii=False))
    else:
        print(transcript.text)
    return 0
