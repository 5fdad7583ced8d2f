"""Dictation through a real microphone path: a PulseAudio null sink plays the WAV at real-time pace,
its monitor is remapped to a virtual source, PortAudio records it through sounddevice, and the
window's dictation pipeline (off the GUI thread) turns it into the note."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.settings import WorkstationSettings

from .test_ui_clinical_day import DICTATION_MS, _check_in_and_open


@pytest.fixture
def virtual_microphone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    if not all(shutil.which(tool) for tool in ("pulseaudio", "pactl", "paplay")):
        pytest.skip("pulseaudio and pulseaudio-utils are needed for the virtual microphone")
    runtime = tmp_path_factory.mktemp("pulse-runtime")
    runtime.chmod(0o700)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime)}
    env.pop("PULSE_SERVER", None)
    started = subprocess.run(
        ["pulseaudio", "-D", "-n", "--exit-idle-time=-1", "--system=false", "--disallow-exit",
         "--load=module-native-protocol-unix", "--load=module-null-sink sink_name=vmic",
         "--load=module-remap-source master=vmic.monitor source_name=vmic_src"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    server = f"unix:{runtime}/pulse/native"
    env["PULSE_SERVER"] = server
    ready = False
    for _ in range(50):
        if subprocess.run(["pactl", "info"], env=env, capture_output=True, check=False).returncode == 0:
            ready = True
            break
        time.sleep(0.1)
    if started.returncode != 0 or not ready:
        pytest.skip(f"the PulseAudio daemon could not start: {started.stderr.strip()[:200]}")
    subprocess.run(["pactl", "set-default-source", "vmic_src"], env=env, check=True)
    subprocess.run(["pactl", "set-default-sink", "vmic"], env=env, check=True)
    previous = {k: os.environ.get(k) for k in ("PULSE_SERVER", "XDG_RUNTIME_DIR")}
    os.environ["PULSE_SERVER"] = server  # ALSA's pulse plugin, inside PortAudio, connects here
    try:
        yield env
    finally:
        subprocess.run(["pulseaudio", "--kill"], env=env, capture_output=True, check=False, timeout=30)
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def test_dictation_from_the_pulseaudio_virtual_microphone_fills_the_note(
    qtbot: QtBot, profile: Path, open_window, ui, dictation_wav: Path, virtual_microphone: dict[str, str]
) -> None:
    settings = WorkstationSettings(speech_engine="whisper", whisper_model="tiny.en")
    settings.extra["microphone"] = "pulse"
    window = open_window(profile, settings)
    _check_in_and_open(qtbot, window, ui)
    page = window.encounter
    window.encounter.dictation.record_action.trigger()
    qtbot.waitUntil(lambda: page.dictation.controller.state == "recording", timeout=DICTATION_MS)
    player = subprocess.Popen(["paplay", "--device=vmic", str(dictation_wav)], env=virtual_microphone)
    qtbot.waitUntil(lambda: player.poll() is not None, timeout=DICTATION_MS)
    assert player.returncode == 0
    with qtbot.waitSignal(page.dictation_finished, timeout=DICTATION_MS) as finished:
        window.encounter.dictation.record_action.trigger()
    result = finished.args[0]
    assert result.error is None and result.audio.seconds > 10
    ui.wait_quiet(window)
    content = page.editor.content()
    assert "metformin" in content["plan"].lower()
    assert "bronchitis" in content["assessment"].lower()


def test_the_devices_command_lists_the_virtual_microphone_through_portaudio(
    virtual_microphone: dict[str, str],
) -> None:
    import json
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "clinicdesk", "devices", "--format", "json"],
        env=virtual_microphone,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    names = [device["name"] for device in json.loads(done.stdout)]
    assert any("pulse" in name.lower() for name in names), names
