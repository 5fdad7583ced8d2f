"""UI test fixtures: the session's seeded master profile (tests/conftest.py), copied per test, and
real windows on it. Windows are driven through their real widgets (tests/support/window.py)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from app.settings import WorkstationSettings
from app.workspace import Workspace
from models import Alert, User
from models.enums import Role
from tests.support.profiles import PASSWORD
from tests.support.window import WAIT_MS, Ui, ui_settings
from ui.main_window import MainWindow

DOCTOR = "dr.house"
#: what the dictation WAV says: headers, numbers, a medication with dose and frequency, a command
DICTATION = [
    "Subjective.",
    "The patient reports a dry cough for three days.",
    "Objective.",
    "Blood pressure one hundred and twenty over eighty, heart rate seventy two.",
    "Assessment.",
    "Acute bronchitis.",
    "Plan.",
    "Start metformin five hundred milligrams twice a day.",
]


def nurse_with_alerts(profile_dir: Path) -> str:
    """A seeded nurse who has alerts to read (which one depends on the seed)."""
    workspace = Workspace.unlock(profile_dir, PASSWORD)
    try:
        with workspace.store.session() as session:
            found = session.execute(
                select(User.username)
                .join(Alert, Alert.recipient_id == User.id)
                .where(User.role == Role.NURSE)
                .group_by(User.username)
                .order_by(func.count(Alert.id).desc(), User.username)
            ).first()
    finally:
        workspace.close()
    assert found is not None, "the seeded clinic has no nurse with alerts"
    return str(found[0])


def speak(folder: Path, lines: list[str], *, pause_seconds: float = 1.0) -> Path:
    """Real speech for the real engine: espeak-ng per line, pauses between, 16 kHz mono WAV."""
    import numpy as np

    from audio.wavfile import encode_wav, read_wav

    parts = []
    for i, line in enumerate(lines):
        raw = folder / f"line-{i}.wav"
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", "140", "-w", str(raw), line], check=True)
        parts += [read_wav(raw), np.zeros(int(16_000 * pause_seconds), dtype=np.float32)]
    out = folder / "dictation.wav"
    out.write_bytes(encode_wav(np.concatenate([np.zeros(8000, dtype=np.float32), *parts])))
    return out


@pytest.fixture(scope="session")
def dictation_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is needed to make test speech")
    return speak(tmp_path_factory.mktemp("speech"), DICTATION)


@pytest.fixture
def open_window(qtbot: QtBot) -> Iterator[Callable[..., MainWindow]]:
    """Opens a main window on an unlocked Workspace; closes every window (and its Workspace) after."""
    windows: list[MainWindow] = []

    def opener(profile_dir: Path, settings: WorkstationSettings | None = None) -> MainWindow:
        workspace = Workspace.unlock(profile_dir, PASSWORD)
        window = MainWindow(workspace, settings=settings or ui_settings())
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: window.schedule.schedule is not None, timeout=WAIT_MS)
        windows.append(window)
        return window

    yield opener
    for window in windows:
        window.close()


@pytest.fixture
def ui(qtbot: QtBot) -> Ui:
    return Ui(qtbot)
