"""A profile that cannot be opened says why in one line, and calls nothing corrupt that is not
(issue 11, findings 13 and 14): key-derivation settings out of bounds, unreadable dates in
profile.json, a read-only folder and a full disk each have their own message."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from app.store import _database_error, open_store
from app.store.engine import make_engine
from app.store.keys import new_database_key
from app.store.profile import DB_FILE, PROFILE_FILE
from clinicdesk.errors import StoreError
from tests.support.profiles import PASSWORD

from .conftest import folder_digest


def _edit_profile(profile: Path, change: dict[str, object], *, kdf: dict[str, object] | None = None) -> None:
    data = json.loads((profile / PROFILE_FILE).read_text(encoding="utf-8"))
    data.update(change)
    data["key"]["kdf"].update(kdf or {})
    (profile / PROFILE_FILE).write_text(json.dumps(data), encoding="utf-8")


def _refused(profile: Path) -> str:
    before = folder_digest(profile)
    with pytest.raises(StoreError) as caught:
        open_store(profile, PASSWORD)
    assert folder_digest(profile) == before, "a refused profile is left as it was"
    assert "\n" not in caught.value.message
    return caught.value.message


@pytest.mark.parametrize(
    ("kdf", "named"),
    [
        ({"time_cost": 100_000}, "time_cost 100000 is outside 1-16"),
        ({"memory_kib": 1}, "memory_kib 1 is outside 8192-1048576"),
        ({"memory_kib": 64 * 1024 * 1024}, "memory_kib 67108864 is outside"),
        ({"parallelism": 0}, "parallelism 0 is outside 1-16"),
    ],
    ids=["hours-of-work", "too-little-memory", "too-much-memory", "no-lanes"],
)
def test_key_derivation_settings_out_of_bounds_are_refused_at_once_by_name(
    seeded: Path, kdf: dict[str, object], named: str
) -> None:
    _edit_profile(seeded, {}, kdf=kdf)
    message = _refused(seeded)
    assert "key-derivation settings outside the safe range" in message and named in message
    assert "corrupt" not in message


@pytest.mark.parametrize(
    ("field", "value"),
    [("locked_until", "next tuesday"), ("next_attempt_at", "2026-01-01T00:00:00"), ("locked_until", 12)],
    ids=["words", "no-timezone", "a-number"],
)
def test_an_unreadable_date_in_the_profile_file_is_named(seeded: Path, field: str, value: object) -> None:
    _edit_profile(seeded, {field: value})
    message = _refused(seeded)
    assert f"'{field}' is not a date and time with a timezone" in message
    assert "corrupt" not in message and "internal error" not in message


@contextmanager
def small_filesystem(seeded: Path, *, room: int) -> Iterator[Path]:
    """A tmpfs of its own holding a copy of the seeded profile and ``room`` bytes more (root only:
    root writes into any folder whatever its mode, so only a filesystem can refuse it)."""
    if not (sys.platform.startswith("linux") and hasattr(os, "geteuid") and os.geteuid() == 0):
        pytest.skip("needs a tmpfs of its own, which only root may mount here")
    mount = Path(tempfile.mkdtemp(prefix="clinicdesk-fs-"))
    size = sum(p.stat().st_size for p in seeded.iterdir()) + room + 256 * 1024
    if subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], check=False
    ).returncode:
        pytest.skip("this machine does not allow mounting a tmpfs")
    try:
        shutil.copytree(seeded, mount / "profile")
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)
        mount.rmdir()


def test_a_read_only_profile_folder_is_said_as_such_and_never_called_corrupt(
    seeded: Path, tmp_path: Path
) -> None:
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        profile = tmp_path / "profile"
        shutil.copytree(seeded, profile)
        profile.chmod(0o555)
        try:
            message = _refused(profile)
        finally:
            profile.chmod(0o755)
    else:
        with small_filesystem(seeded, room=0) as mount:
            subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
            profile = mount / "profile"
            message = _refused(profile)
    assert message.startswith(f"cannot write in {profile}: the folder is read-only"), message
    assert "corrupt" not in message


@pytest.fixture
def full_disk(seeded: Path) -> Iterator[Path]:
    """The seeded profile on a filesystem with no space left."""
    with small_filesystem(seeded, room=512 * 1024) as mount:
        with open(mount / "filler", "wb") as filler:
            try:
                while True:
                    filler.write(b"\0" * 65536)
                    filler.flush()
            except OSError:
                pass
        yield mount / "profile"


def test_a_full_disk_is_said_as_such_and_never_called_corrupt(full_disk: Path) -> None:
    with pytest.raises(StoreError) as caught:
        open_store(full_disk, PASSWORD)
    message = caught.value.message
    assert (
        message
        == f"the disk holding {full_disk} is full; free some space and try again (nothing was changed)"
    )
    assert (full_disk / DB_FILE).exists()


def test_sqlites_own_full_disk_and_read_only_errors_are_not_called_corrupt(tmp_path: Path) -> None:
    """The store's reading of SQLite's result codes, on real SQLite errors."""
    engine = make_engine(tmp_path / "small.db", new_database_key())
    try:
        with engine.connect() as conn:
            conn.execute(text("CREATE TABLE t (x BLOB)"))
            conn.commit()
            conn.execute(text("PRAGMA max_page_count = 3"))  # a "disk" of three pages
            with pytest.raises(DatabaseError) as full:
                conn.execute(text("INSERT INTO t VALUES (zeroblob(100000))"))
            conn.rollback()
            conn.execute(text("PRAGMA query_only = ON"))
            with pytest.raises(DatabaseError) as read_only:
                conn.execute(text("INSERT INTO t VALUES (1)"))
    finally:
        engine.dispose()
    db = tmp_path / "small.db"
    assert _database_error(full.value, db).message.startswith(f"the disk holding {tmp_path} is full")
    assert "read-only" in _database_error(read_only.value, db).message
