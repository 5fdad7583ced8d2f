"""Staff accounts, as an administrator keeps them.

Two kinds of change. What is a field of the staff record (name, credentials, specialty, licence
number, extension, role, active) is changed here in the store like any record, offline first, and
reaches the server with the next sync, where the policy lets only an administrator make it; a
deactivated user's workstation is signed out at its next sync, because the server refuses their
requests from then on. What needs the server's secrets (a new account's password, a password
reset, the account's devices) is asked of the server directly through :class:`StaffAccounts`,
which needs the network and says so when it is not there.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.services import audit
from app.services.roles import require_role
from clinicdesk.errors import NotFoundError, ValidationError
from models import User
from models.enums import Role

if TYPE_CHECKING:
    from sync.protocol import DevicePublic, UserCreate, UserPublic

USERNAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 8
#: field -> (label, longest)
DETAILS = {
    "full_name": ("name", 160), "email": ("email", 254), "specialty": ("specialty", 120),
    "credentials": ("credentials", 64), "license_number": ("licence number", 64),
    "phone_extension": ("extension", 16),
}  # fmt: skip


@dataclass(frozen=True)
class StaffMember:
    id: uuid.UUID
    username: str
    full_name: str
    role: Role
    active: bool
    email: str | None
    specialty: str | None
    credentials: str | None
    license_number: str | None
    phone_extension: str | None
    last_login_at: datetime | None


@dataclass(frozen=True)
class StaffDetails:
    """The record's fields an administrator edits (the username is fixed once made)."""

    full_name: str
    email: str | None = None
    specialty: str | None = None
    credentials: str | None = None
    license_number: str | None = None
    phone_extension: str | None = None


def _member(u: User) -> StaffMember:
    return StaffMember(
        u.id, u.username, u.full_name, u.role, u.active, u.email, u.specialty, u.credentials,
        u.license_number, u.phone_extension, u.last_login_at,
    )  # fmt: skip


def check_details(details: StaffDetails) -> dict[str, str | None]:
    values: dict[str, str | None] = {}
    for name, (label, longest) in DETAILS.items():
        text = " ".join(str(getattr(details, name) or "").split()) or None
        if text is not None and len(text) > longest:
            raise ValidationError(f"the {label} is too long (at most {longest} characters)")
        values[name] = text
    if not values["full_name"]:
        raise ValidationError("a staff member needs their name")
    if values["email"] is not None and not _EMAIL.match(values["email"]):
        raise ValidationError("the email does not look like an email address")
    return values


def staff_list(session: Session, *, include_inactive: bool = True) -> list[StaffMember]:
    stmt = select(User).where(User.deleted_at.is_(None)).order_by(User.active.desc(), User.full_name)
    if not include_inactive:
        stmt = stmt.where(User.active.is_(True))
    return [_member(u) for u in session.scalars(stmt)]


def _user(session: Session, user_id: uuid.UUID) -> User:
    user = session.get(User, user_id)
    if user is None or user.deleted_at is not None:
        raise NotFoundError("no such staff member in this profile")
    return user


def _admin(session: Session, action: str) -> User:
    return require_role(session, Role.ADMIN, action=action)


def _active_admins(session: Session) -> int:
    return len(
        session.scalars(
            select(User.id).where(User.role == Role.ADMIN, User.active.is_(True), User.deleted_at.is_(None))
        ).all()
    )


def update_details(session: Session, user_id: uuid.UUID, details: StaffDetails) -> StaffMember:
    _admin(session, "change staff records")
    user = _user(session, user_id)
    values = check_details(details)
    changed = [k for k, v in values.items() if getattr(user, k) != v]
    for name in changed:
        setattr(user, name, values[name])
    if changed:
        audit.record(
            session, action="update", resource_type="users", resource_id=user.id, new={"fields": changed}
        )
    return _member(user)


def change_role(session: Session, user_id: uuid.UUID, role: Role) -> StaffMember:
    me = _admin(session, "change a staff member's role")
    user = _user(session, user_id)
    if user.role is role:
        return _member(user)
    if user.id == me.id and role is not Role.ADMIN and _active_admins(session) <= 1:
        raise ValidationError("the practice's last administrator cannot give up the role")
    old = user.role
    user.role = role
    audit.record(
        session,
        action="update",
        resource_type="users",
        resource_id=user.id,
        old={"role": old.value},
        new={"role": role.value},
    )
    return _member(user)


def set_active(session: Session, user_id: uuid.UUID, active: bool) -> StaffMember:
    """Deactivates (the user can no longer sign in, and their workstation is signed out at its next
    sync) or reactivates an account."""
    me = _admin(session, "deactivate or reactivate staff")
    user = _user(session, user_id)
    if user.active is active:
        return _member(user)
    if not active and user.id == me.id:
        raise ValidationError("you cannot deactivate your own account; another administrator can")
    user.active = active
    audit.record(
        session,
        action="update",
        resource_type="users",
        resource_id=user.id,
        old={"active": not active},
        new={"active": active},
    )
    return _member(user)


def update_member(session: Session, user_id: uuid.UUID, details: StaffDetails, role: Role) -> StaffMember:
    """The staff dialog's Save: the details and the role, in one change."""
    update_details(session, user_id, details)
    return change_role(session, user_id, role)


# -- what needs the server ------------------------------------------------------------------------


class StaffServer(Protocol):
    """The sync server's staff endpoints (sync.transport.HttpTransport has them)."""

    def create_user(self, body: UserCreate) -> UserPublic: ...
    def reset_password(self, user_id: uuid.UUID, password: str) -> UserPublic: ...
    def user_devices(self, user_id: uuid.UUID) -> list[DevicePublic]: ...
    def revoke_device(self, device_id: uuid.UUID) -> DevicePublic: ...


@dataclass(frozen=True)
class NewAccount:
    username: str
    password: str
    role: Role
    details: StaffDetails


def check_new_account(account: NewAccount) -> dict[str, str | None]:
    if not USERNAME.match(account.username):
        raise ValidationError("a username holds 1 to 64 letters, digits, '.', '_' or '-'")
    if len(account.password) < MIN_PASSWORD:
        raise ValidationError(f"the first password needs at least {MIN_PASSWORD} characters")
    return check_details(account.details)


def create_account(server: StaffServer, account: NewAccount) -> UserPublic:
    """A new staff account on the server (with its first password, which the user changes later in
    their own time); the next sync brings its record to this workstation."""
    from sync.protocol import UserCreate

    values = check_new_account(account)
    body = UserCreate(
        username=account.username,
        password=account.password,
        role=account.role.value,
        full_name=str(values["full_name"]),
        email=values["email"],
        specialty=values["specialty"],
        credentials=values["credentials"],
        license_number=values["license_number"],
        phone_extension=values["phone_extension"],
    )
    return server.create_user(body)


def reset_password(server: StaffServer, user_id: uuid.UUID, password: str) -> UserPublic:
    """A temporary password; the user must choose their own at their next sign-in."""
    if len(password) < MIN_PASSWORD:
        raise ValidationError(f"the temporary password needs at least {MIN_PASSWORD} characters")
    return server.reset_password(user_id, password)
