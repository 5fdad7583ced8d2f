"""Pushes run side by side; a pull cursor must still never move past a change that commits later."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, insert, select

from models import Task
from server.db import make_engine
from server.services import horizon
from server.tables import DEFAULT_ORGANIZATION_ID, change_log, push_inflight
from sync.engine import SyncEngine
from sync.local import get_state
from sync.transport import HttpTransport
from tests.support.sync_clients import LocalStore

pytestmark = pytest.mark.integration


@pytest.fixture
def database(sync_server) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    engine = make_engine(sync_server.database_url, pool_size=2)
    yield engine
    horizon.dispose(engine)
    engine.dispose()


def signed_in(store: LocalStore, url: str, username: str, password: str) -> SyncEngine:
    engine = SyncEngine(store.sessions, HttpTransport(url))
    engine.sign_in(username=username, password=password)
    assert engine.sync_once().ok
    return engine


def user_id(store: LocalStore) -> uuid.UUID:
    with store.sessions() as s:
        return uuid.UUID(str(get_state(s, "user_id")))


def add_tasks(store: LocalStore, count: int, label: str) -> None:
    me = user_id(store)
    with store.sessions.begin() as s:
        s.add_all(Task(title=f"{label} {i}", creator_id=me) for i in range(count))


def cursor_of(store: LocalStore) -> int:
    with store.sessions() as s:
        return int(get_state(s, "cursor") or 0)


def test_a_pull_waits_below_a_push_that_is_still_in_flight(sync_server, database, tmp_path: Path):
    user, pw = sync_server.user("doctor")
    writer_store, reader_store = LocalStore(tmp_path / "w.db"), LocalStore(tmp_path / "r.db")
    writer = signed_in(writer_store, sync_server.url, user, pw)
    reader = signed_in(reader_store, sync_server.url, user, pw)
    try:
        creator = user_id(writer_store)
        slow_id = uuid.uuid4()
        # A push that has reserved its USN and written its record but not committed yet, exactly as
        # services/push.py does it.
        with database.connect() as slow:
            slow.begin()
            first = horizon.reserve(database, xid=horizon.transaction_id(slow), count=1)
            now = datetime.now(UTC)
            slow.execute(
                insert(Task).values(
                    id=slow_id,
                    created_at=now,
                    updated_at=now,
                    version=first,
                    title="slow",
                    creator_id=creator,
                    organization_id=DEFAULT_ORGANIZATION_ID,
                )
            )
            slow.execute(
                insert(change_log).values(
                    entity="tasks",
                    record_id=slow_id,
                    usn=first,
                    field_usns={},
                    organization_id=DEFAULT_ORGANIZATION_ID,
                )
            )

            add_tasks(writer_store, 3, "fast")
            assert writer.sync_once().applied == 3  # committed with USNs above the slow push's

            assert reader.sync_once().ok
            assert cursor_of(reader_store) < first, "the cursor moved past a change still in flight"

            horizon.release(slow, first)
            slow.commit()

        assert reader.sync_once().ok
        with reader_store.sessions() as s:
            titles = set(s.execute(select(Task.title).where(Task.creator_id == creator)).scalars())
        assert titles == {"slow", "fast 0", "fast 1", "fast 2"}
    finally:
        for engine, store in ((writer, writer_store), (reader, reader_store)):
            engine.close()
            store.close()


def test_a_push_that_rolls_back_holds_no_pull_back(sync_server, database, tmp_path: Path):
    user, pw = sync_server.user("doctor")
    store = LocalStore(tmp_path / "c.db")
    engine = signed_in(store, sync_server.url, user, pw)
    try:
        with database.connect() as doomed:
            doomed.begin()
            horizon.reserve(database, xid=horizon.transaction_id(doomed), count=5)
            doomed.rollback()  # its push_inflight row stays behind, with a finished transaction
        add_tasks(store, 2, "after abort")
        assert engine.sync_once().applied == 2
        other = LocalStore(tmp_path / "o.db")
        reader = signed_in(other, sync_server.url, user, pw)
        with other.sessions() as s:
            found = s.execute(select(func.count()).select_from(Task).where(Task.title.like("after abort%")))
            assert found.scalar_one() == 2
        reader.close()
        other.close()
        with database.connect() as conn:
            conn.begin()
            # The next reservation cleared the leftover row; only rows of live pushes remain.
            assert horizon.horizon(conn) is None
            assert conn.execute(select(func.count()).select_from(push_inflight)).scalar_one() == 0
    finally:
        engine.close()
        store.close()


def test_many_workstations_pushing_at_once_reach_a_puller_completely(sync_server, tmp_path: Path):
    user, pw = sync_server.user("doctor")
    writers = []
    for i in range(6):
        store = LocalStore(tmp_path / f"writer{i}.db")
        writers.append((store, signed_in(store, sync_server.url, user, pw)))
    reader_store = LocalStore(tmp_path / "reader.db")
    reader = signed_in(reader_store, sync_server.url, user, pw)
    done = threading.Event()
    failures: list[str] = []

    def write(index: int, store: LocalStore, engine: SyncEngine) -> None:
        for round_ in range(4):
            add_tasks(store, 15, f"w{index} r{round_}")
            report = engine.sync_once()
            if not report.ok or report.applied != 15:
                failures.append(f"writer {index}: {report.errors}")

    def read() -> None:
        while not done.is_set():
            if not reader.sync_once().ok:
                failures.append("reader failed")

    threads = [threading.Thread(target=write, args=(i, s, e)) for i, (s, e) in enumerate(writers)]
    puller = threading.Thread(target=read)
    try:
        puller.start()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        done.set()
        puller.join()
        assert failures == []
        assert reader.sync_once().ok
        mine = user_id(reader_store)
        with reader_store.sessions() as s:
            titles = set(s.execute(select(Task.title).where(Task.creator_id == mine)).scalars())
        expected = {f"w{i} r{r} {n}" for i in range(6) for r in range(4) for n in range(15)}
        assert titles == expected
    finally:
        done.set()
        for store, engine in [*writers, (reader_store, reader)]:
            engine.close()
            store.close()
