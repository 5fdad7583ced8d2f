"""Running this project's Python in a fresh process, from the repository root: for the checks that
must see a clean interpreter (what an import loads) or run a command as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_python(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` from the repository root (offscreen Qt), its output captured as text."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
