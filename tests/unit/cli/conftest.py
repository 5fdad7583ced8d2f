"""The real ``clinicdesk`` command in a subprocess, against real encrypted profiles (``profile`` is a
copy of the session's seeded master, tests/conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

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
