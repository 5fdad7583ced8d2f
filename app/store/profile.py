"""The profile folder: ``profile.json`` (no patient data: the wrapped key, unlock throttling state)
beside ``clinicdesk.db`` (the SQLCipher store).

Throttling lives in profile.json so it survives restarts of the app: each wrong password makes the
next attempt wait longer, and after ``LOCKOUT_AFTER`` consecutive failures the profile refuses
every attempt for ``LOCKOUT_SECONDS``. Both are enforced before the expensive key derivation runs.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from app.store.keys import WrappedKey
from clinicdesk.errors import AuthenticationError, StoreError

PROFILE_FILE = "profile.json"
DB_FILE = "clinicdesk.db"
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


def now_utc() -> datetime:
    return datetime.now(UTC)


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
    write_atomic(profile_dir / PROFILE_FILE, json.dumps(meta.to_json(), indent=2))
