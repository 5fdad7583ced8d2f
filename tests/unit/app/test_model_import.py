"""Importing a speech model from a folder or a zip: safe unpacking, validation, then the setting."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import pytest

from app.model_import import import_model, model_problem, models_root
from app.settings import WorkstationSettings
from clinicdesk.errors import SpeechError, ValidationError

VOSK_FILES = ("am/final.mdl", "conf/model.conf", "graph/HCLr.fst", "README")


def _vosk_folder(root: Path) -> Path:
    for rel in VOSK_FILES:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(b"model bytes for " + rel.encode())
    return root


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_a_vosk_zip_wrapped_in_a_folder_is_unpacked_checked_and_becomes_the_setting(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "vosk-model-small-en-us-0.15.zip",
                   {f"vosk-model-small-en-us-0.15/{rel}": b"x" for rel in VOSK_FILES})  # fmt: skip
    settings = WorkstationSettings()
    seen: list[float] = []
    imported = import_model(archive, settings=settings, root=tmp_path / "home", progress=seen.append)
    assert imported.kind == "vosk" and imported.name == "vosk-model-small-en-us-0.15"
    assert imported.path == models_root(tmp_path / "home") / "vosk" / "vosk-model-small-en-us-0.15"
    assert (imported.path / "am" / "final.mdl").read_bytes() == b"x"
    assert settings.vosk_model_path == str(imported.path)
    assert WorkstationSettings.load(tmp_path / "home").vosk_model_path == str(imported.path)
    assert seen and seen[-1] == pytest.approx(1.0)
    assert [p.name for p in models_root(tmp_path / "home").iterdir()] == ["vosk"]  # no staging left


def test_a_whisper_folder_is_copied_and_set_as_the_whisper_model(tmp_path: Path) -> None:
    source = tmp_path / "my-whisper"
    source.mkdir()
    for name in ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt"):
        (source / name).write_text("{}")
    settings = WorkstationSettings(whisper_model="base")
    imported = import_model(source, settings=settings, root=tmp_path / "home")
    assert imported.kind == "whisper" and settings.whisper_model == str(imported.path)
    assert (source / "model.bin").exists()  # the user's folder is left as it was


@pytest.mark.parametrize(
    "evil", ["../escaped.txt", "/abs/escaped.txt", "model/../../escaped.txt", "C:/x.txt"]
)
def test_a_zip_with_a_path_that_escapes_is_refused_and_writes_nothing_outside(
    tmp_path: Path, evil: str
) -> None:
    archive = _zip(tmp_path / "evil.zip", {**{f"m/{rel}": b"x" for rel in VOSK_FILES}, evil: b"pwned"})
    settings = WorkstationSettings()
    with pytest.raises(ValidationError, match="unsafe path"):
        import_model(archive, settings=settings, root=tmp_path / "home")
    assert not (tmp_path / "escaped.txt").exists() and not (tmp_path / "home" / "escaped.txt").exists()
    assert settings.vosk_model_path == ""
    assert list((tmp_path / "home" / "models").iterdir()) == []


def test_a_zip_with_a_symbolic_link_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "link.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for rel in VOSK_FILES:
            zf.writestr(f"m/{rel}", b"x")
        link = zipfile.ZipInfo("m/am/evil")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
    with pytest.raises(ValidationError, match="symbolic link"):
        import_model(archive, settings=WorkstationSettings(), root=tmp_path / "home")


def test_something_that_is_not_a_model_is_refused_with_what_a_model_looks_like(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "photos.zip", {"holiday/beach.jpg": b"jpeg"})
    settings = WorkstationSettings(vosk_model_path="/kept")
    with pytest.raises(SpeechError, match=r"am/final\.mdl"):
        import_model(archive, settings=settings, root=tmp_path / "home")
    assert settings.vosk_model_path == "/kept"
    with pytest.raises(ValidationError, match="neither a folder nor a zip"):
        import_model(_write(tmp_path / "notes.txt"), settings=settings, root=tmp_path / "home")


def _write(path: Path) -> Path:
    path.write_text("not a model")
    return path


def test_reimporting_a_model_replaces_the_old_copy(tmp_path: Path) -> None:
    first = _vosk_folder(tmp_path / "model-a")
    settings = WorkstationSettings()
    import_model(first, settings=settings, root=tmp_path / "home")
    (first / "README").write_text("second edition")
    again = import_model(first, settings=settings, root=tmp_path / "home")
    assert (again.path / "README").read_text() == "second edition"


def test_model_problem_names_the_missing_vosk_model_and_is_none_once_it_is_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLINICDESK_VOSK_MODEL", raising=False)
    monkeypatch.setenv("CLINICDESK_MODEL_CACHE", str(tmp_path / "cache"))
    problem = model_problem(WorkstationSettings(speech_engine="vosk"))
    assert problem is not None and "No Vosk speech model" in problem
    folder = _vosk_folder(tmp_path / "vosk")
    assert model_problem(WorkstationSettings(speech_engine="vosk", vosk_model_path=str(folder))) is None
