"""Post-correction of Whisper text against the medical vocabulary.

Whisper, primed or not, sometimes writes a drug name as a near-miss ("metformine", "lisinopryl") or
as a few ordinary words. Words that are not ordinary English (not a whole-word token of Whisper's own
vocabulary) and are close to exactly one drug name are snapped to it; ordinary words never change.
"""

from __future__ import annotations

import difflib
import json
import re
from functools import lru_cache
from pathlib import Path

from clinicdesk.audio.dictation_fix import DrugSnapper, fix_dictation
from clinicdesk.audio.whisper_engine import COMMON_DRUGS

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
MIN_LENGTH = 5
CUTOFF = 0.8


def _resources() -> Path:
    return Path(__file__).resolve().parents[1] / "resources"


@lru_cache(maxsize=1)
def _english_words() -> frozenset[str]:
    """Whole-word tokens of Whisper's tokenizer: a 25k-word list of ordinary English for free."""
    from clinicdesk.audio.models import locate_whisper

    try:
        tokenizer = locate_whisper("tiny.en").path / "tokenizer.json"
        vocab = json.loads(tokenizer.read_text(encoding="utf-8"))["model"]["vocab"]
    except Exception:  # no tokenizer: correct nothing rather than risk changing ordinary words
        return frozenset()
    return frozenset(k[1:].lower() for k in vocab if k.startswith("Ġ") and k[1:].isalpha())


class MedicalCorrector:
    def __init__(self, terms: list[str], english: frozenset[str]) -> None:
        self.english = english
        self.snapper = DrugSnapper(terms, preferred=COMMON_DRUGS)
        singles = [t for t in terms if " " not in t and len(t) >= MIN_LENGTH]
        self.terms = frozenset(singles)
        self.by_initial: dict[str, list[str]] = {}
        for t in singles:
            self.by_initial.setdefault(t[0], []).append(t)

    @classmethod
    def load(cls) -> MedicalCorrector:
        return _default()

    def suggest(self, word: str) -> str | None:
        low = word.lower()
        if len(low) < MIN_LENGTH or low in self.terms or low in self.english or not self.english:
            return None
        candidates = difflib.get_close_matches(low, self.by_initial.get(low[0], []), n=2, cutoff=CUTOFF)
        if len(candidates) == 1 or (
            len(candidates) == 2
            and difflib.SequenceMatcher(None, low, candidates[0]).ratio()
            - difflib.SequenceMatcher(None, low, candidates[1]).ratio()
            > 0.05
        ):
            return candidates[0]
        return None

    def correct(self, text: str) -> str:
        """Context fixes (numbers, units, frequencies, drug names before a dose), then single words."""

        def fix(m: re.Match[str]) -> str:
            return self.suggest(m.group(0)) or m.group(0)

        return _WORD.sub(fix, fix_dictation(text, self.snapper))


@lru_cache(maxsize=1)
def _default() -> MedicalCorrector:
    path = _resources() / "vocab" / "drugs.txt"
    terms = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return MedicalCorrector(terms, _english_words())
