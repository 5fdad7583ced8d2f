"""Every benchmark's command starts: a module moved out from under one (the espeak-ng speech went to
tests/support) is found here, not by the next person who needs its figure. Run as commands, because
tests never import the benchmarks."""

from __future__ import annotations

import pytest

from tests.support.python_run import ROOT, run_python

BENCHMARKS = sorted(p.stem for p in (ROOT / "bench").glob("*.py") if p.stem != "__init__")


@pytest.mark.parametrize("name", BENCHMARKS)
def test_the_benchmark_command_starts_and_explains_itself(name: str) -> None:
    """A benchmark with options answers --help; one without (or a helper module) loads."""
    takes_options = "ArgumentParser" in (ROOT / "bench" / f"{name}.py").read_text(encoding="utf-8")
    command = ["-m", f"bench.{name}", "--help"] if takes_options else ["-c", f"import bench.{name}"]
    done = run_python(*command)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "usage:" in done.stdout or not takes_options
