#!/usr/bin/env python3
"""One entry point for developers and CI: set up everything, then run the app or the checks.

    python3 scripts/dev.py run     # set up .venv, create the demo profile, start ClinicDesk
    python3 scripts/dev.py test    # set up .venv, then lint, types, import rules and the whole test suite

Setting up is idempotent and quick when nothing changed: system packages are installed through
apt-get only when missing (Debian/Ubuntu), and pip runs again only when pyproject.toml changed.
Standard library only, because it runs before the virtual environment exists.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
STAMP = VENV / ".clinicdesk-installed"
DEMO_PASSWORD = "clinicdesk-demo"

# Qt needs these at run time (even offscreen), sounddevice needs PortAudio, screenshots need Xvfb,
# the speech benchmarks synthesise dictation with espeak-ng and sox, and the dictation UI tests play
# a WAV through a PulseAudio virtual microphone.
APT_PACKAGES = [
    "libegl1",
    "libgl1",
    "libxkbcommon0",
    "libxkbcommon-x11-0",
    "libfontconfig1",
    "libdbus-1-3",
    "libglib2.0-0",
    "libportaudio2",
    "xvfb",
    "xauth",
    "libxcb-icccm4",
    "libxcb-keysyms1",
    "libxcb-image0",
    "libxcb-render-util0",
    "libxcb-cursor0",
    "libxcb-shape0",
    "libxcb-xinerama0",
    "libxcb-randr0",
    "libxcb-xkb1",
    "fonts-dejavu-core",
    "espeak-ng",
    "sox",
    "pulseaudio",
    "pulseaudio-utils",
    # packaging: the Windows installer script is compiled here to catch errors
    "nsis",
    "binutils",
    "strace",
]


def log(msg: str) -> None:
    print(f"[dev] {msg}", flush=True)


def venv_bin(name: str) -> Path:
    sub = "Scripts" if os.name == "nt" else "bin"
    exe = f"{name}.exe" if os.name == "nt" else name
    return VENV / sub / exe


def ensure_system_packages() -> None:
    if not sys.platform.startswith("linux") or shutil.which("apt-get") is None:
        return
    missing = [
        p
        for p in APT_PACKAGES
        if subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", p], capture_output=True, text=True
        ).stdout.strip()
        != "install ok installed"
    ]
    if not missing:
        return
    prefix: list[str] = []
    if os.geteuid() != 0:
        if shutil.which("sudo") is None:
            log(f"please install with apt-get: {' '.join(missing)}")
            return
        prefix = ["sudo", "-n"]
    log(f"installing system packages: {' '.join(missing)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run([*prefix, "apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        [*prefix, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
        check=True,
        env=env,
    )


def ensure_venv() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this script runs on whatever python3 is installed
        sys.exit("ClinicDesk needs Python 3.11 or newer")
    if not venv_bin("python").exists():
        log("creating .venv")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest:
        return
    py = str(venv_bin("python"))
    log("installing Python packages into .venv (first run takes a few minutes)")
    subprocess.run([py, "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
    subprocess.run([py, "-m", "pip", "install", "-q", "-e", f"{ROOT}[dev]"], check=True)
    STAMP.write_text(digest)


def setup() -> None:
    ensure_system_packages()
    ensure_venv()


def run_app(extra: list[str]) -> int:
    clinicdesk = str(venv_bin("clinicdesk"))
    env = dict(os.environ)
    profile = subprocess.run(
        [clinicdesk, "demo-profile", "--password-env"],
        env=dict(env, CLINICDESK_PASSWORD=DEMO_PASSWORD),
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    log(f"demo profile: {profile}  (password: {DEMO_PASSWORD}; sign in as dr.house, the demo doctor)")
    if sys.platform.startswith("linux") and not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        if not env.get("QT_QPA_PLATFORM"):
            log("no display found: starting under Xvfb (xvfb-run)")
            return subprocess.call(["xvfb-run", "-a", clinicdesk, "gui", "--profile", profile, *extra])
    return subprocess.call([clinicdesk, "gui", "--profile", profile, *extra], env=env)


def run_checks(extra: list[str]) -> int:
    bin_dir = venv_bin("python").parent
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    steps: list[tuple[str, list[str]]] = [
        ("ruff lint", [str(venv_bin("ruff")), "check", "."]),
        ("ruff format", [str(venv_bin("ruff")), "format", "--check", "."]),
        ("mypy", [str(venv_bin("mypy"))]),
        ("import rules", [str(venv_bin("lint-imports"))]),
        ("pytest", [str(venv_bin("python")), "-m", "pytest", *extra]),
    ]
    failed = []
    for name, cmd in steps:
        log(f"--- {name}")
        if subprocess.call(cmd, cwd=ROOT, env=env) != 0:
            failed.append(name)
    if failed:
        log(f"FAILED: {', '.join(failed)}")
        return 1
    log("all checks passed")
    return 0


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in {"run", "test", "setup"}:
        print(__doc__)
        return 2
    command, extra = sys.argv[1], sys.argv[2:]
    setup()
    if command == "run":
        return run_app(extra)
    if command == "test":
        return run_checks(extra)
    return 0


if __name__ == "__main__":
    sys.exit(main())
