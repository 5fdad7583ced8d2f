"""Missing, corrupt and foreign profiles give one clear error and are never written to."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
import sqlcipher3

from app.store import create_store, open_store
from app.store.keys import new_database_key
from app.store.profile import DB_FILE, LOCK_FILE, PROFILE_FILE
from clinicdesk.errors import StoreError
from tests.support.profiles import FAST_KDF, PASSWORD

from .conftest import folder_digest


def _refused(profile: Path, match: str) -> StoreError:
    before = folder_digest(profile) if profile.is_dir() else None
    with pytest.raises(StoreError, match=match) as caught:
        open_store(profile, PASSWORD)
    if before is not None:
        assert folder_digest(profile) == before, "a refused profile must be left byte for byte as it was"
    assert "\n" not in caught.value.message
    return caught.value


def test_a_missing_profile_folder_is_reported(tmp_path: Path) -> None:
    _refused(tmp_path / "nowhere", "no such profile")
    assert not (tmp_path / "nowhere").exists()


def test_a_file_given_as_the_profile_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(os.urandom(4096))
    before = path.read_bytes()
    _refused(path, "is a file")
    assert path.read_bytes() == before


def test_a_folder_without_a_profile_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "holiday-photos").mkdir()
    (tmp_path / "holiday-photos" / "beach.jpg").write_bytes(os.urandom(2048))
    _refused(tmp_path / "holiday-photos", "not a ClinicDesk profile")


@pytest.mark.parametrize(
    "content",
    [
        b"\x00\xff garbage \x13",
        b"{ not json",
        b"[1, 2, 3]",
        json.dumps({"format": "something-else"}).encode(),
        json.dumps({"format": "clinicdesk-profile", "format_version": 1}).encode(),
        json.dumps({"format": "clinicdesk-profile", "format_version": 99}).encode(),
    ],
    ids=["binary", "broken-json", "json-array", "foreign-format", "missing-key", "newer-version"],
)
def test_a_corrupt_profile_file_gives_a_clear_error_and_stays_as_it_was(seeded: Path, content: bytes) -> None:
    (seeded / PROFILE_FILE).write_bytes(content)
    _refused(seeded, "corrupt or not a ClinicDesk profile|left untouched")


def test_a_corrupt_database_is_refused_and_left_untouched(seeded: Path) -> None:
    (seeded / DB_FILE).write_bytes(os.urandom(64 * 1024))
    error = _refused(seeded, "corrupt or not a ClinicDesk database")
    assert "left untouched" in error.message
    assert sorted(p.name for p in seeded.iterdir()) == [DB_FILE, PROFILE_FILE, LOCK_FILE]


def test_a_truncated_database_is_refused_and_left_untouched(seeded: Path) -> None:
    data = (seeded / DB_FILE).read_bytes()
    (seeded / DB_FILE).write_bytes(data[: len(data) // 3])
    _refused(seeded, "corrupt or not a ClinicDesk database")


def test_a_plain_sqlite_database_in_place_of_the_store_is_refused_and_untouched(seeded: Path) -> None:
    (seeded / DB_FILE).unlink()
    conn = sqlite3.connect(seeded / DB_FILE)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.execute("INSERT INTO recipes VALUES ('pancakes')")
    conn.commit()
    conn.close()
    _refused(seeded, "corrupt or not a ClinicDesk database")


def test_another_profiles_database_is_refused_and_untouched(seeded: Path, tmp_path: Path) -> None:
    other = create_store(tmp_path / "other", "other password", kdf=FAST_KDF)
    other.close()
    (seeded / DB_FILE).write_bytes((tmp_path / "other" / DB_FILE).read_bytes())
    _refused(seeded, "corrupt or not a ClinicDesk database")


def test_an_encrypted_database_that_is_not_a_clinicdesk_store_is_refused(tmp_path: Path) -> None:
    """The right key, but someone else's schema: no Alembic revision, so not ours to migrate."""
    from app.store import keys
    from app.store.profile import ProfileMeta, write_meta

    profile = tmp_path / "profile"
    profile.mkdir()
    db_key = new_database_key()
    conn = sqlcipher3.connect(str(profile / DB_FILE))
    conn.execute(f"PRAGMA key = \"x'{db_key.hex()}'\"")
    conn.execute("CREATE TABLE ledger (amount INTEGER)")
    conn.commit()
    conn.close()
    meta = ProfileMeta(
        key=keys.wrap_key(db_key, PASSWORD, FAST_KDF),
        profile_id="x",
        display_name="",
        created_at="2026-01-01",
    )
    write_meta(profile, meta)
    (profile / LOCK_FILE).touch()  # as every profile has one
    _refused(profile, "not a ClinicDesk database")


def test_a_profile_whose_database_went_missing_is_reported(seeded: Path) -> None:
    (seeded / DB_FILE).unlink()
    _refused(seeded, "no database file")


def test_creating_a_profile_never_reuses_a_folder_that_has_files(tmp_path: Path) -> None:
    folder = tmp_path / "busy"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    with pytest.raises(StoreError, match="not empty"):
        create_store(folder, PASSWORD, kdf=FAST_KDF)
    assert [p.name for p in folder.iterdir()] == ["keep.txt"]
