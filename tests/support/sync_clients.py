"""Headless sync clients for tests: plain-SQLite stores with the app's own schema and outbox hook (so
many clients are cheap to make), and accounts made straight in the server's database."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from app.store.outbox import install_outbox_listener
from models import Base
from server.db import make_engine
from server.services import accounts
from sync.protocol import UserCreate


def create_user(
    database_url: str, *, username: str, role: str, password: str = "correct horse battery"
) -> str:
    engine = make_engine(database_url, pool_size=1)
    try:
        user = accounts.create_user(
            engine,
            None,
            UserCreate(username=username, password=password, full_name=username.title(), role=role),
        )
    finally:
        engine.dispose()
    return str(user.id)


@dataclass
class LocalStore:
    """A client store as the app has it (same schema, same outbox hook), on plain SQLite."""

    path: Path
    sessions: sessionmaker[Session] = field(init=False)

    def __post_init__(self) -> None:
        engine = create_engine(f"sqlite:///{self.path}", hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: object, _record: object) -> None:
            cur = dbapi_conn.cursor()  # type: ignore[attr-defined]
            cur.execute("PRAGMA foreign_keys = ON")
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = OFF")
            cur.close()
            # explicit BEGINs, as the app's own store has: under pysqlite's own transaction
            # handling the sync engine's "PRAGMA defer_foreign_keys" would run outside the
            # transaction and a pulled page listing a child before its parent would fail
            dbapi_conn.isolation_level = None  # type: ignore[attr-defined]

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN")

        Base.metadata.create_all(engine)
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        install_outbox_listener(self.sessions)

    def close(self) -> None:
        self.engine.dispose()
