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
from app.store.profile import (
    DB_FILE,
    ProfileLock,
    ProfileMeta,
    disk_full,
    now_utc,
    read_meta,
    storage_error,
    update_meta,
    write_meta,
)
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
        """Re-wrap the key under ``new_password``. Holds the profile lock from reading profile.json
        to writing it, so a wrong password typed elsewhere at the same moment is counted against the
        new profile.json rather than writing the old key back over it. A wrong current password
        counts as a failed attempt, like any other."""
        _check_new_password(new_password)
        with ProfileLock(self.profile_dir):
            meta = read_meta(self.profile_dir)
            now = now_utc()
            meta.check_may_attempt(now)
            try:
                if keys.unwrap_key(meta.key, old_password) != self._key:
                    raise AuthenticationError("this profile's key was replaced; the password was not changed")
            except keys.WrongPassword:
                meta.record_failure(now)
                write_meta(self.profile_dir, meta)
                raise AuthenticationError(
                    "the current password is wrong; the password was not changed"
                ) from None
            meta.record_success()
            meta.key = keys.wrap_key(self._key, new_password, meta.key.kdf)
            write_meta(self.profile_dir, meta)
        self.meta = meta

    def verify_password(self, password: str) -> None:
        """Unlocking a locked screen: same throttling as opening the profile."""
        db_key, self.meta = _unwrap_throttled(self.profile_dir, password)
        if db_key != self._key:
            raise AuthenticationError("this password belongs to a different key; the profile was replaced")

    def set_owner(self, username: str) -> None:
        """Record which user this profile belongs to (the signed-in user after unlock)."""
        _, self.meta = update_meta(self.profile_dir, lambda meta: meta.extra.update(username=username))

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


def _count_attempt(meta: ProfileMeta) -> ProfileMeta:
    now = now_utc()
    meta.check_may_attempt(now)
    meta.record_failure(now)
    return meta


def _unwrap_throttled(profile_dir: Path, password: str) -> tuple[bytes, ProfileMeta]:
    """The one way a password is checked: refused early while throttled, and counted as a failure
    *before* the (slow) key derivation, in one locked read-modify-write of profile.json, so
    attempts made at the same time each count. A right password then clears the count."""
    counted, _ = update_meta(profile_dir, _count_attempt)
    try:
        db_key = keys.unwrap_key(counted.key, password)
    except keys.WrongPassword:
        raise AuthenticationError("wrong password") from None
    _, meta = update_meta(profile_dir, ProfileMeta.record_success)
    return db_key, meta


def create_store(
    profile_dir: Path, password: str, *, display_name: str = "", kdf: keys.KdfParams | None = None
) -> Store:
    """Create a new, empty, migrated profile. Refuses to touch a folder that already has files."""
    _check_new_password(password)
    if profile_dir.exists() and (not profile_dir.is_dir() or any(profile_dir.iterdir())):
        raise StoreError(f"{profile_dir} already exists and is not empty; choose a new folder")
    try:
        profile_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise storage_error(exc, profile_dir.parent) from None
    db_key = keys.new_database_key()
    meta = ProfileMeta(
        key=keys.wrap_key(db_key, password, kdf),
        profile_id=str(uuid.uuid4()),
        display_name=display_name,
        created_at=now_utc().isoformat(),
    )
    with ProfileLock(profile_dir):  # made with the profile, so the folder's files stay as they are
        pass
    store = _make_store(profile_dir, meta, db_key)
    try:
        enable_wal(store.engine)
        with store.engine.connect() as conn:
            upgrade(conn)
            conn.commit()
    except DatabaseError as exc:
        store.close()
        raise _database_error(exc, profile_dir / DB_FILE) from None
    write_meta(profile_dir, meta)
    return store


def open_store(profile_dir: Path, password: str) -> Store:
    """Unlock a profile. Wrong passwords are throttled (profile.py); a corrupt or foreign file gives
    a StoreError and is never written to."""
    read_meta(profile_dir)  # a missing or unreadable profile is said before anything is written
    db_key, meta = _unwrap_throttled(profile_dir, password)
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
    except DatabaseError as exc:
        store.close()
        raise _database_error(exc, db_path) from None
    except StoreError:
        store.close()
        raise
    return store


#: SQLite's primary result codes (https://sqlite.org/rescode.html) that mean the folder or the disk,
#: not the file: said as such, since "corrupt" might get a good database deleted.
_SQLITE_PERM, _SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_FULL, _SQLITE_CANTOPEN = 3, 8, 10, 13, 14


def _database_error(exc: DatabaseError, db_path: Path) -> StoreError:
    code = getattr(exc.orig, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    folder = db_path.parent
    if primary in (_SQLITE_PERM, _SQLITE_READONLY, _SQLITE_CANTOPEN):
        return StoreError(
            f"cannot write {db_path}: the file or its folder is read-only for this user; ClinicDesk must be "
            "able to write there (nothing was changed)"
        )
    if primary == _SQLITE_FULL:
        return disk_full(folder)
    if primary == _SQLITE_IOERR:
        return StoreError(f"{db_path} could not be read or written (a disk or network error); try again")
    return StoreError(f"{db_path} is corrupt or not a ClinicDesk database; it was left untouched")
