"""The window's cold start imports only what the first paint needs (bench.ui_cold_start measures it).

A module-level import of the speech structuring, the sync protocol's pydantic models or the audio
playback in one page's module put a quarter of a second on every start; this keeps them out of the
window's import, without timing anything."""

from __future__ import annotations

import json

from tests.support.python_run import run_python

#: loaded later: with the first dictation, the first sync or the first recording played
NOT_AT_START = ("numpy", "pydantic", "sync.protocol", "app.soap.structure", "audio.playback", "httpx")


def test_opening_the_window_module_loads_no_speech_sync_or_audio_code() -> None:
    probe = (
        "import json, sys\n"
        "import ui.cmd_gui, ui.main_window\n"
        f"print(json.dumps([m for m in {NOT_AT_START!r} if m in sys.modules]))\n"
    )
    done = run_python("-c", probe, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
