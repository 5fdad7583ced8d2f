"""Cold start of the desktop app: a fresh ``clinicdesk gui`` process until today's schedule is drawn.

    .venv/bin/python -m bench.ui_cold_start [--profile bench/out/p50k] [--runs 7]

Each run starts a new process (offscreen Qt) with ``--profile`` and CLINICDESK_PASSWORD, so the
profile is unlocked without the dialog (argon2id key derivation included), and with
CLINICDESK_EXIT_AFTER_FIRST_PAINT=1, so the app prints ``first-paint <unix time>`` after the first
paint of the populated schedule and quits. The figure is that time minus the moment just before the
process was spawned. The day drawn is today in the practice, or the next weekday when today is a
weekend (an empty closed day would flatter the figure). The profile is seeded once (50,000 patients
x 365 days, about half a million appointments) with the real ``clinicdesk seed`` if it is missing.
One warm-up run is not counted. The process's CPU time is printed too: unlike wall-clock time it
hardly changes when other work shares the machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PROFILE = ROOT / "bench" / "out" / "p50k"
DEFAULT_PASSWORD = "bench-password-50k"


def _clinicdesk() -> list[str]:
    return [sys.executable, "-m", "clinicdesk"]


def ensure_profile(
    command: list[str], profile: Path, password: str, *, patients: int, days: int, quiet: bool = False
) -> bool:
    """Seeds the profile with ``command``'s own ``seed`` if it does not exist; True when it did so."""
    if (profile / "profile.json").is_file():
        return False
    profile.parent.mkdir(parents=True, exist_ok=True)
    if not quiet:
        print(f"seeding {profile} ({patients} patients x {days} days); this takes a few minutes", flush=True)
    started = time.perf_counter()
    subprocess.run(
        [*command, "seed", "--profile", str(profile), "--patients", str(patients), "--days", str(days)],
        env={**os.environ, "CLINICDESK_PASSWORD": password},
        check=True,
        capture_output=quiet,
    )
    if not quiet:
        print(f"seeded in {time.perf_counter() - started:.0f} s", flush=True)
    return True


def first_paint(command: list[str], profile: Path, day: date, env: dict[str, str]) -> tuple[float, int]:
    """Starts ``command gui`` on ``day`` of the profile (``env`` unlocks it and asks it to quit after
    its first paint); (the Unix time of that paint, rows drawn or -1 when it does not say)."""
    done = subprocess.run(
        [*command, "gui", "--profile", str(profile), "--date", day.isoformat()],
        env={**env, "CLINICDESK_EXIT_AFTER_FIRST_PAINT": "1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{command[-1]} gui failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    for line in done.stdout.splitlines():
        if line.startswith("first-paint "):
            parts = line.split()
            return float(parts[1]), int(parts[2].removeprefix("rows=")) if len(parts) > 2 else -1
    raise SystemExit(f"{command[-1]} gui exited without reporting its first paint")


def one_run(profile: Path, password: str, home: Path, day: date) -> tuple[float, float, int]:
    """(seconds to first paint, CPU seconds the whole process used, rows drawn)"""
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "CLINICDESK_PASSWORD": password,
        # the app remembers the last profile: keep that out of the user's own settings
        "CLINICDESK_HOME": str(home),
    }
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.time()
    painted, rows = first_paint(_clinicdesk(), profile, day, env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return painted - started, cpu, rows


def working_day() -> date:
    """Today in the practice, or the next weekday when today is a weekend (the practice is closed,
    so "today" would be an empty table): the figure should include drawing a real day."""
    from app.demo import practice_today

    day = practice_today()
    while day.isoweekday() > 5:
        day += timedelta(days=1)
    return day


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ui_cold_start", description=__doc__.split("\n")[0])
    parser.add_argument("--profile", type=Path, default=DEFAULT_PROFILE)
    parser.add_argument("--patients", type=int, default=50_000, help="when seeding a missing profile")
    parser.add_argument("--days", type=int, default=365, help="when seeding a missing profile")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    password = os.environ.get("CLINICDESK_PASSWORD", DEFAULT_PASSWORD)
    ensure_profile(_clinicdesk(), args.profile, password, patients=args.patients, days=args.days)

    day = working_day()
    with tempfile.TemporaryDirectory(prefix="clinicdesk-bench-") as home:
        one_run(args.profile, password, Path(home), day)  # warm-up: the OS file cache, Python's bytecode
        results = [one_run(args.profile, password, Path(home), day) for _ in range(args.runs)]
    times = [seconds for seconds, _cpu, _rows in results]
    cpu = [used for _seconds, used, _rows in results]
    command = f".venv/bin/python -m bench.ui_cold_start --runs {args.runs}"
    if args.profile != DEFAULT_PROFILE:
        command += f" --profile {args.profile}"
    print(
        f"ui_cold_start_to_schedule_drawn: median {statistics.median(times):.2f} s "
        f"(min {min(times):.2f} s, max {max(times):.2f} s, {args.runs} runs; "
        f"profile {args.profile.name}, {day:%a %Y-%m-%d}, {results[0][2]} rows drawn; command: {command})"
    )
    print(
        f"ui_cold_start_process_cpu: median {statistics.median(cpu):.2f} s of CPU (user+sys, whole process "
        f"including exit; load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
