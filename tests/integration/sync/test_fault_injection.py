"""The fault-injection benchmark, small, run as its command: nothing lost, nothing applied twice,
everyone converges (its own PostgreSQL, MongoDB-wire server, proxy and server processes)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]
COMMAND = ["-m", "bench.sync_faults", "--clients", "3", "--rounds", "8", "--seed", "7"]


def test_a_hostile_network_and_crashing_processes_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, *COMMAND, "--workdir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )
    figures = run.stdout.strip().splitlines()[-1:]
    assert figures == ["rounds=8 lost_writes=0 duplicates=0 unresolved_divergence=0"], run.stderr[-2000:]
    assert run.returncode == 0
