"""Spoken section headers and voice commands, found wherever they fall in an utterance.

A doctor does not pause before every header: Whisper writes "... for two days. Objective. Blood
pressure 142 over 88 ..." as one utterance, and Vosk the same without punctuation. Both the dictation
session (commands, the assessment the diagnosis recovery listens to) and the SOAP structuring (sections)
read headers and commands through this module, so the CLI, the window and the benchmarks agree.

Header words also start ordinary sentences ("Plan to recheck", "the exam was normal", "a new line of
treatment"), so where a phrase counts as a header depends on what is around it:

- at the start of an utterance: alone, or followed by a mark (":" "." ","), or (for the vital signs
  header) straight by a vital sign's name; unpunctuated text (Vosk) has no marks to give, so there a
  leading header counts unless the next word continues a sentence ("vitals are normal");
- inside an utterance: after a sentence mark and before a mark or the end ("... two days. Objective.
  ..."), or after a sentence mark followed by a vital sign's name; or, with no marks at all, only the
  headers no sentence uses ("physical exam", "review of systems", "objective" ...), never after a word
  such as "the" or "of" and never before one that continues a sentence;
- inside an utterance that has already named an earlier section, the name of the section that comes
  next in S-O-A-P order, with the same guards on the words around it ("... objective ... tenderness
  assessment ulcerative colitis flare plan mesalamine ..."): a doctor dictating without pauses says the
  sections in order, and a sentence that uses the word in passing rarely does so right after another
  section's header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from models.enums import SOAP_SECTIONS

SECTIONS = SOAP_SECTIONS
#: the combined "assessment and plan" header; its utterances are split A/P by the classifier
ASSESSMENT_AND_PLAN = "assessment_and_plan"

_S, _O, _A, _P, _AP = "subjective", "objective", "assessment", "plan", ASSESSMENT_AND_PLAN

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
    "assessment and planned": (_AP, None),  # Whisper's writing of the header run into its content
    "assessment slash plan": (_AP, None),
    "assessment plan": (_AP, None),  # "Assessment/plan", its slash not a word
    "impression slash plan": (_AP, None),
    "impression plan": (_AP, None),
    "a and p": (_AP, None),
    "recommendations": (_P, "Recommendations"),
    "disposition": (_P, "Disposition"),
}
#: headers that may start an utterance followed by its content ("plan metformin 500 mg ...");
#: the rest only count when said alone, because they also start ordinary sentences ("history of ...").
LEADING_OK = {
    "subjective", "objective", "assessment", "plan", "assessment and plan", "chief complaint",
    "history of present illness", "review of systems", "physical exam", "physical examination", "vitals",
    "vital signs", "impression", "results", "exam", "hpi", "ros", "social history", "family history",
    "past medical history", "allergies", "current medications", "instructions", "medications",
    "impression and plan", "assessment and planned", "assessment slash plan", "assessment plan",
    "impression slash plan", "impression plan", "a and p", "diagnosis",
    "diagnoses", "recommendations", "disposition",
}  # fmt: skip
#: headers no ordinary sentence says in passing: counted inside unpunctuated text too
DISTINCT = {
    "subjective", "objective", "chief complaint", "history of present illness", "review of systems",
    "physical exam", "physical examination", "assessment and plan", "impression and plan", "vital signs",
    "past medical history", "assessment and planned", "assessment slash plan", "impression slash plan",
}  # fmt: skip
#: the four sections' own names: at the start of an utterance they lead their content even without a mark
SECTION_NAMES = {"subjective", "objective", "assessment", "plan", "assessment and plan"}
#: section headers taken inside a long run-on stretch with no marks around them (with the guards on the
#: words before and after); a run-on is at least RUN_ON_WORDS words with fewer than one full stop per
#: RUN_ON_WORDS_PER_MARK words
RUN_ON_OK = {"assessment", "plan", "impression", "assessment and plan", "vitals", "vital signs"}
RUN_ON_WORDS = 25
RUN_ON_WORDS_PER_MARK = 15
#: a header word followed by one of these is the subject of a sentence ("vitals are normal")
CONTINUES_SENTENCE = {
    "of", "is", "are", "was", "were", "look", "looks", "looked", "signs", "within", "show", "shows", "showed",
    "revealed", "reveals", "to", "for", "has", "have", "had", "will", "would", "remain", "remains",
}  # fmt: skip
#: ... and inside an utterance, where a header word is likelier to be prose, these too
CONTINUES_INSIDE = CONTINUES_SENTENCE | {
    "fever", "fevers", "complaint", "complaints", "symptoms", "findings", "evidence", "and", "or", "with",
    "on", "that", "as", "by", "at", "in", "from", "b", "c", "today", "it", "we",
}  # fmt: skip
#: a header word after one of these is part of a sentence ("the plan", "on exam", "her history")
BEFORE_IN_SENTENCE = {
    "the", "a", "an", "my", "our", "his", "her", "their", "your", "its", "this", "that", "of", "on", "in",
    "for", "to", "and", "or", "with", "no", "any", "treatment", "care", "further", "initial", "full",
    "eye", "skin", "neurological", "neurologic", "breast", "pelvic", "rectal", "foot", "prior", "repeat",
    "follow", "up", "discussed", "reviewed", "clinical", "physical", "medical", "surgical", "social",
    "family", "past", "current", "new",
}  # fmt: skip
#: what a list of vital signs starts with: "Vitals blood pressure 142/88" needs no colon to be read
VITAL_STARTS = (
    "blood pressure", "bp", "heart rate", "pulse", "respiratory rate", "respirations", "temperature", "temp",
    "oxygen saturation", "saturation", "spo2", "o2 sat", "weight", "height", "bmi",
)  # fmt: skip
#: the sections a dictation names after each one (see the module's docstring), and the content words
#: that must separate two headers for the second to count by order alone
_NEXT = {_S: (_O,), _O: (_A, _AP), _A: (_P,)}
_ORDER_GAP = 2
#: the words that make a section's name part of a noun phrase ("the Tinetti assessment tool", "a risk
#: assessment", "her birth plan"), where order alone does not make it a header
_NOUN_AFTER = {"tool", "tools", "scale", "score", "form", "forms", "questionnaire", "team", "visit", "note"}
_NOUN_BEFORE = {
    "risk", "safety", "nursing", "cognitive", "functional", "pain", "fall", "falls", "nutritional",
    "geriatric", "psychiatric", "birth", "management", "action", "exercise", "diet", "meal", "payment",
    "insurance", "health", "discharge", "home", "dental", "phone", "data", "family", "group",
}  # fmt: skip
_VITALS_FIRST = {"vitals", "vital signs", "objective", "physical exam", "exam", "physical examination"}
_MAX_WORDS = max(len(h.split()) for h in HEADERS)
_WORD = re.compile(r"[A-Za-z0-9]+")
#: a mark that ends a sentence before a header, and one that sets a header off after it
_SENTENCE_END = re.compile(r"[.!?;:\n]")
_MARK_AFTER = re.compile(r"^\s*[:.,;!?\u2014-]")


@dataclass(frozen=True)
class Found:
    """A header or command at characters ``start:end`` of a text (its words and any mark after them)."""

    phrase: str
    start: int
    end: int


@dataclass(frozen=True)
class HeaderFound(Found):
    section: str
    label: str | None


def _words(text: str) -> list[re.Match[str]]:
    return list(_WORD.finditer(text))


def _punctuated(text: str) -> bool:
    return bool(re.search(r"[.,:;!?]", text))


def _end_with_mark(text: str, end: int) -> int:
    m = _MARK_AFTER.match(text[end:])
    return end + m.end() if m else end


def _names_a_vital(words: list[str]) -> bool:
    following = " ".join(words[:2])
    return any(following == v or following.startswith(v + " ") for v in VITAL_STARTS)


def find_headers(text: str) -> list[HeaderFound]:
    """Every spoken header in ``text``, in order (see the module's docstring for where one counts)."""
    words = _words(text)
    lowered = [w.group(0).lower() for w in words]
    punctuated = _punctuated(text)
    found: list[HeaderFound] = []
    i = 0
    last_end = -1  # the word index after the last header found, -1 before any
    while i < len(words):
        expected = _next_sections(found[-1].section) if found and i - last_end >= _ORDER_GAP else ()
        match = _header_at(text, words, lowered, i, punctuated=punctuated, expected=expected)
        if match is None:
            i += 1
            continue
        n, phrase = match
        section, label = HEADERS[phrase]
        start, end = words[i].start(), _end_with_mark(text, words[i + n - 1].end())
        found.append(HeaderFound(phrase, start, end, section, label))
        i += n
        last_end = i
    return found


def _next_sections(section: str) -> tuple[str, ...]:
    """The sections a dictation goes on to after ``section``, in S-O-A-P order."""
    return _NEXT.get(section, ())


def _header_at(
    text: str,
    words: list[re.Match[str]],
    lowered: list[str],
    i: int,
    *,
    punctuated: bool,
    expected: tuple[str, ...] = (),
) -> tuple[int, str] | None:
    for n in range(min(_MAX_WORDS, len(words) - i), 0, -1):
        phrase = " ".join(lowered[i : i + n])
        if phrase not in HEADERS:
            continue
        if _counts(text, words, lowered, i, n, phrase, punctuated=punctuated):
            return n, phrase
        if phrase in SECTION_NAMES and HEADERS[phrase][0] in expected and _in_order(words, lowered, i, n):
            return n, phrase
    return None


def _in_order(words: list[re.Match[str]], lowered: list[str], i: int, n: int) -> bool:
    """A section's name said next in order inside an utterance counts, unless the words around it make
    it prose ("the plan", "assessment of", "plan to") or nothing follows it."""
    after = lowered[i + n :]
    if i == 0 or not after or after[0] in CONTINUES_INSIDE or after[0] in _NOUN_AFTER:
        return False
    return lowered[i - 1] not in BEFORE_IN_SENTENCE and lowered[i - 1] not in _NOUN_BEFORE


def _counts(
    text: str,
    words: list[re.Match[str]],
    lowered: list[str],
    i: int,
    n: int,
    phrase: str,
    *,
    punctuated: bool,
) -> bool:
    after = lowered[i + n :]
    last = words[i + n - 1]
    alone_after = not after
    marked_after = bool(_MARK_AFTER.match(text[last.end() :])) or alone_after
    vital_next = phrase in _VITALS_FIRST and _names_a_vital(after)
    following = CONTINUES_SENTENCE if i == 0 else CONTINUES_INSIDE
    continues = bool(after) and after[0] in following and not vital_next and not marked_after
    if i == 0:
        if alone_after:
            return True
        if phrase not in LEADING_OK or continues:
            return False
        run_on = phrase in RUN_ON_OK and _run_on(text, len(words))
        named = phrase in SECTION_NAMES  # "Plan on moxicillin ...": Whisper left out the full stop
        return marked_after or vital_next or not punctuated or phrase in DISTINCT or run_on or named
    before = text[words[i - 1].end() : words[i].start()]
    if lowered[i - 1] in BEFORE_IN_SENTENCE and not _SENTENCE_END.search(before):
        return False
    if continues:
        return False
    if _SENTENCE_END.search(before) and phrase in LEADING_OK:
        # a section's own name starting a sentence leads it, as at the start of an utterance: "... on
        # both sides. Assessment bronchitis. Plan nasal suction ..." (not "Plan to", caught above)
        return marked_after or vital_next or phrase in DISTINCT or phrase in SECTION_NAMES
    if ":" in text[last.end() : last.end() + 2] and phrase in LEADING_OK:
        return True  # "... sinuses, assessment: acute sinusitis"
    if marked_after and phrase in SECTION_NAMES and after:
        return True  # Whisper put the full stop after the header: "... was normal assessment. Constipation"
    if phrase in RUN_ON_OK and _run_on(text, len(words)):
        return True  # a dictation said without pauses, written without full stops: "... swelling assessment"
    return phrase in DISTINCT


def _run_on(text: str, words: int) -> bool:
    """A long stretch written with hardly a full stop (Whisper on a dictation said without pauses)."""
    return words >= RUN_ON_WORDS and len(_SENTENCE_END.findall(text)) * RUN_ON_WORDS_PER_MARK < words


def match_leading_header(text: str) -> HeaderFound | None:
    """The header an utterance starts with, if any."""
    found = find_headers(text)
    return found[0] if found and found[0].start == _first_word_start(text) else None


def _first_word_start(text: str) -> int:
    m = _WORD.search(text)
    return m.start() if m else 0


# ---------------------------------------------------------------- voice commands


@dataclass(frozen=True)
class CommandFound(Found):
    name: str  # new_paragraph, new_line, scratch_that, go_to, stop
    argument: str | None = None


_COMMANDS: dict[str, tuple[str, str | None]] = {
    "new paragraph": ("new_paragraph", None),
    "next paragraph": ("new_paragraph", None),
    "new line": ("new_line", None),
    "next line": ("new_line", None),
    "scratch that": ("scratch_that", None),
    "undo that": ("scratch_that", None),
    "delete that": ("scratch_that", None),
    "stop dictation": ("stop", None),
    "stop dictating": ("stop", None),
    "end dictation": ("stop", None),
    **{f"go to {s}": ("go_to", s) for s in SECTIONS},
    **{f"go to the {s}": ("go_to", s) for s in SECTIONS},
}
#: "a new line of treatment", "the next line": a line said as a noun is no command
_LINE_BEFORE = {"a", "the", "another", "first", "second", "this", "that", "one", "its"}
_LINE_AFTER = {"of", "is", "was", "therapy", "treatment", "agent", "drug", "medication"}
_COMMAND_WORDS = max(len(c.split()) for c in _COMMANDS)


def find_commands(text: str) -> list[CommandFound]:
    """Every voice command in ``text``, in order. The phrases are ones no note says, except "new line"
    and "next line", which are no command after "a"/"the" or before "of"."""
    words = _words(text)
    lowered = [w.group(0).lower() for w in words]
    found: list[CommandFound] = []
    i = 0
    while i < len(words):
        for n in range(min(_COMMAND_WORDS, len(words) - i), 1, -1):
            phrase = " ".join(lowered[i : i + n])
            if phrase not in _COMMANDS:
                continue
            name, argument = _COMMANDS[phrase]
            if name == "new_line" and (
                (i > 0 and lowered[i - 1] in _LINE_BEFORE)
                or (i + n < len(words) and lowered[i + n] in _LINE_AFTER)
            ):
                continue
            if name == "go_to" and argument == "assessment" and lowered[i + n : i + n + 2] == ["and", "plan"]:
                n += 2  # "go to assessment and plan": the assessment, and both follow from there
            start, end = words[i].start(), _end_with_mark(text, words[i + n - 1].end())
            found.append(CommandFound(phrase, start, end, name, argument))
            i += n - 1
            break
        i += 1
    return found
