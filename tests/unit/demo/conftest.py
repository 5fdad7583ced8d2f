"""The session's seeded clinic (tests/conftest.py), one copy for these read-only tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.store import Store, open_store
from tests.support.profiles import PASSWORD, copy_profile


@pytest.fixture(scope="session")
def demo_dir(seeded_master: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_profile(seeded_master, tmp_path_factory.mktemp("demo") / "profile")


@pytest.fixture(scope="session")
def demo(demo_dir: Path) -> Iterator[Store]:
    store = open_store(demo_dir, PASSWORD)
    yield store
    store.close()
