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


def seed_demo_users(engine: Engine) -> tuple[str, str] | None:
    """Create the demo accounts unless there are users already. Returns (admin username, password)."""
    with engine.connect() as conn:
        if conn.execute(select(func.count()).select_from(User)).scalar_one():
            return None
    password = secrets.token_urlsafe(12)
    accounts.create_user(
        engine, None, UserCreate(username="admin", password=password, full_name="Administrator", role="admin")
    )
    for username, name, role in DEMO_USERS:
        accounts.create_user(
            engine, None, UserCreate(username=username, password=DEMO_PASSWORD, full_name=name, role=role)
        )
    return "admin", password
