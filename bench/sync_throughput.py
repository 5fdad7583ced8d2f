"""Sync figures over loopback against a real server process, PostgreSQL and MongoDB-wire server.

    .venv/bin/python -m bench.sync_throughput [--only push_pull,noop,scale,concurrent]

* push_pull_10000: push 10,000 changes from one client and pull them on another.
* noop_sync: a sync with nothing to do (median of 20).
* scale: a sync of 1,000 changes (push on one client + pull on another) against 10,000 and against
  200,000 existing rows: the time follows the changes, not the size of the database.
* concurrent_50_push / concurrent_50_sync: 50 clients pushing (then syncing) 20 changes each at once
  against one service process.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from sqlalchemy import text

from clinicdesk.errors import SyncError
from models import Task
from server.db import make_engine
from server.embedded import EmbeddedMongo, EmbeddedPostgres
from server.tables import DEFAULT_ORGANIZATION_ID
from sync.engine import SyncEngine
from sync.status import SyncReport
from sync.transport import HttpTransport
from tests.support.databases import create_database, prepare_database
from tests.support.server_process import ServerProcess, server_settings
from tests.support.sync_clients import LocalStore, create_user

PASSWORD = "benchmark password"
COMMAND = ".venv/bin/python -m bench.sync_throughput"


class Bench:
    def __init__(self, workdir: Path, url: str, db_url: str) -> None:
        self.workdir = workdir
        self.url = url
        self.db_url = db_url
        self.n = 0

    def client(self, username: str) -> tuple[LocalStore, SyncEngine]:
        self.n += 1
        store = LocalStore(self.workdir / f"client{self.n}.db")
        engine = SyncEngine(store.sessions, HttpTransport(self.url))
        engine.sign_in(username=username, password=PASSWORD)
        report = engine.sync_once()
        assert report.ok, report.errors
        return store, engine

    @staticmethod
    def make_tasks(store: LocalStore, engine: SyncEngine, count: int) -> None:
        from sync.local import get_state

        with store.sessions() as s:
            me = uuid.UUID(str(get_state(s, "user_id")))
        with store.sessions.begin() as s:
            s.add_all(Task(title=f"bench task {i}", creator_id=me) for i in range(count))

    def push_then_pull(self, username: str, count: int) -> tuple[float, float]:
        a_store, a = self.client(username)
        b_store, b = self.client(username)
        self.make_tasks(a_store, a, count)
        t0 = time.perf_counter()
        pushed = a.sync_once()
        t1 = time.perf_counter()
        pulled = b.sync_once()
        t2 = time.perf_counter()
        assert pushed.ok and pulled.ok and pushed.applied == count and pulled.pulled >= count, (
            pushed,
            pulled,
        )
        for engine, store in ((a, a_store), (b, b_store)):
            engine.close()
            store.close()
        return t1 - t0, t2 - t1

    def grow_to(self, rows: int) -> None:
        """Add tasks straight into PostgreSQL (with change-log rows) until there are ``rows``."""
        engine = make_engine(self.db_url, pool_size=1)
        with engine.begin() as conn:
            have = conn.execute(text("SELECT count(*) FROM tasks")).scalar_one()
            add = rows - have
            if add > 0:
                creator = conn.execute(text("SELECT id FROM users WHERE username = 'filler'")).scalar_one()
                base = conn.execute(
                    text("SELECT value FROM usn_counter WHERE id = 1 FOR UPDATE")
                ).scalar_one()
                conn.execute(
                    text(
                        "INSERT INTO tasks (id, created_at, updated_at, version, title, creator_id,"
                        " priority, status, task_type, organization_id) SELECT gen_random_uuid(), now(),"
                        " now(), :base + g, 'filler ' || g, :creator, 'medium', 'pending', 'other', :org"
                        " FROM generate_series(1, :add) g"
                    ),
                    {"base": base, "creator": creator, "add": add, "org": DEFAULT_ORGANIZATION_ID},
                )
                conn.execute(
                    text(
                        "INSERT INTO change_log (entity, record_id, usn, field_usns, organization_id)"
                        " SELECT 'tasks', id, version, '{}'::json, :org FROM tasks WHERE version > :base"
                    ),
                    {"base": base, "org": DEFAULT_ORGANIZATION_ID},
                )
                conn.execute(text("UPDATE usn_counter SET value = :v WHERE id = 1"), {"v": base + add})
            conn.execute(text("ANALYZE"))
        engine.dispose()


def run(only: set[str], workdir: Path, *, pool_size: int = 10, threads: int = 40) -> None:
    with EmbeddedPostgres(workdir / "pg") as pg, EmbeddedMongo(workdir / "mongo") as mongo:
        db_url = create_database(pg.url, "bench")
        prepare_database(db_url)
        for i in range(51):
            create_user(db_url, username=f"bench{i}", role="doctor", password=PASSWORD)
        create_user(db_url, username="filler", role="nurse", password=PASSWORD)
        settings = server_settings(database_url=db_url, mongodb_url=mongo.url, mongodb_db="bench")
        settings = replace(settings, pool_size=pool_size, threads=threads)
        sizes = f" --pool-size {pool_size} --threads {threads}" if (pool_size, threads) != (10, 40) else ""
        server = ServerProcess(settings, workdir / "server.log").start()
        bench = Bench(workdir, server.url, db_url)
        try:
            if "push_pull" in only:
                push, pull = bench.push_then_pull("bench0", 10_000)
                print(
                    f"push_pull_10000: {push + pull:.1f} s (push {push:.1f} s, pull {pull:.1f} s)"
                    f" (command: {COMMAND} --only push_pull)"
                )
            if "noop" in only:
                store, engine = bench.client("bench0")
                times = []
                for _ in range(20):
                    t0 = time.perf_counter()
                    assert engine.sync_once().ok
                    times.append(time.perf_counter() - t0)
                print(
                    f"noop_sync: {statistics.median(times) * 1000:.0f} ms median, "
                    f"{max(times) * 1000:.0f} ms max"
                    f" (command: {COMMAND} --only noop)"
                )
                engine.close()
                store.close()
            if "scale" in only:
                for rows in (10_000, 200_000):
                    bench.grow_to(rows)
                    push, pull = bench.push_then_pull("bench0", 1_000)
                    print(
                        f"sync_1000_changes_at_{rows}_rows: {push + pull:.2f} s (push {push:.2f} s, "
                        f"pull {pull:.2f} s) (command: {COMMAND} --only scale)"
                    )
            if "concurrent" in only:
                concurrent(bench, sizes)
        finally:
            server.stop()


def concurrent(bench: Bench, sizes: str = "") -> None:
    """Two figures: whole syncs (each pushes 20 changes and pulls everyone's), then the pushes alone
    (the server's share). The first is bounded by this benchmark's own process, which plays all 50
    workstations (applying 50 x 1,000 pulled records) under one GIL; real workstations each have
    their own."""
    clients = []
    for i in range(50):
        store, engine = bench.client(f"bench{i + 1}")
        clients.append((store, engine))
    for phase in ("sync", "push"):
        for store, engine in clients:
            bench.make_tasks(store, engine, 20)
        latencies: list[float] = []
        errors = 0

        problems: list[str] = []

        def one(
            pair: tuple[LocalStore, SyncEngine], phase: str = phase, problems: list[str] = problems
        ) -> tuple[float, bool]:
            t0 = time.perf_counter()
            if phase == "push":
                report = SyncReport()
                try:
                    pair[1]._push_all(report)
                except SyncError as exc:
                    problems.append(exc.message)
                    return time.perf_counter() - t0, False
            else:
                report = pair[1].sync_once()
                problems.extend(report.errors)
            if report.applied != 20:
                problems.append(f"applied {report.applied} of 20")
            return time.perf_counter() - t0, report.ok and report.applied == 20

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=50) as pool:
            for seconds, ok in pool.map(one, clients):
                latencies.append(seconds)
                errors += not ok
        wall = time.perf_counter() - started
        latencies.sort()
        p50 = latencies[len(latencies) // 2]
        p95 = latencies[int(len(latencies) * 0.95) - 1]
        print(
            f"concurrent_50_{phase}: errors={errors} p50={p50 * 1000:.0f} ms p95={p95 * 1000:.0f} ms "
            f"throughput={50 / wall:.1f} {phase}es/s ({1000 / wall:.0f} changes/s) "
            f"(command: {COMMAND} --only concurrent{sizes})".replace("synces", "syncs")
        )
        if problems:
            print(f"  {phase} problems: {sorted(set(problems))}", file=sys.stderr)
            log = bench.workdir / "server.log"
            if log.exists():
                print(log.read_text(errors="replace")[-4000:], file=sys.stderr)
    for store, engine in clients:
        engine.close()
        store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sync_throughput")
    parser.add_argument("--only", default="push_pull,noop,scale,concurrent")
    parser.add_argument("--pool-size", type=int, default=10, help="the service's PostgreSQL pool size")
    parser.add_argument("--threads", type=int, default=40, help="the service's request worker threads")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sync-bench-") as tmp:
        run(set(args.only.split(",")), Path(tmp), pool_size=args.pool_size, threads=args.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
