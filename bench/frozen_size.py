"""Size of the frozen one-folder bundle, with and without the speech models, and what takes the room.

    .venv/bin/python -m bench.frozen_size [--dist dist/clinicdesk] [--compressed]

Build the bundle first (packaging/build-linux.sh [--whisper-model DIR] [--vosk-model DIR]). The
figure "without speech models" is the same bundle minus _internal/speech-models, i.e. what a build without
--whisper-model / --vosk-model weighs. --compressed also deflates every file (zlib level 6) to
estimate the download: the NSIS and DMG compressors do better, so it is an upper bound.
"""

from __future__ import annotations

import argparse
import sys
import zlib
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIST = ROOT / "dist" / "clinicdesk"
MIB = 1024 * 1024


def files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()]


def size(paths: list[Path]) -> int:
    return sum(p.stat().st_size for p in paths)


def component(path: Path, internal: Path) -> str:
    """Groups a file under the package it came with (ctranslate2 and ctranslate2.libs together)."""
    try:
        rel = path.relative_to(internal)
    except ValueError:
        return "(executable)"
    top = rel.parts[0]
    if top == "models" and len(rel.parts) > 1:
        return f"models/{rel.parts[1]}"
    if len(rel.parts) == 1:
        return "(shared libraries)" if ".so" in top or top.endswith((".dll", ".dylib")) else top
    return top.removesuffix(".libs")


def deflated(paths: list[Path]) -> int:
    total = 0
    for path in paths:
        compressor = zlib.compressobj(6)
        with open(path, "rb") as fh:
            while chunk := fh.read(4 * MIB):
                total += len(compressor.compress(chunk))
        total += len(compressor.flush())
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.frozen_size", description=__doc__.split("\n")[0])
    parser.add_argument("--dist", type=Path, default=DEFAULT_DIST, help="the one-folder bundle")
    parser.add_argument("--compressed", action="store_true", help="also estimate the compressed size")
    parser.add_argument("--top", type=int, default=12, help="how many components to list")
    args = parser.parse_args(argv)
    internal = args.dist / "_internal"
    if not internal.is_dir():
        raise SystemExit(f"{args.dist} is not a one-folder bundle: build it with packaging/build-linux.sh")
    everything = files(args.dist)
    models = [p for p in everything if p.is_relative_to(internal / "models")]
    app = [p for p in everything if not p.is_relative_to(internal / "models")]
    command = ".venv/bin/python -m bench.frozen_size" + (" --compressed" if args.compressed else "")
    if args.dist != DEFAULT_DIST:
        command += f" --dist {args.dist}"
    names = sorted({component(p, internal) for p in models}) or ["none"]
    print(f"frozen_bundle_size: {size(everything) / MIB:.0f} MiB with speech models ({', '.join(names)}); "
          f"{len(everything)} files (command: {command})")  # fmt: skip
    print(f"frozen_bundle_size_without_models: {size(app) / MIB:.0f} MiB")
    print(f"frozen_speech_models: {size(models) / MIB:.0f} MiB")
    if args.compressed:
        print(
            f"frozen_bundle_deflated: {deflated(everything) / MIB:.0f} MiB with models, "
            f"{deflated(app) / MIB:.0f} MiB without (zlib -6; the installers' LZMA is smaller)"
        )
    by_component: dict[str, int] = defaultdict(int)
    for path in everything:
        by_component[component(path, internal)] += path.stat().st_size
    print(f"largest components (MiB), top {args.top}:")
    for name, total in sorted(by_component.items(), key=lambda item: -item[1])[: args.top]:
        print(f"  {total / MIB:7.1f}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
