"""The prescribing checks on their own: allergies by drug, class and cross-reactivity, duplicate
therapy, doses per dose and per day; and the vital-sign readings the rules and the export share."""

from __future__ import annotations

import pytest

from app.drug_safety import HIGH, INFO, MODERATE, Item, check, drug_of, parse_dose, times_a_day
from app.vital_signs import readings

PENICILLIN = [{"substance": "Penicillin", "reaction": "hives"}]


def kinds(items: list[Item], *, allergies=(), active=(), recorded=True) -> list[tuple[str, str]]:
    found = check(items, allergies=list(allergies), allergies_recorded=recorded, active=list(active))
    return [(f.kind, f.severity) for f in found]


@pytest.mark.parametrize(
    ("medication", "allergies", "expected"),
    [
        ("Amoxicillin 500 mg capsules", PENICILLIN, [("allergy", HIGH)]),  # a penicillin, by class
        ("amoxicillin", [{"substance": "amoxicillin"}], [("allergy", HIGH)]),  # the drug itself
        ("ampicillin", [{"substance": "Amoxicillin"}], [("allergy", HIGH)]),  # class allergy via a member
        ("cephalexin", PENICILLIN, [("allergy", MODERATE)]),  # cross-reactive class
        ("morphine", [{"substance": "codeine"}], [("allergy", MODERATE)]),  # same class, no class allergy
        ("lisinopril", [{"substance": "peanuts"}, {"substance": "latex"}], []),  # not drugs
        ("bactrim", [{"substance": "sulfa"}], []),  # a brand the vocabulary does not know: name only
        ("sulfamethoxazole trimethoprim", [{"substance": "Sulfa"}], [("allergy", HIGH)]),
    ],
)
def test_allergies_are_found_by_drug_class_and_cross_reactivity(medication, allergies, expected) -> None:
    assert kinds([Item(medication)], allergies=allergies) == expected


def test_duplicates_are_the_same_drug_or_the_same_therapeutic_class() -> None:
    assert kinds([Item("Atorvastatin 20 mg")], active=["atorvastatin 40 mg"]) == [("duplicate", HIGH)]
    assert kinds([Item("rosuvastatin")], active=["Simvastatin"]) == [("duplicate", MODERATE)]
    assert kinds([Item("aspirin")], active=["clopidogrel"]) == []  # antiplatelets are given together
    assert kinds([Item("omeprazole"), Item("pantoprazole")]) == [("duplicate", MODERATE)]


def test_doses_are_checked_per_dose_and_per_day_in_the_vocabularys_unit() -> None:
    assert kinds([Item("metformin", "500 mg", "twice daily")]) == []
    assert kinds([Item("metformin", "1 g", "three times a day")]) == [("dose", HIGH)]  # 3 g a day
    assert kinds([Item("levothyroxine", "0.5 mg", "daily")]) == [("dose", HIGH), ("dose", HIGH)]  # 500 mcg
    assert kinds([Item("ibuprofen", "400 mg", "every 6 hours")]) == []
    assert kinds([Item("ibuprofen", "800 mg", "every 4 hours")]) == [("dose", HIGH)]  # 4.8 g a day
    assert kinds([Item("unknownium", "9000 mg", "daily")]) == []  # no range known: not judged
    assert kinds([Item("metformin")], recorded=False) == [("allergies_unknown", INFO)]


def test_names_doses_and_frequencies_are_read_as_written() -> None:
    assert drug_of("Amoxicillin/Clavulanate 875 mg tab") == "amoxicillin clavulanate"
    assert parse_dose("0.5g") == (0.5, "g") and parse_dose("two tablets") is None
    assert [times_a_day(f) for f in ("BID", "t.i.d.", "q8h", "at bedtime", "as needed", None)] == [
        2, 3, 3, 1, None, None,
    ]  # fmt: skip


def test_vital_signs_read_the_same_from_a_dictation_a_nurse_and_the_seeder() -> None:
    dictated = readings(
        {
            "blood_pressure": "150/95",
            "temperature": {"value": 101.3, "unit": "F"},
            "weight": {"value": 82, "unit": None},
        }
    )
    assert [(r.kind, r.systolic, r.diastolic, r.unit) for r in dictated[:1]] == [
        ("blood_pressure", 150, 95, "mm[Hg]")
    ]
    assert dictated[1].celsius == 38.5 and len(dictated) == 2, "a weight without its unit is left out"
    nurse = readings({"temperature": 37.9, "oxygen_saturation": 91, "weight": 70})
    assert [(r.kind, r.value, r.unit) for r in nurse] == [
        ("temperature", 37.9, "Cel"),
        ("spo2", 91, "%"),
        ("weight", 70, "kg"),
    ]
    seeded = readings({"bp_systolic": 148, "bp_diastolic": 109, "temperature_c": 36.7, "weight_kg": 59.5})
    assert [r.text() for r in seeded] == ["148/109 mmHg", "36.7 °C", "59.5 kg"]
