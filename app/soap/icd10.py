"""ICD-10-CM code suggestions for diagnoses named in a note.

Suggestions, not coding: the clinician confirms them. Common primary-care wordings map straight to
their usual code; anything else goes to the ICD-10-CM description that contains all of the term's
words with the least else, preferring "unspecified" and shorter codes, because that is what a coder
would pick with no more detail in the note.
"""

from __future__ import annotations

import re
from functools import lru_cache

from app.soap.vocab import icd10_codes

#: everyday wording -> usual code (clinicians rarely say the ICD description)
COMMON: dict[str, str] = {
    "hypertension": "I10", "high blood pressure": "I10", "essential hypertension": "I10",
    "type 2 diabetes": "E11.9", "type two diabetes": "E11.9", "diabetes": "E11.9",
    "type 2 diabetes mellitus": "E11.9", "diabetes mellitus": "E11.9", "type 1 diabetes": "E10.9",
    "hyperlipidemia": "E78.5", "high cholesterol": "E78.00", "hypercholesterolemia": "E78.00",
    "asthma": "J45.909", "copd": "J44.9", "chronic obstructive pulmonary disease": "J44.9",
    "gerd": "K21.9", "acid reflux": "K21.9", "gastroesophageal reflux disease": "K21.9",
    "depression": "F32.A", "major depressive disorder": "F32.9", "anxiety": "F41.9",
    "generalized anxiety disorder": "F41.1", "hypothyroidism": "E03.9", "hyperthyroidism": "E05.90",
    "osteoarthritis": "M19.90", "obesity": "E66.9", "atrial fibrillation": "I48.91",
    "congestive heart failure": "I50.9", "heart failure": "I50.9", "coronary artery disease": "I25.10",
    "chronic kidney disease": "N18.9", "migraine": "G43.909", "pneumonia": "J18.9",
    "urinary tract infection": "N39.0", "uti": "N39.0", "bronchitis": "J40", "acute bronchitis": "J20.9",
    "sinusitis": "J32.9", "acute sinusitis": "J01.90", "otitis media": "H66.90", "pharyngitis": "J02.9",
    "strep throat": "J02.0", "cellulitis": "L03.90", "gout": "M10.9", "anemia": "D64.9",
    "iron deficiency anemia": "D50.9", "insomnia": "G47.00", "low back pain": "M54.50",
    "back pain": "M54.9", "osteoporosis": "M81.0", "allergic rhinitis": "J30.9", "eczema": "L30.9",
    "psoriasis": "L40.9", "headache": "R51.9", "chest pain": "R07.9", "abdominal pain": "R10.9",
    "gastroenteritis": "K52.9", "viral gastroenteritis": "A08.4", "upper respiratory infection": "J06.9",
    "multiple sclerosis": "G35", "sleep apnea": "G47.30", "obstructive sleep apnea": "G47.33",
    "prediabetes": "R73.03", "vitamin d deficiency": "E55.9", "constipation": "K59.00",
    "diarrhea": "R19.7", "fatigue": "R53.83", "dizziness": "R42", "cough": "R05.9", "fever": "R50.9",
    "rheumatoid arthritis": "M06.9", "peripheral neuropathy": "G62.9", "diabetic neuropathy": "E11.40",
    "benign prostatic hyperplasia": "N40.0", "hypokalemia": "E87.6", "dehydration": "E86.0",
    "covid 19": "U07.1", "influenza": "J11.1", "conjunctivitis": "H10.9", "tendinitis": "M77.9",
    "carpal tunnel syndrome": "G56.00", "plantar fasciitis": "M72.2", "kidney stone": "N20.0",
    "kidney stones": "N20.0", "nephrolithiasis": "N20.0", "stroke": "I63.9", "seizure": "R56.9",
    "epilepsy": "G40.909", "dementia": "F03.90", "bipolar disorder": "F31.9", "adhd": "F90.9",
    "deep vein thrombosis": "I82.409", "dvt": "I82.409", "acute kidney injury": "N17.9", "aki": "N17.9",
    "chf": "I50.9", "ckd": "N18.9", "cad": "I25.10", "afib": "I48.91", "a-fib": "I48.91", "a fib": "I48.91",
    "osa": "G47.33", "bph": "N40.0", "uri": "J06.9", "bell palsy": "G51.0", "bell's palsy": "G51.0",
    "bells palsy": "G51.0", "graves disease": "E05.00", "graves' disease": "E05.00", "ptsd": "F43.10",
    "shingles": "B02.9", "herpes zoster": "B02.9",
}  # fmt: skip
#: the abbreviations above: short, but a doctor says them as often as the names ("PE" and "MI" are left
#: out: a physical exam and mitral insufficiency are said the same way)
ABBREVIATIONS = frozenset({"uti", "dvt", "aki", "chf", "ckd", "cad", "osa", "bph", "uri"})
_STOP = {
    "of",
    "the",
    "and",
    "or",
    "with",
    "without",
    "in",
    "to",
    "due",
    "by",
    "a",
    "an",
    "not",
    "other",
    "primary",
}
_WORD = re.compile(r"[a-z0-9]+")


@lru_cache(maxsize=1)
def _index() -> tuple[dict[str, str], dict[str, set[int]], list[tuple[str, str, frozenset[str]]]]:
    descriptions: dict[str, str] = {}
    by_word: dict[str, set[int]] = {}
    rows: list[tuple[str, str, frozenset[str]]] = []
    for code, desc in icd10_codes():
        words = frozenset(w for w in _WORD.findall(desc.lower()) if w not in _STOP)
        descriptions[code] = desc
        rows.append((code, desc, words))
        for w in words:
            by_word.setdefault(w, set()).add(len(rows) - 1)
    return descriptions, by_word, rows


def description(code: str) -> str | None:
    return _index()[0].get(code)


@lru_cache(maxsize=4096)
def suggest(term: str) -> str | None:
    """The ICD-10-CM code that best fits a diagnosis term, or None."""
    key = " ".join(_WORD.findall(term.lower()))
    if key in COMMON:
        return COMMON[key]
    _, by_word, rows = _index()
    words = [w for w in key.split() if w not in _STOP]
    if not words or any(w not in by_word for w in words):
        return None
    candidates = set.intersection(*(by_word[w] for w in words))
    if not candidates:
        return None

    def cost(i: int) -> tuple[float, int, str]:
        code, _, dwords = rows[i]
        extra = len(dwords - set(words)) - (1.5 if "unspecified" in dwords else 0)
        return (extra, len(code), code)

    return rows[min(candidates, key=cost)][0]
