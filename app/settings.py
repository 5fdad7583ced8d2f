"""Where profiles live and the workstation's own settings (never patient data).

``CLINICDESK_HOME`` moves everything (tests, portable installs); otherwise the platform's user data
folder (platformdirs), so Windows, macOS and Linux each keep profiles where their users expect.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from app.store.profile import read_meta, write_atomic
from clinicdesk.errors import ClinicDeskError

APP_NAME = "ClinicDesk"
SETTINGS_FILE = "settings.json"


def data_root() -> Path:
    override = os.environ.get("CLINICDESK_HOME")
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def profiles_root() -> Path:
    return data_root() / "profiles"


def demo_profile_dir() -> Path:
    return profiles_root() / "demo"


@dataclass(frozen=True)
class ProfileInfo:
    path: Path
    display_name: str
    username: str


def list_profiles(root: Path | None = None) -> list[ProfileInfo]:
    """Profiles found under ``root``; folders that are not readable profiles are skipped, not touched."""
    root = root or profiles_root()
    if not root.is_dir():
        return []
    found = []
    for child in sorted(root.iterdir()):
        if not child.is_dir():
            continue
        try:
            meta = read_meta(child)
        except ClinicDeskError:
            continue
        found.append(
            ProfileInfo(
                path=child,
                display_name=meta.display_name or child.name,
                username=str(meta.extra.get("username", "")),
            )
        )
    return found


@dataclass
class WorkstationSettings:
    """Per-workstation preferences (the sync server has its own, server.settings.Settings). Speech
    model folders may be empty: no model is a normal state."""

    idle_lock_minutes: float = 5.0
    speech_engine: str = "whisper"
    whisper_model: str = "base"
    vosk_model_path: str = ""
    server_url: str = ""
    #: The practice's CA certificate file last used on this workstation, offered when the next
    #: profile is set up; each profile keeps its own (app.sync_service.SyncService.ca_file).
    ca_file: str = ""
    last_profile: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, root: Path | None = None) -> WorkstationSettings:
        path = (root or data_root()) / SETTINGS_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        try:
            return cls(**known)
        except TypeError:
            return cls()

    def save(self, root: Path | None = None) -> None:
        root = root or data_root()
        root.mkdir(parents=True, exist_ok=True)
        write_atomic(root / SETTINGS_FILE, json.dumps(asdict(self), indent=2))
