"""The sync server's PostgreSQL databases for tests and benchmarks: a fresh one per harness (so runs
never see each other's rows) and the server's migrations run on it."""

from __future__ import annotations

from sqlalchemy import create_engine

from server.db import make_engine
from server.migrate import upgrade


def create_database(admin_url: str, name: str) -> str:
    """A fresh database on the server at ``admin_url`` (dropped first if it exists); returns its URL."""
    engine = create_engine(make_engine(admin_url).url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return admin_url.rsplit("/", 1)[0] + "/" + name


def prepare_database(database_url: str) -> None:
    """The server's schema, by its own migrations."""
    engine = make_engine(database_url, pool_size=1)
    upgrade(engine)
    engine.dispose()
