"""Repeated failed sign-ins lock the username for a growing period, on the real server."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select, update

from server.db import make_engine
from server.services.accounts import FREE_ATTEMPTS, lockout_seconds
from server.services.audit import AUDIT_TABLE
from server.tables import login_failures

pytestmark = pytest.mark.integration


def login(url: str, username: str, password: str) -> httpx.Response:
    body = {"username": username, "password": password, "device_id": str(uuid.uuid4())}
    return httpx.post(f"{url}/auth/login", json=body, timeout=30)


def test_repeated_wrong_passwords_lock_the_username_even_for_the_right_password(sync_server):
    username, password = sync_server.user("nurse")
    other, other_password = sync_server.user("nurse")
    for _ in range(FREE_ATTEMPTS):
        refused = login(sync_server.url, username, "not the password")
        assert refused.status_code == 401
        assert refused.json()["detail"] == "wrong username or password"

    locked = login(sync_server.url, username, password)
    assert locked.status_code == 401
    assert "too many failed sign-ins" in locked.json()["detail"]
    assert "try again in" in locked.json()["detail"]
    # Another spelling of the same username is the same lock; other users are untouched.
    assert login(sync_server.url, username.upper(), password).status_code == 401
    assert login(sync_server.url, other, other_password).status_code == 200

    engine = make_engine(sync_server.database_url, pool_size=1)
    try:
        with engine.begin() as conn:
            events = conn.execute(
                select(AUDIT_TABLE.c.action, func.count())
                .where(AUDIT_TABLE.c.action.in_(["login_failed", "login_locked"]))
                .where(AUDIT_TABLE.c.user_id == _user_id(conn, username))
                .group_by(AUDIT_TABLE.c.action)
            ).all()
            assert dict(events) == {"login_failed": FREE_ATTEMPTS, "login_locked": 1}
            # The lock runs out (moved into the past here, rather than waited for).
            conn.execute(
                update(login_failures)
                .where(login_failures.c.username == username.lower())
                .values(locked_until=datetime.now(UTC) - timedelta(seconds=1))
            )
        assert login(sync_server.url, username, password).status_code == 200
        with engine.connect() as conn:
            left = conn.execute(
                select(func.count()).select_from(login_failures).where(login_failures.c.username == username)
            ).scalar_one()
        assert left == 0, "a successful sign-in clears the count"
    finally:
        engine.dispose()


def test_a_wrong_password_after_the_lock_ran_out_locks_again_for_longer(sync_server):
    username, password = sync_server.user("receptionist")
    for _ in range(FREE_ATTEMPTS):
        login(sync_server.url, username, "wrong")
    engine = make_engine(sync_server.database_url, pool_size=1)
    try:
        key = login_failures.c.username == username.lower()
        with engine.begin() as conn:
            row = conn.execute(select(login_failures).where(key)).one()
            assert row.locked_until - row.last_failure_at == timedelta(seconds=lockout_seconds(FREE_ATTEMPTS))
            conn.execute(update(login_failures).where(key).values(locked_until=datetime.now(UTC)))
        assert login(sync_server.url, username, "wrong again").status_code == 401
        with engine.connect() as conn:
            row = conn.execute(select(login_failures).where(key)).one()
        assert row.failures == FREE_ATTEMPTS + 1
        longer = timedelta(seconds=lockout_seconds(FREE_ATTEMPTS + 1))
        assert row.locked_until - row.last_failure_at == longer
        assert login(sync_server.url, username, password).status_code == 401
    finally:
        engine.dispose()


def test_unknown_usernames_lock_the_same_way(sync_server):
    ghost = f"ghost-{uuid.uuid4().hex[:8]}"
    answers = [login(sync_server.url, ghost, "guess").json()["detail"] for _ in range(FREE_ATTEMPTS + 1)]
    assert answers[:FREE_ATTEMPTS] == ["wrong username or password"] * FREE_ATTEMPTS
    assert "too many failed sign-ins" in answers[-1]


def _user_id(conn, username: str):  # type: ignore[no-untyped-def]
    from models import User

    return conn.execute(select(User.id).where(User.username == username)).scalar_one()


def test_twenty_guesses_at_once_get_only_the_free_attempts_checked(sync_server):
    """Each attempt is counted before its password is looked at, in a locked update of the count: of
    twenty guesses sent together, only the free attempts are evaluated and the rest are refused."""
    username, password = sync_server.user("doctor")
    guesses = [f"guess number {n}" for n in range(20)]
    with ThreadPoolExecutor(max_workers=len(guesses)) as pool:
        answers = [
            r.json()["detail"] for r in pool.map(lambda pw: login(sync_server.url, username, pw), guesses)
        ]
    assert answers.count("wrong username or password") == FREE_ATTEMPTS
    assert sum("too many failed sign-ins" in a for a in answers) == len(guesses) - FREE_ATTEMPTS
    assert login(sync_server.url, username, password).status_code == 401, "the right one now waits too"
    engine = make_engine(sync_server.database_url, pool_size=1)
    try:
        with engine.connect() as conn:
            failures = conn.execute(
                select(login_failures.c.failures).where(login_failures.c.username == username.lower())
            ).scalar_one()
            checked = conn.execute(
                select(func.count())
                .select_from(AUDIT_TABLE)
                .where(
                    AUDIT_TABLE.c.action == "login_failed", AUDIT_TABLE.c.user_id == _user_id(conn, username)
                )
            ).scalar_one()
    finally:
        engine.dispose()
    assert failures == checked == FREE_ATTEMPTS
