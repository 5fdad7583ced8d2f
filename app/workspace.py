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

from sqlalchemy.orm import Session

from app.ops.changes import Transaction
from app.services import practice, users
from app.services.records import SignedInUser
from app.store import Store, open_store
from clinicdesk.errors import StoreError
from models import utcnow

P = ParamSpec("P")
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
            signed_in = SignedInUser(
                id=user.id, username=user.username, full_name=user.full_name, role=user.role
            )
            user.last_login_at = utcnow()
            tz = practice.zone(practice.get_practice(session).timezone)
        return cls(store, signed_in, tz)

    @property
    def profile_dir(self) -> Path:
        return self.store.profile_dir

    def today(self) -> date:
        return datetime.now(self.practice_tz).date()

    def verify_password(self, password: str) -> None:
        self.store.verify_password(password)

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """One unit of work as the signed-in user: commits on success, rolls back on any error; its
        ``changes`` are known once the block has run."""
        with self.store.session(actor_id=self.user.id) as session:
            transaction = Transaction(session)
            yield transaction
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
