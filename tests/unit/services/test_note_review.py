"""The review of dictation's marks (app.note_review): accept and revert change the words and the
structured fields, marks follow the doctor's edits, review states are kept with the note through save,
sign and amendment, and signing with unreviewed marks needs a confirmation that the note records."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from app import note_review
from app.note_review import (
    ACCEPTED,
    EDITED,
    REVERTED,
    UNREVIEWED,
    NoteMark,
    Reviewer,
    dictated_marks,
    follow_edit,
    read_marks,
    review,
    step,
    write_marks,
)
from app.services import notes
from app.soap import structure_note
from audio.marks import TrackedText
from audio.transcriber import Utterance
from clinicdesk.errors import ValidationError
from models import AuditEvent
from tests.unit.services.conftest import Clinic
from tests.unit.services.test_notes import todays_appointment

DOCTOR = Reviewer("doctor-id", "Dr Who")
NOW = datetime(2030, 5, 6, 9, 30, tzinfo=UTC)


def dictated() -> dict[str, Any]:
    """A dictation whose drug name was recovered ("Acre" -> "aspirin") and one word heard uncertainly."""
    tracked = TrackedText("Plan: start Acre 81 milligrams daily. Follow up in 2 weeks.")
    tracked.apply("drug_recovery", lambda t: t.replace("Acre", "aspirin"), score=2.5)
    at = tracked.text.index("Follow")
    tracked.flag(at, at + 6, score=0.2, pass_name="whisper_word", note="low word probability")
    return structure_note([Utterance(tracked.text, 3.5, 6.0, 0.8, "whisper", tuple(tracked.marks))]).to_dict()


def note_with_marks() -> tuple[dict[str, Any], list[NoteMark]]:
    soap = dictated()
    content = {k: soap[k] for k in ("subjective", "objective", "assessment", "plan")}
    content.update({k: soap[k] for k in ("vitals", "medications", "diagnoses", "corrections", "uncertain")})
    return content, read_marks(content).marks


def structured(content: dict[str, Any]) -> dict[str, Any]:
    return {k: content[k] for k in ("vitals", "medications", "diagnoses")}


def test_a_dictation_s_marks_start_unreviewed_on_their_words() -> None:
    content, marks = note_with_marks()
    assert [(m.kind, m.text, m.state) for m in marks] == [
        ("correction", "aspirin", UNREVIEWED),
        ("uncertain", "Follow", UNREVIEWED),
    ]
    for m in marks:
        assert content[m.section][m.start : m.end] == m.text


def test_marks_of_a_dictation_after_typed_text_point_at_the_dictated_words() -> None:
    soap = dictated()
    typed = "Typed before.\n"
    placed = dictated_marks(soap, offsets={"plan": len(typed)}, id_prefix="2:")
    text = typed + soap["plan"]
    assert [text[m.start : m.end] for m in placed] == ["aspirin", "Follow"]
    assert all(m.id.startswith("2:") for m in placed)


def test_revert_puts_the_heard_words_back_and_takes_the_drug_out_of_the_medications() -> None:
    content, marks = note_with_marks()
    assert [m["name"] for m in content["medications"]] == ["aspirin"]
    change = marks[0]
    done = review(
        marks, change.id, accept=False, text=content["plan"], structured=structured(content),
        reviewer=DOCTOR, now=NOW,
    )  # fmt: skip
    assert done.text.startswith("Start Acre 81 mg daily.")
    assert done.structured["medications"] == []
    assert (done.mark.state, done.mark.by, done.mark.by_name) == (REVERTED, "doctor-id", "Dr Who")
    assert done.mark.at == NOW.isoformat()
    follow = next(m for m in done.marks if m.id != change.id)
    assert done.text[follow.start : follow.end] == "Follow"  # the other mark moved with the words

    # changing one's mind: accept after a revert puts the change and the drug back
    again = review(
        done.marks, change.id, accept=True, text=done.text, structured=done.structured,
        reviewer=DOCTOR, now=NOW,
    )  # fmt: skip
    assert again.text == content["plan"]
    assert [m["name"] for m in again.structured["medications"]] == ["aspirin"]
    assert again.mark.state == ACCEPTED and again.mark.replaced is None


def test_accept_keeps_the_words_and_an_uncertain_word_cannot_be_reverted() -> None:
    content, marks = note_with_marks()
    doubt = marks[1]
    done = review(
        marks, doubt.id, accept=True, text=content["plan"], structured=structured(content),
        reviewer=DOCTOR, now=NOW,
    )  # fmt: skip
    assert done.text == content["plan"] and done.mark.state == ACCEPTED
    with pytest.raises(ValueError, match="automatic change"):
        review(
            marks, doubt.id, accept=False, text=content["plan"], structured=structured(content),
            reviewer=DOCTOR, now=NOW,
        )  # fmt: skip


def disputed() -> dict[str, Any]:
    """A dictation whose drug name the second engine heard otherwise, and a diagnosis only Whisper heard."""
    text = "Assessment: Essential hypertension. Plan: start lisinopril 10 milligrams daily."
    tracked = TrackedText(text)
    at = text.index("lisinopril")
    tracked.flag(
        at, at + len("lisinopril"), score=None, pass_name="second_opinion", note="heard: listen a pill"
    )
    at = text.index("Essential hypertension")
    tracked.flag(at, at + len("Essential hypertension"), score=None, pass_name="only_whisper")
    return structure_note([Utterance(tracked.text, 1.0, 6.0, 0.8, "whisper", tuple(tracked.marks))]).to_dict()


def test_words_the_engines_disputed_give_nothing_until_accepted_and_then_their_drug_or_diagnosis() -> None:
    soap = disputed()
    assert soap["medications"] == [] and soap["diagnoses"] == []  # held back, though still in the text
    assert "lisinopril 10 mg" in soap["plan"] and "Essential hypertension" in soap["assessment"]
    content = {k: soap[k] for k in (*note_review.SOAP_SECTIONS, "vitals", "medications", "diagnoses")}
    content.update({k: soap[k] for k in ("corrections", "uncertain")})
    marks = read_marks(content).marks
    drug = next(m for m in marks if m.text == "lisinopril")
    done = review(
        marks, drug.id, accept=True, text=content["plan"], structured=structured(content),
        reviewer=DOCTOR, now=NOW,
    )  # fmt: skip
    assert [(m["name"], m["dose"], m["unit"]) for m in done.structured["medications"]] == [
        ("lisinopril", "10", "mg")
    ]
    assert done.structured["diagnoses"] == [] and done.text == content["plan"]
    dx = next(m for m in done.marks if m.section == "assessment")
    again = review(
        done.marks, dx.id, accept=True, text=content["assessment"], structured=done.structured,
        reviewer=DOCTOR, now=NOW,
    )  # fmt: skip
    assert [d["text"] for d in again.structured["diagnoses"]] == ["essential hypertension"]
    assert len(again.structured["medications"]) == 1  # nothing twice


def test_a_vital_heard_as_words_stays_when_its_formatting_is_reverted() -> None:
    mark = NoteMark("c1", "correction", "objective", 11, 13, "72", "seventy two", "72", pass_name="numbers")
    text = "Heart rate 72."
    done = review(
        [mark], "c1", accept=False, text=text, structured={"vitals": {"heart_rate": 72}},
        reviewer=DOCTOR, now=NOW,
    )  # fmt: skip
    assert done.text == "Heart rate seventy two."
    assert done.structured["vitals"] == {"heart_rate": 72}


def test_a_revert_of_words_the_formatting_grew_gives_back_only_what_the_pass_changed() -> None:
    # "for the" -> "forty" by the numbers pass; "forty milligrams" was then formatted as "40 mg"
    mark = NoteMark("c1", "correction", "plan", 14, 19, "40 mg", "for the", "forty", pass_name="numbers")
    text = "Atorvastatin, 40 mg nightly."
    done = review(
        [mark], "c1", accept=False, text=text,
        structured={"medications": [{"name": "atorvastatin", "dose": "40", "unit": "mg"}]},
        reviewer=DOCTOR, now=NOW,
    )  # fmt: skip
    assert done.text == "Atorvastatin, for the mg nightly."
    assert done.structured["medications"] == [{"name": "atorvastatin", "dose": None, "unit": "mg"}]
    again = review(
        done.marks, "c1", accept=True, text=done.text, structured=done.structured, reviewer=DOCTOR, now=NOW
    )
    assert again.text == text and again.structured["medications"][0]["dose"] == "40"


def test_marks_follow_typing_before_and_after_them_and_count_as_edited_when_their_words_change() -> None:
    content, marks = note_with_marks()
    text = content["plan"]
    aspirin = text.index("aspirin")

    def after(old: str, new: str, current: list[NoteMark]) -> dict[str, NoteMark]:
        moved = follow_edit(current, "plan", old, new, reviewer=DOCTOR, now=NOW)
        for m in moved:
            assert new[m.start : m.end] == m.text
        return {m.text or m.original: m for m in moved}

    typed_before = text[:aspirin] + "low-dose " + text[aspirin:]
    moved = after(text, typed_before, marks)
    assert set(moved) == {"aspirin", "Follow"} and all(m.state == UNREVIEWED for m in moved.values())

    typing = text[:aspirin] + "l" + text[aspirin:]  # the first letter of "low-dose " typed before it
    assert after(text, typing, marks)["aspirin"].state == UNREVIEWED

    spaced_after = text[: aspirin + 7] + " tablets" + text[aspirin + 7 :]  # after a space: not touched
    assert after(text, spaced_after, marks)["aspirin"].state == UNREVIEWED

    glued = text[: aspirin + 7] + "e" + text[aspirin + 7 :]  # "aspirine": the word itself changed
    edited = after(text, glued, marks)["aspirine"]
    assert (edited.state, edited.by, edited.original) == (EDITED, "doctor-id", "Acre")

    rewritten = text.replace("aspirin", "ASA")
    assert after(text, rewritten, marks)["ASA"].state == EDITED

    deleted = text.replace("Follow up in 2 weeks.", "")
    gone = after(text, deleted, marks)["Follow"]  # the words went: kept with the note, as edited
    assert (gone.text, gone.start == gone.end, gone.state) == ("", True, EDITED)


def test_next_and_previous_go_through_unreviewed_marks_in_reading_order_and_wrap() -> None:
    marks = [
        NoteMark("p", "uncertain", "plan", 0, 3, "abc", "abc", "abc"),
        NoteMark("s", "correction", "subjective", 5, 8, "def", "xyz", "def"),
        NoteMark("a", "uncertain", "assessment", 2, 4, "gh", "gh", "gh", state=ACCEPTED),
    ]
    assert step(marks, forward=True) is marks[1]
    assert step(marks, forward=True, from_mark=marks[1]) is marks[0]  # the accepted one is skipped
    assert step(marks, forward=True, from_mark=marks[0]) is marks[1]  # wraps around
    assert step(marks, forward=False, from_mark=marks[1]) is marks[0]
    assert step(marks, forward=True, from_place=("objective", 0)) is marks[0]


def test_review_states_and_entries_that_are_not_marks_survive_a_round_trip_through_the_json() -> None:
    content, _marks = note_with_marks()
    content["uncertain"].append("not a mark")
    found = read_marks(content)
    done = review(
        found.marks, found.marks[0].id, accept=False, text=content["plan"], structured=structured(content),
        reviewer=DOCTOR, now=NOW,
    )  # fmt: skip
    content["plan"] = done.text
    write_marks(content, done.marks, other=found.other)
    again = read_marks(content)
    assert again.marks == done.marks
    assert content["uncertain"][-1] == "not a mark"
    assert content["corrections"][0]["review"] == {
        "state": REVERTED, "by": "doctor-id", "by_name": "Dr Who", "at": NOW.isoformat(),
    }  # fmt: skip


def test_a_mark_whose_words_moved_elsewhere_is_found_again_and_one_whose_words_went_counts_as_edited() -> (
    None
):
    content, _marks = note_with_marks()
    content["plan"] = "Note added first. " + content["plan"]  # written by a client that did not move marks
    moved = read_marks(content).marks
    assert [content["plan"][m.start : m.end] for m in moved] == ["aspirin", "Follow"]
    content["plan"] = "Rewritten entirely."
    assert {m.state for m in read_marks(content).marks} == {EDITED}


def _draft(clinic: Clinic, content: dict[str, Any]) -> Any:
    appt = todays_appointment(clinic)
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        note = notes.create_note(s, notes.open_encounter(s, appt).id)
        notes.save_draft(s, note.id, content)
    return note


def test_signing_with_unreviewed_marks_needs_their_number_confirmed_and_the_note_records_it(
    clinic: Clinic,
) -> None:
    content, _marks = note_with_marks()
    note = _draft(clinic, content)
    with clinic.store.session(actor_id=clinic.doctor.id) as s, pytest.raises(ValidationError, match="2 auto"):
        notes.sign_note(s, note.id)
    with clinic.store.session(actor_id=clinic.doctor.id) as s, pytest.raises(ValidationError, match="unrev"):
        notes.sign_note(s, note.id, unreviewed_confirmed=1)  # a confirmation for another count
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        signed = notes.sign_note(s, note.id, unreviewed_confirmed=2)
        history = notes.note_history(s, note.id)
        audit = s.scalars(
            select(AuditEvent).where(AuditEvent.resource_id == note.id, AuditEvent.action == "sign")
        ).one()
    record = signed.content[note_review.SIGN_CONFIRMATION]
    assert (record["count"], record["by"], record["by_name"]) == (2, str(clinic.doctor.id), "Dr Who")
    assert record["ids"] == [m.id for m in read_marks(content).marks]
    assert signed.signed_at is not None and record["at"] == signed.signed_at.isoformat()
    assert history[0].content[note_review.SIGN_CONFIRMATION] == record  # in the signed version too
    assert audit.new_values == {"status": "signed", "unreviewed_marks_confirmed": 2}


def test_review_states_are_kept_through_save_sign_and_amendment(clinic: Clinic) -> None:
    content, marks = note_with_marks()
    reviewed = [m.reviewed(ACCEPTED, DOCTOR, NOW) for m in marks]
    write_marks(content, reviewed, other={})
    note = _draft(clinic, content)
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        signed = notes.sign_note(s, note.id)  # every mark reviewed: no confirmation needed
    assert note_review.SIGN_CONFIRMATION not in signed.content
    assert read_marks(signed.content).marks == reviewed
    amended_plan = "Reviewed with patient. " + signed.content["plan"]
    moved = follow_edit(reviewed, "plan", signed.content["plan"], amended_plan, reviewer=DOCTOR, now=NOW)
    change = {"plan": amended_plan}
    write_marks(change, moved, other={})
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        amended = notes.amend_note(s, note.id, change, reason="added a line")
    kept = read_marks(amended.content).marks
    assert [m.state for m in kept] == [ACCEPTED, ACCEPTED]
    assert [amended.content["plan"][m.start : m.end] for m in kept] == ["aspirin", "Follow"]


def test_a_vital_the_second_engine_wrote_otherwise_still_gives_the_vital_but_a_drug_does_not() -> None:
    text = "Objective: blood pressure 142/88. Plan: start amlodipine 5 milligrams daily."
    tracked = TrackedText(text)
    for words in ("142/88", "amlodipine"):
        at = text.index(words)
        tracked.flag(at, at + len(words), score=None, pass_name="second_opinion", note="heard otherwise")
    soap = structure_note([Utterance(tracked.text, 1.0, 6.0, 0.8, "whisper", tuple(tracked.marks))]).to_dict()
    assert soap["vitals"]["blood_pressure"] == "142/88"
    assert soap["medications"] == []
    assert "amlodipine 5 mg" in soap["plan"]
