"""Which heard words a correction may touch, and which vocabulary entries are really drugs.

Two lists guard against inventing:

- ``protected_words``: words that are ordinary in a clinical dictation (very common English, the words
  of ICD-10-CM descriptions and of the diagnosis vocabulary, symptoms, times of day, units, numbers,
  headers). A recovery pass may replace heard words only when at least one of them is *not* ordinary,
  i.e. looks like a garbled medical term ("Acre", "Therapy master", "Strip throat"); never "her",
  "breathing", "bedtime" or "numbness", which the doctor may simply have said.
- ``prescribable``: the drug vocabulary (the MedWER list mixes generics, brands and product names such
  as "bedtime", "numbness" or "sore throat") without the entries made only of ordinary words, so a
  medication in the note always names a drug.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable
from functools import lru_cache

import resources
from audio.normalize import SCALES, TENS, UNITS
from audio.spoken import HEADERS

#: Whisper's whole-word tokens below this id are very common English (byte-pair merges come roughly in
#: frequency order): "her", "give", "big", "through"
COMMON_TOKEN_IDS = 3000
#: clinical words that are in none of the lists (symptoms, times, dosing words)
_CLINICAL_ORDINARY = (
    "bedtime", "nighttime", "daytime", "morning", "evening", "night", "nightly", "daily", "weekly",
    "monthly", "hourly", "numbness", "numb", "tingling", "soreness", "sore", "itching", "itchy",
    "dizziness", "dizzy", "tiredness", "weakness", "swelling", "stiffness", "aching", "ache", "aches",
    "pain", "pains", "painful", "cough", "coughing", "sneezing", "wheezing", "wheeze", "fever", "fevers",
    "chills", "sweats", "nausea", "vomiting", "diarrhea", "constipation", "bloating", "heartburn", "rash",
    "bruising", "bleeding", "tablets", "tablet", "capsules", "capsule", "puffs", "puff", "drops", "drop",
    "spray", "sprays", "cream", "ointment", "gel", "patch", "patches", "inhaler", "injection", "shot",
    "dose", "doses", "refill", "refills", "milligrams", "micrograms", "grams", "units", "milliliters",
    "kilograms", "pounds", "percent", "mouth", "orally", "inhaled", "topically", "subcutaneously",
    "intramuscular", "intravenous", "once", "twice", "three", "four", "times", "needed", "every", "hours",
    "hour", "day", "days", "week", "weeks", "month", "months", "year", "years", "old", "follow", "up",
    "recheck", "return", "start", "continue", "stop", "increase", "decrease", "sleep", "appetite",
    "energy", "mood", "anxiety", "stress", "tired", "tears", "water", "salt", "sugar", "relief", "allergy",
    "allergies", "cold", "flu", "acuity",
)  # fmt: skip
#: number words, and what Whisper writes for half of one
_NUMBER_WORDS = frozenset(UNITS) | frozenset(TENS) | frozenset(SCALES) | {"point", "half"}
_WORD = re.compile(r"[a-z]+")


def words_of(text: str) -> list[str]:
    return _WORD.findall(text.lower())


@lru_cache(maxsize=1)
def _common_english() -> frozenset[str]:
    from audio.models import locate_whisper

    try:
        tokenizer = locate_whisper("tiny.en").path / "tokenizer.json"
        vocab = json.loads(tokenizer.read_text(encoding="utf-8"))["model"]["vocab"]
    except Exception:  # no tokenizer: the clinical lists below still protect what they name
        return frozenset()
    return frozenset(
        k[1:].lower()
        for k, v in vocab.items()
        if k.startswith("Ġ") and k[1:].isalpha() and v < COMMON_TOKEN_IDS
    )


@lru_cache(maxsize=1)
def _icd_words() -> frozenset[str]:
    with gzip.open(resources.path("vocab", "icd10cm_2026_codes.tsv.gz"), "rt", encoding="utf-8") as fh:
        return frozenset(w for line in fh for w in words_of(line.partition("\t")[2]))


@lru_cache(maxsize=1)
def protected_words() -> frozenset[str]:
    """Words a correction never treats as garbled (see the module's docstring)."""
    headers = {w for h in HEADERS for w in h.split()}
    return frozenset(
        _common_english()
        | _icd_words()
        | _diagnosis_words()
        | headers
        | set(_CLINICAL_ORDINARY)
        | set(_NUMBER_WORDS)
    )


def header_word(word: str) -> bool:
    """Whether a word makes a header ("plan" of "Plan pantopresil 40 milligrams")."""
    return word.lower() in _header_words()


@lru_cache(maxsize=1)
def _header_words() -> frozenset[str]:
    """The words that make a header ("assessment", "plan", "exam"), not the ones that join them."""
    joins = ("and", "of", "on", "the", "to", "slash")
    return frozenset(w for h in HEADERS for w in h.split() if w not in joins and len(w) > 1)  # not "a and p"


def medical_word(word: str) -> bool:
    """Whether a word belongs to a diagnosis or a drug name and not to everyday English ("mellitus",
    "metformin"; not "april" or "setting"): a second engine that writes such a word heard a term of
    its own."""
    w = word.lower()
    if len(w) < 5 or w in _common_english():
        return False
    return w in _term_words()


@lru_cache(maxsize=1)
def _diagnosis_words() -> frozenset[str]:
    """The words of the diagnosis terms the note extracts."""
    return frozenset(w for line in resources.vocab_lines("diagnosis_terms.txt") for w in words_of(line))


@lru_cache(maxsize=1)
def _term_words() -> frozenset[str]:
    """The words of the drug names and of the diagnosis terms the note extracts."""
    return frozenset(w for name in prescribable() for w in words_of(name)) | _diagnosis_words()


def garbled(heard: str, *, known: Iterable[str] = (), numbers: bool = False) -> bool:
    """Whether heard words may be a garbled medical term: no digit, no header word, no number word
    (unless ``numbers``: "one stale" for "once daily"), and at least one word that is neither ordinary
    nor one of ``known`` (say, the drug names)."""
    if re.search(r"\d", heard):
        return False
    words = words_of(heard)
    if not words:
        return False
    if any(w in _header_words() or (w in _NUMBER_WORDS and not numbers) for w in words):
        return False
    protected = protected_words() | {w for k in known for w in words_of(k)}
    return any(w not in protected for w in words)


def ordinary_phrase(name: str) -> bool:
    """Whether a vocabulary entry is made only of ordinary words ("bedtime", "sore throat")."""
    words = words_of(name)
    ordinary = _everyday_words()
    return bool(words) and all(w in ordinary or _compound(w, ordinary) for w in words)


@lru_cache(maxsize=1)
def _everyday_words() -> frozenset[str]:
    """Words of everyday and clinical speech that no drug is named by alone (the drug names in the
    ICD-10 descriptions, "poisoning by fentanyl", are left out of this one)."""
    return frozenset(
        _common_english()
        | _diagnosis_words()
        | _header_words()
        | set(_CLINICAL_ORDINARY)
        | set(_NUMBER_WORDS)
    )


def _compound(word: str, ordinary: frozenset[str]) -> bool:
    """ "bedtime" = bed + time, "numbness" = numb + ness: two ordinary parts, or an ordinary word with
    an English ending."""
    for ending in ("ness", "ing", "ed", "es", "s", "ly", "er"):
        if word.endswith(ending) and word[: -len(ending)] in ordinary:
            return True
    return any(word[:i] in ordinary and word[i:] in ordinary for i in range(3, len(word) - 2))


@lru_cache(maxsize=1)
def _common_drug_entries() -> tuple[tuple[str, int | None], ...]:
    """``common_drugs.txt``: each commonly prescribed drug, with its place among Whisper's hot words
    (``name | hot N``) or None. The one drug list: every other form is computed from it."""
    out: list[tuple[str, int | None]] = []
    for line in resources.vocab_lines("common_drugs.txt"):
        name, _, tag = (part.strip() for part in line.partition("|"))
        out.append((name, int(tag.split()[1]) if tag.startswith("hot ") else None))
    return tuple(out)


def common_drugs() -> tuple[str, ...]:
    """The commonly prescribed drugs, in the file's (alphabetical) order."""
    return tuple(name for name, _ in _common_drug_entries())


@lru_cache(maxsize=1)
def common_drug_names() -> frozenset[str]:
    return frozenset(common_drugs())


@lru_cache(maxsize=1)
def hotword_drugs() -> tuple[str, ...]:
    """The drugs Whisper is primed with as hot words, most prescribed first."""
    hot = sorted((rank, name) for name, rank in _common_drug_entries() if rank is not None)
    return tuple(name for _, name in hot)


@lru_cache(maxsize=1)
def prescribable() -> frozenset[str]:
    """The drug vocabulary without the entries that are only ordinary words (see the docstring); the
    commonly prescribed generics are all kept (aspirin, insulin and lithium are English words too)."""
    common = common_drug_names()
    heads = {c.split()[0] for c in common}  # "insulin" of "insulin glargine"
    return common | frozenset(
        n for n in resources.vocab_lines("drugs.txt") if n in heads or not ordinary_phrase(n)
    )
