"""Two service processes on the same PostgreSQL and MongoDB: clients syncing through different
instances see each other's changes, and a push retried on the other instance applies once."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import func, select

from models import OutboxEntry, Patient
from server.embedded import free_port
from sync.engine import SyncEngine, change_of
from sync.transport import HttpTransport
from tests.support.server_process import ServerProcess
from tests.support.sync_clients import LocalStore

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def second_instance(sync_server, tmp_path_factory):  # type: ignore[no-untyped-def]
    settings = replace(sync_server.process.settings, port=free_port())
    process = ServerProcess(settings, tmp_path_factory.mktemp("second") / "server.log").start()
    yield process
    process.stop()


def test_clients_on_two_instances_converge_and_a_retry_on_the_other_applies_once(
    sync_server, second_instance, tmp_path
):
    username, password = sync_server.user("doctor")
    stores = [LocalStore(tmp_path / "a.db"), LocalStore(tmp_path / "b.db")]
    urls = [sync_server.url, second_instance.url]
    engines = [SyncEngine(s.sessions, HttpTransport(u)) for s, u in zip(stores, urls, strict=True)]
    try:
        for engine in engines:
            engine.sign_in(username=username, password=password)
            assert engine.sync_once().ok
        ids = []
        for i, store in enumerate(stores):
            with store.sessions.begin() as s:
                p = Patient(
                    mrn=f"TI-{uuid.uuid4().hex[:8]}",
                    first_name="P",
                    last_name=str(i),
                    date_of_birth=date(1990, 1, 1),
                )
                s.add(p)
                s.flush()
                ids.append(p.id)
        # Store a pushes through instance 1, then "retries" the same outbox through instance 2.
        with stores[0].sessions() as s:
            entries = list(s.execute(select(OutboxEntry)).scalars())
        changes = [change_of(e) for e in entries]
        first = engines[0].transport.push(changes)
        other = HttpTransport(second_instance.url)
        other.refresh_token = engines[0].transport.refresh_token
        retried = other.push(changes)
        other.close()
        assert retried.results == first.results
        for _ in range(2):
            for engine in engines:
                assert engine.sync_once().ok
        for store in stores:
            with store.sessions() as s:
                assert (
                    s.execute(
                        select(func.count()).select_from(Patient).where(Patient.id.in_(ids))
                    ).scalar_one()
                    == 2
                )
    finally:
        for engine in engines:
            engine.close()
        for store in stores:
            store.close()
