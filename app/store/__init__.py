"""The workstation's encrypted store: one SQLCipher file per user profile (DESIGN.md).

store = create_store(profile_dir, password, display_name="Dr House")
store = open_store(profile_dir, password)      # AuthenticationError / StoreError
with store.session(actor_id=user.id) as s:      # one transaction, outbox written with it
    ...
store.change_password(old, new)
store.close()
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session, sessionmaker

from app.store import keys
from app.store.engine import enable_wal, make_engine
from app.store.migrate import HEAD, current_revision, upgrade
from app.store.outbox import install_outbox_listener
from app.store.profile import DB_FILE, ProfileMeta, now_utc, read_meta, write_meta
from clinicdesk.errors import AuthenticationError, StoreError, ValidationError
from models.local import ACTOR_ID

__all__ = ["Store", "create_store", "open_store", "read_meta"]

MIN_PASSWORD_LENGTH = 8


@dataclass
class Store:
    profile_dir: Path
    meta: ProfileMeta
    engine: Engine
    sessionmaker: sessionmaker[Session]
    _key: bytes

    @contextmanager
    def session(self, *, actor_id: uuid.UUID | None = None) -> Iterator[Session]:
        """One unit of work: commits on success, rolls back on any error."""
        with self.sessionmaker() as session, session.begin():
            session.info[ACTOR_ID] = actor_id
            yield session

    def change_password(self, *, old_password: str, new_password: str) -> None:
        _check_new_password(new_password)
        try:
            keys.unwrap_key(self.meta.key, old_password)
        except keys.WrongPassword:
            raise AuthenticationError("the current password is wrong; the password was not changed") from None
        self.meta.key = keys.wrap_key(self._key, new_password, self.meta.key.kdf)
        write_meta(self.profile_dir, self.meta)

    def verify_password(self, password: str) -> None:
        """Unlocking a locked screen: same throttling as opening the profile."""
        self.meta = read_meta(self.profile_dir)
        if _unwrap_throttled(self.profile_dir, self.meta, password) != self._key:
            raise AuthenticationError("this password belongs to a different key; the profile was replaced")

    def set_owner(self, username: str) -> None:
        """Record which user this profile belongs to (the signed-in user after unlock)."""
        self.meta.extra["username"] = username
        write_meta(self.profile_dir, self.meta)

    def close(self) -> None:
        self.engine.dispose()


def _check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")


def _make_store(profile_dir: Path, meta: ProfileMeta, key: bytes) -> Store:
    engine = make_engine(profile_dir / DB_FILE, key)
    maker = sessionmaker(engine, expire_on_commit=False)
    install_outbox_listener(maker)
    return Store(profile_dir=profile_dir, meta=meta, engine=engine, sessionmaker=maker, _key=key)


def _unwrap_throttled(profile_dir: Path, meta: ProfileMeta, password: str) -> bytes:
    """The one way a password is checked: refused early while throttled, failures recorded."""
    meta.check_may_attempt(now_utc())
    try:
        db_key = keys.unwrap_key(meta.key, password)
    except keys.WrongPassword:
        meta.record_failure(now_utc())
        write_meta(profile_dir, meta)
        raise AuthenticationError("wrong password") from None
    if meta.failed_attempts or meta.next_attempt_at or meta.locked_until:
        meta.record_success()
        write_meta(profile_dir, meta)
    return db_key


def create_store(
    profile_dir: Path, password: str, *, display_name: str = "", kdf: keys.KdfParams | None = None
) -> Store:
    """Create a new, empty, migrated profile. Refuses to touch a folder that already has files."""
    _check_new_password(password)
    if profile_dir.exists() and (not profile_dir.is_dir() or any(profile_dir.iterdir())):
        raise StoreError(f"{profile_dir} already exists and is not empty; choose a new folder")
    profile_dir.mkdir(parents=True, exist_ok=True)
    db_key = keys.new_database_key()
    meta = ProfileMeta(
        key=keys.wrap_key(db_key, password, kdf),
        profile_id=str(uuid.uuid4()),
        display_name=display_name,
        created_at=now_utc().isoformat(),
    )
    store = _make_store(profile_dir, meta, db_key)
    enable_wal(store.engine)
    with store.engine.connect() as conn:
        upgrade(conn)
        conn.commit()
    write_meta(profile_dir, meta)
    return store


def open_store(profile_dir: Path, password: str) -> Store:
    """Unlock a profile. Wrong passwords are throttled (profile.py); a corrupt or foreign file gives
    a StoreError and is never written to."""
    meta = read_meta(profile_dir)
    db_key = _unwrap_throttled(profile_dir, meta, password)
    db_path = profile_dir / DB_FILE
    if not db_path.is_file():
        raise StoreError(f"the profile at {profile_dir} has no database file ({DB_FILE})")
    store = _make_store(profile_dir, meta, db_key)
    try:
        with store.engine.connect() as conn:
            conn.execute(text("SELECT count(*) FROM sqlite_master")).scalar()
            revision = current_revision(conn)
            if revision is None:
                raise StoreError(f"{db_path} is not a ClinicDesk database; it was left untouched")
            if revision != HEAD:
                upgrade(conn)
                conn.commit()
        enable_wal(store.engine)
    except DatabaseError:
        store.close()
        raise StoreError(
            f"{db_path} is corrupt or not a ClinicDesk database; it was left untouched"
        ) from None
    except StoreError:
        store.close()
        raise
    return store
