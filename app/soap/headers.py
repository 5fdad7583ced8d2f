"""Spoken section headers: the doctor's own structure always wins over the classifier."""

from __future__ import annotations

import re
from dataclasses import dataclass

from models.enums import SOAP_SECTIONS

SECTIONS = SOAP_SECTIONS
#: the combined "assessment and plan" header; its utterances are split A/P by the classifier
ASSESSMENT_AND_PLAN = "assessment_and_plan"

_S = "subjective"
_O = "objective"
_A = "assessment"
_P = "plan"
_AP = ASSESSMENT_AND_PLAN

#: spoken header -> (section, label kept in the note; None for the section's own name)
HEADERS: dict[str, tuple[str, str | None]] = {
    "subjective": (_S, None),
    "chief complaint": (_S, "Chief complaint"),
    "cc": (_S, "Chief complaint"),
    "presenting complaint": (_S, "Chief complaint"),
    "pc": (_S, "Chief complaint"),
    "history of present illness": (_S, "History of present illness"),
    "history of presenting illness": (_S, "History of present illness"),
    "history of presenting complaint": (_S, "History of present illness"),
    "hpi": (_S, "History of present illness"),
    "hpc": (_S, "History of present illness"),
    "review of systems": (_S, "Review of systems"),
    "review of symptoms": (_S, "Review of systems"),
    "ros": (_S, "Review of systems"),
    "history": (_S, "History"),
    "medical history": (_S, "Medical history"),
    "past medical history": (_S, "Past medical history"),
    "past history": (_S, "Past history"),
    "pmh": (_S, "Past medical history"),
    "surgical history": (_S, "Surgical history"),
    "past surgical history": (_S, "Past surgical history"),
    "social history": (_S, "Social history"),
    "family history": (_S, "Family history"),
    "birth history": (_S, "Birth history"),
    "medications": (_S, "Medications"),
    "current medications": (_S, "Current medications"),
    "drug history": (_S, "Medications"),
    "allergies": (_S, "Allergies"),
    "objective": (_O, None),
    "exam": (_O, "Exam"),
    "examination": (_O, "Exam"),
    "physical exam": (_O, "Physical exam"),
    "physical examination": (_O, "Physical exam"),
    "on examination": (_O, "Exam"),
    "vitals": (_O, "Vitals"),
    "vital signs": (_O, "Vitals"),
    "vitals reviewed": (_O, "Vitals"),
    "results": (_O, "Results"),
    "labs": (_O, "Labs"),
    "lab results": (_O, "Labs"),
    "imaging": (_O, "Imaging"),
    "assessment": (_A, None),
    "impression": (_A, "Impression"),
    "diagnosis": (_A, "Diagnosis"),
    "diagnoses": (_A, "Diagnosis"),
    "plan": (_P, None),
    "instructions": (_P, "Instructions"),
    "patient instructions": (_P, "Instructions"),
    "assessment and plan": (_AP, None),
    "impression and plan": (_AP, None),
}
#: headers that may start an utterance followed by its content ("plan metformin 500 mg ...");
#: the rest only count when said alone, because they also start ordinary sentences ("history of ...").
LEADING_OK = {
    "subjective", "objective", "assessment", "plan", "assessment and plan", "chief complaint",
    "history of present illness", "review of systems", "physical exam", "physical examination", "vitals",
    "vital signs", "impression", "results", "exam", "hpi", "ros", "social history", "family history",
    "past medical history", "allergies", "current medications", "instructions", "medications",
}  # fmt: skip

#: a header word followed by one of these is the subject of a sentence ("vitals are normal")
_CONTINUES_SENTENCE = {
    "of", "is", "are", "was", "were", "look", "looks", "looked", "signs", "within", "show", "shows", "showed",
    "revealed", "reveals", "to", "for", "has", "have", "had", "will", "would", "remain", "remains",
}  # fmt: skip
_MAX_WORDS = max(len(h.split()) for h in HEADERS)
_WORDS = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class HeaderMatch:
    section: str
    label: str | None
    rest: str  # the utterance's text after the header (may be empty)


def match_header(text: str) -> HeaderMatch | None:
    """The header an utterance starts with, if any ("Physical exam: ..." and "physical exam" alike)."""
    lowered = text.strip().lower()
    words = _WORDS.findall(lowered[:120])
    if not words:
        return None
    for n in range(min(_MAX_WORDS, len(words)), 0, -1):
        phrase = " ".join(words[:n])
        if phrase not in HEADERS:
            continue
        alone = n == len(words)
        if not alone and (
            phrase not in LEADING_OK or not (_separated(text, n) or _names_a_vital_next(phrase, words[n:]))
        ):
            continue
        section, label = HEADERS[phrase]
        rest = _after_words(text, n) if not alone else ""
        if rest and rest.split()[0].lower() in _CONTINUES_SENTENCE:
            continue
        return HeaderMatch(section, label, rest)
    return None


#: what a list of vital signs starts with: "Vitals blood pressure 142/88" needs no colon to be read
_VITAL_STARTS = (
    "blood pressure", "bp", "heart rate", "pulse", "respiratory rate", "respirations", "temperature", "temp",
    "oxygen saturation", "saturation", "spo2", "o2 sat", "weight", "height", "bmi",
)  # fmt: skip


def _names_a_vital_next(phrase: str, rest: list[str]) -> bool:
    """ "Vitals blood pressure ...": the vital signs header followed straight by a vital sign's name."""
    following = " ".join(rest[:2])
    return phrase in ("vitals", "vital signs") and any(
        following == v or following.startswith(v + " ") for v in _VITAL_STARTS
    )


def _separated(text: str, n: int) -> bool:
    """Punctuated text needs a mark after a leading header ("Vitals: ..." yes, "Vitals look good" no);
    unpunctuated (Vosk) text has none to give, so the header words alone decide."""
    if not re.search(r"[.,:;!?]", text):
        return True
    for count, m in enumerate(re.finditer(r"[A-Za-z0-9]+", text), start=1):
        if count == n:
            return bool(re.match(r"\s*[:.,;—-]", text[m.end() :]))
    return False


def _after_words(text: str, n: int) -> str:
    """The original text after its first n words, without the colon or dash that followed them."""
    for count, m in enumerate(re.finditer(r"[A-Za-z0-9]+", text), start=1):
        if count == n:
            return text[m.end() :].lstrip(" :;,.-—\t").strip()
    return ""
