"""One seeded demo profile per session (small, cheap key derivation), opened read-only by the tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from app.demo import seed_profile
from app.store import Store, open_store
from app.store.keys import KdfParams

FAST_KDF = KdfParams(time_cost=1, memory_kib=8192, parallelism=1)
PASSWORD = "demo password"
#: A Wednesday, with Remembrance Day (not an Ontario holiday) and no statutory holiday nearby
TODAY = date(2026, 11, 18)


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo") / "profile"
    seed_profile(folder, PASSWORD, patients=300, days=21, seed=3, today=TODAY, kdf=FAST_KDF).close()
    return folder


@pytest.fixture(scope="session")
def demo(demo_dir: Path) -> Iterator[Store]:
    store = open_store(demo_dir, PASSWORD)
    yield store
    store.close()
