"""The database key and its argon2id wrapping."""

from __future__ import annotations

import pytest

from app.store import keys
from tests.support.profiles import FAST_KDF


def test_wrapped_key_unwraps_only_with_the_right_password() -> None:
    db_key = keys.new_database_key()
    wrapped = keys.wrap_key(db_key, "first password", FAST_KDF)
    assert keys.unwrap_key(wrapped, "first password") == db_key
    with pytest.raises(keys.WrongPassword):
        keys.unwrap_key(wrapped, "First password")


def test_database_keys_are_256_random_bits() -> None:
    a, b = keys.new_database_key(), keys.new_database_key()
    assert len(a) == len(b) == 32
    assert a != b


def test_each_wrap_uses_a_fresh_salt_and_nonce_so_equal_passwords_give_different_files() -> None:
    db_key = keys.new_database_key()
    one = keys.wrap_key(db_key, "same password", FAST_KDF)
    two = keys.wrap_key(db_key, "same password", FAST_KDF)
    assert one.salt != two.salt
    assert one.nonce != two.nonce
    assert one.ciphertext != two.ciphertext
    assert db_key not in one.ciphertext


def test_wrapped_key_survives_a_json_round_trip() -> None:
    db_key = keys.new_database_key()
    wrapped = keys.wrap_key(db_key, "a password", FAST_KDF)
    again = keys.WrappedKey.from_json(wrapped.to_json())
    assert again == wrapped
    assert keys.unwrap_key(again, "a password") == db_key


def test_default_key_derivation_is_argon2id_with_real_cost() -> None:
    params = keys.KdfParams()
    assert params.to_json()["name"] == "argon2id"
    assert params.memory_kib >= 64 * 1024
    assert params.time_cost >= 2


def test_an_unknown_key_derivation_function_is_refused() -> None:
    data = keys.KdfParams().to_json()
    data["name"] = "pbkdf2"
    with pytest.raises(ValueError, match="unsupported"):
        keys.KdfParams.from_json(data)


def test_tampered_wrapped_key_is_detected_as_a_wrong_password() -> None:
    db_key = keys.new_database_key()
    wrapped = keys.wrap_key(db_key, "a password", FAST_KDF)
    flipped = bytes([wrapped.ciphertext[0] ^ 1]) + wrapped.ciphertext[1:]
    tampered = keys.WrappedKey(wrapped.salt, wrapped.nonce, flipped, wrapped.kdf)
    with pytest.raises(keys.WrongPassword):
        keys.unwrap_key(tampered, "a password")
