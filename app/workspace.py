"""The Workspace: an unlocked profile and its signed-in user, which every operation and query takes.

It holds the store, who is signed in and the practice's timezone, and opens the one transaction an
operation runs in (:meth:`Workspace.transaction`, which also finds out what the operation changed).
What the window and the command line ask of the core is in :mod:`app.ops`; the UI runs those calls on
worker threads and receives frozen records back (never live ORM objects).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import alert_rules
from app.ops.changes import Transaction
from app.services import practice, users
from app.services.records import SignedInUser
from app.store import Store, open_store
from clinicdesk.errors import AuthenticationError, StoreError
from models import User, utcnow

P = ParamSpec("P")
DEACTIVATED = "this account has been deactivated by the practice's administrator; ask them to reactivate it"
R = TypeVar("R")


class Workspace:
    def __init__(self, store: Store, user: SignedInUser, practice_tz: ZoneInfo) -> None:
        self.store = store
        self.user = user
        self.practice_tz = practice_tz

    @classmethod
    def unlock(cls, profile_dir: Path, password: str) -> Workspace:
        store = open_store(profile_dir, password)
        try:
            return cls.for_store(store)
        except BaseException:
            store.close()
            raise

    @classmethod
    def for_store(cls, store: Store) -> Workspace:
        username = store.meta.extra.get("username")
        if not username:
            raise StoreError("this profile has no signed-in user recorded; seed it or sync it first")
        with store.session() as session:
            user = users.by_username(session, str(username))
            if not user.active:
                raise AuthenticationError(DEACTIVATED)
            signed_in = SignedInUser(
                id=user.id, username=user.username, full_name=user.full_name, role=user.role
            )
            user.last_login_at = utcnow()
            # Day one of a new practice: no practice record yet until the administrator sets it up.
            found = practice.find_practice(session)
            tz = practice.zone(found.timezone if found is not None else "UTC")
        return cls(store, signed_in, tz)

    def set_timezone(self, name: str) -> None:
        """The practice's timezone changed (set up on day one, or edited in Settings → Practice)."""
        self.practice_tz = practice.zone(name)

    @property
    def profile_dir(self) -> Path:
        return self.store.profile_dir

    def today(self) -> date:
        return datetime.now(self.practice_tz).date()

    def verify_password(self, password: str) -> None:
        """Unlocking the locked window: the password, and an account still active (a deactivated
        one is signed out at its next sync and stays locked)."""
        self.store.verify_password(password)
        with self.reading() as session:
            active = session.scalar(select(User.active).where(User.id == self.user.id))
        if active is False:
            raise AuthenticationError(DEACTIVATED)

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """One unit of work as the signed-in user: commits on success, rolls back on any error; its
        ``changes`` are known once the block has run."""
        with self.store.session(actor_id=self.user.id) as session:
            transaction = Transaction(session)
            yield transaction
            alert_rules.after_operation(transaction)  # alerts commit with the event that raised them
            transaction.finish()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A short session for a read (reads of a patient's record still write their audit event)."""
        with self.store.session(actor_id=self.user.id) as session:
            yield session

    def call(self, service: Callable[Concatenate[Session, P], R], *args: P.args, **kwargs: P.kwargs) -> R:
        """One service function (app.services.*) in its own transaction, for scripts and tests that
        check what the store holds; the window and the command line go through :mod:`app.ops`."""
        with self.reading() as session:
            return service(session, *args, **kwargs)

    def close(self) -> None:
        self.store.close()
