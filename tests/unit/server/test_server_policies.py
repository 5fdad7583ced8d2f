"""Pure server policies: the sign-in lockout schedule and what belongs to the server's schema."""

from __future__ import annotations

from models import Base
from server.db import LOCAL_ONLY_TABLES, include_object
from server.services.accounts import FREE_ATTEMPTS, LOCK_MAX_SECONDS, lockout_seconds
from server.tables import push_inflight


def test_the_lock_starts_after_a_few_typos_and_doubles_up_to_a_cap():
    assert [lockout_seconds(n) for n in range(FREE_ATTEMPTS)] == [0] * FREE_ATTEMPTS
    first = lockout_seconds(FREE_ATTEMPTS)
    assert first > 0
    assert lockout_seconds(FREE_ATTEMPTS + 1) == 2 * first
    assert lockout_seconds(FREE_ATTEMPTS + 50) == LOCK_MAX_SECONDS


def test_the_workstation_only_tables_and_their_indexes_are_left_out_of_the_server_schema():
    assert {"outbox", "sync_state", "sync_conflicts", "profile_secrets"} == LOCAL_ONLY_TABLES
    for name in LOCAL_ONLY_TABLES:
        table = Base.metadata.tables[name]
        assert not include_object(table, name, "table", False, None)
        for index in table.indexes:
            assert not include_object(index, index.name, "index", False, None)
    tasks = Base.metadata.tables["tasks"]
    assert include_object(tasks, "tasks", "table", False, None)
    assert include_object(push_inflight, "push_inflight", "table", False, None)
    assert all(include_object(i, i.name, "index", False, None) for i in tasks.indexes)
