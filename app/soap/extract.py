"""Vitals, medications and diagnoses pulled out of normalised note text.

Works on the output of ``audio.normalize`` ("blood pressure 150/90", "metformin 500 mg by
mouth twice daily for 30 days"), so the same patterns serve Vosk and Whisper text.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

from app.soap.icd10 import ABBREVIATIONS, COMMON, suggest
from app.soap.vocab import common_drugs, diagnosis_terms, drug_names, longest_matches

_NUM = r"(\d{1,3}(?:\.\d+)?)"
_GAP = r"(?:\s*(?:is|was|of|at|:|=|-|,|\.|reading|measured|today|noted|lying|standing|sitting)?\s*){0,3}"
#: readings a person can have; a value outside is a mishearing, left out rather than filed
_PLAUSIBLE = {
    "heart_rate": (20, 250), "respiratory_rate": (4, 80), "spo2": (50, 100), "bmi": (10, 80),
}  # fmt: skip


#: a reading the doctor took back: "heart rate 92 scratch that heart rate 82", with the command misheard
#: ("scratch at", "Scratch. Note that") and so left in the text
_TAKEN_BACK = re.compile(r"\bscratch\b", re.IGNORECASE)


def _first(pattern: str, text: str, doubtful: list[tuple[int, int]] | None = None) -> re.Match[str] | None:
    """The first match that is not inside a stretch marked as unreadable (``unreadable_vitals``), unless
    the doctor took it back: a later reading of the same vital after "scratch" replaces it. (A reading
    said again without that, "repeat blood pressure", does not: the first is the one filed.)"""
    chosen: re.Match[str] | None = None
    for m in re.finditer(pattern, text, flags=re.IGNORECASE):
        if any(a <= m.start() < b for a, b in doubtful or ()):
            continue
        if chosen is None or _TAKEN_BACK.search(text, chosen.end(), m.start()):
            chosen = m
    return chosen


#: inches said as a word ("5 foot six"), up to eleven
_INCHES = {
    w: n
    for n, w in enumerate(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven"]
    )
}
_INCH_WORDS = r"\b(?:" + "|".join(_INCHES) + r")\b"


def extract_vitals(text: str) -> dict[str, Any]:
    """Only the vitals actually stated; numbers as numbers, units kept where they vary."""
    vitals: dict[str, Any] = {}
    doubtful = unreadable_vitals(text)
    if m := _first(rf"\b(?:blood pressure|bp){_GAP}(\d{{2,3}})\s*/\s*(\d{{2,3}})\b", text, doubtful):
        vitals["blood_pressure"] = f"{m.group(1)}/{m.group(2)}"
    if m := _first(rf"\b(?:heart rate|pulse(?: rate)?|hr){_GAP}{_NUM}", text, doubtful):
        vitals["heart_rate"] = _number(m.group(1))
    if m := _first(
        rf"\b(?:respiratory rate|respiration rate|respirations|respiration|resp rate|rr){_GAP}{_NUM}",
        text,
        doubtful,
    ):
        vitals["respiratory_rate"] = _number(m.group(1))
    if m := _first(rf"\b(?:temperature|temp){_GAP}{_NUM}\s*(?:°\s?([FC])|degrees\s*([FC]))?", text, doubtful):
        value = _number(m.group(1))
        unit = (m.group(2) or m.group(3) or ("F" if value > 50 else "C")).upper()
        vitals["temperature"] = {"value": value, "unit": unit}
    if m := _first(
        rf"\b(?:oxygen saturation|o2 saturation|spo2|sp02|o2 sat|sats|saturation|pulse ox(?:imetry)?|"
        rf"saturating){_GAP}{_NUM}\s*%?",
        text,
        doubtful,
    ):
        vitals["spo2"] = _number(m.group(1))
    elif m := _first(rf"\b(?:o2 )?sat(?:'?s)?{_GAP}(\d{{2,3}})\s*%", text, doubtful):
        vitals["spo2"] = _number(m.group(1))  # "sat 98%", "Sat's 94%": the percent sign says it is one
    if m := _first(
        rf"\b(?:weight|weighs|weighing){_GAP}{_NUM}(?!\.?\d)\s*(kg|lbs?|pounds|kilograms|kilos)?\b",
        text,
        doubtful,
    ):
        # a unit that was not said stays empty: "weight 82" is not 82 kg
        said = (m.group(2) or "").lower()
        unit = {"pounds": "lb", "lbs": "lb", "kilograms": "kg", "kilos": "kg"}.get(said, said or None)
        vitals["weight"] = {"value": _number(m.group(1)), "unit": unit}
    if m := _first(
        rf"\bheight{_GAP}(\d)\s*(?:feet|foot|ft|')\s*(?:(\d{{1,2}}(?![\d.])|{_INCH_WORDS})\s*(?:inches|inch|in|\")?)?",
        text,
        doubtful,
    ):
        # "5 foot 6": the inches are said without their name as often as with it (and a small number
        # stays a word in the written note: "5 foot six")
        said = (m.group(2) or "0").lower()
        inches = int(said) if said.isdigit() else _INCHES[said]
        vitals["height"] = {"value": int(m.group(1)) * 12 + (inches if inches < 12 else 0), "unit": "in"}
    elif m := _first(rf"\bheight{_GAP}{_NUM}\s*(cm|m|in|inches)?\b", text, doubtful):
        unit = (m.group(2) or "").lower().replace("inches", "in") or None
        vitals["height"] = {"value": _number(m.group(1)), "unit": unit}
    if m := _first(rf"\b(?:bmi|body mass index){_GAP}{_NUM}", text, doubtful):
        vitals["bmi"] = _number(m.group(1))
    return {k: v for k, v in vitals.items() if _plausible(k, v)}


def _plausible(key: str, value: Any) -> bool:
    if key in _PLAUSIBLE:
        low, high = _PLAUSIBLE[key]
        whole = key != "bmi"
        number = float(value)
        return low <= number <= high and (not whole or number.is_integer())
    if key == "blood_pressure":
        high, low = (int(x) for x in str(value).split("/"))
        return 60 <= high <= 260 and 30 <= low <= 160 and high > low
    if key == "temperature":
        v, unit = float(value["value"]), value["unit"]
        return (90 <= v <= 110) if unit == "F" else (30 <= v <= 45)
    return True


#: a vital sign's name, and how a reading of it is written after it
_READINGS: list[tuple[str, str]] = [
    (r"blood pressure|bp", r"\d{2,3}\s*/\s*\d{2,3}\b"),
    (r"heart rate|pulse(?! ox)(?: rate)?", r"\d{2,3}\b(?![./]\d)"),  # "pulse ox" is the saturation
    (r"respiratory rate|respirations|respiration|resp rate", r"\d{1,2}\b(?![./]\d)"),
    (r"temperature|temp", r"\d{2,3}(?:\.\d)?\b(?![./]\d)"),
    (r"oxygen saturation|o2 saturation|spo2|saturation|sats|pulse ox(?:imetry)?", r"\d{2,3}\s*%?(?![./]\d)"),
]
_BETWEEN = r"(?:\s*(?:is|was|of|at|:|=|-|,|reading|measured|today|noted|lying|standing|sitting)?\s*){0,3}"


def unreadable_vitals(text: str) -> list[tuple[int, int]]:
    """Character spans where a vital sign's name is followed closely by a number that is no reading of
    it ("blood pressure 134 and man", "pulse 1.08"): the extraction leaves such a vital out, and the note
    marks the words for the doctor rather than guess."""
    spans: list[tuple[int, int]] = []
    for names, reading in _READINGS:
        for m in re.finditer(rf"\b(?:{names})\b", text, flags=re.IGNORECASE):
            after = text[m.end() : m.end() + 40]
            if re.match(rf"{_BETWEEN}{reading}(?!\s+and\s+\d)", after, flags=re.IGNORECASE):
                continue  # a reading ("pulse 100 and 48" is not one: "one hundred and four", run on)
            number = re.match(
                r"(?:\s*[a-z,:]+){0,2}?\s*(\d[\d.,/]*(?:\s+(?:and|an|in|on)\s+\w+)?)",
                after,
                flags=re.IGNORECASE,
            )
            if number is None:
                continue  # no number said: "blood pressure is well controlled" is prose
            spans.append((m.start(), m.end() + number.end()))
    return spans


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() else value


@dataclass
class Medication:
    name: str
    dose: str | None = None
    unit: str | None = None
    route: str | None = None
    frequency: str | None = None
    duration: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


ROUTES: list[tuple[str, str]] = [
    (r"by mouth|orally|oral|p\.?o\.?", "PO"),
    (r"sublingual(?:ly)?", "SL"),
    (r"subcutaneous(?:ly)?|sub q|subq", "SC"),
    (r"intravenous(?:ly)?|i\.?v\.?", "IV"),
    (r"intramuscular(?:ly)?|i\.?m\.?", "IM"),
    (r"inhaled|by inhalation|inhaler|nebuli[sz]ed", "inhaled"),
    (r"topical(?:ly)?|to the skin", "topical"),
    (r"rectal(?:ly)?|per rectum", "PR"),
    (r"in (?:each|both|the) eyes?|ophthalmic", "ophthalmic"),
    (r"nasal(?:ly)?|intranasal(?:ly)?", "nasal"),
]
FREQUENCY_CODES: list[tuple[str, str]] = [
    (r"twice daily|b\.?i\.?d\.?", "BID"),
    (r"three times daily|t\.?i\.?d\.?", "TID"),
    (r"four times daily|q\.?i\.?d\.?", "QID"),
    (r"at bedtime|nightly|every night|q\.?h\.?s\.?", "QHS"),
    (r"every (\d+) hours?", "Q{0}H"),
    (r"once weekly|weekly|every week", "weekly"),
    (r"once daily|daily|every day|once a day|q\.?d\.?|every morning", "daily"),
]
_PRN = re.compile(r"\b(?:as needed|p\.?r\.?n\.?)(?![\w])", re.IGNORECASE)
_DOSE = re.compile(
    r"(\d+(?:\.\d+)?)\s*(mg/kg|mg|mcg|g|mL|units?|IU|mEq|%|puffs?|tablets?|capsules?|drops?)(?![A-Za-z])"
)
#: a salt or a release form said after the drug ("metoprolol succinate", "diltiazem ER"): part of that
#: drug's name as said, never a medication of its own (the long list holds "succinate" alone)
_SALTS = {
    "succinate", "tartrate", "hydrochloride", "hcl", "maleate", "besylate", "mesylate", "fumarate",
    "sulfate", "acetate", "citrate", "bromide", "chloride", "phosphate", "hyclate", "monohydrate",
    "dipropionate", "propionate", "furoate", "valerate", "xinafoate", "sodium", "potassium", "calcium",
    "er", "xl", "sr", "cr", "xr", "la", "dr",
}  # fmt: skip
_DURATION = re.compile(r"\bfor (?:the next |another )?(\d+(?:-\d+)?|a|one) (days?|weeks?|months?)\b")
_WORDS = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")


#: a word before a drug's name that says it is given or taken ("start", "on", "allergic to")
_GIVEN_BEFORE = {
    "start", "started", "starting", "continue", "continued", "continuing", "take", "takes", "taking",
    "took", "on", "prescribe", "prescribed", "give", "given", "giving", "increase", "increased",
    "decrease", "decreased", "stop", "stopped", "restart", "restarted", "switch", "switched", "add",
    "added", "hold", "held", "use", "uses", "using", "apply", "applied", "received", "receiving",
    "trial", "allergic", "allergy",
}  # fmt: skip
_VERB_REACH = 3
#: a word after a drug's name that names its form ("coal tar shampoo", "lidocaine patch")
_FORM = re.compile(
    r"^\s*(?:\d+(?:\.\d+)?\s*%\s*)?(?:cream|ointment|gel|lotion|shampoo|drops?|solution|suspension|"
    r"injection|infusion|patch|patches|inhaler|spray|tablets?|capsules?|syrup|elixir|suppository|"
    r"wash|foam|powder|lozenge)\b",
    re.IGNORECASE,
)


def _prescribed(before: list[str], window: str) -> bool:
    """Whether a name from the long drug list is used as a drug here: given or taken, or dosed, routed,
    timed or named with its form. That list (Health Canada's product names) also holds symptoms and
    ordinary words ("blurred vision", "lightheadedness", "hydration"), which must never become a
    medication; the commonly prescribed generics are medications wherever they are said."""
    if any(w in _GIVEN_BEFORE for w in before) or _FORM.match(window) or _DOSE.search(window):
        return True
    if _PRN.search(window) or _DURATION.search(window):
        return True
    return any(
        re.search(rf"\b(?:{pattern})(?![\w])", window, re.IGNORECASE)
        for pattern, _ in ROUTES + FREQUENCY_CODES
    )


def extract_medications(text: str) -> list[Medication]:
    lowered = text.lower()
    spans = [(m.start(), m.end(), m.group(0)) for m in _WORDS.finditer(lowered)]
    words = [w for _, _, w in spans]
    found = [f for f in longest_matches(words, drug_names()) if f[2] not in _SALTS]
    meds: list[Medication] = []
    seen: set[str] = set()
    for n, (i, j, name) in enumerate(found):
        start = spans[j - 1][1]
        stop = spans[found[n + 1][0]][0] if n + 1 < len(found) else len(text)
        sentence_end = re.search(r"[.;\n](?!\d)", text[start:stop])  # "0.4 mg" is no sentence end
        window = text[start : start + sentence_end.start()] if sentence_end else text[start:stop]
        if name not in common_drugs() and not _prescribed(words[max(0, i - _VERB_REACH) : i], window):
            continue
        med = Medication(name=name)
        if m := _DOSE.search(window):
            med.dose, med.unit = m.group(1), m.group(2)
        for pattern, code in ROUTES:
            if re.search(rf"\b(?:{pattern})(?![\w])", window, flags=re.IGNORECASE):
                med.route = code
                break
        for pattern, code in FREQUENCY_CODES:
            if fm := re.search(rf"\b(?:{pattern})(?![\w])", window, flags=re.IGNORECASE):
                med.frequency = code.format(*fm.groups()) if fm.groups() else code
                break
        if _PRN.search(window):
            med.frequency = f"{med.frequency} PRN" if med.frequency else "PRN"
        if m := _DURATION.search(window):
            count = "1" if m.group(1) in ("a", "one") else m.group(1)
            med.duration = f"{count} {m.group(2)}"
        key = f"{name}|{med.dose}"
        if key not in seen:
            seen.add(key)
            meds.append(med)
    return meds


@dataclass
class Diagnosis:
    text: str
    icd10: str | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


#: terms in the ICD-derived list that are too vague to suggest a code for on their own
_VAGUE = {
    "pain", "disease", "disorder", "history", "injury", "infection", "syndrome", "failure", "mass", "lesion",
    "abnormal", "acute", "chronic", "left", "right", "other", "unspecified", "normal", "stable", "mild",
    "moderate", "severe", "symptoms", "condition", "body", "blood", "heart", "test", "exam", "problem",
    "weight", "care", "pressure", "status", "follow", "patient", "use", "contact", "level", "encounter",
}  # fmt: skip


#: endings of one-word disease names ("gastritis", "osteoporosis", "anemia", "neuropathy")
_DISEASE_ENDINGS = (
    "itis", "osis", "emia", "aemia", "oma", "pathy", "algia", "ism", "ectasis", "plasia", "trophy", "iasis",
    "uria", "rrhea", "cele", "ia", "ness", "phobia", "plegia", "sis",
)  # fmt: skip


def _names_a_disease(term: str) -> bool:
    """One word names a diagnosis only if it is a known one or has a disease's ending: "bowel",
    "inhaled" or "ventricular" in the assessment are no diagnosis of their own."""
    if " " in term or term in COMMON:
        return True
    return term.endswith(_DISEASE_ENDINGS) or term in _common_diagnosis_words()


@lru_cache(maxsize=1)
def _common_diagnosis_words() -> frozenset[str]:
    import resources

    return frozenset(t for t in resources.vocab_lines("common_diagnoses.txt") if " " not in t)


#: how alike (spelling and sound) heard words must be to a listed diagnosis to be a mishearing of it
FRAGMENT_CLOSENESS = 0.8
#: how many heard words on either side of a term found may belong to the longer diagnosis misheard
FRAGMENT_REACH = 2


_Listed = tuple[str, str, str, frozenset[str]]


@lru_cache(maxsize=1)
def _listed_diagnoses() -> dict[str, tuple[_Listed, ...]]:
    """The common diagnoses (phrase, letters, sound key, words) a heard stretch is compared with, by
    each of their words."""
    import resources
    from audio.phonetic import letters, phonetic_key

    phrases = sorted(set(resources.vocab_lines("common_diagnoses.txt")) | set(COMMON))
    by_word: dict[str, list[_Listed]] = {}
    for p in phrases:
        entry = (p, letters(p), phonetic_key(p), frozenset(p.split()))
        for word in entry[3]:
            by_word.setdefault(word, []).append(entry)
    return {w: tuple(entries) for w, entries in by_word.items()}


def fragment_of_misheard(words: list[str], start: int, end: int) -> str | None:
    """The listed diagnosis that ``words[start:end]`` (a term found in them) is only a fragment of a
    mishearing of, else None: with a word or two around it, the heard words sound like a longer listed
    diagnosis that the term is no part of and that shares a word heard beside it ("diabetes myelitis"
    is "diabetes mellitus" misheard, so "myelitis" was never said). A term that is part of that
    diagnosis ("type 2 diabetes" of "type 2 diabetes mellitus") is no fragment. Both engines can mishear
    a term the same way, so agreement between them does not clear it."""
    from audio.phonetic import letters, letters_closeness, phonetic_key

    term = set(words[start:end])
    listed = _listed_diagnoses()
    for a in range(max(0, start - FRAGMENT_REACH), start + 1):
        for b in range(end, min(len(words), end + FRAGMENT_REACH) + 1):
            if (a, b) == (start, end):
                continue
            beside = {w for w in words[a:b] if w not in term}
            candidates = {entry for w in beside for entry in listed.get(w, ())}
            heard = " ".join(words[a:b])
            spelled, key, digits = letters(heard), phonetic_key(heard), re.findall(r"\d+", heard)
            for phrase, p_letters, p_key, p_words in sorted(candidates):
                if (
                    term <= p_words
                    or phrase == heard
                    or not 0.8 <= len(p_letters) / max(1, len(spelled)) <= 1.25
                ):
                    continue
                if re.findall(r"\d+", phrase) != digits:
                    continue  # a number is heard as said ("type 2" is no "type 1" misheard)
                if letters_closeness(spelled, key, p_letters, p_key) >= FRAGMENT_CLOSENESS:
                    return phrase
    return None


#: words before a diagnosis, in its clause, that say it is absent or not yet made ("no evidence of
#: pneumonia", "denies chest pain", "rule out pulmonary embolism"), and after it ("Lyme disease ruled
#: out"): such a term is no diagnosis of this visit, and listing it with its code would be a diagnosis
#: the doctor did not make
_NEGATION_BEFORE = re.compile(
    r"\b(?:no|not|denies|denied|deny|without|negative for|free of|rule out|ruled out|rules out|r/o|"
    r"rather than|instead of|unlikely to be|no sign of|no signs of|no evidence of|resolved)\b"
)
_NEGATION_AFTER = re.compile(
    r"^\W*(?:(?:was|is|has been|have been|has|been)\s+)?(?:ruled out|excluded|unlikely|not likely|"
    r"negative|resolved)\b"
)
_CLAUSE_END = re.compile(r"[.;:!?\n]|\bbut\b|\bhowever\b")
#: how many words before a diagnosis a negation still reaches
_NEGATION_REACH = 6


def _negated(lowered: str, spans: list[re.Match[str]], i: int, j: int) -> bool:
    start = spans[max(0, i - _NEGATION_REACH)].start() if i > 0 else spans[i].start()
    before = lowered[start : spans[i].start()]
    ends = list(_CLAUSE_END.finditer(before))
    if ends:
        before = before[ends[-1].end() :]
    if _NEGATION_BEFORE.search(before):
        return True
    after = lowered[spans[j - 1].end() : spans[j - 1].end() + 40]
    return bool(_NEGATION_AFTER.match(after))


_TYPE_TWO = re.compile(r"type two", re.IGNORECASE)


def _diagnosis_words(text: str) -> str:
    return _TYPE_TWO.sub("type 2", text).lower()


def _found_diagnoses(words: list[str]) -> list[tuple[int, int, str]]:
    terms = diagnosis_terms() | frozenset(COMMON)
    return [
        (i, j, term)
        for i, j, term in longest_matches(words, terms, max_words=6)
        if term not in _VAGUE and (len(term) >= 4 or term in ABBREVIATIONS) and _names_a_disease(term)
    ]


def misheard_diagnoses(text: str) -> list[tuple[int, int, str]]:
    """Character spans of ``text`` where a term found is only a fragment of a longer diagnosis misheard
    (``fragment_of_misheard``), with that diagnosis: left out of the structured diagnoses, and shown to
    the doctor as uncertain words."""
    lowered = _diagnosis_words(text)
    spans = [(m.start(), m.end()) for m in _WORDS.finditer(lowered)]
    words = [lowered[a:b] for a, b in spans]
    out: list[tuple[int, int, str]] = []
    for i, j, _ in _found_diagnoses(words):
        listed = fragment_of_misheard(words, i, j)
        if listed is not None:
            out.append((spans[i][0], spans[j - 1][1], listed))
    return out


def extract_diagnoses(text: str) -> list[Diagnosis]:
    cased = _TYPE_TWO.sub("type 2", text)  # the same length as ``lowered``, for the capitals
    lowered = _diagnosis_words(text)
    spans = list(_WORDS.finditer(lowered))
    words = [m.group(0) for m in spans]
    out: list[Diagnosis] = []
    seen: set[str] = set()
    for i, j, term in _found_diagnoses(words):
        if term in seen or _negated(lowered, spans, i, j):
            continue
        if term in ABBREVIATIONS and not cased[spans[i].start() : spans[i].end()].isupper():
            continue  # "CAD" is the disease, "cad" a word
        if fragment_of_misheard(words, i, j) is not None:
            continue  # part of a longer diagnosis misheard: the doctor reads it in the text, marked
        code = suggest(term)
        if code is None:
            continue
        seen.add(term)
        out.append(Diagnosis(text=term, icd10=code))
    return out
