"""The real ``clinicdesk`` command in a subprocess, against real encrypted profiles."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from app.demo import seed_profile
from app.store.keys import KdfParams

FAST_KDF = KdfParams(time_cost=1, memory_kib=8192, parallelism=1)
PASSWORD = "cli test password"
TODAY = date(2026, 11, 18)  # a Wednesday

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run_cli(tmp_path: Path) -> Run:
    """Run ``python -m clinicdesk ARGS`` with a clean environment: no password variables unless
    given, and CLINICDESK_HOME in the test's folder so nothing touches the user's real profiles."""

    def run(
        *args: str, env: dict[str, str] | None = None, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith("CLINICDESK_")}
        base["CLINICDESK_HOME"] = str(tmp_path / "home")
        return subprocess.run(
            [sys.executable, "-m", "clinicdesk", *args],
            env={**base, **(env or {})},
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    return run


def assert_one_line_error(result: subprocess.CompletedProcess[str], command: str, pattern: str = "") -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"clinicdesk {command}: error: "), lines[0]
    assert pattern.casefold() in lines[0].casefold(), lines[0]
    assert result.stdout == ""
    return lines[0]


@pytest.fixture(scope="session")
def profile_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli") / "profile"
    seed_profile(folder, PASSWORD, patients=200, days=14, seed=11, today=TODAY, kdf=FAST_KDF).close()
    return folder


@pytest.fixture
def profile(profile_master: Path, tmp_path: Path) -> Path:
    target = tmp_path / "profile"
    shutil.copytree(profile_master, target)
    return target
