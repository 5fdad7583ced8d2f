from __future__ import annotations

import numpy as np
import pytest

from audio.transcriber import Recognition, Transcriber
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


class _Words(Transcriber):
    """A finished-utterance engine that "hears" a fixed text, to follow the session's bookkeeping."""

    engine = "fixed"
    model = "fixed"

    def transcribe(self, audio: np.ndarray) -> Recognition:  # type: ignore[override]
        return Recognition("community acquired pneumonia", 1.0)


def test_a_new_dictation_starts_in_the_section_the_doctor_chose_and_never_in_the_last_ones() -> None:
    from audio.pipeline import SpeechEngine
    from audio.session import DictationSession

    engine = SpeechEngine("whisper", accurate=_Words())
    DictationSession(engine, section="assessment")
    assert engine.in_assessment  # a diagnosis said into the Assessment box is listened for as one
    DictationSession(engine)
    assert not engine.in_assessment  # the next dictation does not inherit the last one's place
    engine.in_assessment = True
    DictationSession(engine, section="plan")
    assert not engine.in_assessment
