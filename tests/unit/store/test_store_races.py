"""profile.json changes under the profile lock (issue 11, findings 12 and 14): a password change is
never undone by a wrong password typed at the same moment, and wrong passwords typed at once are
each counted (or refused while the profile makes the user wait), never lost."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from app.store import create_store, keys, open_store
from app.store.profile import ProfileLock, read_meta
from clinicdesk.errors import AuthenticationError, StoreError
from tests.support.profiles import PASSWORD

NEW_PASSWORD = "a brand new passphrase"
#: Slow enough that attempts started together overlap while their keys are derived.
OVERLAPPING_KDF = keys.KdfParams(time_cost=2, memory_kib=32 * 1024, parallelism=1)


def test_a_password_change_made_while_a_wrong_password_is_checked_is_kept(
    seeded: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``clinicdesk passwd`` finishes while another attempt's key derivation is still running:
    that attempt must not write the old key back when it records its failure."""
    store = open_store(seeded, PASSWORD)
    real_unwrap = keys.unwrap_key
    changed: list[bool] = []

    def unwrap_while_the_password_changes(wrapped: keys.WrappedKey, password: str) -> bytes:
        if password == "a wrong guess" and not changed:
            changed.append(True)
            store.change_password(old_password=PASSWORD, new_password=NEW_PASSWORD)
        return real_unwrap(wrapped, password)

    monkeypatch.setattr(keys, "unwrap_key", unwrap_while_the_password_changes)
    with pytest.raises(AuthenticationError, match="wrong password"):
        open_store(seeded, "a wrong guess")
    monkeypatch.undo()
    store.close()

    assert changed, "the password changed during the wrong attempt"
    with pytest.raises(AuthenticationError):
        open_store(seeded, PASSWORD)
    open_store(seeded, NEW_PASSWORD).close()
    assert read_meta(seeded).failed_attempts == 0, "the right password cleared the count"


def test_wrong_passwords_typed_at_once_are_each_counted_or_refused(tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    create_store(profile, PASSWORD, kdf=OVERLAPPING_KDF).close()
    attempts = 8
    start = threading.Barrier(attempts)

    def guess(n: int) -> str:
        start.wait()
        try:
            open_store(profile, f"wrong guess {n}").close()
        except AuthenticationError as exc:
            return exc.message
        return "opened"

    with ThreadPoolExecutor(max_workers=attempts) as pool:
        answers = list(pool.map(guess, range(attempts)))
    counted = answers.count("wrong password")
    waited = sum("wait" in a or "locked" in a for a in answers)
    assert counted + waited == attempts, answers
    assert read_meta(profile).failed_attempts == counted >= 1


def test_passwd_waits_for_the_profile_lock_and_says_so_when_it_stays_busy(
    seeded: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(seeded, PASSWORD)
    monkeypatch.setattr("app.store.profile.LOCK_WAIT_SECONDS", 0.2)
    before = read_meta(seeded).key
    try:
        with ProfileLock(seeded), pytest.raises(StoreError, match="busy"):
            store.change_password(old_password=PASSWORD, new_password=NEW_PASSWORD)
    finally:
        store.close()
    assert read_meta(seeded).key == before
