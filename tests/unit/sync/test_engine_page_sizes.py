"""The sync engine pushes and pulls in pages small enough that encoding or parsing one (a single
call into C that holds the GIL) never keeps the GUI thread waiting long, and a large sync still
moves everything, page by page. The server is faked with httpx.MockTransport; the store is a real
SQLite store with the app's outbox hook."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from models import OutboxEntry, Patient
from models.enums import OutboxStatus
from sync.engine import PULL_PAGE, PUSH_BATCH, SyncEngine
from sync.protocol import MAX_PULL_PAGE, MAX_PUSH_BATCH
from sync.transport import HttpTransport
from tests.support.sync_clients import LocalStore

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC).isoformat()


def patient_record(n: int) -> dict[str, object]:
    record_id = str(uuid.UUID(int=n + 1))
    values = {
        "id": record_id, "created_at": NOW, "updated_at": NOW, "version": n + 1, "deleted_at": None,
        "mrn": f"P{n:06d}", "first_name": "Ada", "last_name": f"Lovelace {n}", "date_of_birth": "1980-01-02",
    }  # fmt: skip
    return {
        "entity": "patients",
        "record_id": record_id,
        "version": n + 1,
        "deleted": False,
        "values": values,
    }


class FakeServer:
    """Holds ``total`` patient records to pull and answers pushes with 'applied'."""

    def __init__(self, total: int) -> None:
        self.records = [patient_record(n) for n in range(total)]
        self.pull_limits: list[int] = []
        self.push_sizes: list[int] = []
        self.usn = total

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/sync/bootstrap":
            return httpx.Response(200, json={"records": [], "cursor": 0, "window_start": "2026-03-01",
                                             "window_end": "2026-03-15"})  # fmt: skip
        if request.url.path == "/sync/pull":
            cursor, limit = int(request.url.params["cursor"]), int(request.url.params["limit"])
            self.pull_limits.append(limit)
            page = self.records[cursor : cursor + limit]
            return httpx.Response(
                200,
                json={
                    "records": page,
                    "cursor": cursor + len(page),
                    "has_more": cursor + limit < len(self.records),
                },
            )
        if request.url.path == "/sync/push":
            changes = json.loads(request.content)["changes"]
            self.push_sizes.append(len(changes))
            results = []
            for change in changes:
                self.usn += 1
                keys = {k: change[k] for k in ("id", "entity", "record_id")}
                results.append({**keys, "status": "applied", "version": self.usn})
            return httpx.Response(200, json={"results": results, "server_usn": self.usn})
        return httpx.Response(404, json={"detail": "not faked"})


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LocalStore]:
    made = LocalStore(tmp_path / "client.db")
    yield made
    made.close()


def engine_for(store: LocalStore, server: FakeServer, **sizes: int) -> SyncEngine:
    transport = HttpTransport("http://sync.test", transport=httpx.MockTransport(server))
    transport.access_token = "token"
    return SyncEngine(store.sessions, transport, **sizes)


def test_a_large_pull_comes_in_pages_of_the_client_size_and_all_of_it_is_applied(store: LocalStore) -> None:
    server = FakeServer(total=3 * PULL_PAGE + 7)
    report = engine_for(store, server).sync_once()
    assert report.ok and report.pulled == 3 * PULL_PAGE + 7
    assert server.pull_limits == [PULL_PAGE] * 4
    with store.sessions() as s:
        assert s.execute(select(func.count()).select_from(Patient)).scalar_one() == 3 * PULL_PAGE + 7


def test_a_large_push_goes_in_batches_of_the_client_size_and_every_change_is_marked_sent(
    store: LocalStore,
) -> None:
    with store.sessions.begin() as s:
        s.add_all(
            Patient(
                mrn=f"L{n:05d}", first_name="Grace", last_name=f"Hopper {n}", date_of_birth=date(1970, 5, 1)
            )
            for n in range(2 * PUSH_BATCH + 1)
        )
    server = FakeServer(total=0)
    report = engine_for(store, server).sync_once()
    assert report.ok and report.applied == 2 * PUSH_BATCH + 1
    assert server.push_sizes == [PUSH_BATCH, PUSH_BATCH, 1]
    with store.sessions() as s:
        waiting = s.execute(
            select(func.count()).select_from(OutboxEntry).where(OutboxEntry.status == OutboxStatus.PENDING)
        ).scalar_one()
    assert waiting == 0


def test_sizes_beyond_what_the_server_accepts_are_held_to_its_limits(store: LocalStore) -> None:
    engine = engine_for(store, FakeServer(total=0), push_batch=10_000, pull_page=10_000)
    assert (engine.push_batch, engine.pull_page) == (MAX_PUSH_BATCH, MAX_PULL_PAGE)
    assert PUSH_BATCH <= MAX_PUSH_BATCH and PULL_PAGE <= MAX_PULL_PAGE
