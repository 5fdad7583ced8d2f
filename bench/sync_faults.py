"""Fault injection: do offline edits survive a hostile network and crashing processes?

    python -m bench.sync_faults --clients K --rounds R --seed S [--parallel]

K client stores (two users, editing the same tasks and patients) make random edits each round and
sync through a proxy that drops, delays and truncates connections. Now and then the server process
is killed (SIGKILL) and restarted, and clients "die" after the server applied their push but before
they recorded its answer. At the end the faults stop, everyone syncs, and every client is compared
with the server. Prints one line: ``rounds=R lost_writes=N duplicates=N unresolved_divergence=N``.

* lost_writes: an outbox entry the server never answered, or a conflict whose losing values the
  client did not keep.
* duplicates: an outbox entry applied twice, or a record created twice.
* unresolved_divergence: a record whose fields differ between a client and the server.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

from bench.sync_proxy import FaultyProxy
from models import OutboxEntry, Patient, SyncConflict, Task, row_to_dict
from models.enums import OutboxStatus, TaskPriority, TaskStatus
from server.db import make_engine
from server.embedded import EmbeddedMongo, EmbeddedPostgres
from server.records import entity_info, row_to_wire
from sync.engine import SyncEngine
from sync.local import get_state
from sync.protocol import ChangeResult
from sync.transport import HttpTransport
from tests.support.databases import create_database, prepare_database
from tests.support.server_process import ServerProcess, server_settings
from tests.support.sync_clients import LocalStore, create_user

PASSWORD = "fault injection pw"
COMPARED = {"tasks": Task, "patients": Patient}
VERBOSE = bool(os.environ.get("SYNC_FAULTS_VERBOSE"))


class ClientDied(Exception):
    """Simulates the workstation process dying after a push reached the server, before the answer
    was recorded locally."""


class Client:
    def __init__(self, index: int, store: LocalStore, username: str, url: str, rng: random.Random) -> None:
        self.index = index
        self.store = store
        self.username = username
        self.url = url
        self.rng = rng
        self.die_after_push = 0.0
        self.engine = self._engine()
        self.created = 0

    def _engine(self) -> SyncEngine:
        engine = SyncEngine(self.store.sessions, HttpTransport(self.url, timeout=_timeout()), push_batch=50)
        original = engine._apply_results

        def maybe_die(results: list[ChangeResult], report: Any) -> None:
            if self.rng.random() < self.die_after_push:
                raise ClientDied
            original(results, report)

        engine._apply_results = maybe_die  # type: ignore[method-assign]
        return engine

    def restart(self) -> None:
        self.engine.close()
        self.engine = self._engine()

    def user_id(self) -> uuid.UUID:
        with self.store.sessions() as s:
            value = get_state(s, "user_id")
        assert value is not None
        return uuid.UUID(value)

    def sync(self) -> bool:
        try:
            return self.engine.sync_once().ok
        except ClientDied:
            self.restart()
            return False

    def edit(self) -> None:
        rng = self.rng
        with self.store.sessions.begin() as s:
            tasks = list(s.execute(select(Task).where(Task.deleted_at.is_(None))).scalars())
            patients = list(s.execute(select(Patient)).scalars())
            roll = rng.random()
            if roll < 0.2 or not tasks:
                self.created += 1
                s.add(
                    Task(
                        title=f"task c{self.index}-{self.created}-{uuid.uuid4().hex[:6]}",
                        creator_id=self.user_id(),
                    )
                )
            elif roll < 0.3 or not patients:
                s.add(
                    Patient(
                        mrn=f"F-{uuid.uuid4().hex[:12]}",
                        first_name="Pat",
                        last_name=f"C{self.index}",
                        date_of_birth=date(1970, 1, 1),
                    )
                )
            elif roll < 0.75:
                task = rng.choice(tasks)
                field = rng.choice(["title", "description", "status", "priority"])
                if field == "status":
                    task.status = rng.choice(list(TaskStatus))
                elif field == "priority":
                    task.priority = rng.choice(list(TaskPriority))
                else:
                    setattr(task, field, f"{field} by c{self.index} {rng.randint(0, 10**6)}")
            elif roll < 0.95:
                patient = rng.choice(patients)
                field = rng.choice(["phone", "email", "address_city"])
                setattr(patient, field, f"{field}-c{self.index}-{rng.randint(0, 10**6)}")
            else:
                rng.choice(tasks).deleted_at = datetime.now(UTC)


def _timeout() -> Any:
    import httpx

    return httpx.Timeout(10.0, connect=2.0)


def run(*, clients: int, rounds: int, seed: int, workdir: Path, parallel: bool = False) -> dict[str, int]:
    rng = random.Random(seed)
    with EmbeddedPostgres(workdir / "pg") as pg, EmbeddedMongo(workdir / "mongo") as mongo:
        db_url = create_database(pg.url, "faults")
        prepare_database(db_url)
        settings = server_settings(database_url=db_url, mongodb_url=mongo.url, mongodb_db=f"faults{seed}")
        server = ServerProcess(settings, workdir / "server.log").start()
        proxy = FaultyProxy(target_port=settings.port, seed=seed).start()
        try:
            users = []
            for n in range(2):
                create_user(db_url, username=f"doc{n}", role="doctor", password=PASSWORD)
                users.append(f"doc{n}")
            fleet = []
            for i in range(clients):
                store = LocalStore(workdir / f"client{i}.db")
                client = Client(i, store, users[i % 2], proxy.url, random.Random(rng.random()))
                proxy.faults = False
                client.engine.sign_in(username=client.username, password=PASSWORD)
                client.sync()
                proxy.faults = True
                client.die_after_push = 0.15
                fleet.append(client)
            for _ in range(rounds):
                order = rng.sample(fleet, len(fleet))
                for client in order:
                    for _ in range(rng.randint(1, 4)):
                        client.edit()
                    if not parallel:
                        client.sync()
                if parallel:
                    # Everyone syncs at once: pushes overlap on the server and pulls run while
                    # other pushes are still in flight.
                    with ThreadPoolExecutor(max_workers=len(order)) as pool:
                        list(pool.map(lambda c: c.sync(), order))
                if rng.random() < 0.2:
                    server.kill()
                    server.start()
            proxy.faults = False
            for client in fleet:
                client.die_after_push = 0.0
            for _ in range(3):
                for client in fleet:
                    client.sync()
            return _compare(fleet, db_url)
        finally:
            proxy.stop()
            server.stop()
            for client in fleet if "fleet" in locals() else []:
                client.engine.close()
                client.store.close()


def _compare(fleet: list[Client], db_url: str) -> dict[str, int]:
    engine = make_engine(db_url, pool_size=1)
    lost = duplicates = divergent = 0
    with engine.connect() as conn:
        answered = {
            row[0]: row[1]
            for row in conn.execute(text("SELECT outbox_id, result->>'status' FROM applied_changes"))
        }
        creates = Counter(
            conn.execute(text("SELECT resource_id FROM audit_events WHERE action = 'create'")).scalars()
        )
        duplicates += sum(n - 1 for n in creates.values() if n > 1)
        titles = Counter(conn.execute(text("SELECT title FROM tasks")).scalars())
        duplicates += sum(n - 1 for n in titles.values() if n > 1)
        server_rows: dict[tuple[str, uuid.UUID], dict[str, Any]] = {}
        for entity in COMPARED:
            info = entity_info(entity)
            assert info is not None
            for row in conn.execute(select(info.table)).mappings():
                wire = row_to_wire(info, row)
                wire["version"] = row["version"]
                server_rows[(entity, row["id"])] = wire
    engine.dispose()
    for client in fleet:
        with client.store.sessions() as s:
            for entry in s.execute(select(OutboxEntry)).scalars():
                if entry.id not in answered or entry.status is OutboxStatus.PENDING:
                    lost += 1
                elif entry.status is OutboxStatus.CONFLICT:
                    kept = s.execute(select(SyncConflict).where(SyncConflict.outbox_id == entry.id)).first()
                    lost += kept is None
            seen = set()
            for entity, model in COMPARED.items():
                for obj in s.execute(select(model)).scalars():
                    seen.add((entity, obj.id))
                    local = row_to_dict(obj)
                    local["version"] = obj.version
                    remote = server_rows.get((entity, obj.id))
                    if remote != local:
                        divergent += 1
                        if VERBOSE:
                            diff = sorted(k for k in local if remote is None or remote.get(k) != local[k])
                            print(
                                f"divergent {entity} on client {client.index}: fields {diff}", file=sys.stderr
                            )
            divergent += sum(1 for key in server_rows if key not in seen)
    return {"lost_writes": lost, "duplicates": duplicates, "unresolved_divergence": divergent}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sync_faults", description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, help="keep databases and logs here (default: a temp dir)")
    parser.add_argument("--parallel", action="store_true", help="clients sync at the same time each round")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    shape: dict[str, Any] = {
        "clients": args.clients,
        "rounds": args.rounds,
        "seed": args.seed,
        "parallel": args.parallel,
    }
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        result = run(**shape, workdir=args.workdir)
    else:
        with tempfile.TemporaryDirectory(prefix="sync-faults-") as tmp:
            result = run(**shape, workdir=Path(tmp))
    print(
        f"rounds={args.rounds} lost_writes={result['lost_writes']} duplicates={result['duplicates']} "
        f"unresolved_divergence={result['unresolved_divergence']}"
    )
    print(
        f"(clients={args.clients} seed={args.seed} {time.perf_counter() - started:.1f} s; command: "
        f".venv/bin/python -m bench.sync_faults --clients {args.clients} --rounds {args.rounds} "
        f"--seed {args.seed}{' --parallel' if args.parallel else ''})",
        file=sys.stderr,
    )
    return 0 if not any(result.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
