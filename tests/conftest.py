"""Shared test setup: no test touches the user's real profiles, Qt runs offscreen, and one seeded
master profile is made per session (tests/support/profiles.py) for every test that needs a clinic."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.profiles import copy_profile, seed_master

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CORPORA = PROJECT_ROOT.parent / "shared" / "corpora"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Profiles and settings go to a temporary folder, never the developer's own data folder."""
    home = tmp_path_factory.mktemp("clinicdesk-home")
    monkeypatch.setenv("CLINICDESK_HOME", str(home))


@pytest.fixture
def corpora() -> Path:
    if not CORPORA.is_dir():
        pytest.skip("../shared/corpora is not present on this machine")
    return CORPORA


@pytest.fixture(scope="session")
def seeded_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeded clinic, made once per session; never changed (tests change copies of it)."""
    return seed_master(tmp_path_factory.mktemp("master") / "profile")


@pytest.fixture
def profile(seeded_master: Path) -> Path:
    """A private copy of the seeded master, where the app looks for profiles (the test's
    CLINICDESK_HOME), so the unlock dialog lists it."""
    return copy_profile(seeded_master, Path(os.environ["CLINICDESK_HOME"]) / "profiles" / "demo")
