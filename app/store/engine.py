"""SQLAlchemy engines over SQLCipher (the real store) or plain SQLite (benchmarks' baseline).

The key is passed as raw hex (``x'...'``), which skips SQLCipher's own PBKDF2: our key is already
random and 256 bits, and the password stretching happened in argon2id. ``temp_store=MEMORY`` keeps
SQLite's temporary tables and sort spills out of clear-text temp files. ``hide_parameters`` keeps
patient values out of SQL error messages, which may end up in logs.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import sqlcipher3
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import QueuePool

#: Per-connection settings; none of them writes to the file, so they are safe on a file not yet known
#: to be ours. WAL mode is persistent and written to the file: the store sets it once (``enable_wal``)
#: after it has checked that the file is a ClinicDesk database.
PRAGMAS = (
    "PRAGMA synchronous = NORMAL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA temp_store = MEMORY",
    "PRAGMA cache_size = -65536",
    "PRAGMA busy_timeout = 10000",
)


def _configure(conn: Any) -> None:
    cur = conn.cursor()
    for pragma in PRAGMAS:
        cur.execute(pragma)
    cur.close()


def sqlcipher_connect(path: Path, key: bytes) -> Any:
    conn = sqlcipher3.connect(str(path), check_same_thread=False)
    # SQLCipher logs decryption failures to stderr by default; a wrong file gets one clear error instead
    conn.execute("PRAGMA cipher_log_level = NONE")
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    return conn


def enable_wal(engine: Engine) -> None:
    """Readers never block the writer (the GUI reads while sync writes)."""
    raw = engine.raw_connection()  # outside any transaction: SQLite refuses the switch inside one
    try:
        raw.cursor().execute("PRAGMA journal_mode = WAL")
    finally:
        raw.close()


def make_engine(path: Path, key: bytes | None) -> Engine:
    """An engine on ``path``; encrypted with ``key``, or plain SQLite when key is None (baselines)."""

    def creator() -> Any:
        if key is None:
            return sqlite3.connect(str(path), check_same_thread=False)
        return sqlcipher_connect(path, key)

    engine = create_engine(
        "sqlite://",
        module=sqlite3 if key is None else sqlcipher3.dbapi2,
        creator=creator,
        poolclass=QueuePool,
        pool_size=4,
        max_overflow=4,
        hide_parameters=True,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # the pysqlite dialect's own transaction handling is replaced by explicit BEGINs below
        dbapi_conn.isolation_level = None
        _configure(dbapi_conn)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock up front: nearly every unit of work writes (an audit event
        # at least), and a deferred transaction that reads, then writes while another connection
        # committed, fails at once with SQLITE_BUSY instead of waiting for busy_timeout.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def checkpoint(engine: Engine) -> None:
    """Fold the WAL back into the main file (after a bulk load), outside any transaction."""
    raw = engine.raw_connection()
    try:
        raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        raw.close()
