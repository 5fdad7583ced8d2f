"""The fault-injection harness, small: nothing lost, nothing applied twice, everyone converges."""

from __future__ import annotations

import pytest

from bench.sync_faults import main

pytestmark = pytest.mark.integration


def test_a_hostile_network_and_crashing_processes_lose_and_duplicate_nothing(capsys, tmp_path):
    code = main(["--clients", "3", "--rounds", "8", "--seed", "7", "--workdir", str(tmp_path)])
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line == "rounds=8 lost_writes=0 duplicates=0 unresolved_divergence=0"
    assert code == 0
