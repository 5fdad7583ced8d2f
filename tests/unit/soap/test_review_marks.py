"""Never invent, always show (issue 12, items 3 and 4): corrections and uncertain words reach the note's
JSON with their place in the final text; units not said stay empty; vitals Whisper mangled are read
or flagged; a medication always names a drug."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.soap import extract_medications, extract_vitals, structure_note
from audio.dictation_fix import fix_blood_pressure, fix_vital_numbers
from audio.marks import TrackedText
from audio.transcriber import Utterance


def test_every_correction_and_uncertain_word_is_placed_in_the_final_section_text() -> None:
    tracked = TrackedText("Plan: start Acre 81 milligrams by mouth one stale. Follow up in 2 weeks.")
    tracked.apply("frequency", lambda t: t.replace("one stale", "once daily"))
    tracked.apply("drug_recovery", lambda t: t.replace("Acre", "aspirin"), score=2.5)
    at = tracked.text.index("Follow")
    tracked.flag(at, at + 6, score=0.2, pass_name="whisper_word")
    note = structure_note([Utterance(tracked.text, 3.5, 6.0, 0.8, "whisper", tuple(tracked.marks))])
    data = note.to_dict()
    fixes = {m["original"]: m for m in data["corrections"]}
    assert set(fixes) == {"Acre", "one stale"}
    for mark in [*data["corrections"], *data["uncertain"]]:
        assert data[mark["section"]][mark["start"] : mark["end"]] == mark["text"]
    assert fixes["Acre"]["text"] == "aspirin" and fixes["Acre"]["pass"] == "drug_recovery"
    assert fixes["Acre"]["score"] == 2.5 and fixes["Acre"]["id"] == "c-t3500-0"
    (doubt,) = data["uncertain"]
    assert doubt["text"] == "Follow" and doubt["pass"] == "whisper_word"


def test_mark_ids_stay_the_same_when_the_dictation_grows() -> None:
    tracked = TrackedText("Start Acre 81 milligrams daily.")
    tracked.apply("drug_recovery", lambda t: t.replace("Acre", "aspirin"), score=2.0)
    first = Utterance(tracked.text, 1.0, 2.0, 0.9, "whisper", tuple(tracked.marks))
    alone = structure_note([first]).to_dict()["corrections"]
    grown = structure_note([Utterance("Subjective.", 0.0, 0.5, 0.9, "whisper"), first]).to_dict()
    assert [m["id"] for m in alone] == [m["id"] for m in grown["corrections"]]


def test_a_unit_that_was_not_said_stays_empty() -> None:
    assert extract_vitals("weight 162") == {"weight": {"value": 162, "unit": None}}
    assert extract_vitals("weight 204 pounds") == {"weight": {"value": 204, "unit": "lb"}}
    assert extract_vitals("height 170") == {"height": {"value": 170, "unit": None}}
    (med,) = extract_medications("continue metformin")
    assert (med.dose, med.unit, med.frequency) == (None, None, None)


def test_vitals_as_whisper_mishears_them_are_read() -> None:
    assert fix_blood_pressure("Blood pressure 162.94.") == "Blood pressure 162 over 94."
    assert fix_blood_pressure("blood pressure 1, 28 over 78 today") == "blood pressure 128 over 78 today"
    assert fix_blood_pressure("blood pressure 1, 28 over 178") == "blood pressure 1, 28 over 178"
    assert fix_vital_numbers("Pulse 100 and 1.") == "Pulse 101."
    assert fix_vital_numbers("Weight 200 and 4 pounds.") == "Weight 204 pounds."
    assert fix_vital_numbers("Temperature 98 point to.") == "Temperature 98.2."
    assert fix_vital_numbers("She has 100 and 1 questions.") == "She has 100 and 1 questions."


def test_a_reading_taken_back_with_a_misheard_scratch_that_gives_way_to_the_next() -> None:
    assert extract_vitals("Heart rate 92 scratch at heart rate 82.") == {"heart_rate": 82}
    assert extract_vitals("Heart rate 66. Scratch. Note that heart rate 68.") == {"heart_rate": 68}
    # said again without taking it back ("repeat"), the first reading is the one filed
    text = "Blood pressure 152/98 repeat. Blood pressure 148/96."
    assert extract_vitals(text) == {"blood_pressure": "152/98"}


def test_a_saturation_said_as_sat_is_read_when_a_percent_follows() -> None:
    assert extract_vitals("Objective sat 98% on room air.") == {"spo2": 98}
    assert extract_vitals("Sat's 94% on room air.") == {"spo2": 94}
    assert extract_vitals("She sat 20 minutes in the waiting room.") == {}


def test_a_vital_that_cannot_be_read_is_left_out_and_marked_uncertain() -> None:
    data = structure_note(["Objective. Blood pressure 134 and man, heart rate 72."]).to_dict()
    assert data["vitals"] == {"heart_rate": 72}
    (doubt,) = data["uncertain"]
    assert doubt["text"] == "Blood pressure 134 and man" and doubt["pass"] == "vitals"
    assert structure_note(["Objective. Pulse 1.08 and irregular."]).vitals == {}
    # "one hundred and four, weight fifty six" run together: no heart rate of 100 is filed
    assert structure_note(["Objective. Pulse 100 and 4856.5 kilograms."]).vitals == {}


def test_a_medication_always_names_a_drug_never_an_ordinary_word() -> None:
    text = "Take it at bedtime. Numbness in both feet. Sore throat for 2 days. Start lisinopril 10 mg daily."
    assert [m.name for m in extract_medications(text)] == ["lisinopril"]


def test_headers_said_inside_one_utterance_split_the_note() -> None:
    note = structure_note(
        [
            "Cough for two days. Objective. Blood pressure 142 over 88. "
            "Assessment: acute bronchitis. Plan: rest."
        ]
    )
    assert note.subjective == "Cough for 2 days."
    assert note.objective == "Blood pressure 142/88."
    assert note.assessment == "Acute bronchitis."
    assert note.plan == "Rest."


def test_the_soap_command_applies_voice_commands_and_headers_anywhere_in_a_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse
    import io
    import json

    from app.cli import cmd_soap

    lines = "cough for two days. Objective. Blood pressure 142 over 88\n"
    lines += "heart rate 90 scratch that heart rate 80\ngo to plan rest\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))
    assert cmd_soap.run(argparse.Namespace(format="json")) == 0
    note = json.loads(capsys.readouterr().out)
    assert note["vitals"] == {"blood_pressure": "142/88", "heart_rate": 80}
    assert (note["subjective"], note["plan"]) == ("Cough for 2 days.", "Rest.")
    assert note["corrections"] == [] and note["uncertain"] == []


def test_an_utterance_said_without_headers_is_filed_sentence_by_sentence() -> None:
    note = structure_note(
        [
            "Sixty six year old man with chest pressure when he walks uphill. Blood pressure 130 over 80 "
            "and heart rate 62. Methylphenidate 18 milligrams by mouth every morning."
        ]
    )
    data = note.to_dict()
    assert "chest pressure" in data["subjective"] and "130/80" not in data["subjective"]
    assert "130/80" in data["objective"]
    assert "Methylphenidate 18 mg" in data["plan"]


def test_a_sentence_break_inside_an_uncertain_stretch_is_not_cut() -> None:
    tracked = TrackedText("Cough for two days. Blood pressure 130 over 80. Lungs clear.")
    a, b = tracked.text.index("days"), tracked.text.index("pressure") + len("pressure")
    tracked.flag(a, b, score=0.1, pass_name="second_opinion")
    note = structure_note([Utterance(tracked.text, 0.0, 4.0, 0.8, "whisper", tuple(tracked.marks))])
    data = note.to_dict()
    (doubt,) = data["uncertain"]
    assert data[doubt["section"]][doubt["start"] : doubt["end"]] == doubt["text"]
    assert doubt["text"] == "days. Blood pressure"


def test_a_long_sentence_said_without_pauses_is_cut_before_a_reading_and_a_dosed_drug() -> None:
    note = structure_note(
        [
            "Sixty six year old man with chest pressure when he walks uphill that settles with rest "
            "blood pressure was 130 over 80 heart rate of 62 nitroglycerin 0.4 milligrams under the "
            "tongue as needed for chest pain"
        ]
    )
    data = note.to_dict()
    assert data["subjective"].startswith("66 year old man with chest pressure")
    assert "130/80" in data["objective"] and "130/80" not in data["subjective"]
    assert data["plan"].startswith("Nitroglycerin 0.4 mg")


def test_a_cut_never_falls_inside_an_uncertain_stretch() -> None:
    text = (
        "Sixty six year old man with chest pressure when he walks uphill that settles with rest "
        "blood pressure was 130 over 80"
    )
    tracked = TrackedText(text)
    a, b = tracked.text.index("rest"), tracked.text.rindex("pressure") + len("pressure")
    tracked.flag(a, b, score=0.1, pass_name="second_opinion")
    data = structure_note([Utterance(tracked.text, 0.0, 4.0, 0.8, "whisper", tuple(tracked.marks))]).to_dict()
    (doubt,) = data["uncertain"]
    assert doubt["text"] == "rest blood pressure"
    assert data[doubt["section"]][doubt["start"] : doubt["end"]] == doubt["text"]


_PHRASES = [
    "Cough for two days.", "blood pressure 130 over 80", "heart rate 62.", "Subjective.", "objective",
    "assessment", "plan", "metformin 500 milligrams by mouth twice daily", "nitroglycerin 0.4 milligrams",
    "Lungs clear.", "she walks uphill and settles with rest", "Acute bronchitis.", "return in two weeks",
]  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(
    parts=st.lists(st.sampled_from(_PHRASES), min_size=1, max_size=14),
    at=st.floats(min_value=0.0, max_value=1.0),
    length=st.integers(min_value=1, max_value=40),
)
def test_splitting_for_filing_never_loses_or_moves_a_mark(parts: list[str], at: float, length: int) -> None:
    text = " ".join(parts)
    tracked = TrackedText(text)
    words = [m for m in re.finditer(r"[A-Za-z0-9]+", text)]
    first = words[int(at * (len(words) - 1))]
    last = words[min(len(words) - 1, words.index(first) + length // 8)]
    tracked.flag(first.start(), last.end(), score=0.1, pass_name="second_opinion")
    data = structure_note([Utterance(tracked.text, 0.0, 4.0, 0.8, "whisper", tuple(tracked.marks))]).to_dict()
    for mark in data["uncertain"]:
        assert data[mark["section"]][mark["start"] : mark["end"]] == mark["text"]
    flagged = text[first.start() : last.end()]
    heard = [w for w in re.findall(r"[a-z]+", flagged.lower()) if w not in _HEADER_WORDS | _WRITTEN_OTHERWISE]
    if heard:  # the doubtful words that are content stay marked, wherever the header splits them
        marked = " ".join(m["text"] for m in data["uncertain"]).lower()
        assert all(w in marked for w in heard)


_HEADER_WORDS = {"subjective", "objective", "assessment", "plan"}
#: words the note writes otherwise ("two" as 2, "milligrams" as mg, "over" in 130/80)
_WRITTEN_OTHERWISE = {"two", "over", "milligrams", "by", "mouth"}


def test_a_doubtful_stretch_over_a_header_still_holds_its_drug_back() -> None:
    tracked = TrackedText("Lungs clear. Plan. Ketorolac 15 milligrams intramuscular now.")
    a, b = tracked.text.index("Plan"), tracked.text.index("Ketorolac") + len("Ketorolac")
    tracked.flag(a, b, score=None, pass_name="second_opinion")
    note = structure_note([Utterance(tracked.text, 0.0, 4.0, 0.8, "whisper", tuple(tracked.marks))])
    data = note.to_dict()
    assert [(d["section"], d["text"]) for d in data["uncertain"]] == [("plan", "Plan"), ("plan", "Ketorolac")]
    assert data["plan"].startswith("Plan: Ketorolac 15 mg") and data["medications"] == []


def _read_as(heard: str, chosen: str, at: float) -> Utterance:
    """A short utterance the closed set read as a header or command."""
    tracked = TrackedText(heard)
    tracked.replace_text(chosen, "closed_set", score=3.0, note="a short utterance read as a header")
    return Utterance(tracked.text, at, at + 1.0, 0.8, "whisper", tuple(tracked.marks))


def test_a_header_the_closed_set_chose_is_shown_with_its_correction() -> None:
    note = structure_note(
        [
            Utterance("Cough for two days.", 0.0, 1.0, 0.8, "whisper"),
            _read_as("Physic left hand.", "Physical exam.", 1.0),
            Utterance("Lungs clear.", 2.0, 3.0, 0.8, "whisper"),
            _read_as("Assalamu alaikum.", "Assessment.", 3.0),
            Utterance("Acute bronchitis.", 4.0, 5.0, 0.8, "whisper"),
        ]
    )
    data = note.to_dict()
    assert data["objective"] == "Physical exam: Lungs clear."
    assert data["assessment"] == "Assessment: Acute bronchitis."
    fixes = {m["original"]: m for m in data["corrections"]}
    assert set(fixes) == {"Physic left hand", "Assalamu alaikum"}
    for mark in fixes.values():
        assert mark["pass"] == "closed_set"
        assert data[mark["section"]][mark["start"] : mark["end"]] == mark["text"] == mark["new"]
    # the note's own text, without labels, is what it was
    assert note.section_text("assessment", labels=False) == "Acute bronchitis."


def test_words_kept_from_a_doubtful_scratch_give_the_note_no_drug_until_accepted() -> None:
    from audio.commands import apply_commands

    dictated = apply_commands(
        [
            Utterance("Plan. Start metformin 500 milligrams twice daily.", 0.0, 1.0, 0.9, "whisper"),
            _read_as("Scratch relax.", "Scratch that.", 1.0),
            Utterance("Start lisinopril 10 milligrams daily.", 2.0, 3.0, 0.9, "whisper"),
        ]
    )
    data = structure_note(dictated.utterances, sections=dictated.sections).to_dict()
    assert "metformin 500 mg" in data["plan"]
    assert [m["name"] for m in data["medications"]] == ["lisinopril"]
    kept = [m for m in data["uncertain"] if m["pass"] == "kept_from_scratch"]
    assert [m["text"] for m in kept] == ["Plan", "Start metformin 500 mg twice daily"]
    assert all(data["plan"][m["start"] : m["end"]] == m["text"] for m in kept)
