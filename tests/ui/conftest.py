"""UI test fixtures: one demo profile seeded once per session through the real ``clinicdesk seed``
command, copied per test so tests that change it never see each other's changes.

Windows are driven through their real widgets; waits use qtbot.waitUntil / waitSignal with generous
timeouts, never fixed sleeps, because unlocking takes a deliberate ~0.4 s and CI machines are slow.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.services.views import DaySchedule, ScheduleEntry
from app.settings import Settings
from app.store.profile import read_meta, write_meta
from app.workspace import Workspace
from models.enums import AppointmentStatus
from ui.main_window import MainWindow

PASSWORD = "ui-tests-password"
WAIT_MS = 30_000
CLINICDESK = [sys.executable, "-m", "clinicdesk"]
NURSE = "rn.hosseini"
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


def test_settings() -> Settings:
    """Whisper tiny.en keeps UI tests quick; the settings file stays in the test's CLINICDESK_HOME."""
    return Settings(speech_engine="whisper", whisper_model="tiny.en")


def sign_in_as(profile_dir: Path, username: str) -> None:
    """Makes another seeded staff member the profile's signed-in user (same store, same data)."""
    meta = read_meta(profile_dir)
    meta.extra["username"] = username
    write_meta(profile_dir, meta)


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


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    profile = tmp_path_factory.mktemp("seeded") / "profile"
    env = {**os.environ, "CLINICDESK_PASSWORD": PASSWORD}
    done = subprocess.run(
        [*CLINICDESK, "seed", "--profile", str(profile), "--patients", "200", "--days", "14"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return profile


@pytest.fixture
def profile(seeded_template: Path, tmp_path: Path) -> Path:
    """A private copy of the seeded profile, inside the test's CLINICDESK_HOME so list_profiles finds it."""
    home = Path(os.environ["CLINICDESK_HOME"])
    target = home / "profiles" / "demo"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(seeded_template, target)
    return target


@pytest.fixture
def open_window(qtbot: QtBot) -> Iterator[Callable[[Path], MainWindow]]:
    """Opens a main window on an unlocked Workspace; closes every window (and its Workspace) after."""
    windows: list[MainWindow] = []

    def opener(profile_dir: Path, settings: Settings | None = None) -> MainWindow:
        workspace = Workspace.unlock(profile_dir, PASSWORD)
        window = MainWindow(workspace, settings=settings or test_settings())
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: window.schedule.schedule is not None, timeout=WAIT_MS)
        windows.append(window)
        return window

    yield opener
    for window in windows:
        window.close()


class Ui:
    """Helpers the UI tests share (a fixture, because several conftest modules cannot be imported)."""

    password = PASSWORD
    wait_ms = WAIT_MS

    def __init__(self, qtbot: QtBot) -> None:
        self.qtbot = qtbot

    def wait_quiet(self, window: MainWindow) -> None:
        self.qtbot.waitUntil(lambda: window.runner.pending == 0, timeout=WAIT_MS)

    def show_day(self, window: MainWindow, day: date) -> DaySchedule:
        window.schedule.load(day)
        self.qtbot.waitUntil(
            lambda: (
                window.schedule.schedule is not None
                and window.schedule.schedule.day == day
                and window.runner.pending == 0
            ),
            timeout=WAIT_MS,
        )
        schedule = window.schedule.schedule
        assert schedule is not None
        return schedule

    @staticmethod
    def find_day(
        workspace: Workspace, want: Callable[[ScheduleEntry], bool], *, start: date, days: int = 8
    ) -> tuple[date, ScheduleEntry]:
        """The first day from ``start`` with an entry matching ``want``, found through the Workspace so
        that tests do not depend on which weekday today is."""
        for offset in range(days):
            day = start + timedelta(days=offset)
            for entry in workspace.schedule(day).entries:
                if want(entry):
                    return day, entry
        raise AssertionError("the seeded profile has no matching schedule entry")

    @staticmethod
    def is_appointment(entry: ScheduleEntry) -> bool:
        return entry.kind == "appointment"

    @staticmethod
    def is_open_appointment(entry: ScheduleEntry) -> bool:
        return entry.kind == "appointment" and entry.status in (
            AppointmentStatus.SCHEDULED,
            AppointmentStatus.CONFIRMED,
        )

    def select_appointment(self, window: MainWindow, entry: ScheduleEntry) -> None:
        assert entry.appointment_id is not None
        assert window.schedule.select_appointment(entry.appointment_id)
        self.qtbot.waitUntil(lambda: window.schedule.selected_appointment() == entry, timeout=WAIT_MS)


@pytest.fixture
def ui(qtbot: QtBot) -> Ui:
    return Ui(qtbot)
