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
import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml

import clinicdesk
from audio.models import BASE_MODEL_BYTES, check_vosk_dir, check_whisper_dir

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
NSI = PACKAGING / "windows" / "clinicdesk.nsi"
SPEC = PACKAGING / "clinicdesk.spec"
WORKFLOW = ROOT / ".github" / "workflows" / "installers.yml"
SETUP = f"ClinicDesk-{clinicdesk.__version__}-setup.exe"
#: a "/" between two path parts ("${DIST_DIR}/x", "dist/clinicdesk"), not a switch ("File /r", "/SD")
SLASH_JOIN = re.compile(r"(?<=[\w}).])/(?=[\w${.])")


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


def _nsis_code(line: str) -> str:
    """A line of NSIS script without its trailing comment (";" or "#" outside quotes)."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "\"'`":
            quote = ch
        elif ch in ";#" and (i == 0 or line[i - 1].isspace()):
            return line[:i]
    return line


def _slash_joins(text: str) -> list[str]:
    return [
        f"{n}: {line.strip()}"
        for n, line in enumerate(text.splitlines(), 1)
        if SLASH_JOIN.search(_nsis_code(line))
    ]


def test_nsis_script_joins_paths_with_backslashes_only() -> None:
    """makensis on Windows splits folders on "\\" only: "${DIST_DIR}/clinicdesk.exe" is "missing" there,
    while makensis on Linux (this test suite) accepts both, so a compile here cannot catch it."""
    text = NSI.read_text(encoding="utf-8")
    assert _slash_joins(text) == []
    # the check sees the joins the first Windows build tripped over
    regressed = text.replace('File "${DIST_DIR}\\${CLI_EXE}"', 'File "${DIST_DIR}/${CLI_EXE}"')
    assert regressed != text
    found = _slash_joins(regressed)
    assert len(found) == 1 and found[0].endswith('File "${DIST_DIR}/${CLI_EXE}"'), found


def test_nsis_script_compiles_with_its_default_dist_folder(tmp_path: Path) -> None:
    """Without /DDIST_DIR the script takes ..\\..\\dist\\clinicdesk from its own folder (the repository's
    dist/), written with backslashes like every other path."""
    makensis = shutil.which("makensis")
    if makensis is None:
        pytest.skip("makensis is not installed (Debian package nsis)")
    script = tmp_path / "packaging" / "windows" / "clinicdesk.nsi"
    script.parent.mkdir(parents=True)
    shutil.copy(NSI, script)
    _fake_dist(tmp_path / "dist" / "clinicdesk")
    done = subprocess.run(
        [makensis, "-V2", "-WX", f"-DVERSION={clinicdesk.__version__}", f"-DOUTFILE={tmp_path / SETUP}",
         "-DCOMPRESSOR=zlib", str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / SETUP).read_bytes()[:2] == b"MZ"


def _nsis_block(text: str, start: str, end: str) -> str:
    assert start in text, f"{start!r} is not in the script"
    return text.split(start, 1)[1].split(end, 1)[0]


def test_nsis_installer_and_uninstaller_refuse_while_clinicdesk_runs() -> None:
    """Both executables are probed (opened for writing, which Windows refuses while either runs), with
    Retry / Cancel, before the installer or the uninstaller touches a file; silent runs cancel with exit
    code 2. packaging/windows/test-installer.ps1 runs this for real on the Windows CI runner."""
    text = NSI.read_text(encoding="utf-8")
    probe = _nsis_block(text, "!macro _IN_USE EXE", "!macroend")
    # GENERIC_WRITE, every share mode (readers such as a virus scanner are not "running"), OPEN_EXISTING
    assert (
        'kernel32::CreateFileW(w "$INSTDIR\\${EXE}", i 0x40000000, i 7, p 0, i 3, i 0x80, p 0) p.R2 ?e'
        in probe
    )
    assert "${If} $R3 = 32" in probe  # ERROR_SHARING_VIOLATION, not any failure (access denied)
    assert "kernel32::CloseHandle(p R2)" in probe
    ask = _nsis_block(text, "Function ${UN}CloseClinicDesk", "FunctionEnd")
    assert '!insertmacro _IN_USE "${CLI_EXE}"' in ask and '!insertmacro _IN_USE "${GUI_EXE}"' in ask
    assert re.search(r"MB_RETRYCANCEL.*\n.*\n\s*/SD IDCANCEL IDRETRY retry", ask)
    assert '!insertmacro CLOSE_CLINICDESK_FUNCTION ""' in text
    assert '!insertmacro CLOSE_CLINICDESK_FUNCTION "un."' in text
    install = _nsis_block(text, 'Section "${APP_NAME}" SecProgram', "SectionEnd")
    assert install.index("Call CloseClinicDesk") < install.index("RMDir") < install.index("File ")
    assert "SetErrorLevel 2" in install.split("RMDir", 1)[0]
    assert "Call CloseClinicDesk" in _nsis_block(text, "Function DirectoryLeave", "FunctionEnd")
    assert "!define MUI_PAGE_CUSTOMFUNCTION_LEAVE DirectoryLeave\n!insertmacro MUI_PAGE_DIRECTORY" in text
    uninit = _nsis_block(text, "Function un.onInit", "FunctionEnd")
    assert "Call un.CloseClinicDesk" in uninit and "SetErrorLevel 2" in uninit
    uninstall = _nsis_block(text, 'Section "un.${APP_NAME} program files" UnSecProgram', "SectionEnd")
    assert uninstall.index("Call un.CloseClinicDesk") < uninstall.index("Delete ")


def test_nsis_uninstaller_deletes_only_the_installing_accounts_data() -> None:
    """An uninstaller elevated with another account's credentials sees that account's $LOCALAPPDATA:
    the installer records its own account's data folder, and the uninstaller deletes profiles (when
    asked) and the cache only when it runs as that account."""
    text = NSI.read_text(encoding="utf-8")
    install = _nsis_block(text, 'Section "${APP_NAME}" SecProgram', "SectionEnd")
    assert 'WriteRegStr SHCTX "${SETTINGS_KEY}" "OwnerDataDir" "$OwnerData"' in install
    recorded = install.split('"OwnerDataDir"', 1)[0]
    assert recorded.rindex("SetShellVarContext current") < recorded.rindex('StrCpy $OwnerData "${USER_DATA}"')
    uninit = _nsis_block(text, "Function un.onInit", "FunctionEnd")
    assert 'ReadRegStr $OwnerData SHCTX "${SETTINGS_KEY}" "OwnerDataDir"' in uninit
    owner = _nsis_block(text, "Function un.IsOwner", "FunctionEnd")
    assert 'StrCpy $R0 "${USER_DATA}"' in owner and "${If} $R1 == $R0" in owner
    for section in ('Section /o "un.Delete my encrypted profiles and settings" UnSecProfiles',
                    'Section "un.${APP_NAME} program files" UnSecProgram'):  # fmt: skip
        body = _nsis_block(text, section, "SectionEnd")
        deletes = [m.start() for m in re.finditer(r'RMDir /r "\$\{USER_(DATA|CACHE)\}"', body)]
        assert deletes, section
        assert body.index("Call un.IsOwner") < min(deletes)
    confirm = _nsis_block(text, "Function un.ConfirmProfileRemoval", "FunctionEnd")
    assert confirm.index("Call un.IsOwner") < confirm.index("MB_YESNO")


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


def test_app_bundle_asks_for_the_macos_its_arm64_wheels_need() -> None:
    """numpy, onnxruntime and av ship arm64 wheels for macOS 14 only: the app says 14.0, the spec fails
    a build whose libraries need more than the plist says, and the README tells users the same."""
    with open(PACKAGING / "macos" / "Info.plist", "rb") as fh:
        assert plistlib.load(fh)["LSMinimumSystemVersion"] == "14.0"
    spec = SPEC.read_text(encoding="utf-8")
    assert "from PyInstaller.utils.osx import macosx_version_min" in spec
    assert re.search(
        r'if IS_MAC:\n\s+MACOS_MINIMUM = _macos_minimum\(ROOT / "packaging" / "macos" / "Info.plist"\)', spec
    )
    # checked before the executables are built, not after
    assert spec.index("MACOS_MINIMUM = _macos_minimum") < spec.index("executables = [")
    build = (PACKAGING / "macos" / "build-macos.sh").read_text(encoding="utf-8")
    assert 'PlistBuddy -c "Print :LSMinimumSystemVersion" "$APP/Contents/Info.plist"' in build
    readme = (PACKAGING / "README.md").read_text(encoding="utf-8")
    assert "macOS 14" in readme
    assert not re.search(r"macOS 1[0-3]\b|macOS 11\.0", readme)


def test_spec_runs_every_frozen_executable_in_utf8_mode() -> None:
    """The bootloader enables UTF-8 mode for "X utf8" (its spelling of python -X utf8); "X utf8_mode=1"
    would be passed on as an unknown -X option and do nothing. The frozen-build test proves the effect
    in a cp1252 locale."""
    spec = SPEC.read_text(encoding="utf-8")
    assert 'RUNTIME_OPTIONS = [("X utf8", None, "OPTION")]' in spec
    exes = re.findall(r"EXE\(\s*pyz,\s*a\.scripts,\s*(\w+),", spec)
    assert exes == ["RUNTIME_OPTIONS", "RUNTIME_OPTIONS"]  # clinicdesk and clinicdesk-gui


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
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    jobs = workflow["jobs"]
    assert {"windows", "macos"} <= set(jobs)
    text = WORKFLOW.read_text(encoding="utf-8")
    for path in set(re.findall(r"packaging/[\w./-]+\.(?:sh|ps1|nsi|spec|py|plist)", text)):
        assert (ROOT / path).is_file(), f"the workflow uses {path}, which does not exist"


def _steps(job: dict[str, object]) -> list[dict[str, str]]:
    steps = job["steps"]
    assert isinstance(steps, list)
    return steps


def test_installer_workflow_pins_the_vosk_model_and_caches_it_by_url_and_digest() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert re.fullmatch(r"[0-9a-f]{64}", workflow["env"]["VOSK_MODEL_SHA256"])  # a literal, not a variable
    assert workflow["env"]["VOSK_MODEL_URL"].startswith("https://")
    for name in ("windows", "macos"):
        steps = _steps(workflow["jobs"][name])
        fetches = [s["run"] for s in steps if "fetch_vosk_model.py" in s.get("run", "")]
        assert fetches, name
        for run in fetches:
            assert '--sha256 "$VOSK_MODEL_SHA256"' in run and "--cache build/downloads" in run
        caches = [s for s in steps if str(s.get("uses", "")).startswith("actions/cache@")]
        assert len(caches) == 1, name
        cache = caches[0]["with"]
        assert isinstance(cache, dict)
        assert cache["path"] == "build/downloads"
        assert "${{ env.VOSK_MODEL_SHA256 }}" in cache["key"] and "${{ env.VOSK_MODEL_URL }}" in cache["key"]
        assert steps.index(caches[0]) < min(
            i for i, s in enumerate(steps) if "fetch_vosk_model" in s.get("run", "")
        )


def _dev_pins() -> dict[str, str]:
    """name -> version of pyproject's ``dev`` extra (``pip install -e ".[dev]"``)."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pins = {}
    for requirement in pyproject["project"]["optional-dependencies"]["dev"]:
        name, _, version = requirement.partition("==")
        pins[name.strip().lower()] = version.strip()
    return pins


def test_installer_workflow_installs_the_pinned_pyinstaller_and_its_hooks() -> None:
    """The hooks decide what goes into the bundle as much as PyInstaller does: both are pinned, in the
    workflow and in pyproject's dev group, to the same versions."""
    pins = _dev_pins()
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert workflow["env"]["PYINSTALLER_VERSION"] == pins["pyinstaller"]
    assert workflow["env"]["PYINSTALLER_HOOKS_CONTRIB_VERSION"] == pins["pyinstaller-hooks-contrib"]
    for name in ("windows", "macos"):
        installs = [s["run"] for s in _steps(workflow["jobs"][name]) if "pyinstaller==" in s.get("run", "")]
        assert installs, name
        for run in installs:
            assert '"pyinstaller-hooks-contrib==${{ env.PYINSTALLER_HOOKS_CONTRIB_VERSION }}"' in run


def test_installer_workflow_smoke_tests_models_audio_and_qt_from_the_bundle() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    for name, exe in (("windows", "dist/clinicdesk/clinicdesk.exe"),
                      ("macos", "dist/ClinicDesk.app/Contents/MacOS/clinicdesk")):  # fmt: skip
        runs = [s.get("run", "") for s in _steps(workflow["jobs"][name])]
        smoke = [r for r in runs if "packaging/smoke_frozen.py" in r]
        assert len(smoke) == 1, name
        assert exe in smoke[0] and "--whisper-model base" in smoke[0] and "--vosk" in smoke[0]
    runs = [s.get("run", "") for s in _steps(workflow["jobs"]["windows"])]
    assert any("packaging/windows/test-installer.ps1" in r for r in runs)


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


def test_vosk_fetcher_downloads_a_pinned_archive_once_into_its_cache(tmp_path: Path) -> None:
    source = tmp_path / "vosk-model-test.zip"
    url = _vosk_archive(source, complete=True)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    cache = tmp_path / "cache"
    first = _fetch(url, tmp_path / "a", "--sha256", digest, "--cache", str(cache))
    assert first.returncode == 0, first.stderr
    assert hashlib.sha256((cache / source.name).read_bytes()).hexdigest() == digest
    source.unlink()  # the second run must not need the network
    second = _fetch(url, tmp_path / "b", "--sha256", digest, "--cache", str(cache))
    assert second.returncode == 0, second.stderr
    assert "using" in second.stderr
    check_vosk_dir(Path(second.stdout.strip()))


def test_vosk_fetcher_replaces_a_damaged_cached_archive_and_needs_a_pin_to_cache(tmp_path: Path) -> None:
    source = tmp_path / "vosk-model-test.zip"
    url = _vosk_archive(source, complete=True)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / source.name).write_bytes(b"truncated")
    done = _fetch(url, tmp_path / "a", "--sha256", digest, "--cache", str(cache))
    assert done.returncode == 0, done.stderr
    assert hashlib.sha256((cache / source.name).read_bytes()).hexdigest() == digest
    unpinned = _fetch(url, tmp_path / "b", "--cache", str(cache))
    assert unpinned.returncode == 2
    assert "--cache needs --sha256" in unpinned.stderr


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
