"""Password hashing (argon2id) and tokens: short-lived signed access tokens, opaque refresh tokens.

Refresh tokens are random, stored only as a SHA-256 hash, bound to a device and rotated on every use;
presenting a token that was already used signs the device out, since only a thief replays one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ISSUER = "clinicdesk"
ALGORITHM = "HS256"

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
#: Verified against when the username is unknown, so a miss takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash("no such user: constant-time padding")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class AccessClaims:
    """What an access token says. The role is only a hint for clients: the server reads the
    user's current role, activation and organisation on every request, and refuses a token whose
    session epoch the device has moved past (a sign-out)."""

    user_id: uuid.UUID
    role: str
    device_id: uuid.UUID
    session_epoch: int = 0


class TokenInvalid(Exception):
    """The token is expired, forged or malformed; the message is safe to show."""


def issue_access_token(secret: str, claims: AccessClaims, *, ttl_seconds: int) -> str:
    now = datetime.now(UTC)
    body: dict[str, Any] = {
        "iss": ISSUER,
        "sub": str(claims.user_id),
        "role": claims.role,
        "dev": str(claims.device_id),
        "sep": claims.session_epoch,
        "typ": "access",
        "iat": now,
        "exp": now + timedelta(seconds=ttl_seconds),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(body, secret, algorithm=ALGORITHM)


def decode_access_token(secret: str, token: str) -> AccessClaims:
    try:
        body = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "iss"]},
        )
    except jwt.ExpiredSignatureError:
        raise TokenInvalid("access token expired: refresh it or sign in again") from None
    except jwt.PyJWTError:
        raise TokenInvalid("access token is not valid") from None
    if body.get("typ") != "access":
        raise TokenInvalid("access token is not valid")
    try:
        epoch = body["sep"]
        if not isinstance(epoch, int) or isinstance(epoch, bool):
            raise TypeError("session epoch")
        return AccessClaims(uuid.UUID(body["sub"]), str(body["role"]), uuid.UUID(body["dev"]), epoch)
    except (KeyError, ValueError, TypeError):
        raise TokenInvalid("access token is not valid") from None


def new_refresh_token() -> tuple[uuid.UUID, str, str]:
    """(token id, token as handed out, hash to store)."""
    token_id = uuid.uuid4()
    secret = secrets.token_urlsafe(32)
    return token_id, f"{token_id}.{secret}", _digest(secret)


def split_refresh_token(token: str) -> tuple[uuid.UUID, str] | None:
    head, _, secret = token.partition(".")
    try:
        return uuid.UUID(head), secret
    except ValueError:
        return None


def refresh_secret_matches(stored_hash: str, secret: str) -> bool:
    return hmac.compare_digest(stored_hash, _digest(secret))


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
