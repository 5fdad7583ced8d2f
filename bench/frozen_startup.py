"""Cold start of the frozen app: a new ``dist/clinicdesk/clinicdesk gui`` process until the schedule is drawn.

    .venv/bin/python -m bench.frozen_startup [--exe dist/clinicdesk/clinicdesk] [--runs 5] [--drop-caches]
                                             [--compare-venv] [--profile DIR [--password PW]]

The 50,000-patient profile of bench.ui_cold_start, for the same figure frozen and not:

    .venv/bin/python -m bench.frozen_startup --profile /work/p50k --password bench-password-50k

Build the bundle first (packaging/build-linux.sh). Each run starts the frozen executable (offscreen
Qt) with ``--profile`` and CLINICDESK_PASSWORD, so the profile is unlocked without the dialog (argon2id
included), and CLINICDESK_EXIT_AFTER_FIRST_PAINT=1, so the app prints ``first-paint <unix time>`` once
the populated schedule is first painted and quits; the figure is that moment minus the moment just
before the process was spawned. The day drawn is today in the practice, or the next weekday.

Two kinds of run: "warm" starts a new process with the files already cached, as on the second start of
the day; with --drop-caches, "cold" runs first drop the kernel's page cache before each start (root
only; it slows everything else on the machine for a moment, hence opt-in), so the bundle's files really
come from disk, as after a reboot. The profile is seeded once by the frozen binary itself
(bench/out/frozen-profile) unless --profile names an existing one, whose password is --password
(default: CLINICDESK_PASSWORD, else the bench's own). With --compare-venv the same warm runs are made
with the virtual environment's ``python -m clinicdesk`` for comparison.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from bench.ui_cold_start import ensure_profile, first_paint, working_day

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EXE = ROOT / "dist" / "clinicdesk" / "clinicdesk"
DEFAULT_PROFILE = ROOT / "bench" / "out" / "frozen-profile"
PASSWORD = "bench-frozen-password"
DROP_CACHES = Path("/proc/sys/vm/drop_caches")


def drop_caches() -> bool:
    try:
        os.sync()
        DROP_CACHES.write_text("3\n")
    except OSError:
        return False
    return True


def one_run(
    command: list[str], profile: Path, password: str, home: Path, day: date, *, cold: bool
) -> tuple[float, int]:
    """(seconds from spawn to first paint, rows drawn)"""
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "QT_QPA_PLATFORM": "offscreen",
        "CLINICDESK_HOME": str(home / "clinicdesk"),
        "CLINICDESK_PASSWORD": password,
    }
    if cold:
        drop_caches()
    started = time.time()
    painted, rows = first_paint(command, profile, day, env)
    return painted - started, rows


def summary(name: str, times: list[float], rows: int, command: str, note: str = "") -> str:
    return (
        f"{name}: median {statistics.median(times):.2f} s (min {min(times):.2f} s, max {max(times):.2f} s, "
        f"{len(times)} runs, {rows} rows drawn{note}; command: {command})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.frozen_startup", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--exe", type=Path, default=DEFAULT_EXE, help="the frozen executable")
    parser.add_argument("--profile", type=Path, default=DEFAULT_PROFILE, help="seeded if missing")
    parser.add_argument(
        "--password",
        default=os.environ.get("CLINICDESK_PASSWORD", PASSWORD),
        help="the profile's password (default: CLINICDESK_PASSWORD, else the bench's own)",
    )
    parser.add_argument("--patients", type=int, default=2000, help="when seeding the profile (2000)")
    parser.add_argument("--days", type=int, default=60, help="when seeding the profile (60)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--drop-caches", action="store_true", help="also time true cold starts (root)")
    parser.add_argument("--compare-venv", action="store_true", help="also time python -m clinicdesk")
    args = parser.parse_args(argv)
    if not args.exe.is_file():
        raise SystemExit(f"{args.exe} not found: build it with packaging/build-linux.sh")
    frozen = [str(args.exe)]
    seeded = ensure_profile(
        frozen, args.profile, args.password, patients=args.patients, days=args.days, quiet=True
    )
    day = working_day()
    given = list(sys.argv[1:] if argv is None else argv)
    shown = ["..." if i and given[i - 1] == "--password" else a for i, a in enumerate(given)]
    command = " ".join([".venv/bin/python -m bench.frozen_startup", *shown])
    with tempfile.TemporaryDirectory(prefix="clinicdesk-frozen-bench-") as tmp:
        home = Path(tmp)

        def run(cmd: list[str], *, cold: bool) -> tuple[float, int]:
            return one_run(cmd, args.profile, args.password, home, day, cold=cold)

        if args.drop_caches and drop_caches():
            cold = [run(frozen, cold=True) for _ in range(args.runs)]
            print(
                summary(
                    "frozen_cold_start_to_schedule_drawn",
                    [t for t, _ in cold],
                    cold[0][1],
                    command,
                    ", page cache dropped before each run",
                )
            )
        elif args.drop_caches:
            print("frozen_cold_start_to_schedule_drawn: not measured (dropping the page cache needs root)")
        run(frozen, cold=False)  # warm-up: bring the bundle into the cache
        warm = [run(frozen, cold=False) for _ in range(args.runs)]
        print(summary("frozen_warm_start_to_schedule_drawn", [t for t, _ in warm], warm[0][1], command))
        if args.compare_venv:
            venv = [sys.executable, "-m", "clinicdesk"]
            run(venv, cold=False)
            runs = [run(venv, cold=False) for _ in range(args.runs)]
            print(summary("venv_warm_start_to_schedule_drawn", [t for t, _ in runs], runs[0][1], command))
    made = f", seeded here: {args.patients} patients x {args.days} days" if seeded else ""
    print(
        f"(profile {args.profile}{made}; "
        f"{day:%a %Y-%m-%d}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
