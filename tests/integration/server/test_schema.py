"""The server's schema is the shared models minus the workstation-only tables, plus its own."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from bench.sync_support import create_database
from server.db import ALL_METADATA, LOCAL_ONLY_TABLES, include_object, make_engine
from server.migrate import alembic_config, upgrade

pytestmark = pytest.mark.integration


def test_a_fresh_server_database_has_no_workstation_only_tables_and_matches_the_models(postgres_url):
    engine = make_engine(create_database(postgres_url, "schema_fresh"), pool_size=1)
    try:
        upgrade(engine)
        tables = set(inspect(engine).get_table_names())
        assert tables.isdisjoint(LOCAL_ONLY_TABLES)
        assert {"users", "tasks", "change_log", "push_inflight", "login_failures"} <= tables
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
