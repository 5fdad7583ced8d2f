"""A diagnosis the audio fits no better than another alike in sound is held for the doctor.

The scorer is a stand-in (a unit test of the deciding logic); the real Whisper scoring is exercised by
the dictation tests and measured by ``bench.speech_dictation``."""

from app.soap import structure_note
from audio.marks import DIAGNOSIS_ALIKE, TrackedText
from audio.sound_alike import MARGIN, sound_alikes
from audio.transcriber import Utterance


def _scores(heard: float, alternative: float):  # type: ignore[no-untyped-def]
    asked: list[str] = []

    def score(texts: list[str]) -> list[float]:
        asked.extend(texts)
        return [
            heard if i == 0 else (alternative if "bronchiolitis" in t else -60.0) for i, t in enumerate(texts)
        ]

    return score, asked


def test_a_diagnosis_scored_about_as_well_as_a_sound_alike_is_doubted() -> None:
    text = "Assessment bronchitis. Plan nasal suction."
    score, asked = _scores(-41.9, -42.8)
    (doubt,) = sound_alikes(text, score=score, start=len("Assessment "))
    assert text[doubt.start : doubt.end] == "bronchitis" and doubt.alternative == "bronchiolitis"
    assert doubt.gap < MARGIN and "Assessment bronchiolitis. Plan nasal suction." in asked


def test_a_diagnosis_the_audio_clearly_prefers_stands_as_heard() -> None:
    score, _ = _scores(-30.0, -36.0)
    assert sound_alikes("Assessment bronchitis.", score=score) == []


def test_a_longer_or_shorter_form_of_the_same_diagnosis_is_no_alternative() -> None:
    # "acute bronchitis" is bronchitis: never asked about in its place
    score, asked = _scores(-30.0, -30.0)
    sound_alikes("Assessment bronchitis.", score=score)
    assert not any("cute bronchitis" in t for t in asked)


def test_a_doubted_diagnosis_is_shown_but_not_listed_until_accepted() -> None:
    tracked = TrackedText("Assessment: bronchitis.")
    start = tracked.text.index("bronchitis")
    tracked.flag(start, start + len("bronchitis"), score=0.8, pass_name=DIAGNOSIS_ALIKE, note="alike")
    note = structure_note([Utterance(tracked.text, 0.0, 2.0, 0.9, "whisper", tuple(tracked.marks))])
    assert [d.text for d in note.diagnoses] == []
    assert [u["pass"] for u in note.to_dict()["uncertain"]] == [DIAGNOSIS_ALIKE]
    assert "bronchitis" in note.section_text("assessment", labels=False).lower()
