"""Who may do what on this workstation. The server checks the same rules again; these exist so a
clinician hears "only a doctor can sign" at the moment of clicking, not after the next sync."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.services.audit import actor_of
from clinicdesk.errors import PermissionDeniedError
from models import User
from models.enums import Role


def current_user(session: Session) -> User:
    actor = actor_of(session)
    user = session.get(User, actor) if actor else None
    if user is None or not user.active:
        raise PermissionDeniedError("no signed-in user for this action; unlock the profile again")
    return user


def require_role(session: Session, *roles: Role, action: str) -> User:
    user = current_user(session)
    if user.role not in roles:
        allowed = " or ".join(("an " if r.value[0] in "aeiou" else "a ") + r.value for r in roles)
        raise PermissionDeniedError(f"only {allowed} can {action}")
    return user
