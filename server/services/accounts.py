"""Sign-in, token refresh and devices. A device is one workstation of one user; revoking it makes
its refresh token and every access token it holds useless at the next request."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, case, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from clinicdesk.errors import AuthenticationError, PermissionDeniedError, ValidationError
from models import User, new_id
from models.enums import Role
from server import security
from server.permissions import Principal
from server.services.audit import audit_row, write_audit
from server.settings import Settings
from server.tables import (
    change_log,
    credentials,
    devices,
    login_failures,
    refresh_tokens,
    usn_counter,
)
from sync.protocol import DevicePublic, TokenPair, UserCreate, UserPublic

SIGN_IN_FAILED = "wrong username or password"
#: Failed sign-ins in a row that cost nothing; from the next one on, the username is locked for
#: LOCK_BASE_SECONDS, doubling with each further failure up to LOCK_MAX_SECONDS.
FREE_ATTEMPTS = 5
LOCK_BASE_SECONDS = 30
LOCK_MAX_SECONDS = 15 * 60
#: A failure this old no longer counts towards a lock.
FAILURE_MEMORY_SECONDS = 24 * 3600
#: How long a client may retry a refresh whose answer it never received.
REFRESH_RETRY_GRACE_SECONDS = 300


@dataclass(frozen=True)
class Account:
    id: uuid.UUID
    username: str
    full_name: str
    role: Role
    active: bool

    def public(self) -> UserPublic:
        return UserPublic(id=self.id, username=self.username, full_name=self.full_name, role=self.role.value)


def _account(
    conn: Connection, *, user_id: uuid.UUID | None = None, username: str | None = None
) -> Account | None:
    stmt = select(User.id, User.username, User.full_name, User.role, User.active, User.deleted_at)
    stmt = stmt.where(User.id == user_id) if user_id is not None else stmt.where(User.username == username)
    row = conn.execute(stmt).first()
    if row is None or row.deleted_at is not None:
        return None
    return Account(row.id, row.username, row.full_name, Role(row.role), bool(row.active))


def _issue(conn: Connection, settings: Settings, account: Account, device_id: uuid.UUID) -> TokenPair:
    return _issue_with_id(conn, settings, account, device_id)[0]


def _issue_with_id(
    conn: Connection, settings: Settings, account: Account, device_id: uuid.UUID
) -> tuple[TokenPair, uuid.UUID]:
    token_id, token, digest = security.new_refresh_token()
    conn.execute(
        insert(refresh_tokens).values(
            id=token_id,
            device_id=device_id,
            user_id=account.id,
            token_hash=digest,
            expires_at=datetime.now(UTC) + timedelta(seconds=settings.refresh_ttl_seconds),
        )
    )
    access = security.issue_access_token(
        settings.jwt_secret,
        security.AccessClaims(account.id, account.role.value, device_id),
        ttl_seconds=settings.access_ttl_seconds,
    )
    pair = TokenPair(
        access_token=access,
        refresh_token=token,
        expires_in=settings.access_ttl_seconds,
        device_id=device_id,
        user=account.public(),
    )
    return pair, token_id


def _lock_message(until: datetime, now: datetime) -> str:
    minutes = max(1, math.ceil((until - now).total_seconds() / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return f"too many failed sign-ins for this username; try again in {minutes} {unit}"


def lockout_seconds(failures: int) -> int:
    """How long a username stays locked after ``failures`` failed sign-ins in a row: nothing for the
    first few (typos), then a delay that doubles with each further failure, up to a cap."""
    if failures < FREE_ATTEMPTS:
        return 0
    return int(min(LOCK_BASE_SECONDS * 2 ** (failures - FREE_ATTEMPTS), LOCK_MAX_SECONDS))


def _check_not_locked(engine: Engine, key: str, now: datetime) -> None:
    with engine.connect() as conn:
        until = conn.execute(
            select(login_failures.c.locked_until).where(login_failures.c.username == key)
        ).scalar()
    if until is not None and until > now:
        raise AuthenticationError(_lock_message(until, now))


def _record_failure(engine: Engine, key: str, account: Account | None, now: datetime) -> None:
    """Count a failed sign-in in a transaction of its own: the refusal that follows must not roll
    the count (or the audit event) back."""
    stale = now - timedelta(seconds=FAILURE_MEMORY_SECONDS)
    with engine.begin() as conn:
        base = pg_insert(login_failures).values(username=key, failures=1, last_failure_at=now)
        stmt = base.on_conflict_do_update(
            index_elements=[login_failures.c.username],
            set_={
                "failures": case(
                    (login_failures.c.last_failure_at < stale, 1), else_=login_failures.c.failures + 1
                ),
                "last_failure_at": now,
            },
        ).returning(login_failures.c.failures)
        failures = int(conn.execute(stmt).scalar_one())
        seconds = lockout_seconds(failures)
        if seconds:
            conn.execute(
                update(login_failures)
                .where(login_failures.c.username == key)
                .values(locked_until=now + timedelta(seconds=seconds))
            )
        if account is not None:
            rows = [audit_row(user_id=account.id, action="login_failed", resource_type="session")]
            if seconds:
                rows.append(
                    audit_row(
                        user_id=account.id,
                        action="login_locked",
                        resource_type="session",
                        new_values={"failures": failures, "seconds": seconds},
                    )
                )
            write_audit(conn, rows)


def login(
    engine: Engine,
    settings: Settings,
    *,
    username: str,
    password: str,
    device_id: uuid.UUID,
    device_name: str,
) -> TokenPair:
    key = username.lower()[:64]
    now = datetime.now(UTC)
    # Checked before the password is even looked at: a locked username costs no argon2 work, and
    # guessing on during the lock learns nothing.
    _check_not_locked(engine, key, now)
    with engine.connect() as conn:
        account = _account(conn, username=username)
        stored = None
        if account is not None:
            stored = conn.execute(
                select(credentials.c.password_hash).where(credentials.c.user_id == account.id)
            ).scalar_one_or_none()
    if not security.verify_password(stored, password) or account is None or not account.active:
        _record_failure(engine, key, account, now)
        raise AuthenticationError(SIGN_IN_FAILED)
    with engine.begin() as conn:
        conn.execute(delete(login_failures).where(login_failures.c.username == key))
        device = conn.execute(select(devices).where(devices.c.id == device_id)).mappings().first()
        if device is not None and (device["user_id"] != account.id or device["revoked_at"] is not None):
            raise AuthenticationError(
                "this workstation was signed out by an administrator; ask them to re-enable it"
            )
        if device is None:
            conn.execute(
                insert(devices).values(id=device_id, user_id=account.id, name=device_name, created_at=now)
            )
        conn.execute(update(devices).where(devices.c.id == device_id).values(last_seen_at=now))
        write_audit(
            conn,
            [audit_row(user_id=account.id, action="login", resource_type="session", device_id=device_id)],
        )
        return _issue(conn, settings, account, device_id)


def refresh(engine: Engine, settings: Settings, token: str) -> TokenPair:
    parts = security.split_refresh_token(token)
    if parts is None:
        raise AuthenticationError("refresh token is not valid; sign in again")
    token_id, secret = parts
    with engine.begin() as conn:
        row = conn.execute(
            select(refresh_tokens).where(refresh_tokens.c.id == token_id).with_for_update()
        ).first()
        if row is None or not security.refresh_secret_matches(row.token_hash, secret):
            raise AuthenticationError("refresh token is not valid; sign in again")
        now = datetime.now(UTC)
        replayed = False
        if row.used_at is not None:
            successor = None
            if row.replaced_by is not None:
                successor = conn.execute(
                    select(refresh_tokens.c.used_at)
                    .where(refresh_tokens.c.id == row.replaced_by)
                    .with_for_update()
                ).first()
            retry = (
                successor is not None
                and successor.used_at is None
                and now - row.used_at < timedelta(seconds=REFRESH_RETRY_GRACE_SECONDS)
            )
            if retry:
                # The answer to the first exchange was lost on the way (the network cut it): the
                # successor was never used, so this is the same client retrying, not a thief.
                # Retire the unused successor and exchange again.
                conn.execute(
                    update(refresh_tokens).where(refresh_tokens.c.id == row.replaced_by).values(used_at=now)
                )
            else:
                # A rotated token came back after its successor was used: someone copied it. Sign
                # the device out (committed before the error is raised, so the sign-out sticks).
                replayed = True
                conn.execute(update(devices).where(devices.c.id == row.device_id).values(revoked_at=now))
                write_audit(
                    conn,
                    [
                        audit_row(
                            user_id=row.user_id,
                            action="token_replay",
                            resource_type="device",
                            resource_id=row.device_id,
                        )
                    ],
                )
    if replayed:
        raise AuthenticationError("refresh token was already used; this workstation is signed out")
    with engine.begin() as conn:
        row = conn.execute(
            select(refresh_tokens).where(refresh_tokens.c.id == token_id).with_for_update()
        ).one()
        if row.expires_at <= now:
            raise AuthenticationError("session expired; sign in again")
        device = conn.execute(select(devices.c.revoked_at).where(devices.c.id == row.device_id)).first()
        account = _account(conn, user_id=row.user_id)
        if device is None or device.revoked_at is not None or account is None or not account.active:
            raise AuthenticationError("this workstation is signed out; sign in again")
        pair, new_id_ = _issue_with_id(conn, settings, account, row.device_id)
        conn.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.id == token_id)
            .values(used_at=row.used_at or now, replaced_by=new_id_)
        )
        conn.execute(update(devices).where(devices.c.id == row.device_id).values(last_seen_at=now))
        return pair


def principal_for(engine: Engine, settings: Settings, token: str) -> Principal:
    try:
        claims = security.decode_access_token(settings.jwt_secret, token)
    except security.TokenInvalid as exc:
        raise AuthenticationError(str(exc)) from None
    with engine.connect() as conn:
        device = conn.execute(
            select(devices.c.user_id, devices.c.revoked_at).where(devices.c.id == claims.device_id)
        ).first()
        if device is None or device.revoked_at is not None or device.user_id != claims.user_id:
            raise AuthenticationError("this workstation is signed out; sign in again")
        active = conn.execute(
            select(User.active).where(User.id == claims.user_id, User.deleted_at.is_(None))
        ).first()
    if active is None or not active[0]:
        raise AuthenticationError("this account is disabled")
    return Principal(claims.user_id, Role(claims.role), claims.device_id)


def logout(engine: Engine, who: Principal) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.device_id == who.device_id, refresh_tokens.c.used_at.is_(None))
            .values(used_at=datetime.now(UTC))
        )
        write_audit(conn, [audit_row(user_id=who.user_id, action="logout", resource_type="session")])


def list_devices(engine: Engine, who: Principal) -> list[DevicePublic]:
    stmt = select(devices)
    if not who.is_admin:
        stmt = stmt.where(devices.c.user_id == who.user_id)
    with engine.connect() as conn:
        rows = conn.execute(stmt.order_by(devices.c.created_at)).mappings().all()
    return [
        DevicePublic(id=r["id"], user_id=r["user_id"], name=r["name"], revoked=r["revoked_at"] is not None)
        for r in rows
    ]


def revoke_device(engine: Engine, who: Principal, device_id: uuid.UUID) -> DevicePublic:
    with engine.begin() as conn:
        row = conn.execute(select(devices).where(devices.c.id == device_id)).mappings().first()
        if row is None or (row["user_id"] != who.user_id and not who.is_admin):
            raise PermissionDeniedError("no such device of yours")
        conn.execute(update(devices).where(devices.c.id == device_id).values(revoked_at=datetime.now(UTC)))
        write_audit(
            conn,
            [audit_row(user_id=who.user_id, action="revoke", resource_type="device", resource_id=device_id)],
        )
    return DevicePublic(id=row["id"], user_id=row["user_id"], name=row["name"], revoked=True)


def create_user(engine: Engine, who: Principal | None, data: UserCreate) -> UserPublic:
    """Create a staff account with a password. ``who`` None is the server itself (seeding)."""
    if who is not None and not who.is_admin:
        raise PermissionDeniedError("only an administrator creates staff accounts")
    now = datetime.now(UTC)
    user_id = new_id()
    with engine.begin() as conn:
        if _account(conn, username=data.username) is not None:
            raise ValidationError("that username is taken")
        usn = conn.execute(
            update(usn_counter)
            .where(usn_counter.c.id == 1)
            .values(value=usn_counter.c.value + 1)
            .returning(usn_counter.c.value)
        ).scalar_one()
        conn.execute(
            insert(User).values(
                id=user_id,
                created_at=now,
                updated_at=now,
                version=usn,
                username=data.username,
                full_name=data.full_name,
                role=Role(data.role),
                preferences={},
                active=True,
            )
        )
        conn.execute(
            insert(credentials).values(
                user_id=user_id,
                password_hash=security.hash_password(data.password),
                failed_attempts=0,
                changed_at=now,
            )
        )
        all_fields = ["username", "full_name", "role", "preferences", "active", "created_at", "updated_at"]
        conn.execute(
            insert(change_log).values(
                entity="users",
                record_id=user_id,
                usn=usn,
                field_usns={f: [usn, "server"] for f in all_fields},
            )
        )
        write_audit(
            conn,
            [
                audit_row(
                    user_id=who.user_id if who else None,
                    action="create",
                    resource_type="users",
                    resource_id=user_id,
                    new_values={"username": data.username, "role": data.role},
                )
            ],
        )
    return UserPublic(id=user_id, username=data.username, full_name=data.full_name, role=data.role)
