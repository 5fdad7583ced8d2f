"""Importing a speech model the user brought on a USB stick or a share: a folder or a zip archive.

Models cannot be downloaded on the practice's machines (DESIGN.md), so "no model" is fixed by
importing one. An archive from elsewhere is untrusted: members are unpacked one by one into a
staging folder with every path checked (no absolute paths, no ``..``, no links, a size cap), so a
crafted zip can never write outside the models folder. The unpacked folder is validated with the
same checks the engines use before it replaces anything, and only then is the setting changed.
"""

from __future__ import annotations

import shutil
import stat
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from app.settings import WorkstationSettings, data_root
from audio.models import VOSK_REQUIRED, WHISPER_FILES, check_vosk_dir, check_whisper_dir
from clinicdesk.errors import ClinicDeskError, SpeechError, ValidationError

#: a speech model is a few GB at most; anything bigger is not one (or is a zip bomb)
MAX_UNPACKED_BYTES = 8 * 1024**3
KINDS = ("vosk", "whisper")

Progress = Callable[[float], None]


@dataclass(frozen=True)
class ImportedModel:
    kind: str  # "vosk" or "whisper"
    name: str
    path: Path


def models_root(root: Path | None = None) -> Path:
    return (root or data_root()) / "models"


def _model_kind(folder: Path) -> str | None:
    if all((folder / rel).is_file() for rel in VOSK_REQUIRED):
        return "vosk"
    if all((folder / name).is_file() for name in WHISPER_FILES):
        return "whisper"
    return None


def find_model_folder(folder: Path) -> tuple[str, Path]:
    """The model inside ``folder``: the folder itself or one level down (archives usually wrap the
    model in a folder named after it)."""
    candidates = [folder, *sorted(p for p in folder.iterdir() if p.is_dir())] if folder.is_dir() else []
    for candidate in candidates:
        kind = _model_kind(candidate)
        if kind is not None:
            return kind, candidate
    raise SpeechError(
        "This is not a speech model: a Vosk model has am/final.mdl and conf/model.conf, a Whisper model "
        "has model.bin, config.json and tokenizer.json. Choose the model's folder or its zip archive."
    )


def _safe_member_path(name: str) -> PurePosixPath:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
        raise ValidationError(
            "the archive contains an unsafe path (absolute or with '..'); it was not imported"
        )
    return path


def unpack_zip(archive: Path, target: Path, *, progress: Progress | None = None) -> None:
    """Unpacks ``archive`` into the empty folder ``target``, refusing anything that could escape it."""
    try:
        zf = zipfile.ZipFile(archive)
    except (OSError, zipfile.BadZipFile):
        raise ValidationError(f"{archive.name} is not a readable zip archive") from None
    with zf:
        members = zf.infolist()
        total = sum(m.file_size for m in members)
        if total > MAX_UNPACKED_BYTES:
            raise ValidationError("the archive unpacks to more than 8 GB; it is not a speech model")
        done = 0
        for member in members:
            rel = _safe_member_path(member.filename)
            mode = member.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise ValidationError("the archive contains a symbolic link; it was not imported")
            destination = target.joinpath(*rel.parts)
            if not destination.resolve().is_relative_to(target.resolve()):
                raise ValidationError("the archive contains an unsafe path; it was not imported")
            if member.is_dir():
                destination.mkdir(parents=True, exist_ok=True)
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(member) as source, destination.open("wb") as out:
                written = 0
                while chunk := source.read(1 << 20):
                    written += len(chunk)
                    if written > member.file_size:  # a header that lies about the size
                        raise ValidationError("the archive is damaged (a member is larger than declared)")
                    out.write(chunk)
            done += member.file_size
            if progress is not None and total:
                progress(done / total)


def _copy_folder(source: Path, target: Path, *, progress: Progress | None = None) -> None:
    files = [p for p in source.rglob("*") if p.is_file() and not p.is_symlink()]
    total = sum(p.stat().st_size for p in files) or 1
    done = 0
    for path in files:
        destination = target / path.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)
        done += path.stat().st_size
        if progress is not None:
            progress(done / total)


def import_model(
    source: Path,
    *,
    settings: WorkstationSettings,
    root: Path | None = None,
    progress: Progress | None = None,
    save: bool = True,
) -> ImportedModel:
    """Copies (folder) or unpacks (zip) a model into ``data_root()/models/<kind>/<name>``, checks it
    and makes it the model Settings uses; an existing model of that name is replaced only after the
    new one passed the checks."""
    source = Path(source).expanduser()
    if not source.exists():
        raise ValidationError(f"{source} does not exist; choose a model folder or a .zip archive")
    base = models_root(root)
    staging = base / f".import-{uuid.uuid4().hex[:12]}"
    staging.mkdir(parents=True, exist_ok=True)
    try:
        if source.is_dir():
            _copy_folder(source, staging, progress=progress)
            default_name = source.name
        elif zipfile.is_zipfile(source):
            unpack_zip(source, staging, progress=progress)
            default_name = source.stem
        else:
            raise ValidationError(f"{source.name} is neither a folder nor a zip archive")
        kind, folder = find_model_folder(staging)
        (check_vosk_dir if kind == "vosk" else check_whisper_dir)(folder)
        name = folder.name if folder != staging else default_name
        name = "".join(c if c.isalnum() or c in "-._" else "_" for c in name).strip(".") or kind
        final = base / kind / name
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():
            shutil.rmtree(final)
        shutil.move(str(folder), str(final))
    except OSError as exc:
        raise ClinicDeskError(
            f"could not import the model into {base} ({exc.strerror or 'I/O error'}); "
            "check there is enough free disk space and the folder is writable"
        ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if kind == "vosk":
        settings.vosk_model_path = str(final)
        if settings.speech_engine == "whisper" and not _whisper_usable(settings.whisper_model):
            settings.speech_engine = "vosk"
    else:
        settings.whisper_model = str(final)
    if save:
        settings.save(root)
    return ImportedModel(kind=kind, name=name, path=final)


def _whisper_usable(name: str) -> bool:
    from audio.models import locate_whisper

    try:
        locate_whisper(name)
    except SpeechError:
        return False
    return True


def model_problem(settings: WorkstationSettings) -> str | None:
    """Why dictation cannot start with these settings (the message names the missing model and how
    to add one), or None when the configured models are present. Can take seconds the first time
    Whisper base is assembled: call it off the GUI thread."""
    from audio.models import locate_vosk, locate_whisper

    try:
        if settings.speech_engine in ("whisper", "two-pass"):
            locate_whisper(settings.whisper_model or None)
        if settings.speech_engine in ("vosk", "two-pass"):
            locate_vosk(settings.vosk_model_path or None)
    except SpeechError as exc:
        return exc.message
    return None
