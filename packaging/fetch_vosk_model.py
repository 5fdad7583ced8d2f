"""Fetches and unpacks a Vosk model archive for the installer builds (CI runners only).

Vosk's English models are not on PyPI, so the Windows and macOS jobs download one from its publisher
(alphacephei.com). The archive's SHA-256 is checked when given; when not, it is printed with a CI
warning so it can be pinned. The model is unpacked next to the archive's name and checked for the
files Vosk loads, so a truncated or wrong download fails the build, not a clinician's dictation.

    python packaging/fetch_vosk_model.py URL OUT_DIR [--sha256 HEX] [--cache DIR]   # -> OUT_DIR/<name>/

With --cache (which needs --sha256), the archive is kept in DIR and taken from there while its digest
matches the pin, so CI downloads it once per pin (the workflow caches DIR with actions/cache, keyed on the
URL and the digest); a cached file that does not match is downloaded again.
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


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(url: str, folder: Path, sha256: str) -> Path:
    """The archive, downloaded into folder (or found there already with the pinned digest)."""
    archive = folder / PurePosixPath(url).name
    if sha256 and archive.is_file() and file_sha256(archive) == sha256:
        sys.stderr.write(f"fetch_vosk_model: using {archive} (SHA-256 matches the pin)\n")
        return archive
    partial = archive.with_name(archive.name + ".part")
    digest = download(url, partial)
    if sha256 and digest != sha256:
        partial.unlink()
        raise FetchError(f"{archive.name}: SHA-256 {digest} does not match the pinned {sha256}")
    if not sha256:
        sys.stdout.write(f"::warning::{archive.name} is not pinned; its SHA-256 is {digest}\n")
    partial.replace(archive)
    return archive


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
    parser.add_argument("--cache", type=Path, metavar="DIR", help="keep the archive here (needs --sha256)")
    args = parser.parse_args(argv)
    sha256 = args.sha256.strip().lower()
    if args.cache and not sha256:
        parser.error("--cache needs --sha256: an unpinned archive cannot be trusted from a cache")
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        if args.cache:
            args.cache.mkdir(parents=True, exist_ok=True)
            folder = unpack(fetch(args.url, args.cache, sha256), args.out)
        else:
            with tempfile.TemporaryDirectory(dir=args.out) as tmp:
                folder = unpack(fetch(args.url, Path(tmp), sha256), args.out)
    except (FetchError, OSError, zipfile.BadZipFile) as exc:
        sys.stderr.write(f"fetch_vosk_model: {exc}\n")
        return 1
    sys.stdout.write(f"{folder}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
