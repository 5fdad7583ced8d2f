"""The schema is Alembic's: a profile made by the first release upgrades to head with its data."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import func, select, text

from app.store import create_store, open_store
from app.store.engine import make_engine
from app.store.keys import new_database_key
from app.store.migrate import HEAD, alembic_config, current_revision, head_revision, upgrade
from models import AuditEvent, Patient
from tests.support.profiles import FAST_KDF, PASSWORD

FIRST = "0001"

_PATIENT = text(
    "INSERT INTO patients (id, mrn, first_name, last_name, first_name_key, last_name_key, date_of_birth,"
    " emergency_contact, allergies, status, created_at, updated_at)"
    " VALUES ('0123456789abcdef0123456789abcdef', 'MRN0000001', 'Ada', 'Lovelace', 'ada', 'lovelace',"
    " '1980-03-12', '{}', '[{\"substance\": \"Latex\"}]', 'active',"
    " '2026-01-01 09:00:00.000000', '2026-01-01 09:00:00.000000')"
)
_AUDIT = text(
    "INSERT INTO audit_events (id, action, resource_type, at, created_at, updated_at)"
    " VALUES ('fedcba9876543210fedcba9876543210', 'read', 'patients', '2026-01-01 09:00:00.000000',"
    " '2026-01-01 09:00:00.000000', '2026-01-01 09:00:00.000000')"
)


def _triggers(conn: object) -> set[str]:
    rows = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))  # type: ignore[attr-defined]
    return {r[0] for r in rows}


def test_upgrading_from_the_first_migration_to_head_keeps_the_data(tmp_path: Path) -> None:
    engine = make_engine(tmp_path / "old.db", new_database_key())
    try:
        with engine.connect() as conn:
            upgrade(conn, FIRST)
            conn.commit()
            assert current_revision(conn) == FIRST
            conn.execute(_PATIENT)
            conn.execute(_AUDIT)
            conn.execute(text("UPDATE audit_events SET reason = 'allowed before 0002'"))
            conn.commit()
            assert "audit_events_no_update" not in _triggers(conn)

            upgrade(conn)
            conn.commit()
            assert current_revision(conn) == head_revision()
            assert {"audit_events_no_update", "audit_events_no_delete"} <= _triggers(conn)
            patient = conn.execute(select(Patient.first_name, Patient.allergies)).one()
            assert patient == ("Ada", [{"substance": "Latex"}])
            assert conn.execute(select(AuditEvent.reason)).scalar_one() == "allowed before 0002"
    finally:
        engine.dispose()


def test_the_stores_head_constant_is_alembics_head() -> None:
    """open_store compares against HEAD without importing Alembic; a new migration must move it."""
    assert head_revision() == HEAD


def test_head_is_reached_by_the_migrations_alone(tmp_path: Path) -> None:
    """Two stores, one migrated step by step, one straight to head, end with the same schema."""
    schemas = []
    for name, steps in (("stepwise", [FIRST, "head"]), ("direct", ["head"])):
        engine = make_engine(tmp_path / f"{name}.db", new_database_key())
        with engine.connect() as conn:
            for step in steps:
                upgrade(conn, step)
                conn.commit()
            rows = conn.execute(text("SELECT type, name, sql FROM sqlite_master ORDER BY type, name")).all()
            schemas.append([tuple(r) for r in rows])
        engine.dispose()
    assert schemas[0] == schemas[1]


def test_opening_a_profile_left_at_the_first_migration_upgrades_it_in_place(tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    store = create_store(profile, PASSWORD, kdf=FAST_KDF)
    with store.engine.connect() as conn:
        conn.execute(_PATIENT)
        conn.commit()
        command.downgrade(alembic_config(conn), FIRST)
        conn.commit()
        assert current_revision(conn) == FIRST
        assert "audit_events_no_delete" not in _triggers(conn)
    store.close()

    reopened = open_store(profile, PASSWORD)
    try:
        with reopened.engine.connect() as conn:
            assert current_revision(conn) == head_revision()
            assert "audit_events_no_delete" in _triggers(conn)
        with reopened.session() as s:
            assert s.scalar(select(func.count()).select_from(Patient)) == 1
    finally:
        reopened.close()


@pytest.mark.parametrize("revision", [FIRST, "head"])
def test_the_alembic_environment_refuses_to_run_without_the_stores_connection(revision: str) -> None:
    with pytest.raises(RuntimeError, match="runs its migrations itself"):
        command.upgrade(alembic_config(None), revision)
