"""Context-aware post-correction of Whisper dictation text, and the phonetic key under it."""

import pytest

from audio.dictation_fix import (
    DrugSnapper,
    fix_blood_pressure,
    fix_dictation,
    fix_frequencies,
    fix_number_words,
    fix_units,
)
from audio.phonetic import edit_distance, phonetic_key, similarity

DRUGS = [
    "pantoprazole",
    "famotidine",
    "framycetin",
    "hydroxyzine",
    "metformin",
    "metoprolol",
    "insulin glargine",
]


def test_phonetic_key_hears_through_spelling() -> None:
    assert phonetic_key("pantoprazole") == phonetic_key("penta presole")
    assert phonetic_key("hydroxyzine") == phonetic_key("Hydroxine")
    assert phonetic_key("once daily") == phonetic_key("one stale")
    assert phonetic_key("knee") == phonetic_key("nee")
    assert phonetic_key("") == ""


def test_edit_distance_and_similarity() -> None:
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("abc", "abc") == 0
    assert edit_distance("abcdef", "a", limit=2) == 3
    assert similarity("", "") == 1.0 and similarity("abcd", "abcx") == 0.75


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Prednisone for the milligrams by mouth.", "Prednisone forty milligrams by mouth."),
        ("Aspirin AD milligrams daily.", "Aspirin eighty milligrams daily."),
        ("Albuterol to puffs inhaled.", "Albuterol two puffs inhaled."),
        ("Heart rate AD, respiratory rate 18.", "Heart rate eighty, respiratory rate 18."),
    ],
)
def test_number_sound_alikes_are_fixed_in_numeric_context(text: str, expected: str) -> None:
    assert fix_number_words(text) == expected


@pytest.mark.parametrize(
    "text",
    ["He walked for the whole day.", "Follow up for 5 days.", "She went to the clinic.", "Refer to physio."],
)
def test_ordinary_prose_is_left_alone(text: str) -> None:
    assert fix_dictation(text, DrugSnapper(DRUGS)) == text


def test_blood_pressure_missing_over_or_hundred() -> None:
    assert (
        fix_blood_pressure("Blood pressure 120, 78, heart rate 66.")
        == "Blood pressure 120 over 78, heart rate 66."
    )
    assert fix_blood_pressure("blood pressure 18 over 74") == "blood pressure 118 over 74"
    assert fix_blood_pressure("BP 90 over 60") == "BP 90 over 60"  # plausible as said
    assert fix_blood_pressure("blood pressure 142/88") == "blood pressure 142/88"


def test_misheard_units_after_a_number() -> None:
    assert fix_units("Hydroxyzine 25 milli drembs by mouth.") == "Hydroxyzine 25 milligrams by mouth."
    assert fix_units("for 5 days and 2 weeks") == "for 5 days and 2 weeks"
    assert fix_units("weight 80 kilograms") == "weight 80 kilograms"


def test_misheard_frequencies_after_a_route() -> None:
    assert fix_frequencies("10 milligrams by mouth, one stale for 4 weeks.") == (
        "10 milligrams by mouth, once daily for 4 weeks."
    )
    assert fix_frequencies("20 milligrams by mouth at bed, I am as needed.") == (
        "20 milligrams by mouth at bedtime as needed."
    )
    assert fix_frequencies("500 milligrams by mouth wise daily.") == "500 milligrams by mouth twice daily."
    assert fix_frequencies("by mouth once daily with food.") == "by mouth once daily with food."


def test_drug_names_before_a_dose_snap_by_sound_and_spelling() -> None:
    snapper = DrugSnapper(DRUGS)
    assert snapper.fix("Penta presole 40 milligrams by mouth.") == "Pantoprazole 40 milligrams by mouth."
    assert snapper.fix("Famicidine 20 milligrams at bedtime.") == "Famotidine 20 milligrams at bedtime."
    assert snapper.fix("Start met for men 500 milligrams.") == "Start metformin 500 milligrams."
    # no dose after it: not a prescription, nothing changes
    assert snapper.fix("Penta presole was discussed.") == "Penta presole was discussed."
    # a correct name stays, and words far from any drug stay
    assert snapper.fix("Metoprolol 25 milligrams.") == "Metoprolol 25 milligrams."
    assert snapper.fix("Take the blue 2 tablets.") == "Take the blue 2 tablets."


def test_preferred_drugs_win_a_near_tie() -> None:
    snapper = DrugSnapper(["famotidine", "framycetin"], preferred=["famotidine"])
    assert snapper.best(["famicidine"]) == "famotidine"


def test_a_systolic_heard_as_hundred_and_tens_is_joined() -> None:
    assert fix_blood_pressure("Blood pressure 100 and 20/80, heart rate 72.") == (
        "Blood pressure 120/80, heart rate 72."
    )
    assert fix_blood_pressure("BP 100 and 40 over 90") == "BP 140 over 90"
    assert fix_blood_pressure("blood pressure 100 and 20 over 130") == "blood pressure 100 and 20 over 130"


def test_type_2_diabetes_is_never_taken_for_a_dose_of_tablets() -> None:
    assert fix_units("Type 2 diabetes with hyperglycemia.") == "Type 2 diabetes with hyperglycemia."
    assert fix_units("stage 3 kidney disease") == "stage 3 kidney disease"
    assert fix_units("2 diabetes", frozenset({"diabetes"})) == "2 diabetes"


def test_inhaler_routes_and_bedtime_are_recovered_only_in_their_slot() -> None:
    assert (
        fix_dictation("Albuterol 2 puffs in tail every 4 hours.")
        == "Albuterol 2 puffs inhaled every 4 hours."
    )
    assert fix_dictation("300 milligrams by mouth at third time.") == "300 milligrams by mouth at bedtime."
    assert fix_dictation("20 milligrams by mouth at dinner time.") == "20 milligrams by mouth at dinner time."
    assert fix_dictation("She came in at third time of asking.") == "She came in at third time of asking."


def test_an_age_and_the_a1c_test_are_read_the_clinical_way() -> None:
    assert fix_number_words("For the year-old man") == "Forty year-old man"
    assert (
        fix_number_words("Recheck hemoglobin at one seed in 3 months.")
        == "Recheck hemoglobin A1c in 3 months."
    )
