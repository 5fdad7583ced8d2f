"""The profile's database key and how the password protects it.

The SQLCipher key is 256 random bits, generated once. It is wrapped (AES-256-GCM) by a key derived
from the password with argon2id, so changing the password re-wraps 32 bytes instead of re-encrypting
the whole file, and a wrong password is detected by the GCM tag before SQLCipher is ever touched.
The argon2id cost is chosen so unlocking takes a few hundred milliseconds on a clinic PC: slow enough
to make guessing expensive, fast enough that a clinician does not notice.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
_AAD = b"clinicdesk-profile-key-v1"
NONCE_BYTES = 12
MIN_SALT_BYTES = 8
#: Key-derivation settings a profile may ask for. Outside them argon2 fails, or takes hours (a
#: profile.json edited to time_cost 100000 would hang the unlock), or protects nothing.
SAFE_KDF = {"time_cost": (1, 16), "memory_kib": (8 * 1024, 1024 * 1024), "parallelism": (1, 16)}


class UnsafeKdf(ValueError):
    """Key-derivation settings outside :data:`SAFE_KDF`; the message names the setting and the range."""


@dataclass(frozen=True)
class KdfParams:
    time_cost: int = 3
    memory_kib: int = 131072
    parallelism: int = 2

    def to_json(self) -> dict[str, int | str]:
        return {
            "name": "argon2id",
            "time_cost": self.time_cost,
            "memory_kib": self.memory_kib,
            "parallelism": self.parallelism,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> KdfParams:
        if data.get("name") != "argon2id":
            raise ValueError("unsupported key derivation function")
        return cls(
            time_cost=int(str(data["time_cost"])),
            memory_kib=int(str(data["memory_kib"])),
            parallelism=int(str(data["parallelism"])),
        ).checked()

    def checked(self) -> KdfParams:
        """These settings, if they lie within :data:`SAFE_KDF` (else UnsafeKdf naming the first that
        does not): checked where a profile is read and where one is made."""
        for name, (low, high) in SAFE_KDF.items():
            value = getattr(self, name)
            if not low <= value <= high:
                raise UnsafeKdf(f"{name} {value} is outside {low}-{high}")
        return self


@dataclass(frozen=True)
class WrappedKey:
    salt: bytes
    nonce: bytes
    ciphertext: bytes
    kdf: KdfParams

    def to_json(self) -> dict[str, object]:
        return {
            "kdf": self.kdf.to_json(),
            "salt": base64.b64encode(self.salt).decode(),
            "nonce": base64.b64encode(self.nonce).decode(),
            "wrapped_key": base64.b64encode(self.ciphertext).decode(),
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> WrappedKey:
        kdf = data["kdf"]
        if not isinstance(kdf, dict):
            raise ValueError("kdf parameters missing")
        wrapped = cls(
            salt=base64.b64decode(str(data["salt"]), validate=True),
            nonce=base64.b64decode(str(data["nonce"]), validate=True),
            ciphertext=base64.b64decode(str(data["wrapped_key"]), validate=True),
            kdf=KdfParams.from_json(kdf),
        )
        if len(wrapped.salt) < MIN_SALT_BYTES or len(wrapped.nonce) != NONCE_BYTES:
            raise ValueError("the wrapped key's salt or nonce has the wrong size")
        if len(wrapped.ciphertext) != KEY_BYTES + 16:
            raise ValueError("the wrapped key has the wrong size")
        return wrapped


class WrongPassword(Exception):
    """The password did not unwrap the key. Carries no detail on purpose."""


def new_database_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def derive_kek(password: str, salt: bytes, kdf: KdfParams) -> bytes:
    return hash_secret_raw(
        password.encode("utf-8"),
        salt,
        time_cost=kdf.time_cost,
        memory_cost=kdf.memory_kib,
        parallelism=kdf.parallelism,
        hash_len=KEY_BYTES,
        type=Type.ID,
    )


def wrap_key(db_key: bytes, password: str, kdf: KdfParams | None = None) -> WrappedKey:
    kdf = (kdf or KdfParams()).checked()
    salt = secrets.token_bytes(16)
    nonce = secrets.token_bytes(NONCE_BYTES)
    kek = derive_kek(password, salt, kdf)
    return WrappedKey(salt=salt, nonce=nonce, ciphertext=AESGCM(kek).encrypt(nonce, db_key, _AAD), kdf=kdf)


def unwrap_key(wrapped: WrappedKey, password: str) -> bytes:
    kek = derive_kek(password, wrapped.salt, wrapped.kdf)
    try:
        return AESGCM(kek).decrypt(wrapped.nonce, wrapped.ciphertext, _AAD)
    except InvalidTag:
        raise WrongPassword() from None
