"""Changing the password re-wraps the database key; the database itself is not rewritten."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.store import open_store
from app.store.profile import DB_FILE, PROFILE_FILE, read_meta
from clinicdesk.errors import AuthenticationError, ValidationError
from models import Patient
from tests.support.profiles import PASSWORD, PATIENTS

from .conftest import digest

NEW_PASSWORD = "a brand new passphrase"


def test_password_change_rewraps_the_key_and_only_the_new_password_opens_it(seeded: Path) -> None:
    db_before = digest(seeded / DB_FILE)
    key_before = read_meta(seeded).key
    store = open_store(seeded, PASSWORD)
    with store.session() as s:
        count = s.scalar(select(func.count()).select_from(Patient))
    store.change_password(old_password=PASSWORD, new_password=NEW_PASSWORD)
    store.close()

    key_after = read_meta(seeded).key
    assert key_after.salt != key_before.salt
    assert key_after.ciphertext != key_before.ciphertext
    assert key_after.kdf == key_before.kdf
    assert digest(seeded / DB_FILE) == db_before

    with pytest.raises(AuthenticationError):
        open_store(seeded, PASSWORD)
    reopened = open_store(seeded, NEW_PASSWORD)
    with reopened.session() as s:
        assert s.scalar(select(func.count()).select_from(Patient)) == count == PATIENTS
    reopened.close()


def test_password_change_with_the_wrong_current_password_changes_nothing_but_counts_the_guess(
    seeded: Path,
) -> None:
    store = open_store(seeded, PASSWORD)
    before = read_meta(seeded)
    with pytest.raises(AuthenticationError, match="not changed"):
        store.change_password(old_password="guess", new_password=NEW_PASSWORD)
    store.close()
    after = read_meta(seeded)
    assert after.key == before.key
    assert after.failed_attempts == before.failed_attempts + 1
    open_store(seeded, PASSWORD).close()


def test_a_too_short_new_password_is_refused(seeded: Path) -> None:
    store = open_store(seeded, PASSWORD)
    before = digest(seeded / PROFILE_FILE)
    with pytest.raises(ValidationError, match="at least"):
        store.change_password(old_password=PASSWORD, new_password="short")
    store.close()
    assert digest(seeded / PROFILE_FILE) == before
