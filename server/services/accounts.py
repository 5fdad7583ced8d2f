"""Sign-in, token refresh, devices and staff accounts. A device is one workstation of one user;
revoking it makes its refresh token and every access token it holds useless at the next request.

Runs on the owner engine: signing in must find a user before anyone knows their organisation.

* Usernames are unique and looked up in their canonical (lower-case) form (tables.usernames).
* A sign-in attempt is counted *before* its password is checked, in one locked read-modify-write,
  so twenty guesses sent at once are twenty attempts: the lock comes after the fifth, and the rest
  are refused without the password being looked at. A right password clears the count.
* Every request reads the user's current role, activation and organisation and the device's
  session epoch, so a demotion, a deactivation or a sign-out takes effect on the next request.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Select, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError

from clinicdesk.errors import (
    AuthenticationError,
    NotFoundError,
    PasswordChangeRequired,
    PermissionDeniedError,
    ValidationError,
)
from models import User, new_id
from models.enums import Role
from server import security
from server.policy import ACCOUNT_ACTIONS, Principal
from server.services.audit import audit_row, write_audit, write_event
from server.settings import Settings
from server.tables import (
    DEFAULT_ORGANIZATION_ID,
    change_log,
    credentials,
    devices,
    login_failures,
    organizations,
    refresh_tokens,
    usernames,
    usn_counter,
)
from sync.protocol import ACCOUNT_DEACTIVATED, DevicePublic, TokenPair, UserCreate, UserPublic

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
USERNAME_TAKEN = "that username is taken (usernames are compared without regard to case)"
#: The staff record's details a new account may be made with.
STAFF_DETAILS = ("email", "specialty", "credentials", "license_number", "phone_extension")


def canonical(username: str) -> str:
    """The form a username is unique in, looked up by and locked out under."""
    return username.lower()[:64]


@dataclass(frozen=True)
class Account:
    id: uuid.UUID
    username: str
    full_name: str
    role: Role
    active: bool
    organization_id: uuid.UUID

    def public(self) -> UserPublic:
        return UserPublic(id=self.id, username=self.username, full_name=self.full_name, role=self.role.value)


def account(
    conn: Connection, *, user_id: uuid.UUID | None = None, username: str | None = None
) -> Account | None:
    stmt = select(
        User.id, User.username, User.full_name, User.role, User.active, User.deleted_at, User.organization_id
    )
    if user_id is not None:
        stmt = stmt.where(User.id == user_id)
    else:
        assert username is not None
        stmt = stmt.join(usernames, usernames.c.user_id == User.id).where(
            usernames.c.username_key == canonical(username)
        )
    row = conn.execute(stmt).first()
    if row is None or row.deleted_at is not None or row.organization_id is None:
        return None
    return Account(row.id, row.username, row.full_name, Role(row.role), bool(row.active), row.organization_id)


def _issue(
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
    epoch = conn.execute(select(devices.c.session_epoch).where(devices.c.id == device_id)).scalar_one()
    access = security.issue_access_token(
        settings.jwt_secret,
        security.AccessClaims(account.id, account.role.value, device_id, int(epoch)),
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


def _take_attempt(engine: Engine, key: str, now: datetime) -> int:
    """Count this attempt as a failure until its password proves right, in a transaction of its
    own that holds the username's row locked: concurrent attempts queue here, each sees the
    count the one before left, and none is checked once the lock is on. Returns the count."""
    stale = now - timedelta(seconds=FAILURE_MEMORY_SECONDS)
    with engine.begin() as conn:
        conn.execute(
            pg_insert(login_failures)
            .values(username=key, failures=0, last_failure_at=now)
            .on_conflict_do_nothing(index_elements=[login_failures.c.username])
        )
        row = conn.execute(
            select(login_failures).where(login_failures.c.username == key).with_for_update()
        ).one()
        if row.locked_until is not None and row.locked_until > now:
            raise AuthenticationError(_lock_message(row.locked_until, now))
        failures = 1 if row.last_failure_at < stale else int(row.failures) + 1
        seconds = lockout_seconds(failures)
        conn.execute(
            update(login_failures)
            .where(login_failures.c.username == key)
            .values(
                failures=failures,
                last_failure_at=now,
                locked_until=now + timedelta(seconds=seconds) if seconds else None,
            )
        )
    return failures


def _record_failure(engine: Engine, account: Account | None, failures: int) -> None:
    """The attempt was wrong: it is already counted; write the audit events (committed on their
    own, so the refusal that follows cannot roll them back)."""
    if account is None:
        return
    seconds = lockout_seconds(failures)
    rows = [
        audit_row(
            user_id=account.id,
            organization_id=account.organization_id,
            action="login_failed",
            resource_type="session",
        )
    ]
    if seconds:
        rows.append(
            audit_row(
                user_id=account.id,
                organization_id=account.organization_id,
                action="login_locked",
                resource_type="session",
                new_values={"failures": failures, "seconds": seconds},
            )
        )
    with engine.begin() as conn:
        write_audit(conn, rows)


def login(
    engine: Engine,
    settings: Settings,
    *,
    username: str,
    password: str,
    device_id: uuid.UUID,
    device_name: str,
    new_password: str | None = None,
) -> TokenPair:
    key = canonical(username)
    now = datetime.now(UTC)
    # Counted before the password is even looked at: a locked username costs no argon2 work, and
    # guessing on during the lock learns nothing.
    failures = _take_attempt(engine, key, now)
    with engine.connect() as conn:
        found = account(conn, username=username)
        stored = None
        must_change = False
        if found is not None:
            row = conn.execute(
                select(credentials.c.password_hash, credentials.c.must_change_password).where(
                    credentials.c.user_id == found.id
                )
            ).first()
            if row is not None:
                stored, must_change = row.password_hash, bool(row.must_change_password)
    if not security.verify_password(stored, password) or found is None:
        _record_failure(engine, found, failures)
        raise AuthenticationError(SIGN_IN_FAILED)
    if not found.active:
        # The password was right, so saying why tells nothing to someone guessing.
        with engine.begin() as conn:
            conn.execute(delete(login_failures).where(login_failures.c.username == key))
        raise AuthenticationError(f"{ACCOUNT_DEACTIVATED}; ask them to reactivate it")
    if must_change and new_password is None:
        with engine.begin() as conn:
            conn.execute(delete(login_failures).where(login_failures.c.username == key))
        raise PasswordChangeRequired(
            "your password was reset by an administrator: choose a new password to sign in"
        )
    with engine.begin() as conn:
        conn.execute(delete(login_failures).where(login_failures.c.username == key))
        if new_password is not None and must_change:
            _set_password(conn, found.id, new_password, old=password, must_change=False)
        device = conn.execute(select(devices).where(devices.c.id == device_id)).mappings().first()
        if device is not None and (device["user_id"] != found.id or device["revoked_at"] is not None):
            raise AuthenticationError(
                "this workstation was signed out by an administrator; ask them to re-enable it"
            )
        if device is None:
            conn.execute(
                insert(devices).values(id=device_id, user_id=found.id, name=device_name, created_at=now)
            )
        conn.execute(update(devices).where(devices.c.id == device_id).values(last_seen_at=now))
        write_event(
            conn,
            user_id=found.id,
            organization_id=found.organization_id,
            action="login",
            resource_type="session",
            device_id=device_id,
        )
        return _issue(conn, settings, found, device_id)[0]


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
                owner = account(conn, user_id=row.user_id)
                write_event(
                    conn,
                    user_id=row.user_id,
                    organization_id=owner.organization_id if owner else None,
                    action="token_replay",
                    resource_type="device",
                    resource_id=row.device_id,
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
        found = account(conn, user_id=row.user_id)
        if found is not None and not found.active:
            raise AuthenticationError(ACCOUNT_DEACTIVATED)
        if device is None or device.revoked_at is not None or found is None:
            raise AuthenticationError("this workstation is signed out; sign in again")
        pair, new_id_ = _issue(conn, settings, found, row.device_id)
        conn.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.id == token_id)
            .values(used_at=row.used_at or now, replaced_by=new_id_)
        )
        conn.execute(update(devices).where(devices.c.id == row.device_id).values(last_seen_at=now))
        return pair


def principal_for(engine: Engine, settings: Settings, token: str) -> Principal:
    """The user behind an access token as they are *now*: one query per request for the device's
    state and the user's role, activation and organisation."""
    try:
        claims = security.decode_access_token(settings.jwt_secret, token)
    except security.TokenInvalid as exc:
        raise AuthenticationError(str(exc)) from None
    with engine.connect() as conn:
        row = conn.execute(
            select(
                devices.c.revoked_at,
                devices.c.session_epoch,
                User.role,
                User.active,
                User.deleted_at,
                User.organization_id,
            )
            .join(User, User.id == devices.c.user_id)
            .where(devices.c.id == claims.device_id, devices.c.user_id == claims.user_id)
        ).first()
    if row is None or row.revoked_at is not None or row.session_epoch != claims.session_epoch:
        raise AuthenticationError("this workstation is signed out; sign in again")
    if not row.active:
        raise AuthenticationError(ACCOUNT_DEACTIVATED)
    if row.deleted_at is not None or row.organization_id is None:
        raise AuthenticationError("this account is disabled")
    return Principal(claims.user_id, Role(row.role), claims.device_id, row.organization_id)


def logout(engine: Engine, who: Principal) -> None:
    """End this device's session now: its refresh token and every access token it holds."""
    with engine.begin() as conn:
        conn.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.device_id == who.device_id, refresh_tokens.c.used_at.is_(None))
            .values(used_at=datetime.now(UTC))
        )
        conn.execute(
            update(devices)
            .where(devices.c.id == who.device_id)
            .values(session_epoch=devices.c.session_epoch + 1)
        )
        write_event(
            conn,
            user_id=who.user_id,
            organization_id=who.organization_id,
            action="logout",
            resource_type="session",
        )


def _devices_of(who: Principal) -> Select[Any]:
    stmt = select(devices).join(User, User.id == devices.c.user_id)
    stmt = stmt.where(User.organization_id == who.organization_id)
    return stmt if who.is_admin else stmt.where(devices.c.user_id == who.user_id)


def _device(r: Any) -> DevicePublic:
    return DevicePublic(
        id=r["id"],
        user_id=r["user_id"],
        name=r["name"],
        revoked=r["revoked_at"] is not None,
        last_seen_at=r["last_seen_at"],
    )


def list_devices(engine: Engine, who: Principal) -> list[DevicePublic]:
    """The user's own devices; an administrator sees every device of their organisation."""
    with engine.connect() as conn:
        rows = conn.execute(_devices_of(who).order_by(devices.c.created_at)).mappings().all()
    return [_device(r) for r in rows]


def user_devices(engine: Engine, who: Principal, user_id: uuid.UUID) -> list[DevicePublic]:
    """One account's devices (ACCOUNT_ACTIONS: an administrator, or the account's own user)."""
    if not ACCOUNT_ACTIONS["list_devices"].permits(who, {"user_id": str(user_id)}):
        raise PermissionDeniedError("only an administrator sees another user's devices")
    with engine.connect() as conn:
        rows = conn.execute(
            _devices_of(who).where(devices.c.user_id == user_id).order_by(devices.c.created_at)
        ).mappings()
        return [_device(r) for r in rows]


def revoke_device(engine: Engine, who: Principal, device_id: uuid.UUID) -> DevicePublic:
    with engine.begin() as conn:
        row = conn.execute(_devices_of(who).where(devices.c.id == device_id)).mappings().first()
        if row is None or not ACCOUNT_ACTIONS["revoke_device"].permits(who, {"user_id": str(row["user_id"])}):
            raise PermissionDeniedError("no such device of yours")
        conn.execute(update(devices).where(devices.c.id == device_id).values(revoked_at=datetime.now(UTC)))
        write_event(
            conn,
            user_id=who.user_id,
            organization_id=who.organization_id,
            action="revoke",
            resource_type="device",
            resource_id=device_id,
        )
    return _device({**row, "revoked_at": datetime.now(UTC)})


def create_organization(engine: Engine, name: str) -> uuid.UUID:
    """A new practice group (operators only: there is no endpoint for it)."""
    org_id = new_id()
    with engine.begin() as conn:
        conn.execute(insert(organizations).values(id=org_id, name=name, created_at=datetime.now(UTC)))
    return org_id


def create_user(
    engine: Engine,
    who: Principal | None,
    data: UserCreate,
    *,
    organization_id: uuid.UUID | None = None,
) -> UserPublic:
    """Create a staff account with a password, in the creating administrator's organisation.
    ``who`` None is the server itself (seeding), which names the organisation (default: the
    default one)."""
    if who is not None and not ACCOUNT_ACTIONS["create_account"].permits(who, None):
        raise PermissionDeniedError("only an administrator creates staff accounts")
    org = who.organization_id if who is not None else organization_id or DEFAULT_ORGANIZATION_ID
    now = datetime.now(UTC)
    user_id = new_id()
    details = {name: getattr(data, name) for name in STAFF_DETAILS if getattr(data, name)}
    try:
        with engine.begin() as conn:
            if conn.execute(
                select(usernames).where(usernames.c.username_key == canonical(data.username))
            ).first():
                raise ValidationError(USERNAME_TAKEN)
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
                    organization_id=org,
                    **details,
                )
            )
            conn.execute(insert(usernames).values(username_key=canonical(data.username), user_id=user_id))
            conn.execute(
                insert(credentials).values(
                    user_id=user_id,
                    password_hash=security.hash_password(data.password),
                    failed_attempts=0,
                    changed_at=now,
                )
            )
            all_fields = [
                "username",
                "full_name",
                "role",
                "preferences",
                "active",
                "created_at",
                "updated_at",
                *details,
            ]
            conn.execute(
                insert(change_log).values(
                    entity="users",
                    record_id=user_id,
                    usn=usn,
                    organization_id=org,
                    field_usns={f: [usn, "server"] for f in all_fields},
                )
            )
            write_event(
                conn,
                user_id=who.user_id if who else None,
                organization_id=org,
                action="create",
                resource_type="users",
                resource_id=user_id,
                new_values={"username": data.username, "role": data.role},
            )
    except IntegrityError:
        # Two requests for the same name at once: the canonical name's key decides.
        raise ValidationError(USERNAME_TAKEN) from None
    return UserPublic(id=user_id, username=data.username, full_name=data.full_name, role=data.role)


def _set_password(
    conn: Connection, user_id: uuid.UUID, password: str, *, old: str | None, must_change: bool
) -> None:
    if old is not None and password == old:
        raise ValidationError("choose a new password, not the one an administrator gave you")
    values = {
        "password_hash": security.hash_password(password),
        "must_change_password": must_change,
        "changed_at": datetime.now(UTC),
    }
    # An account made by a pushed record has no password yet: a reset gives it its first.
    stmt = pg_insert(credentials).values(user_id=user_id, failed_attempts=0, **values)
    conn.execute(stmt.on_conflict_do_update(index_elements=[credentials.c.user_id], set_=values))


def reset_password(engine: Engine, who: Principal, user_id: uuid.UUID, password: str) -> UserPublic:
    """An administrator gives a staff account a temporary password: its sessions end now, and the
    next sign-in must choose a new password (answer 428 until it does)."""
    if not ACCOUNT_ACTIONS["reset_password"].permits(who, {"user_id": str(user_id)}):
        raise PermissionDeniedError("only an administrator resets a password")
    with engine.begin() as conn:
        target = account(conn, user_id=user_id)
        if target is None or target.organization_id != who.organization_id:
            raise NotFoundError("no such staff account in this practice")
        _set_password(conn, user_id, password, old=None, must_change=True)
        conn.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.user_id == user_id, refresh_tokens.c.used_at.is_(None))
            .values(used_at=datetime.now(UTC))
        )
        conn.execute(
            update(devices)
            .where(devices.c.user_id == user_id)
            .values(session_epoch=devices.c.session_epoch + 1)
        )
        write_event(
            conn,
            user_id=who.user_id,
            organization_id=who.organization_id,
            action="reset_password",
            resource_type="users",
            resource_id=user_id,
        )
    return target.public()
