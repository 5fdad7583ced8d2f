import pytest

from app.soap import extract_diagnoses, extract_medications, extract_vitals, structure_note
from app.soap.classifier import cues
from app.soap.headers import SECTIONS, match_header
from app.soap.icd10 import suggest
from audio.normalize import normalize
from audio.spoken import find_headers


def test_spoken_headers_decide_the_sections() -> None:
    note = structure_note(
        [
            "subjective",
            "cough for three days",
            "objective",
            "lungs clear",
            "assessment",
            "acute bronchitis",
            "plan",
            "rest and fluids",
        ]
    )
    expected = ("Cough for 3 days.", "Lungs clear.", "Acute bronchitis.", "Rest and fluids.")
    assert (note.subjective, note.objective, note.assessment, note.plan) == expected


def test_a_header_can_lead_its_content() -> None:
    note = structure_note(
        ["Plan: start lisinopril 10 mg daily.", "vitals blood pressure one fifty over ninety"]
    )
    assert "lisinopril" in note.plan.lower()
    assert note.vitals["blood_pressure"] == "150/90"


def test_a_header_word_that_starts_a_sentence_is_not_a_header() -> None:
    assert match_header("Vitals look good today.") is None
    assert match_header("assessment of respiratory effort normal") is None


def test_headerless_dictation_is_classified_in_order() -> None:
    note = structure_note(
        [
            "the patient reports three days of productive cough and subjective fevers",
            "she denies chest pain or shortness of breath",
            "on exam there are crackles at the right base",
            "heart has a regular rate and rhythm",
            "community acquired pneumonia",
            "we will start azithromycin and she will follow up in one week",
        ]
    )
    assert "cough" in note.subjective and "crackles" in note.objective
    assert "follow up" in (note.assessment + note.plan).lower()


def test_vitals_are_extracted_with_units() -> None:
    text = normalize(
        "blood pressure one forty two over eighty eight heart rate seventy two respiratory rate sixteen "
        "temperature thirty seven point two degrees celsius oxygen saturation ninety seven percent "
        "weight eighty two kilograms height one hundred seventy eight centimeters bmi twenty five point nine"
    )
    assert extract_vitals(text) == {
        "blood_pressure": "142/88", "heart_rate": 72, "respiratory_rate": 16,
        "temperature": {"value": 37.2, "unit": "C"}, "spo2": 97, "weight": {"value": 82, "unit": "kg"},
        "height": {"value": 178, "unit": "cm"}, "bmi": 25.9,
    }  # fmt: skip


def test_medications_have_dose_route_frequency_and_duration() -> None:
    meds = extract_medications(
        normalize("metformin five hundred milligrams by mouth twice a day for thirty days")
    )
    assert [m.to_json() for m in meds] == [
        {
            "name": "metformin",
            "dose": "500",
            "unit": "mg",
            "route": "PO",
            "frequency": "BID",
            "duration": "30 days",
        }
    ]


def test_as_needed_is_kept_with_the_frequency() -> None:
    (med,) = extract_medications("albuterol 2 puffs inhaled every 4 hours as needed")
    assert (med.route, med.frequency) == ("inhaled", "Q4H PRN")


def test_diagnoses_get_icd10_suggestions() -> None:
    found = {
        d.text: d.icd10 for d in extract_diagnoses("type 2 diabetes mellitus and essential hypertension")
    }
    assert found == {"type 2 diabetes mellitus": "E11.9", "essential hypertension": "I10"}


def test_icd10_lookup_falls_back_to_the_descriptions() -> None:
    assert suggest("acute appendicitis") is not None and suggest("acute appendicitis").startswith("K35")
    assert suggest("zzz not a disease") is None


def test_the_note_keeps_raw_text_and_confidence() -> None:
    class U:
        def __init__(self, text: str, confidence: float) -> None:
            self.text, self.confidence = text, confidence

    note = structure_note([U("plan", 0.9), U("metformin five hundred milligrams", 0.7)])
    data = note.to_dict()
    assert data["raw_transcription"] == "plan\nmetformin five hundred milligrams"
    assert [u["confidence"] for u in data["utterances"]] == [0.9, 0.7]
    assert set(data) >= {
        "subjective",
        "objective",
        "assessment",
        "plan",
        "vitals",
        "medications",
        "diagnoses",
    }


def test_vitals_followed_by_a_vital_sign_is_a_header_even_without_a_colon() -> None:
    from app.soap.headers import match_header

    match = match_header("Vitals blood pressure 142 over 88, heart rate 72.")
    assert match is not None and match.section == "objective"
    assert match.rest.startswith("blood pressure")
    assert match_header("Vitals are stable, reviewed.") is None


@pytest.mark.parametrize(
    ("said", "listed"),
    [
        ("Assessment: type 2 diabetes myelitis with hyperglycemia.", ["type 2 diabetes", "hyperglycemia"]),
        (
            "Assessment: type 2 diabetes mellitus with hyperglycemia.",
            ["type 2 diabetes mellitus", "hyperglycemia"],
        ),
        ("Assessment: community acquired pneumonia. Asthma exacerbation.", ["pneumonia", "asthma"]),
    ],
)
def test_a_diagnosis_word_that_is_only_part_of_a_longer_diagnosis_misheard_is_shown_not_listed(
    said: str, listed: list[str]
) -> None:
    note = structure_note([said])
    assert [d.text for d in note.diagnoses] == listed
    doubts = [u for u in note.to_dict()["uncertain"] if u["pass"] == "diagnosis"]
    assert [u["text"] for u in doubts] == (["myelitis"] if "myelitis" in said else [])


def test_a_dictation_without_headers_runs_from_history_through_exam_to_plan() -> None:
    # as Whisper heard a synthetic dictation said without any header (dev2): the model, trained on
    # written notes, alone kept it all in the history
    note = structure_note([
        "58-year-old man with 2 weeks unright big toe pain at dot worst standing at a trade show.",
        "Throbbing and burning and sometimes sharp with walking so he walks on his heel.",
        "Even a bed sheet hurts at night, and 2 ibuprofen are they do not help you line.",
        "He likes to ride his bike.",
        "The big toe band only tend to breathe with pain.",
        "Tender between the first and second toes with a palpable bone spur.",
        "X-rays show a large dorsal spirit of big toe joint with car village loss.",
        "Right hand like fridge is.",
        "Start with custom orthotics.",
        "Diclofenac 75 milligrams twice a day with food and top it if his stomach is upset.",
        "Keep driving his bike.",
        "Back in 2 weeks and declare this old injection or surgery if it is no better.",
    ])  # fmt: skip
    data = note.to_dict()
    assert "bike" in data["subjective"] and "X-rays show" in data["objective"]
    assert "Start with custom orthotics" in data["plan"] and "Back in 2 weeks" in data["plan"]
    assert "X-rays" not in data["subjective"] and "orthotics" not in data["subjective"]


@pytest.mark.parametrize(
    "said",
    [
        "Red painful right eye and blurred vision.",
        "Dizziness and lightheadedness on standing.",
        "Encourage hydration and rest.",
        "Potassium 3.2 and sodium 134.",
    ],
)
def test_a_symptom_or_a_result_the_long_drug_list_holds_is_never_a_medication(said: str) -> None:
    assert extract_medications(said) == []


@pytest.mark.parametrize(
    ("said", "drug"),
    [
        ("Continue latanoprost.", "latanoprost"),
        ("Methimazole 10 mg by mouth daily.", "methimazole"),
        ("Ceftriaxone 1 g intramuscular now.", "ceftriaxone"),
        ("Benzoyl peroxide wash daily.", "benzoyl peroxide"),
        ("Allergic to ceftriaxone.", "ceftriaxone"),
        ("Lisinopril.", "lisinopril"),
    ],
)
def test_a_drug_is_a_medication_where_it_is_given_dosed_or_commonly_prescribed(said: str, drug: str) -> None:
    assert [m.name for m in extract_medications(said)] == [drug]


def test_a_dictation_without_headers_files_readings_and_diagnoses_by_what_they_are() -> None:
    note = structure_note(
        [
            "twenty year old college student with trouble focusing since childhood",
            "he loses things and misses deadlines",
            "pulse seventy six and blood pressure one eighteen over seventy",
            "attention deficit hyperactivity disorder",
        ]
    )
    sections = [u.section for u in note.utterances]
    assert sections == ["subjective", "subjective", "objective", "assessment"]


@pytest.mark.parametrize(
    ("said", "section"),
    [
        ("methylphenidate eighteen milligrams by mouth every morning", "plan"),
        ("BMI 31.4 and acne on the chin", "objective"),
        ("attention deficit hyperactivity disorder", "assessment"),
        ("she takes metformin 500 milligrams twice a day", None),
        ("he has had a cough for three days", None),
        ("cough", None),  # a symptom said alone is as often the complaint
    ],
)
def test_what_a_sentence_holds_is_evidence_for_its_section(said: str, section: str | None) -> None:
    evidence = cues(said)
    assert [SECTIONS[i] for i, x in enumerate(evidence) if x > 0] == ([section] if section else [])


def test_under_assessment_and_plan_the_problem_named_is_the_assessment_and_what_follows_the_plan() -> None:
    note = structure_note(
        ["assessment and plan", "gestational diabetes", "diet counseling and glucose checks four times a day"]
    )
    data = note.to_dict()
    assert data["assessment"].startswith("Gestational diabetes")
    assert data["plan"].startswith("Diet counseling")


def test_the_first_sentence_under_assessment_and_plan_stays_the_assessment_even_misheard() -> None:
    note = structure_note(
        ["assessment and plan", "infamous", "diet counseling and glucose checks four times a day"]
    )
    data = note.to_dict()
    assert data["assessment"].startswith("Infamous") and data["plan"].startswith("Diet counseling")


def test_assessment_and_planned_is_whispers_writing_of_the_header() -> None:
    (found,) = find_headers("a shuffling gait assessment and planned Parkinson's disease")
    assert found.section == "assessment_and_plan"


def test_a_first_header_said_again_next_leaves_the_words_between_to_the_classifier() -> None:
    note = structure_note(
        [
            "objective",
            "twenty three year old man after a first seizure at work",
            "his coworker saw shaking of all four limbs for two minutes",
            "objective",
            "neurological exam is normal",
        ]
    )
    data = note.to_dict()
    assert data["subjective"].startswith("23 year old man after a first seizure")
    assert data["objective"] == "Neurological exam is normal."


def test_a_section_opened_once_keeps_its_content() -> None:
    note = structure_note(["objective", "his coworker saw him shaking", "assessment", "seizure"])
    assert note.to_dict()["objective"].startswith("His coworker saw him shaking")


def test_a_dose_with_a_decimal_point_is_read_whole() -> None:
    nitro, tamsulosin = extract_medications(
        "Nitroglycerin 0.4 mg under the tongue as needed. Tamsulosin 0.4 mg by mouth daily."
    )
    assert (nitro.dose, nitro.unit, nitro.frequency) == ("0.4", "mg", "PRN")
    assert (tamsulosin.dose, tamsulosin.route, tamsulosin.frequency) == ("0.4", "PO", "daily")


@pytest.mark.parametrize(
    ("said", "vitals"),
    [
        ("height five foot six", {"height": {"value": 66, "unit": "in"}}),
        ("height 5 feet 10 inches", {"height": {"value": 70, "unit": "in"}}),
        (
            "height 6 feet weight 180 pounds",
            {"height": {"value": 72, "unit": "in"}, "weight": {"value": 180, "unit": "lb"}},
        ),
        ("pulse ox 97 percent", {"spo2": 97}),
        ("pulse 88 and pulse ox 95 percent", {"heart_rate": 88, "spo2": 95}),
        ("SpO2 of 97", {"spo2": 97}),
        ("O2 sat 91 percent", {"spo2": 91}),
    ],
)
def test_vitals_said_the_ways_clinicians_say_them(said: str, vitals: dict[str, object]) -> None:
    assert extract_vitals(normalize(said)) == vitals


def test_names_written_with_digits_stay_whole() -> None:
    assert normalize("SpO2 97%, O2 sat 95, CO2 28, B12 low, HbA1c 8.1") == (
        "SpO2 97%, O2 sat 95, CO2 28, B12 low, HbA1c 8.1"
    )
    assert normalize("a 1 cm lesion") == "a 1 cm lesion"


def test_a_salt_said_after_its_drug_is_part_of_it_and_never_a_drug_of_its_own() -> None:
    (metoprolol,) = extract_medications("metoprolol succinate 25 mg daily")
    assert (metoprolol.name, metoprolol.dose, metoprolol.frequency) == ("metoprolol", "25", "daily")
    assert extract_medications("sulfate 3 mg") == []
    (ferrous,) = extract_medications("ferrous sulfate 325 mg daily")
    assert ferrous.name == "ferrous sulfate"


def test_a_percent_strength_is_the_dose() -> None:
    (cream,) = extract_medications("hydrocortisone 1% cream twice daily")
    assert (cream.dose, cream.unit, cream.frequency) == ("1", "%", "BID")


@pytest.mark.parametrize(
    "said",
    [
        "No evidence of pneumonia.",
        "Denies chest pain.",
        "Lyme disease ruled out.",
        "Rule out pulmonary embolism.",
        "Pneumonia has resolved.",
    ],
)
def test_a_diagnosis_said_as_absent_or_not_yet_made_is_not_listed(said: str) -> None:
    assert extract_diagnoses(said) == []


def test_a_negation_reaches_only_its_own_clause() -> None:
    found = [d.text for d in extract_diagnoses("Community acquired pneumonia, no evidence of sepsis.")]
    assert found == ["pneumonia"]
    found = [
        d.text for d in extract_diagnoses("No diabetes but hypertension. Acute bronchitis without wheezing.")
    ]
    assert found == ["hypertension", "acute bronchitis"]


def test_diagnoses_said_by_their_abbreviation_are_coded_only_in_capitals() -> None:
    found = {d.text: d.icd10 for d in extract_diagnoses("Type two diabetes and CKD. Left leg DVT. UTI.")}
    assert found == {"type 2 diabetes": "E11.9", "ckd": "N18.9", "dvt": "I82.409", "uti": "N39.0"}
    assert extract_diagnoses("the cad was rude") == []
    assert [d.icd10 for d in extract_diagnoses("Bell's palsy of the left face")] == ["G51.0"]
