"""Staff lookups."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.services.records import UserSummary
from clinicdesk.errors import NotFoundError
from models import User
from models.enums import Role


def user_summary(user: User) -> UserSummary:
    return UserSummary(
        id=user.id, username=user.username, full_name=user.full_name, role=user.role, specialty=user.specialty
    )


def by_username(session: Session, username: str) -> User:
    user = session.scalars(select(User).where(User.username == username, User.deleted_at.is_(None))).first()
    if user is None:
        raise NotFoundError(f"no user named {username!r} in this profile")
    return user


def clinicians(session: Session) -> list[UserSummary]:
    users = session.scalars(
        select(User)
        .where(User.role == Role.DOCTOR, User.active.is_(True), User.deleted_at.is_(None))
        .order_by(User.full_name)
    ).all()
    return [user_summary(u) for u in users]


def staff(session: Session) -> list[UserSummary]:
    """Every active colleague, for assigning tasks and messages."""
    users = session.scalars(
        select(User)
        .where(User.active.is_(True), User.deleted_at.is_(None))
        .order_by(User.role, User.full_name)
    ).all()
    return [user_summary(u) for u in users]
