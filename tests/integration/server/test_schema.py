"""The server's schema is the shared models minus the workstation-only tables, plus its own."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pymongo import MongoClient
from sqlalchemy import inspect, text

from models import SYNCED_MODELS
from server import rls
from server.db import ALL_METADATA, APP_ROLE, LOCAL_ONLY_TABLES, include_object, make_engine
from server.migrate import alembic_config, upgrade
from server.mongo import NOTES, DocumentStore
from tests.support.databases import create_database

pytestmark = pytest.mark.integration


def test_a_fresh_server_database_has_no_workstation_only_tables_and_matches_the_models(postgres_url):
    engine = make_engine(create_database(postgres_url, "schema_fresh"), pool_size=1)
    try:
        upgrade(engine)
        tables = set(inspect(engine).get_table_names())
        assert tables.isdisjoint(LOCAL_ONLY_TABLES)
        assert {
            "users",
            "tasks",
            "change_log",
            "push_inflight",
            "login_failures",
            "organizations",
            "usernames",
        } <= tables
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_object": include_object})
            assert compare_metadata(context, list(ALL_METADATA)) == []
    finally:
        engine.dispose()


def test_a_database_made_by_the_first_schema_loses_the_workstation_tables_on_upgrade(postgres_url):
    engine = make_engine(create_database(postgres_url, "schema_upgrade"), pool_size=1)
    try:
        with engine.begin() as conn:
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0001")
        assert set(inspect(engine).get_table_names()) >= LOCAL_ONLY_TABLES
        upgrade(engine)
        assert set(inspect(engine).get_table_names()).isdisjoint(LOCAL_ONLY_TABLES)
    finally:
        engine.dispose()


def test_every_table_with_an_organisation_is_behind_row_level_security_for_a_role_that_owns_nothing(
    sync_server,
):
    engine = make_engine(sync_server.database_url, pool_size=1)
    try:
        with engine.connect() as conn:
            scoped = set(
                conn.execute(
                    text(
                        "SELECT table_name FROM information_schema.columns"
                        " WHERE column_name = 'organization_id' AND table_schema = 'public'"
                    )
                ).scalars()
            )
            guarded = set(
                conn.execute(
                    text(
                        "SELECT c.relname FROM pg_class c JOIN pg_policy p ON p.polrelid = c.oid"
                        " WHERE c.relrowsecurity AND p.polname = :policy"
                    ),
                    {"policy": rls.POLICY},
                ).scalars()
            )
            role = conn.execute(
                text("SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = :r"),
                {"r": APP_ROLE},
            ).one()
            owned = conn.execute(
                text("SELECT count(*) FROM pg_tables WHERE tableowner = :r"), {"r": APP_ROLE}
            ).scalar_one()
            may_change_audit = conn.execute(
                text(
                    "SELECT has_table_privilege(:r, 'audit_events', 'UPDATE')"
                    " OR has_table_privilege(:r, 'audit_events', 'DELETE')"
                    " OR has_table_privilege(:r, 'credentials', 'SELECT')"
                ),
                {"r": APP_ROLE},
            ).scalar_one()
    finally:
        engine.dispose()
    assert set(SYNCED_MODELS) | {"change_log"} <= scoped
    assert scoped == guarded, "a table with an organisation but no policy would leak across practices"
    assert tuple(role) == (False, False, False) and owned == 0
    assert not may_change_audit, "the service's role only adds to the audit trail and never sees passwords"


def test_the_note_history_index_exists_once_the_service_has_started(sync_server):
    client: MongoClient[dict[str, object]] = MongoClient(
        sync_server.mongodb_url, serverSelectionTimeoutMS=10_000
    )
    try:
        indexes = client[sync_server.mongodb_db][NOTES].index_information()
    finally:
        client.close()
    assert indexes[DocumentStore.HISTORY_INDEX]["key"] == [("record_id", 1), ("version", 1)]
