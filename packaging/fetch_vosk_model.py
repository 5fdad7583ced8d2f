"""Fetches and unpacks a Vosk model archive for the installer builds (CI runners only).

Vosk's English models are not on PyPI, so the Windows and macOS jobs download one from its publisher
(alphacephei.com). The archive's SHA-256 is checked when given; when not, it is printed with a CI
warning so it can be pinned. The model is unpacked next to the archive's name and checked for the
files Vosk loads, so a truncated or wrong download fails the build, not a clinician's dictation.

    python packaging/fetch_vosk_model.py URL OUT_DIR [--sha256 HEX]   # -> OUT_DIR/<archive name>/
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import tempfile
import urllib.request
import zipfile
from pathlib import Path, PurePosixPath

REQUIRED = ("am/final.mdl", "conf/model.conf")
GRAPH_ANY = ("graph/HCLG.fst", "graph/HCLr.fst")


class FetchError(Exception):
    pass


def download(url: str, target: Path) -> str:
    digest = hashlib.sha256()
    with urllib.request.urlopen(url, timeout=120) as response, open(target, "wb") as out:
        while chunk := response.read(1 << 20):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def unpack(archive: Path, out: Path) -> Path:
    """Extracts the archive's single top folder into out; refuses paths that would escape it."""
    with zipfile.ZipFile(archive) as zf:
        names = [PurePosixPath(n) for n in zf.namelist()]
        tops = {n.parts[0] for n in names if n.parts}
        if len(tops) != 1 or any(n.is_absolute() or ".." in n.parts for n in names):
            raise FetchError(f"{archive.name} is not a Vosk model archive (one top folder expected)")
        folder = out / tops.pop()
        staging = Path(tempfile.mkdtemp(prefix=".vosk-", dir=out))
        try:
            zf.extractall(staging)
            missing = [r for r in REQUIRED if not (staging / folder.name / r).is_file()]
            if not any((staging / folder.name / g).is_file() for g in GRAPH_ANY):
                missing.append("graph/HCLG.fst")
            if missing:
                raise FetchError(f"{archive.name} lacks {', '.join(missing)}: not a complete Vosk model")
            if folder.exists():
                shutil.rmtree(folder)
            (staging / folder.name).rename(folder)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fetch and unpack a Vosk model archive.")
    parser.add_argument("url", help="the model's .zip (https://, or file:// for a local copy)")
    parser.add_argument("out", type=Path, help="parent folder for the unpacked model")
    parser.add_argument("--sha256", default="", help="expected SHA-256 of the archive (hex)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(dir=args.out) as tmp:
            archive = Path(tmp) / PurePosixPath(args.url).name
            digest = download(args.url, archive)
            if args.sha256 and digest != args.sha256.lower():
                raise FetchError(f"{archive.name}: SHA-256 {digest} does not match the pinned {args.sha256}")
            if not args.sha256:
                sys.stdout.write(f"::warning::{archive.name} is not pinned; its SHA-256 is {digest}\n")
            folder = unpack(archive, args.out)
    except (FetchError, OSError, zipfile.BadZipFile) as exc:
        sys.stderr.write(f"fetch_vosk_model: {exc}\n")
        return 1
    sys.stdout.write(f"{folder}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
