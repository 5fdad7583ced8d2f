"""Profiles for tests: the one cheap key derivation, the seeded master profile (made once per
session by tests/conftest.py and copied per test) and small helpers around them.

The master is seeded around the first working day from today (the practice's today, or the next
weekday that is not a holiday), so the window's "today" and the command line's dates both land on a
full day; tests that need a fixed calendar (the seeder's own determinism) seed their own.
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

from app.demo import practice_today, seed_profile
from app.demo.calendar import holidays_between, is_business_day
from app.store import Store, create_store
from app.store.keys import KdfParams
from app.store.profile import read_meta, write_meta

#: Cheap argon2id for tests that unlock many times; the real parameters are tested on their own.
FAST_KDF = KdfParams(time_cost=1, memory_kib=8192, parallelism=1)
PASSWORD = "test-profile-password"
#: the seeded clinic: big enough for every page and report, small enough to seed in about a second
PATIENTS, DAYS, SEED = 300, 21, 1


def first_working_day(start: date | None = None) -> date:
    """The first weekday on or after ``start`` (default: the practice's today) that is no holiday."""
    day = start or practice_today()
    closed = set(holidays_between(day, day + timedelta(days=14)))
    while not is_business_day(day, closed):
        day += timedelta(days=1)
    return day


#: the day the master profile's schedule is seeded around ("today" in it)
MASTER_DAY = first_working_day()


def seed_master(folder: Path) -> Path:
    """Seeds the master profile (owned by Dr House) into ``folder`` and closes it."""
    store = seed_profile(
        folder, PASSWORD, patients=PATIENTS, days=DAYS, seed=SEED, today=MASTER_DAY, kdf=FAST_KDF
    )
    store.close()
    return folder


def copy_profile(master: Path, target: Path) -> Path:
    """A private copy of ``master`` at ``target``, safe for a test to change."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(master, target)
    return target


def sign_in_as(profile_dir: Path, username: str) -> None:
    """Makes another seeded staff member the profile's signed-in user (same store, same data)."""
    meta = read_meta(profile_dir)
    meta.extra["username"] = username
    write_meta(profile_dir, meta)


def empty_store(folder: Path, password: str = PASSWORD) -> Store:
    """A new, empty profile (migrated, no practice, no user)."""
    return create_store(folder, password, display_name="test", kdf=FAST_KDF)
