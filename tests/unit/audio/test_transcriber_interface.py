from __future__ import annotations

import numpy as np
import pytest

from clinicdesk.audio.transcriber import Recognition, Transcriber
from clinicdesk.errors import SpeechError


def test_asking_whisper_for_live_text_says_which_engines_have_it() -> None:
    class Finished(Transcriber):
        engine = "whisper"
        model = "tiny.en"

        def transcribe(self, audio: np.ndarray) -> Recognition:  # type: ignore[override]
            raise AssertionError("not called")

    assert not Finished().streaming
    with pytest.raises(SpeechError, match="choose Vosk or two-pass"):
        Finished().stream()
