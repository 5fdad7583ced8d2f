"""The profile folder: ``profile.json`` (no patient data: the wrapped key, unlock throttling state)
beside ``clinicdesk.db`` (the SQLCipher store), and ``profile.lock``.

Throttling lives in profile.json so it survives restarts of the app: each wrong password makes the
next attempt wait longer, and after ``LOCKOUT_AFTER`` consecutive failures the profile refuses
every attempt for ``LOCKOUT_SECONDS``. Both are enforced before the expensive key derivation runs.

Everything that changes profile.json reads it, changes it and writes it back while holding the
profile lock (:func:`update_meta`, :class:`ProfileLock`): an attempt is counted before its
password is checked, so eight wrong passwords typed at once are eight, and a password change
cannot be undone by a wrong attempt that read the old key a moment earlier.

Every way the folder can fail to be read or written has its own one-line message: a read-only
folder and a full disk are said as such (never as a corrupt file, which might get a good profile
deleted), and so are key-derivation settings or dates in profile.json that cannot be right.
"""

from __future__ import annotations

import errno
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from app.store.keys import UnsafeKdf, WrappedKey
from clinicdesk.errors import AuthenticationError, StoreError

T = TypeVar("T")
PROFILE_FILE = "profile.json"
DB_FILE = "clinicdesk.db"
LOCK_FILE = "profile.lock"
#: How long a change of profile.json waits for another one (a password change takes two key
#: derivations, well under this) before saying the profile is busy.
LOCK_WAIT_SECONDS = 30.0
#: profile.json fields holding a moment; each must be an ISO 8601 time with a timezone.
DATE_FIELDS = ("next_attempt_at", "locked_until")
FORMAT = "clinicdesk-profile"
FORMAT_VERSION = 1

FREE_ATTEMPTS = 2
LOCKOUT_AFTER = 10
LOCKOUT_SECONDS = 15 * 60
MAX_DELAY_SECONDS = 60


def delay_after_failures(failures: int) -> float:
    """Seconds to wait before the next attempt: none for the first slips, then doubling."""
    if failures <= FREE_ATTEMPTS:
        return 0.0
    return float(min(2 ** (failures - FREE_ATTEMPTS - 1), MAX_DELAY_SECONDS))


@dataclass
class ProfileMeta:
    key: WrappedKey
    profile_id: str
    display_name: str
    created_at: str
    failed_attempts: int = 0
    next_attempt_at: str | None = None
    locked_until: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "profile_id": self.profile_id,
            "display_name": self.display_name,
            "created_at": self.created_at,
            "key": self.key.to_json(),
            "failed_attempts": self.failed_attempts,
            "next_attempt_at": self.next_attempt_at,
            "locked_until": self.locked_until,
            "extra": self.extra,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProfileMeta:
        if data.get("format") != FORMAT:
            raise ValueError("not a ClinicDesk profile")
        if int(data.get("format_version", 0)) > FORMAT_VERSION:
            raise ValueError("made by a newer ClinicDesk")
        for name in DATE_FIELDS:
            _check_moment(name, data.get(name))
        return cls(
            key=WrappedKey.from_json(data["key"]),
            profile_id=str(data["profile_id"]),
            display_name=str(data.get("display_name", "")),
            created_at=str(data["created_at"]),
            failed_attempts=int(data.get("failed_attempts", 0)),
            next_attempt_at=data.get("next_attempt_at"),
            locked_until=data.get("locked_until"),
            extra=dict(data.get("extra") or {}),
        )

    # -- throttling -------------------------------------------------------------------------------

    def check_may_attempt(self, now: datetime) -> None:
        if self.locked_until and now < datetime.fromisoformat(self.locked_until):
            minutes = int((datetime.fromisoformat(self.locked_until) - now).total_seconds() // 60) + 1
            raise AuthenticationError(
                f"this profile is locked after {LOCKOUT_AFTER} wrong passwords; "
                f"try again in {minutes} minute(s) or ask your administrator"
            )
        if self.next_attempt_at and now < datetime.fromisoformat(self.next_attempt_at):
            seconds = int((datetime.fromisoformat(self.next_attempt_at) - now).total_seconds()) + 1
            raise AuthenticationError(f"too many wrong passwords; wait {seconds} second(s) and try again")

    def record_failure(self, now: datetime) -> None:
        self.failed_attempts += 1
        if self.failed_attempts >= LOCKOUT_AFTER:
            self.locked_until = (now + timedelta(seconds=LOCKOUT_SECONDS)).isoformat()
        delay = delay_after_failures(self.failed_attempts)
        self.next_attempt_at = (now + timedelta(seconds=delay)).isoformat() if delay else None

    def record_success(self) -> None:
        self.failed_attempts = 0
        self.next_attempt_at = None
        self.locked_until = None


class BadDate(ValueError):
    """A moment in profile.json that cannot be read; the message names the field."""


def _check_moment(name: str, value: Any) -> None:
    if value is None:
        return
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise BadDate(f"'{name}' is not a date and time with a timezone")


def now_utc() -> datetime:
    return datetime.now(UTC)


def disk_full(folder: Path) -> StoreError:
    return StoreError(  # one line for the disk, wherever in the folder a write found it full
        f"the disk holding {folder} is full; free some space and try again (nothing was changed)"
    )


def storage_error(exc: OSError, folder: Path) -> StoreError:
    """What went wrong writing in the profile folder, said as what it is."""
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return StoreError(
            f"cannot write in {folder}: the folder is read-only for this user; ClinicDesk must be able to "
            "write there to unlock the profile (nothing was changed)"
        )
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return disk_full(folder)
    reason = exc.strerror or type(exc).__name__
    return StoreError(f"cannot write in {folder} ({reason}); nothing was changed")


class ProfileLock:
    """The profile's lock: held while profile.json is read, changed and written back. An OS file
    lock on ``profile.lock`` (flock on Linux and macOS, a locked byte on Windows), so it works
    between processes and between threads, and a crashed process releases it."""

    def __init__(self, profile_dir: Path, *, wait_seconds: float | None = None) -> None:
        self.profile_dir = profile_dir
        self.wait_seconds = LOCK_WAIT_SECONDS if wait_seconds is None else wait_seconds
        self._fd: int | None = None

    def __enter__(self) -> ProfileLock:
        try:
            fd = os.open(self.profile_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise storage_error(exc, self.profile_dir) from None
        deadline = time.monotonic() + self.wait_seconds
        while not _try_lock(fd):
            if time.monotonic() > deadline:
                os.close(fd)
                raise StoreError(
                    f"the profile at {self.profile_dir} is busy: another ClinicDesk is changing it; try again"
                )
            time.sleep(0.02)
        self._fd = fd
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            _unlock(fd)
            os.close(fd)


if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def update_meta(profile_dir: Path, change: Callable[[ProfileMeta], T]) -> tuple[T, ProfileMeta]:
    """Read profile.json, apply ``change`` and write it back, all under the profile lock, so no
    other change in between is lost. If ``change`` raises, nothing is written."""
    with ProfileLock(profile_dir):
        meta = read_meta(profile_dir)
        result = change(meta)
        write_meta(profile_dir, meta)
    return result, meta


def read_meta(profile_dir: Path) -> ProfileMeta:
    """Read profile.json with a clear error for every way it can be wrong. Never writes."""
    if not profile_dir.exists():
        raise StoreError(f"no such profile: {profile_dir}")
    if not profile_dir.is_dir():
        raise StoreError(f"{profile_dir} is a file, not a profile folder")
    meta_path = profile_dir / PROFILE_FILE
    if not meta_path.exists():
        raise StoreError(
            f"{profile_dir} is not a ClinicDesk profile (no {PROFILE_FILE}); nothing was changed"
        )
    try:
        data = json.loads(meta_path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not an object")
        return ProfileMeta.from_json(data)
    except UnsafeKdf as exc:
        raise StoreError(
            f"{meta_path} asks for key-derivation settings outside the safe range ({exc}); the profile "
            "was left untouched: restore its profile.json from a backup"
        ) from None
    except BadDate as exc:
        raise StoreError(f"{meta_path}: {exc}; the profile was left untouched") from None
    except PermissionError:
        raise StoreError(f"cannot read {meta_path}: permission denied") from None
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise StoreError(
            f"{meta_path} is corrupt or not a ClinicDesk profile ({exc}); it was left untouched"
        ) from None


def write_atomic(path: Path, text: str) -> None:
    """Write then rename, so a crash mid-write never leaves a half-written file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_meta(profile_dir: Path, meta: ProfileMeta) -> None:
    try:
        write_atomic(profile_dir / PROFILE_FILE, json.dumps(meta.to_json(), indent=2))
    except OSError as exc:
        raise storage_error(exc, profile_dir) from None
