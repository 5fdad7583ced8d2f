"""Unlocking: wrong passwords change nothing, are slowed down more and more, and lock the profile.

Time is moved by editing the throttling timestamps in profile.json (as a clock would, minutes later)
rather than by sleeping, so these tests run in milliseconds.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.store import Store, open_store
from app.store.profile import (
    DB_FILE,
    FREE_ATTEMPTS,
    LOCKOUT_AFTER,
    LOCKOUT_SECONDS,
    MAX_DELAY_SECONDS,
    delay_after_failures,
    read_meta,
    write_meta,
)
from clinicdesk.errors import AuthenticationError
from models import Patient
from tests.support.profiles import PASSWORD

from .conftest import digest


def _rewind(profile: Path, seconds: float) -> None:
    """Pretend ``seconds`` have passed since the last failure."""
    meta = read_meta(profile)
    for name in ("next_attempt_at", "locked_until"):
        value = getattr(meta, name)
        if value:
            setattr(meta, name, (datetime.fromisoformat(value) - timedelta(seconds=seconds)).isoformat())
    write_meta(profile, meta)


def _fail(profile: Path) -> None:
    with pytest.raises(AuthenticationError, match="wrong password"):
        open_store(profile, "not the password")


@pytest.fixture
def profile(store: Store) -> Path:
    store.close()
    return store.profile_dir


def test_the_right_password_opens_the_profile(profile: Path) -> None:
    opened = open_store(profile, PASSWORD)
    try:
        with opened.session() as s:
            assert s.scalar(select(func.count()).select_from(Patient)) == 0
    finally:
        opened.close()


def test_wrong_password_is_refused_and_changes_nothing_but_the_failure_count(seeded: Path) -> None:
    db_before = digest(seeded / DB_FILE)
    key_before = read_meta(seeded).key
    _fail(seeded)
    meta = read_meta(seeded)
    assert digest(seeded / DB_FILE) == db_before
    assert meta.key == key_before
    assert meta.failed_attempts == 1
    assert not (seeded / f"{DB_FILE}-wal").exists()


def test_first_slips_cost_nothing_then_each_wrong_password_doubles_the_wait(profile: Path) -> None:
    waits = []
    for failures in range(1, 8):
        _fail(profile)
        meta = read_meta(profile)
        assert meta.failed_attempts == failures
        if meta.next_attempt_at is None:
            waits.append(0.0)
        else:
            waited = datetime.fromisoformat(meta.next_attempt_at) - datetime.now(UTC)
            waits.append(round(waited.total_seconds()))
            _rewind(profile, MAX_DELAY_SECONDS + 1)
    assert waits[:FREE_ATTEMPTS] == [0.0] * FREE_ATTEMPTS
    growing = waits[FREE_ATTEMPTS:]
    assert growing == sorted(growing)
    assert growing[-1] > growing[0] > 0


def test_an_attempt_during_the_wait_is_refused_even_with_the_right_password(profile: Path) -> None:
    for _ in range(FREE_ATTEMPTS + 1):
        _fail(profile)
    with pytest.raises(AuthenticationError, match=r"wait \d+ second"):
        open_store(profile, PASSWORD)
    assert read_meta(profile).failed_attempts == FREE_ATTEMPTS + 1
    _rewind(profile, MAX_DELAY_SECONDS + 1)
    open_store(profile, PASSWORD).close()


def test_delay_grows_and_is_capped() -> None:
    delays = [delay_after_failures(n) for n in range(0, 30)]
    assert delays[: FREE_ATTEMPTS + 1] == [0.0] * (FREE_ATTEMPTS + 1)
    assert delays == sorted(delays)
    assert max(delays) == MAX_DELAY_SECONDS


def test_repeated_failures_lock_the_profile_until_the_lockout_expires(profile: Path) -> None:
    for _ in range(LOCKOUT_AFTER):
        _fail(profile)
        if read_meta(profile).locked_until is None:
            _rewind(profile, MAX_DELAY_SECONDS + 1)
    meta = read_meta(profile)
    assert meta.locked_until is not None
    locked_for = datetime.fromisoformat(meta.locked_until) - datetime.now(UTC)
    assert timedelta(seconds=LOCKOUT_SECONDS - 60) < locked_for <= timedelta(seconds=LOCKOUT_SECONDS)
    with pytest.raises(AuthenticationError, match="locked"):
        open_store(profile, PASSWORD)
    _rewind(profile, LOCKOUT_SECONDS - 120)
    with pytest.raises(AuthenticationError, match="locked"):
        open_store(profile, PASSWORD)
    _rewind(profile, 121)
    open_store(profile, PASSWORD).close()


def test_a_successful_unlock_resets_the_throttling(profile: Path) -> None:
    for _ in range(FREE_ATTEMPTS + 2):
        _fail(profile)
        _rewind(profile, MAX_DELAY_SECONDS + 1)
    open_store(profile, PASSWORD).close()
    meta = read_meta(profile)
    assert (meta.failed_attempts, meta.next_attempt_at, meta.locked_until) == (0, None, None)
    _fail(profile)
    assert read_meta(profile).next_attempt_at is None


def test_throttling_state_survives_a_restart_because_it_lives_in_the_profile_file(profile: Path) -> None:
    for _ in range(FREE_ATTEMPTS + 1):
        _fail(profile)
    raw = (profile / "profile.json").read_text(encoding="utf-8")
    assert f'"failed_attempts": {FREE_ATTEMPTS + 1}' in raw
    with pytest.raises(AuthenticationError, match="wait"):
        open_store(profile, PASSWORD)
