"""Real SQLCipher profiles for the store tests: a blank one per test, and a private copy of the
session's seeded master profile (tests/support/profiles.py) for tests that change a clinic's file."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.store import Store
from tests.support.profiles import copy_profile, empty_store


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def folder_digest(folder: Path) -> dict[str, str]:
    return {p.name: digest(p) for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = empty_store(tmp_path / "profile")
    yield s
    s.close()


@pytest.fixture
def seeded(seeded_master: Path, tmp_path: Path) -> Path:
    """A private copy of the seeded profile (closed), safe to change."""
    return copy_profile(seeded_master, tmp_path / "seeded")
