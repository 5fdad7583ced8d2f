"""The "next free slot" search on a big profile: how long the front desk waits for it.

    .venv/bin/python -m bench.next_free_slot [--profile /work/p50k] [--password PW] [--runs 20]

(the defaults: the 50,000-patient profile at /work/p50k and its password, bench-password-50k)

Copies the profile first (opening it may bring its schema up to date, and the search is read in a
session that writes an unlock's bookkeeping: the original is never written to), then times
app.ops.scheduling.next_free_slot for every doctor and appointment type, from now and from a week
ahead, through the Workspace as the window calls it: the practice record, the doctor's blocks and a
window of appointments read from the encrypted store, then the booking rules' search.
Target (issue 14): <= 50 ms on the 50,000-patient profile.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from app.ops import schedule as schedule_ops
from app.ops import scheduling as scheduling_ops
from app.workspace import Workspace
from models import utcnow
from models.enums import AppointmentType


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--profile", type=Path, default=Path("/work/p50k"))
    parser.add_argument("--password", default="bench-password-50k")
    parser.add_argument("--runs", type=int, default=20, help="searches per doctor, type and start")
    args = parser.parse_args(argv)
    command = " ".join(["python -m bench.next_free_slot", *(shlex.quote(a) for a in (argv or sys.argv[1:]))])
    with tempfile.TemporaryDirectory(prefix="bench-slot-") as tmp:
        copy = Path(tmp) / "profile"
        shutil.copytree(args.profile, copy)
        workspace = Workspace.unlock(copy, args.password)
        try:
            doctors = schedule_ops.clinicians(workspace)
            timings: list[float] = []
            found = 0
            now = utcnow()
            for doctor in doctors:
                for kind in AppointmentType:
                    for after in (now, now + timedelta(days=7)):
                        for _ in range(args.runs):
                            started = time.perf_counter()
                            slot = scheduling_ops.next_free_slot(
                                workspace, clinician_id=doctor.id, appointment_type=kind, after=after
                            )
                            timings.append((time.perf_counter() - started) * 1000)
                            found += slot is not None
        finally:
            workspace.close()
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(f"searches: {len(timings)} ({len(doctors)} doctors x {len(AppointmentType)} types x 2 starts x "
          f"{args.runs}), {found} found a slot (command: {command})")  # fmt: skip
    print(f"next free slot median: {statistics.median(timings):.1f} ms, p95: {p95:.1f} ms, "
          f"max: {timings[-1]:.1f} ms, target <= 50 ms (command: {command})")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
