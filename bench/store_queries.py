"""Store figures on a big seeded profile: unlock, one clinician's day, patient search, and the cost of
encryption (the same queries on a plain SQLite copy of the same data, measured in the same run).

    .venv/bin/python -m bench.store_queries [--patients 50000] [--days 365] [--profile DIR]

The profile is seeded once into the cache folder (default bench/out/store_queries/) and reused while
its size and seed match. Queries go through the Workspace, so they include what users pay for:
sessions, ORM loading, recurring-block expansion and the audit event every search writes.
Targets (issue 2): schedule <= 20 ms, search <= 30 ms, SQLCipher/plain <= 1.5, unlock 0.2-1.0 s.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy.orm import sessionmaker

import app.demo as demo_package
from app.demo import practice_today, seed_profile, vocab
from app.demo.calendar import holidays
from app.ops import patients as patient_ops
from app.ops import schedule as schedule_ops
from app.store import Store, open_store
from app.store.engine import make_engine
from app.store.outbox import install_outbox_listener
from app.store.profile import DB_FILE, read_meta, write_meta
from app.workspace import Workspace

PASSWORD = "benchmark password"
DEFAULT_DIR = Path(__file__).resolve().parent / "out" / "store_queries"
PLAIN_FILE = "plain-copy.db"


def busy_day(today: date) -> date:
    """Today, or the last business day before it: a weekend's empty schedule would measure nothing."""
    closed = set(holidays(today.year)) | set(holidays(today.year - 1))
    while today.weekday() >= 5 or today in closed:
        today -= timedelta(days=1)
    return today


def seeder_fingerprint() -> str:
    """Changes whenever the seeder's code does, so a stale cached profile is seeded again."""
    digest = hashlib.sha256()
    for path in sorted(Path(demo_package.__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def ensure_profile(folder: Path, *, patients: int, days: int, seed: int) -> tuple[Path, float | None]:
    """The cached profile (re-seeded when its parameters differ) and the seed time if it was seeded."""
    profile = folder / "profile"
    wanted = {"patients": patients, "days": days, "seed": seed, "seeder": seeder_fingerprint()}
    if (profile / "profile.json").is_file() and read_meta(profile).extra.get("bench") == wanted:
        return profile, None
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    started = time.perf_counter()
    store = seed_profile(
        profile, PASSWORD, patients=patients, days=days, seed=seed, today=busy_day(practice_today())
    )
    seconds = time.perf_counter() - started
    store.meta.extra["bench"] = wanted
    write_meta(profile, store.meta)
    store.close()
    return profile, seconds


def ensure_plain_copy(profile: Path) -> Path:
    """A plain SQLite copy of the encrypted store, made by SQLCipher itself (sqlcipher_export)."""
    plain = profile.parent / PLAIN_FILE
    if plain.exists() and plain.stat().st_mtime >= (profile / DB_FILE).stat().st_mtime:
        return plain
    plain.unlink(missing_ok=True)
    store = open_store(profile, PASSWORD)
    try:
        with store.engine.connect() as conn:
            raw = conn.connection.driver_connection
            assert raw is not None
            raw.execute(f"ATTACH DATABASE '{plain}' AS plain KEY ''")
            raw.execute("SELECT sqlcipher_export('plain')")
            raw.execute("DETACH DATABASE plain")
    finally:
        store.close()
    plain_engine = make_engine(plain, None)
    with plain_engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        raw.execute("PRAGMA journal_mode = WAL")  # the same journal as the encrypted store
        raw.execute("ANALYZE")
    plain_engine.dispose()
    return plain


def plain_workspace(profile: Path, plain: Path) -> Workspace:
    """A Workspace over the unencrypted copy: same code path, only the file differs."""
    engine = make_engine(plain, None)
    maker = sessionmaker(engine, expire_on_commit=False)
    install_outbox_listener(maker)
    store = Store(profile_dir=profile, meta=read_meta(profile), engine=engine, sessionmaker=maker, _key=b"")
    return Workspace.for_store(store)


@contextmanager
def stopwatch(samples: list[float]) -> Iterator[None]:
    started = time.perf_counter()
    yield
    samples.append(time.perf_counter() - started)


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def prefixes(count: int) -> list[str]:
    """Three-letter prefixes of the names the seeder draws from, spread over the alphabet."""
    names = sorted({n[:3].casefold() for n in vocab.LAST_NAMES + vocab.FEMALE_FIRST + vocab.MALE_FIRST})
    step = max(1, len(names) // count)
    return names[::step][:count]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=50_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", type=Path, default=DEFAULT_DIR, help="cache folder for the profile")
    parser.add_argument("--runs", type=int, default=50, help="schedule queries (at least one per clinician)")
    parser.add_argument("--searches", type=int, default=100, help="name prefixes searched")
    args = parser.parse_args(argv)
    command = f".venv/bin/python -m bench.store_queries --patients {args.patients} --days {args.days}"
    if args.profile != DEFAULT_DIR:
        command += f" --profile {args.profile}"

    def report(name: str, value: str) -> None:
        print(f"{name}: {value} (command: {command})", flush=True)

    profile, seeded = ensure_profile(args.profile, patients=args.patients, days=args.days, seed=args.seed)
    if seeded is not None:
        report("seed", f"{seeded:.1f} s for {args.patients} patients x {args.days} days")
    plain = ensure_plain_copy(profile)
    demo = read_meta(profile).extra["demo"]
    day = date.fromisoformat(demo["today"])

    unlock: list[float] = []
    for _ in range(5):
        with stopwatch(unlock):
            ws = Workspace.unlock(profile, PASSWORD)
            schedule_ops.clinicians(ws)
        ws.close()

    encrypted = Workspace.unlock(profile, PASSWORD)
    baseline = plain_workspace(profile, plain)
    try:
        clinicians = [c.id for c in schedule_ops.clinicians(encrypted) if c.role.value == "doctor"]
        terms = prefixes(args.searches)
        timings: dict[str, dict[str, list[float]]] = {
            q: {"sqlcipher": [], "plain": []} for q in ("schedule", "search", "search_one_letter")
        }
        sizes: dict[str, list[int]] = {q: [] for q in timings}
        runs = max(args.runs, len(clinicians))

        def measure(query: str, call: Callable[[Workspace], int]) -> None:
            # interleaved, so both files see the same machine noise; the first call of each warms up
            for ws, label in ((encrypted, "sqlcipher"), (baseline, "plain")):
                with stopwatch(timings[query][label]):
                    size = call(ws)
                if label == "sqlcipher":
                    sizes[query].append(size)

        for ws in (encrypted, baseline):
            schedule_ops.day(ws, clinician_id=clinicians[0], day=day)
            patient_ops.search(ws, terms[0])
        for i in range(runs):
            clinician = clinicians[i % len(clinicians)]
            measure(
                "schedule", lambda ws, c=clinician: len(schedule_ops.day(ws, clinician_id=c, day=day).entries)
            )
        for term in terms:
            measure("search", lambda ws, t=term: len(patient_ops.search(ws, t)))
        for letter in "abcdefghijklmnopqrstuvwxyz":
            measure("search_one_letter", lambda ws, t=letter: len(patient_ops.search(ws, t)))
    finally:
        encrypted.close()
        baseline.close()

    report("unlock", f"median {statistics.median(unlock):.3f} s over 5 (argon2id + first query)")
    for query, label in (
        ("schedule", "schedule_one_clinician"),
        ("search", "patient_search_prefix"),
        ("search_one_letter", "patient_search_one_letter"),
    ):
        enc = median_ms(timings[query]["sqlcipher"])
        base = median_ms(timings[query]["plain"])
        worst = max(timings[query]["sqlcipher"]) * 1000
        n = len(timings[query]["sqlcipher"])
        avg = statistics.mean(sizes[query])
        detail = f"day {day.isoformat()}" if query == "schedule" else f"{len(terms[0])}-letter prefixes"
        if query == "search_one_letter":
            detail = "a-z"
        report(label, f"median {enc:.1f} ms, max {worst:.1f} ms over {n} (avg {avg:.0f} rows; {detail})")
        report(f"{label}_plain_sqlite", f"median {base:.1f} ms over {n}")
        report(f"{label}_ratio", f"{enc / base:.2f} (SQLCipher / plain SQLite)")
    print(json.dumps({"profile": str(profile), "day": day.isoformat()}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
