"""``clinicdesk devices``: the microphones this machine offers, through PortAudio.

For the practice's IT person choosing an input for Settings → Speech, and for the installers' smoke
tests, which must load PortAudio from the bundle the way the window does. A machine with no input is
not an error (the list is empty); a missing PortAudio library is.
"""

from __future__ import annotations

import argparse
import json

from audio.microphone import input_devices


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace) -> int:
    devices = input_devices()
    if args.format == "json":
        print(json.dumps([{"index": index, "name": name} for index, name in devices], ensure_ascii=False))
    elif not devices:
        print("no microphone found")
    else:
        for index, name in devices:
            print(f"{index}\t{name}")
    return 0
