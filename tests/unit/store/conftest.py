"""Real SQLCipher profiles for the store tests: a blank one per test, and one seeded demo profile per
session that tests copy before changing."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from app.demo import seed_profile
from app.store import Store, create_store
from app.store.keys import KdfParams

#: Cheap argon2id for tests that unlock many times; the defaults are tested on their own.
FAST_KDF = KdfParams(time_cost=1, memory_kib=8192, parallelism=1)
PASSWORD = "correct horse battery"
SEED_DAY = date(2026, 11, 18)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def folder_digest(folder: Path) -> dict[str, str]:
    return {p.name: digest(p) for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = create_store(tmp_path / "profile", PASSWORD, kdf=FAST_KDF)
    yield s
    s.close()


@pytest.fixture(scope="session")
def seeded_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("seeded") / "profile"
    seed_profile(folder, PASSWORD, patients=200, days=14, seed=7, today=SEED_DAY, kdf=FAST_KDF).close()
    return folder


@pytest.fixture
def seeded(seeded_master: Path, tmp_path: Path) -> Path:
    """A private copy of the seeded profile (closed), safe to change."""
    target = tmp_path / "seeded"
    shutil.copytree(seeded_master, target)
    return target
