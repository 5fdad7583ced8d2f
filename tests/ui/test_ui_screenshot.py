"""``clinicdesk screenshot`` renders the real window to a PNG (offscreen here; under Xvfb in the script)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

CLINICDESK = [sys.executable, "-m", "clinicdesk"]


def _screenshot(profile: Path, out: Path, *extra: str, password: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "CLINICDESK_PASSWORD": password}
    return subprocess.run(
        [*CLINICDESK, "screenshot", "--profile", str(profile), "--out", str(out), *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize("view", ["schedule", "chart"])
def test_screenshot_writes_a_png_of_the_requested_view(profile: Path, tmp_path: Path, ui, view: str) -> None:
    day = date.today() + timedelta(days=1)
    while day.isoweekday() > 5:
        day += timedelta(days=1)
    out = tmp_path / f"{view}.png"
    extra = ("--view", view, "--date", day.isoformat(), "--size", "1000x700")
    done = _screenshot(profile, out, *extra, password=ui.password)
    assert done.returncode == 0, done.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1000, 700)
    colours = {image.pixel(x, y) for x in range(0, 1000, 25) for y in range(0, 700, 25)}
    assert len(colours) > 5, "the window was drawn, not left blank"


def test_the_longest_day_name_still_fits_a_1000_pixel_window(profile: Path, tmp_path: Path, ui) -> None:
    """Wednesday 30 September: the schedule's title wraps rather than widening the window (it once made
    the window 1009 pixels wide on Wednesdays in December)."""
    out = tmp_path / "longest.png"
    extra = ("--view", "schedule", "--date", "2026-09-30", "--size", "1000x700")
    done = _screenshot(profile, out, *extra, password=ui.password)
    assert done.returncode == 0, done.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1000, 700)


def test_screenshot_with_a_wrong_password_fails_with_one_line_and_writes_nothing(
    profile: Path, tmp_path: Path
) -> None:
    out = tmp_path / "x.png"
    done = _screenshot(profile, out, password="not the password")
    assert done.returncode == 4
    assert done.stderr.strip().splitlines()[-1] == "clinicdesk screenshot: error: wrong password"
    assert not out.exists()
