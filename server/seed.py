"""Demo accounts for ``--dev``: an administrator with a fresh random password, and one account per
role with the documented demo password, so a developer can sign in from the app at once."""

from __future__ import annotations

import secrets

from sqlalchemy import Engine, func, select

from models import User
from server.services import accounts
from sync.protocol import UserCreate

DEMO_PASSWORD = "clinicdesk-demo"
DEMO_USERS = [
    ("dr.demo", "Dr. Dana Demo", "doctor"),
    ("nurse.demo", "Noor Demo", "nurse"),
    ("reception.demo", "Rae Demo", "receptionist"),
]


ADMIN_USERNAME = "admin"


def has_users(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(conn.execute(select(func.count()).select_from(User)).scalar_one())


def create_first_admin(engine: Engine, password: str) -> None:
    """The practice's first administrator (user name ``admin``), who sets the practice up and makes
    the other staff accounts from the window."""
    accounts.create_user(
        engine,
        None,
        UserCreate(username=ADMIN_USERNAME, password=password, full_name="Administrator", role="admin"),
    )


def seed_admin(engine: Engine) -> tuple[str, str] | None:
    """Only the administrator, with a fresh random password (``--dev --no-demo``: an empty practice),
    unless there are users already. Returns (username, password)."""
    if has_users(engine):
        return None
    password = secrets.token_urlsafe(12)
    create_first_admin(engine, password)
    return ADMIN_USERNAME, password


def seed_demo_users(engine: Engine) -> tuple[str, str] | None:
    """Create the demo accounts unless there are users already. Returns (admin username, password)."""
    made = seed_admin(engine)
    if made is None:
        return None
    for username, name, role in DEMO_USERS:
        accounts.create_user(
            engine, None, UserCreate(username=username, password=DEMO_PASSWORD, full_name=name, role=role)
        )
    return made
