"""The installer sources that cannot run here still compile and hold what Windows and macOS demand.

makensis (Debian package nsis) compiles the real Windows installer script against a small stand-in
for the PyInstaller folder; the macOS property list and the icon containers are checked as the OS
reads them; the model helper builds the folders the bundle ships.
"""

from __future__ import annotations

import hashlib
import os
import plistlib
import re
import shutil
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

import clinicdesk
from audio.models import BASE_MODEL_BYTES, check_vosk_dir, check_whisper_dir

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
NSI = PACKAGING / "windows" / "clinicdesk.nsi"
SETUP = f"ClinicDesk-{clinicdesk.__version__}-setup.exe"


def _fake_dist(folder: Path, *, gui: bool = True) -> Path:
    """The layout PyInstaller makes on Windows, with placeholder bytes."""
    (folder / "_internal" / "resources").mkdir(parents=True)
    (folder / "clinicdesk.exe").write_bytes(b"MZ console")
    if gui:
        (folder / "clinicdesk-gui.exe").write_bytes(b"MZ windowed")
    (folder / "_internal" / "resources" / "style.qss").write_text("QWidget {}")
    return folder


def _makensis(tmp_path: Path, dist: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    makensis = shutil.which("makensis")
    if makensis is None:
        pytest.skip("makensis is not installed (Debian package nsis)")
    return subprocess.run(
        [
            makensis, "-V2", "-WX", f"-DVERSION={clinicdesk.__version__}", f"-DDIST_DIR={dist}",
            f"-DOUTFILE={tmp_path / SETUP}", "-DCOMPRESSOR=zlib", *extra, str(NSI),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )  # fmt: skip


def test_nsis_script_compiles_into_a_windows_installer(tmp_path: Path) -> None:
    dist = _fake_dist(tmp_path / "dist")
    icons = tmp_path / "icons"
    make_icons = [sys.executable, str(PACKAGING / "make_icons.py"), str(icons)]
    subprocess.run(
        make_icons, check=True, capture_output=True, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    )
    done = _makensis(tmp_path, dist, f"-DICON={icons / 'app.ico'}")
    assert done.returncode == 0, done.stdout + done.stderr
    setup = (tmp_path / SETUP).read_bytes()
    assert setup[:2] == b"MZ"
    # the version resource Windows shows in the file's properties (UTF-16 in the PE resources)
    assert f"{clinicdesk.__version__}".encode("utf-16-le") in setup


def test_nsis_script_refuses_a_build_without_the_windowed_executable(tmp_path: Path) -> None:
    dist = _fake_dist(tmp_path / "dist", gui=False)
    done = _makensis(tmp_path, dist)
    assert done.returncode != 0
    assert "clinicdesk-gui.exe is missing" in done.stdout + done.stderr
    assert not (tmp_path / SETUP).exists()


def test_nsis_uninstaller_keeps_profiles_unless_asked() -> None:
    """The profile section is optional and unticked (/o), and only /REMOVEPROFILES or the box selects it."""
    text = NSI.read_text(encoding="utf-8")
    sections = re.findall(r"^Section\s+(/o\s+)?\"(un\.[^\"]+)\"\s+(\w+)", text, re.MULTILINE)
    by_id = {ident: (optional, name) for optional, name, ident in sections}
    assert by_id["UnSecProfiles"][0].strip() == "/o"
    assert "profiles" in by_id["UnSecProfiles"][1].lower()
    program = text.split('Section "un.${APP_NAME} program files"', 1)[1].split("SectionEnd", 1)[0]
    assert "${USER_DATA}" not in program


def test_app_bundle_plist_explains_the_microphone_and_names_the_executable() -> None:
    with open(PACKAGING / "macos" / "Info.plist", "rb") as fh:
        info = plistlib.load(fh)
    assert len(info["NSMicrophoneUsageDescription"]) > 20
    assert info["CFBundleExecutable"] == "clinicdesk"  # the spec's EXE name, so the .app can start
    assert info["CFBundlePackageType"] == "APPL"
    with open(PACKAGING / "macos" / "entitlements.plist", "rb") as fh:
        entitlements = plistlib.load(fh)
    assert entitlements["com.apple.security.device.audio-input"] is True


def test_icons_are_rendered_into_ico_and_icns_containers(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(PACKAGING / "make_icons.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert done.returncode == 0, done.stderr
    ico = (tmp_path / "app.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    assert (reserved, kind, count) == (0, 1, 7)
    for i in range(count):
        _, _, _, _, _, _, size, offset = struct.unpack("<BBBBHHII", ico[6 + 16 * i : 22 + 16 * i])
        assert ico[offset : offset + 8] == b"\x89PNG\r\n\x1a\n"
        assert offset + size <= len(ico)
    icns = (tmp_path / "app.icns").read_bytes()
    assert icns[:4] == b"icns"
    assert struct.unpack(">I", icns[4:8])[0] == len(icns)
    types, pos = [], 8
    while pos < len(icns):
        kind_bytes, length = icns[pos : pos + 4], struct.unpack(">I", icns[pos + 4 : pos + 8])[0]
        types.append(kind_bytes)
        pos += length
    assert pos == len(icns)
    assert b"ic10" in types  # the 1024 px image Finder uses on Retina displays


@pytest.mark.parametrize("name", ["tiny.en", "base"])
def test_whisper_helper_makes_a_complete_model_folder(tmp_path: Path, name: str) -> None:
    done = subprocess.run(
        [sys.executable, str(PACKAGING / "make_whisper_model.py"), name, str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0 and "is not installed" in done.stderr:
        pytest.skip(done.stderr.strip())
    assert done.returncode == 0, done.stderr
    folder = Path(done.stdout.strip())
    assert folder == tmp_path / f"whisper-{name}"
    check_whisper_dir(folder)  # the app's own check of a model folder
    if name == "base":
        assert (folder / "model.bin").stat().st_size == BASE_MODEL_BYTES
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no half-made folder left


def test_spec_refuses_an_incomplete_model_folder(tmp_path: Path) -> None:
    empty = tmp_path / "whisper-tiny.en"
    empty.mkdir()
    (empty / "config.json").write_text("{}")
    done = subprocess.run(
        [
            sys.executable, "-m", "PyInstaller", str(PACKAGING / "clinicdesk.spec"), "--noconfirm",
            "--distpath", str(tmp_path / "dist"), "--workpath", str(tmp_path / "work"),
            "--", "--whisper-model", str(empty),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )  # fmt: skip
    assert done.returncode != 0
    assert "lacks model.bin" in done.stderr + done.stdout
    assert not (tmp_path / "dist" / "clinicdesk").exists()


def test_installer_workflow_names_only_files_that_exist() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "installers.yml").read_text(encoding="utf-8"))
    jobs = workflow["jobs"]
    assert {"windows", "macos"} <= set(jobs)
    text = (ROOT / ".github" / "workflows" / "installers.yml").read_text(encoding="utf-8")
    for path in set(re.findall(r"packaging/[\w./-]+\.(?:sh|ps1|nsi|spec|py|plist)", text)):
        assert (ROOT / path).is_file(), f"the workflow uses {path}, which does not exist"


def _vosk_archive(path: Path, *, complete: bool) -> str:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("vosk-model-test/am/final.mdl", b"acoustic model")
        zf.writestr("vosk-model-test/conf/model.conf", b"--sample-frequency=16000")
        if complete:
            zf.writestr("vosk-model-test/graph/HCLr.fst", b"graph")
    return path.as_uri()


def _fetch(url: str, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(PACKAGING / "fetch_vosk_model.py"), url, str(out), *extra],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_vosk_fetcher_unpacks_a_pinned_model_and_checks_its_files(tmp_path: Path) -> None:
    url = _vosk_archive(tmp_path / "vosk-model-test.zip", complete=True)
    digest = hashlib.sha256((tmp_path / "vosk-model-test.zip").read_bytes()).hexdigest()
    done = _fetch(url, tmp_path / "models", "--sha256", digest)
    assert done.returncode == 0, done.stderr
    folder = Path(done.stdout.strip())
    assert (folder / "graph" / "HCLr.fst").is_file()
    check_vosk_dir(folder)


def test_vosk_fetcher_refuses_a_wrong_digest_or_an_incomplete_model(tmp_path: Path) -> None:
    url = _vosk_archive(tmp_path / "vosk-model-test.zip", complete=True)
    wrong = _fetch(url, tmp_path / "a", "--sha256", "0" * 64)
    assert wrong.returncode == 1
    assert "does not match" in wrong.stderr
    assert not (tmp_path / "a" / "vosk-model-test").exists()
    partial = _fetch(_vosk_archive(tmp_path / "partial.zip", complete=False), tmp_path / "b")
    assert partial.returncode == 1
    assert "lacks graph/HCLG.fst" in partial.stderr
    assert not (tmp_path / "b" / "vosk-model-test").exists()
