"""Recovering a misheard diagnosis in the assessment: following the sections, the shortlist, choosing.

The scorer and the primed decoder are stand-ins here (a unit test of the choosing logic); the real
Whisper path is in tests/integration/speech/test_whisper.py and measured by ``bench.speech_dictation``.
"""

from collections.abc import Callable

from audio.diagnosis_rescore import (
    common_diagnoses,
    diagnosis_qualifiers,
    follow_sections,
    recover_diagnoses,
    shortlist,
)
from audio.phonetic import closeness

DIAGNOSES = [
    "strep throat", "sore throat", "herpes zoster", "herpes simplex", "essential hypertension", "hypotension",
    "urinary tract infection", "type 2 diabetes mellitus", "gout", "asthma",
]  # fmt: skip
QUALIFIERS = ["uncontrolled", "controlled", "exacerbation", "acute"]


def test_the_assessment_starts_at_its_header_and_ends_at_the_next() -> None:
    step = follow_sections("Assessment.", False)
    assert step.in_assessment and step.content_start is None
    text = "Assessment: acute gout."
    step = follow_sections(text, False)
    assert step.in_assessment and text[step.content_start or 0 :].strip() == "acute gout."
    assert follow_sections("Strip throat.", True).content_start == 0
    assert follow_sections("Strip throat.", False).content_start is None  # not in the assessment
    assert follow_sections("Plan.", True).in_assessment is False
    assert follow_sections("Impression and plan.", False).in_assessment is True
    assert follow_sections("Go to plan.", True).in_assessment is False
    # a sentence that starts with a header word is no header: the assessment goes on
    step = follow_sections("Plan to recheck in two weeks", True)
    assert step.in_assessment and step.content_start == 0


def test_the_shortlist_holds_close_diagnoses_and_never_a_mere_deletion() -> None:
    texts = [c.text for c in shortlist("Strip throat.", 0, DIAGNOSES, QUALIFIERS)]
    assert "Strep throat." in texts
    assert "Herpes zoster." not in texts  # nothing like it
    texts = [c.text for c in shortlist("Type 2 diabetes mellitus heart at 12.", 0, DIAGNOSES, QUALIFIERS)]
    assert not any(t.startswith("Type 2 diabetes mellitus at") for t in texts)  # "heart" just dropped
    assert "Type 2 diabetes mellitus heart at 12." not in texts
    # words before ``start`` (a header in the same utterance) are never replaced
    text = "Assessment: strip throat."
    assert all(c.text.startswith("Assessment: ") for c in shortlist(text, 12, DIAGNOSES, QUALIFIERS))


def _recover(
    heard: str, scores: dict[str, float], decode: Callable[[str], str] | None = None, default: float = -20.0
) -> str:
    """``recover_diagnoses`` on the small lists, with Whisper's scores for some sentences (``default``
    for the rest) and a primed decoding that, unless given, must not be needed."""

    def never(hint: str) -> str:
        raise AssertionError(f"no primed decoding was needed ({hint})")

    return recover_diagnoses(
        heard,
        score=lambda texts: [scores.get(t, default) for t in texts],
        decode_with_hint=decode or never,
        diagnoses=DIAGNOSES,
        qualifiers=QUALIFIERS,
    )


def test_a_diagnosis_whisper_scores_clearly_likelier_replaces_what_it_wrote() -> None:
    assert _recover("Acute gut.", {"Acute gut.": -7.0, "Acute gout.": -4.0}) == "Acute gout."


def test_a_diagnosis_scored_nearly_as_likely_needs_whisper_to_write_it_when_primed() -> None:
    scores = {"Strip throat.": -8.5, "Strep throat.": -11.0, "Sore throat.": -12.0}
    hints: list[str] = []

    def decode(hint: str) -> str:
        hints.append(hint)
        return "strep throat." if hint == "strep throat" else "Strip throat."

    assert _recover("Strip throat.", scores, decode) == "Strep throat."
    assert hints == ["strep throat"]
    # primed, Whisper still writes what it heard: nothing changes
    assert _recover("Strip throat.", scores, lambda hint: "Strip throat.") == "Strip throat."
    # and without a primed decoding only a clear margin counts
    plain = recover_diagnoses("Strip throat.", score=lambda texts: [scores.get(t, -20.0) for t in texts])
    assert plain == "Strip throat."


def test_a_listed_diagnosis_or_a_qualifier_is_never_changed_on_a_primed_decoding_alone() -> None:
    # "hypertension" primed as "hypotension" is written as such by Whisper: only the score may decide
    heard = "Essential hypertension."
    assert _recover(heard, {heard: -6.0, "Essential hypotension.": -5.0}) == heard
    heard = "Essential hypertension control."
    assert _recover(heard, {heard: -5.0, "Essential hypertension controlled.": -6.0}) == heard


def test_a_primed_decoding_that_keeps_the_other_words_confirms_no_candidate_that_drops_them() -> None:
    heard = "Strip throat at 12."
    # the only candidate near the heard score replaces "Strip throat at 12" with "strep throat"; primed,
    # Whisper writes the diagnosis and still "at 12"
    text = _recover(heard, {heard: -10.0, "Strep throat.": -11.0}, lambda hint: "Strep throat at 12.", -40.0)
    assert text == heard


def test_the_diagnosis_closest_in_sound_is_tried_when_the_likelier_ones_are_not_confirmed() -> None:
    # Whisper scores a long or rare term far below shorter sound-alikes, but primed with it, it writes it
    heard = "Herpes master."
    scores = {heard: -5.0, "Herpes simplex.": -12.0, "Herpes zoster.": -25.0}
    primed: list[str] = []

    def decode(hint: str) -> str:
        primed.append(hint)
        return "Herpes zoster." if hint == "herpes zoster" else heard

    assert _recover(heard, scores, decode, -40.0) == "Herpes zoster."
    assert primed == ["herpes simplex", "herpes zoster"]
    # and it is not taken when Whisper, primed, still writes what it heard
    assert _recover(heard, scores, lambda hint: heard, -40.0) == heard


def test_the_lists_are_primary_care_diagnoses_and_qualifiers_without_comments() -> None:
    diagnoses, qualifiers = common_diagnoses(), diagnosis_qualifiers()
    assert len(diagnoses) >= 300 and len(set(diagnoses)) == len(diagnoses)
    assert "community acquired pneumonia" in diagnoses and "exacerbation" in qualifiers
    assert not any(line.startswith("#") or line != line.lower().strip() for line in diagnoses + qualifiers)


def test_closeness_is_spelling_and_sound_together() -> None:
    assert closeness("strip throat", "strep throat") > 0.8
    assert closeness("pirelectone", "spironolactone") > 0.7
    assert closeness("breathing", "lithium") < 0.35
    assert closeness("gout", "gout") == 1.0


def test_a_primed_decoding_that_loops_on_the_diagnosis_confirms_nothing() -> None:
    # "check in once EC him in 2 weeks": primed with eczema, Whisper wrote "eczema. eczema. eczema. ..."
    heard = "Herpes master. Recheck in 2 weeks."
    looped = " ".join(["herpes zoster."] * 20)
    assert _recover(heard, {heard: -30.0}, lambda hint: looped, -40.0) == heard
    # the same diagnosis, primed, in a decoding that reads the whole utterance: confirmed
    read = "Herpes zoster. Recheck in 2 weeks."
    assert _recover(heard, {heard: -30.0}, lambda hint: read, -40.0) == read
