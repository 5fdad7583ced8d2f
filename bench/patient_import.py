"""CSV import of a practice's patients into the encrypted store: wall time and peak memory.

    .venv/bin/python -m bench.patient_import [--patients 50000] [--with-mrn] [--keep DIR]

Writes a CSV of distinct patients (the columns of the import contract; without MRNs by default, so
the practice's MRNs are generated too), makes a new encrypted profile (real argon2 key derivation)
with a practice set up, then runs the real command line, ``clinicdesk import-patients FILE --profile
DIR --format json``, in a child process and reports its wall time and peak resident memory (the
child's ru_maxrss: the whole process, interpreter and libraries included). Targets (issue 14):
50,000 patients in <= 60 s and <= 500 MB.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from app.services.practice_setup import default_input, save_practice
from app.store import create_store
from models import User
from models.enums import Role

PASSWORD = "benchmark password"
FIRST = ("Mara", "Ivo", "Lena", "Omar", "Ruth", "Tariq", "Noor", "Jonas", "Aiko", "Femi", "Zofia", "Raul")
LAST = ("Quill", "Brandt", "Okoye", "Novak", "Haddad", "Ferreira", "Lindqvist", "Mbeki", "Silva", "Tan")
COLUMNS = ["mrn", "first_name", "last_name", "date_of_birth", "sex", "phone", "email", "address", "city",
           "region", "postal_code", "country"]  # fmt: skip


def write_csv(path: Path, count: int, *, with_mrn: bool, seed: int = 11) -> None:
    """``count`` patients that are not duplicates of each other (distinct surnames and phones)."""
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for n in range(count):
            born = date(1930, 1, 1) + timedelta(days=rng.randrange(33000))
            writer.writerow(
                [
                    f"OLD{n:08d}" if with_mrn else "", rng.choice(FIRST), f"{rng.choice(LAST)}-{n}",
                    born.isoformat(), rng.choice(("female", "male")), f"+1 416 {1000000 + n:07d}",
                    f"p{n}@example.org",
                    f"{rng.randrange(1, 999)} King Street", "Toronto", "ON", "M5V 1A1", "CA",
                ]
            )  # fmt: skip


def make_profile(folder: Path) -> None:
    store = create_store(folder, PASSWORD, display_name="bench")
    try:
        with store.session() as s:
            admin = User(username="admin", full_name="Bench Admin", role=Role.ADMIN)
            s.add(admin)
            s.flush()
            admin_id = admin.id
        with store.session(actor_id=admin_id) as s:
            save_practice(s, replace(default_input("UTC"), name="Bench Clinic"))
        store.set_owner("admin")
    finally:
        store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=50_000)
    parser.add_argument("--with-mrn", action="store_true", help="the CSV carries MRNs (none are generated)")
    parser.add_argument("--keep", type=Path, default=None, help="work in this folder and keep it")
    args = parser.parse_args(argv)
    command = " ".join(["python -m bench.patient_import", *(shlex.quote(a) for a in (argv or sys.argv[1:]))])
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-import-"))
    work.mkdir(parents=True, exist_ok=True)
    csv_path, profile = work / "patients.csv", work / "profile"
    write_csv(csv_path, args.patients, with_mrn=args.with_mrn)
    make_profile(profile)
    env = {**os.environ, "CLINICDESK_PASSWORD": PASSWORD}
    cli = [sys.executable, "-m", "clinicdesk", "import-patients", str(csv_path), "--profile", str(profile),
           "--format", "json"]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(cli, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if done.returncode != 0:
        print(done.stderr, file=sys.stderr)
        return done.returncode
    report = json.loads(done.stdout)
    peak_mb = max(peak_kib, before) / 1024
    print(f"imported: {report['imported']} patients (duplicates {report['duplicates']}, "
          f"skipped {len(report['skipped'])}) (command: {command})")  # fmt: skip
    print(f"import wall time: {seconds:.1f} s, target <= 60 s (command: {command})")
    print(
        f"import peak memory (the child's max RSS): {peak_mb:.0f} MB, target <= 500 MB (command: {command})"
    )
    print(f"csv: {csv_path.stat().st_size / 2**20:.1f} MiB; profile: {work}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
