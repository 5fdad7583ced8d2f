"""Recovering a misheard drug name before a dose: finding the slot, choosing by score, confirming.

The scorer and the primed decoder are stand-ins here (this is a unit test of the choosing logic); the
real Whisper path is exercised by the dictation tests and measured by ``bench.speech_dictation``.
"""

from collections.abc import Callable

from audio.drug_rescore import missing_drug_slots, recover_drugs

KNOWN = ["metformin", "aspirin", "apixaban", "lisinopril", "naproxen"]


def _slots(text: str) -> list[str]:
    return [text[s.start : s.end] for s in missing_drug_slots(text, known=KNOWN)]


def test_the_words_before_a_dose_that_are_not_a_drug_make_a_slot() -> None:
    assert _slots("Acre 81 milligrams by mouth once daily.") == ["Acre"]
    assert _slots("Start a big 5 milligrams by mouth twice daily.") == ["a big"]
    assert _slots("Approx. 500 milligrams by mouth.") == ["Approx."]
    # "that" after a prescribing verb is the drug's first syllable misheard (dapagliflozin)
    assert _slots("Start that poglif was in 10 milligrams by mouth once daily.") == ["that poglif was in"]
    # a header said inline before the drug is no part of it
    assert _slots("Plan pantopresil 40 milligrams once daily.") == ["pantopresil"]


def test_a_named_drug_or_a_bare_dose_makes_no_slot() -> None:
    assert _slots("Start metformin 500 milligrams twice daily.") == []
    assert _slots("Increase to 1000 milligrams.") == []
    assert _slots("Give her 20 milligrams.") == []
    assert _slots("Weight 80 kilograms, walked 2 miles.") == []


def _scorer(best: str):  # type: ignore[no-untyped-def]
    def score(texts: list[str]) -> list[float]:
        return [0.0 if best in t.lower() else -10.0 for t in texts]

    return score


def test_the_drug_whisper_scores_best_and_confirms_fills_the_slot() -> None:
    hints: list[str] = []

    def decode(hint: str) -> str:
        hints.append(hint)
        return f"{hint.capitalize()} 81 milligrams by mouth once daily."

    text = recover_drugs(
        "Acre 81 milligrams by mouth once daily.",
        score=_scorer("aspirin"),
        decode_with_hint=decode,
        known=KNOWN,
        candidates=["aspirin", "apixaban", "naproxen"],
    )
    assert text == "Aspirin 81 milligrams by mouth once daily."
    assert hints == ["aspirin"]


def test_an_unconfirmed_choice_leaves_what_was_heard() -> None:
    text = recover_drugs(
        "Acre 81 milligrams by mouth once daily.",
        score=_scorer("aspirin"),
        decode_with_hint=lambda hint: "Acre 81 milligrams by mouth once daily.",
        known=KNOWN,
        candidates=["aspirin", "apixaban", "naproxen"],
    )
    assert text == "Acre 81 milligrams by mouth once daily."


def test_a_near_miss_of_a_common_drug_is_tried_first_but_still_confirmed_against_the_audio() -> None:
    hints: list[str] = []

    def decode(hint: str) -> str:
        hints.append(hint)
        return "Start metoprolol 25 milligrams twice daily." if hint == "metoprolol" else ""

    def flat(texts: list[str]) -> list[float]:
        return [0.0 for _ in texts]  # the scores alone would choose nothing

    slip = "Start metaprol 25 milligrams twice daily."
    near = {"near_miss": lambda words: "metoprolol" if words == "metaprol" else None}
    out = recover_drugs(
        slip, score=flat, decode_with_hint=decode, known=KNOWN, candidates=["metoprolol", "aspirin"], **near
    )
    assert out == "Start metoprolol 25 milligrams twice daily." and hints == ["metoprolol"]
    # not confirmed by Whisper: left as heard, however close the spelling
    unconfirmed = recover_drugs(
        slip, score=flat, decode_with_hint=lambda h: slip, known=KNOWN, candidates=["metoprolol"], **near
    )
    assert unconfirmed == slip


def _primed(hints: list[str], writes: dict[str, str]) -> Callable[[str], str]:
    """A primed decoding that records its hints and writes ``writes[hint]`` (nothing for other hints)."""

    def decode(hint: str) -> str:
        hints.append(hint)
        return writes.get(hint, "")

    return decode


def test_a_drug_that_sounds_nothing_like_what_was_heard_is_not_tried() -> None:
    # Whisper's score favours short common names ("lithium") whatever was said, and primed with one it
    # may write it: so the top-scored drug is only tried when it sounds somewhat like the heard words
    hints: list[str] = []
    heard = "Start breathing 10 milligrams by mouth once daily."
    writes = {"lithium": "Start lithium 10 milligrams by mouth once daily."}
    decode = _primed(hints, writes)
    text = recover_drugs(
        heard, score=_scorer("lithium"), decode_with_hint=decode, known=KNOWN, candidates=["lithium"]
    )
    assert text == heard and hints == []


def test_the_drug_closest_in_sound_is_tried_when_a_common_name_outscores_it() -> None:
    hints: list[str] = []
    decode = _primed(hints, {"spironolactone": "Spironolactone 25 milligrams by mouth once daily."})

    def score(texts: list[str]) -> list[float]:  # lithium first, spironolactone 8 nats behind
        return [-10.0 if "ithium" in t else -18.0 if "pironolactone" in t else -40.0 for t in texts]

    text = recover_drugs(
        "Pirelectone 25 milligrams by mouth once daily.",
        score=score,
        decode_with_hint=decode,
        known=KNOWN,
        candidates=["lithium", "spironolactone", "aspirin"],
    )
    assert text == "Spironolactone 25 milligrams by mouth once daily."
    assert hints == ["spironolactone"]  # lithium sounds nothing like it and was not tried


def _recovered_when_primed(text: str, best: str, decoded: Callable[[str], str], candidates: list[str]) -> str:
    """``recover_drugs`` where Whisper scores the sentence naming ``best`` far ahead and the primed
    decoding writes ``decoded(hint)``."""

    def score(texts: list[str]) -> list[float]:
        return [0.0 if f" {best} " in f" {t.lower()} " else -5.0 for t in texts]

    return recover_drugs(text, score=score, decode_with_hint=decoded, known=[], candidates=candidates)


def test_a_primed_decoding_confirms_a_drug_only_as_a_word_of_its_own() -> None:
    # Whisper primed with amphetamine still wrote "methamphetamine" (for a misheard methimazole): the
    # drug inside a longer word is no confirmation
    text = "Plan methamphetamine 10 milligrams by mouth once daily."
    known = ["mesalamine", "amphetamine"]
    kept = _recovered_when_primed(
        text, "amphetamine", lambda hint: "plan methamphetamine 10 milligrams by mouth once daily", known
    )
    assert kept == text
    confirmed = _recovered_when_primed(
        text, "amphetamine", lambda hint: "plan amphetamine 10 milligrams by mouth once daily", known
    )
    assert confirmed == "Plan amphetamine 10 milligrams by mouth once daily."


def test_a_primed_decoding_that_loops_on_the_hint_confirms_nothing() -> None:
    text = "Start apixabin 5 milligrams by mouth twice daily."
    looped = _recovered_when_primed(
        text, "apixaban", lambda hint: f"{hint}. {hint}. {hint}. {hint}. {hint}.", KNOWN
    )
    assert looped == text
    # the same drug, primed, in a decoding that reads the whole utterance: confirmed
    read = _recovered_when_primed(
        text, "apixaban", lambda hint: f"Start {hint} 5 milligrams by mouth twice daily.", KNOWN
    )
    assert read == "Start apixaban 5 milligrams by mouth twice daily."
