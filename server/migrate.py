"""Bring the central PostgreSQL to the newest schema. Safe to run from several instances at once:
an advisory lock lets one migrate while the others wait."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, insert, select, text

from server.tables import usn_counter

MIGRATIONS = Path(__file__).parent / "migrations"
_LOCK_KEY = 7_401_552  # any constant shared by all instances


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def upgrade(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        if conn.execute(select(usn_counter.c.value).where(usn_counter.c.id == 1)).first() is None:
            conn.execute(insert(usn_counter).values(id=1, value=0))
