"""Post-correction of Whisper text against the medical vocabulary.

Whisper, primed or not, sometimes writes a drug name as a near-miss ("metformine", "lisinopryl") or
as a few ordinary words. Words that are not ordinary English (not a whole-word token of Whisper's own
vocabulary) and are close to exactly one drug name are snapped to it; ordinary words never change.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterable
from functools import lru_cache

from audio.dictation_fix import (
    DrugSnapper,
    fix_bedtime,
    fix_blood_pressure,
    fix_frequencies,
    fix_number_words,
    fix_routes,
    fix_units,
    fix_vital_numbers,
)
from audio.phonetic import phonetic_key, similarity
from audio.wordlists import common_drug_names, hotword_drugs, prescribable, protected_words
from models.enums import SOAP_SECTIONS
from resources import vocab_lines

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
MIN_LENGTH = 5
#: two words, apart or hyphenated, that may be one drug name split in two
_SPLIT_NAME = re.compile(r"(?=\b([A-Za-z]{2,})[ -]([a-z]{3,})\b)")
CUTOFF = 0.85
MARGIN = 0.05


@lru_cache(maxsize=1)
def _english_words() -> frozenset[str]:
    """Whole-word tokens of Whisper's tokenizer: a 25k-word list of ordinary English for free."""
    from audio.models import locate_whisper

    try:
        tokenizer = locate_whisper("tiny.en").path / "tokenizer.json"
        vocab = json.loads(tokenizer.read_text(encoding="utf-8"))["model"]["vocab"]
    except Exception:  # no tokenizer: correct nothing rather than risk changing ordinary words
        return frozenset()
    return frozenset(k[1:].lower() for k in vocab if k.startswith("Ġ") and k[1:].isalpha())


#: the headers a doctor says alone between parts of the note; a lone word that sounds like one of
#: them ("Assignment.") can only be that header
LONE_HEADERS = SOAP_SECTIONS
HEADER_CUTOFF = 0.7
#: endings that make an inflection of a word
_ENDINGS = ("s", "es", "ed", "d", "ing", "ly", "er", "ers")


class MedicalCorrector:
    def __init__(
        self, terms: list[str], english: frozenset[str], *, diagnosis_terms: Iterable[str] = ()
    ) -> None:
        self.english = english
        #: drug names by sound, only to names that are drugs ("bedtime" is a product name in the list), and
        #: to one-word names or the common generics ("teva trazodone" is one maker's product, not a drug
        #: a doctor names)
        names = [t for t in terms if t in prescribable() and (" " not in t or t in common_drug_names())]
        self.snapper = DrugSnapper(names, preferred=hotword_drugs())
        clinical = [t.lower() for t in diagnosis_terms]
        singles = [t for t in [*terms, *clinical] if " " not in t and len(t) >= MIN_LENGTH and t.isalpha()]
        self.terms = frozenset(singles)
        #: the words the context fixes must never rewrite ("diabetes" is not a misheard "tablets")
        self.protected = frozenset(t for t in clinical if " " not in t)
        self.known_stems = self.terms | english
        self.by_initial: dict[str, list[str]] = {}
        self.by_key: dict[str, list[str]] = {}
        for t in sorted(self.terms):
            self.by_initial.setdefault(t[0], []).append(t)
            self.by_key.setdefault(phonetic_key(t)[:2], []).append(t)

    @classmethod
    def load(cls) -> MedicalCorrector:
        return _default()

    def suggest(self, word: str) -> str | None:
        """The one vocabulary term a word that is not English is a misspelling of, judged by spelling and
        sound together ("conjustive" -> "congestive", "abdomin" -> "abdomen")."""
        low = word.lower()
        if len(low) < MIN_LENGTH or low in self.terms or low in self.english or not self.english:
            return None
        if "'" in low or low in protected_words():
            return None  # "car's", "acuity": words of ordinary or clinical speech are never respelled
        if any(low.endswith(end) and low[: -len(end)] in self.known_stems for end in _ENDINGS):
            return None  # an inflection of a known word ("tremors", "sunburned"), not a misspelling
        key = phonetic_key(low)
        pool = set(difflib.get_close_matches(low, self.by_initial.get(low[0], []), n=5, cutoff=0.7))
        if len(key) >= 4:
            pool.update(t for t in self.by_key.get(key[:2], []) if similarity(key, phonetic_key(t)) >= 0.8)
        scored = sorted(
            (
                (difflib.SequenceMatcher(None, low, t).ratio() + similarity(key, phonetic_key(t))) / 2,
                t,
            )
            for t in pool
        )
        if not scored or scored[-1][0] < CUTOFF:
            return None
        if len(scored) > 1 and scored[-1][0] - scored[-2][0] < MARGIN:
            return None  # two terms fit about equally well: do not guess
        return scored[-1][1]

    def near_miss(self, words: str) -> str | None:
        """The drug name some heard words are a near miss of, by sound or spelling, if one stands out."""
        parts = re.findall(r"[A-Za-z][A-Za-z'-]*", words)
        if not parts:
            return None
        return self.snapper.best(parts) or (self.suggest(parts[0]) if len(parts) == 1 else None)

    def passes(self, *, names: bool = True, sound: bool = True) -> list[tuple[str, Callable[[str], str]]]:
        """The context fixes as named passes, in order (``audio.marks`` records what each changed);
        ``names=False`` leaves words alone (for the drug recovery that asks Whisper before any guess);
        ``sound=False`` leaves out the drug names by sound alone, which nothing checks against the audio
        (with Whisper, its recovery does that job with confirmation: "giant nesprin" must not become
        tinzaparin)."""
        out: list[tuple[str, Callable[[str], str]]] = [
            ("joined", self.join),
            ("numbers", fix_number_words),
            ("vitals", fix_vital_numbers),
            ("blood_pressure", fix_blood_pressure),
            ("units", lambda text: fix_units(text, self.protected)),
            ("route", fix_routes),
            ("bedtime", fix_bedtime),
            ("frequency", fix_frequencies),
        ]
        if names:
            if sound:
                out.append(("drug_sound", self.snapper.fix))
            out.append(("spelling", self.spell))
        return out

    def join(self, text: str) -> str:
        """A drug name Whisper wrote as two words ("doxy cycline", "hydro-chlorothiazide") written as one:
        only where the two words put together are exactly a drug's name, so nothing that was not said
        can come of it. (Left apart, the first half can be a drug name of its own: "doxy".)"""

        out, pos = [], 0
        for m in _SPLIT_NAME.finditer(text):  # pairs overlap: "controlled doxy cycline"
            if m.start(1) < pos:
                continue
            joined = (m.group(1) + m.group(2)).lower()
            if joined in self.snapper.names:
                first = m.group(1)
                out += [
                    text[pos : m.start(1)],
                    joined[:1].upper() + joined[1:] if first[:1].isupper() else joined,
                ]
                pos = m.end(2)
        return "".join([*out, text[pos:]])

    def spell(self, text: str) -> str:
        """Single words that are no English and close to one vocabulary term (``suggest``). A drug name
        only where a drug is expected (before a dose, after "start", "continue" ...): "18-monthold"
        must not become the product "mentholated"."""

        def fix(m: re.Match[str]) -> str:
            word = m.group(0)
            term = self.suggest(word)
            if term is None:
                return word
            if term not in self.protected and not _drug_slot(text, m.start(), m.end()):
                return word
            return term[:1].upper() + term[1:] if word[:1].isupper() else term

        return _WORD.sub(fix, text)

    def correct(self, text: str, *, names: bool = True) -> str:
        """Context fixes (numbers, units, frequencies, drug names before a dose), then single words.
        ``names=False`` leaves words alone (for the drug recovery that asks Whisper before any guess)."""
        header = lone_header(text)
        if header is not None:
            return header
        for _, fix in self.passes(names=names):
            text = fix(text)
        return text


_DOSE_AFTER = re.compile(
    r"^\W*(?:[A-Za-z][A-Za-z'-]*\W+){0,2}\d+(?:\.\d+)?\s*(?:milligrams?|micrograms?|grams?|units?|mg|mcg|puffs?|"
    r"tablets?|drops?|percent|%)",
    re.IGNORECASE,
)
_VERB_BEFORE = re.compile(
    r"\b(?:start|started|starting|continue|continued|add|increase|decrease|stop|stopped|take|takes|taking|"
    r"prescribe|prescribed|resume|restart|switch to|on|of|with)\W*$",
    re.IGNORECASE,
)


def _drug_slot(text: str, start: int, end: int) -> bool:
    """Whether a drug name is expected at ``start:end``: a dose follows, or a prescribing word precedes."""
    return bool(_DOSE_AFTER.match(text[end:]) or _VERB_BEFORE.search(text[:start]))


def lone_header(text: str) -> str | None:
    """ "Assignment." said alone -> "Assessment.": one word on its own that sounds like a header."""
    words = _WORD.findall(text)
    if len(words) != 1 or words[0].lower() in LONE_HEADERS:
        return None
    key = phonetic_key(words[0])
    best = max(LONE_HEADERS, key=lambda h: similarity(key, phonetic_key(h)))
    if (
        len(key) >= 3
        and similarity(key, phonetic_key(best)) >= HEADER_CUTOFF
        and key[0] == phonetic_key(best)[0]
    ):
        return best.capitalize() + "."
    return None


@lru_cache(maxsize=1)
def _default() -> MedicalCorrector:
    return MedicalCorrector(
        [*_terms("drugs.txt"), *sorted(common_drug_names())],
        _english_words(),
        diagnosis_terms=_terms("diagnosis_terms.txt"),
    )


def _terms(name: str) -> list[str]:
    return list(vocab_lines(name))
