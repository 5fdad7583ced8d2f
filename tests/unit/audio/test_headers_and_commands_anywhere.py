"""Headers and voice commands are recognised wherever they fall in an utterance (issue 12, item 1)."""

from __future__ import annotations

from audio.commands import apply_commands
from audio.diagnosis_rescore import follow_sections
from audio.marks import TrackedText
from audio.spoken import find_commands, find_headers
from audio.transcriber import Utterance


def _u(text: str, start: float = 0.0) -> Utterance:
    return Utterance(text, start, start + 1.0, 0.9, "test")


def _headers(text: str) -> list[str]:
    return [h.section for h in find_headers(text)]


def test_a_header_inside_a_punctuated_run_on_utterance_is_found() -> None:
    assert _headers("Cough for two days. Objective. Blood pressure 142 over 88.") == ["objective"]
    assert _headers("Lungs clear. Assessment: acute bronchitis. Plan: rest and fluids.") == [
        "assessment",
        "plan",
    ]


def test_a_sections_own_name_starting_a_sentence_inside_an_utterance_leads_it_without_a_mark() -> None:
    text = "Crackles on both sides. Assessment bronchiolitis. Plan nasal suction and small feeds."
    assert _headers(text) == ["assessment", "plan"]
    # a sentence that only starts with the word is still prose
    assert _headers("Lungs clear. Plan to recheck in a week. Assessment of the wound was done.") == []


def test_a_distinct_header_inside_unpunctuated_text_is_found() -> None:
    text = "cough for twelve days objective temperature ninety nine point four"
    (found,) = find_headers(text)
    assert found.section == "objective" and text[found.start : found.end] == "objective"
    assert _headers("for two months physical exam painful arc") == ["objective"]


def test_the_next_section_in_order_is_a_header_inside_a_run_on_sentence() -> None:
    text = (
        "Objective heart rate 96 mild lower abdominal tenderness assessment ulcerative colitis flare "
        "plan mesalamine 2.4 grams by mouth once daily."
    )
    assert _headers(text) == ["objective", "assessment", "plan"]
    haze = "Objective. A small corneal ulcer with surrounding haze assessment bacterial keratitis. Plan."
    assert _headers(haze) == ["objective", "assessment", "plan"]


def test_a_section_name_out_of_order_or_in_a_noun_phrase_stays_prose() -> None:
    # no earlier section named in the utterance: nothing to follow
    assert _headers("Tenderness over the sinus assessment bacterial sinusitis.") == []
    # the plan does not follow the subjective
    assert _headers("Subjective. She has a birth control plan she likes.") == ["subjective"]
    for prose in (
        "Physical exam. Gait tested using the Tinetti assessment tool without an aid.",
        "Physical exam. Home safety assessment and gait training.",
        "Objective. Mood is low with a fall risk assessment pending.",
        "Objective. Lungs clear assessment of gait was normal.",
    ):
        assert _headers(prose) == ["objective"], prose


def test_header_words_in_ordinary_sentences_are_not_headers() -> None:
    for prose in (
        "Plan to recheck in a week.",
        "We discussed the plan with her.",
        "He reports subjective fevers.",
        "On physical exam there is tenderness.",
        "Vitals are stable.",
        "A review of systems was negative.",
        "history and physical exam done",
    ):
        assert find_headers(prose) == [], prose


def test_commands_inside_an_utterance_are_found_but_a_line_of_therapy_is_no_command() -> None:
    assert [c.name for c in find_commands("lungs clear new paragraph heart regular")] == ["new_paragraph"]
    assert [(c.name, c.argument) for c in find_commands("go to plan follow up in two weeks")] == [
        ("go_to", "plan")
    ]
    assert find_commands("start a new line of therapy") == []


def test_scratch_that_inside_an_utterance_drops_only_the_words_before_it() -> None:
    out = apply_commands([_u("cough for a week"), _u("heart rate 92 scratch that heart rate 82")])
    assert [u.text for u in out.utterances] == ["cough for a week", "heart rate 82"]


def test_go_to_inside_an_utterance_sends_the_rest_to_that_section() -> None:
    out = apply_commands([_u("no fever go to plan follow up in two weeks")])
    assert [u.text for u in out.utterances] == ["no fever", "follow up in two weeks"]
    assert out.sections == [None, "plan"]


def test_a_command_split_keeps_each_mark_with_its_own_words() -> None:
    tracked = TrackedText("Start Acre 81 milligrams new paragraph follow up")
    tracked.apply("drug_recovery", lambda t: t.replace("Acre", "aspirin"), score=2.0)
    u = Utterance(tracked.text, 0.0, 2.0, 0.9, "test", tuple(tracked.marks))
    first, second = apply_commands([u]).utterances
    (mark,) = first.marks
    assert first.text[mark.start : mark.end] == "aspirin" and second.marks == ()


def test_the_assessment_is_followed_through_headers_said_mid_utterance() -> None:
    step = follow_sections("Lungs clear. Assessment: acute gout. Plan: colchicine.", False)
    assert step.in_assessment is False
    text = "Lungs clear. Assessment: acute gout. Plan: colchicine."
    assert step.content_start is not None and step.content_end is not None
    assert text[step.content_start : step.content_end].strip(" .") == "acute gout"
    assert follow_sections("Plan.", True).in_assessment is False
    assert follow_sections("go to assessment", False).in_assessment is True


def test_a_scratch_that_read_from_other_words_keeps_what_it_would_drop_marked() -> None:
    said = _u("Start metformin 500 milligrams twice daily.")
    command = TrackedText("Scratch relax.")
    command.replace_text("Scratch that.", "closed_set", score=3.1, note="a short utterance read as a command")
    heard = Utterance(command.text, 1.0, 2.0, 0.9, "test", tuple(command.marks))
    out = apply_commands([said, heard, _u("Start metformin 1000 milligrams twice daily.", 3.0)])
    assert [u.text for u in out.utterances] == [said.text, "Start metformin 1000 milligrams twice daily."]
    (kept,) = out.utterances[0].marks
    assert (kept.kind, kept.pass_name) == ("uncertain", "kept_from_scratch") and "relax" in kept.note
    assert said.text[kept.start : kept.end] == "Start metformin 500 milligrams twice daily."


def test_a_scratch_that_as_heard_drops_the_words_before_it() -> None:
    out = apply_commands([_u("Start metformin 500 milligrams."), _u("Scratch that.", 1.0)])
    assert out.utterances == []


def test_the_combined_header_said_or_written_other_ways_is_assessment_and_plan() -> None:
    for said in ("A and P. Pneumonia.", "Assessment slash plan. Pneumonia.", "Assessment/plan: pneumonia"):
        assert _headers(said) == ["assessment_and_plan"], said
    assert _headers("Diagnosis: pneumonia. Recommendations: rest and fluids.") == ["assessment", "plan"]
    for prose in ("A and P are normal.", "The diagnosis is pneumonia.", "Her recommendations were followed."):
        assert _headers(prose) == [], prose


def test_words_a_go_to_read_from_other_words_placed_carry_a_mark_that_holds_nothing() -> None:
    from app.soap import structure_note

    command = TrackedText("Go to objections.")
    command.replace_text(
        "Go to objective.", "closed_set", score=2.4, note="a short utterance read as a command"
    )
    heard = Utterance(command.text, 1.0, 2.0, 0.9, "test", tuple(command.marks))
    out = apply_commands([_u("Cough for two days."), heard, _u("Pulse 88 on metoprolol 25 milligrams.", 3.0)])
    assert out.sections == [None, "objective"]
    (placed,) = out.utterances[1].marks
    assert placed.pass_name == "placed_by_command" and "objections" in placed.note
    data = structure_note(out.utterances, sections=out.sections).to_dict()
    assert data["vitals"] == {"heart_rate": 88} and [m["name"] for m in data["medications"]] == ["metoprolol"]
    (shown,) = [m for m in data["uncertain"] if m["pass"] == "placed_by_command"]
    assert (
        shown["section"] == "objective" and data["objective"][shown["start"] : shown["end"]] == shown["text"]
    )
