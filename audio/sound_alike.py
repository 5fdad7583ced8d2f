"""A diagnosis in the assessment that the audio fits no better than another diagnosis alike in sound.

Both engines can hear the same wrong term: a synthetic "bronchiolitis" came out as "bronchitis" from
Whisper and from Moonshine alike, so agreement cannot catch it, and the recovery of misheard diagnoses
never touches a word that is itself a diagnosis ("hypertension" is not swapped for "hypotension" on a
guess). But Whisper can be asked whether the audio tells the two apart: the sentence is scored as heard
and with each common diagnosis alike in sound in place of the heard term. When one of them scores about
as well (within ``MARGIN`` nats) the audio does not decide, and the term is shown as uncertain and held
out of the structured diagnoses until the doctor accepts it (pass ``diagnosis_alike``). When the heard
term wins clearly, it stands as heard.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from audio.diagnosis_rescore import common_diagnoses
from audio.phonetic import closeness
from resources import vocab_lines

#: scores sentences against the audio: higher is likelier (Whisper's forced alignment)
Scorer = Callable[[list[str]], list[float]]

#: how alike in spelling and sound a common diagnosis must be to the heard term to be asked about:
#: "bronchitis" and bronchiolitis 0.87, hypertension and hypotension 0.86; "gout" and goiter 0.63
CLOSENESS = 0.8
#: how many such diagnoses are scored for one heard term (each costs one alignment, about 0.05 s)
MAX_ALTERNATIVES = 3
#: the heard term must score this many nats above every alternative to stand without a doubt
MARGIN = 2.0
#: the longest diagnosis term looked for, in words
MAX_WORDS = 4

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")


@dataclass(frozen=True)
class SoundAlike:
    start: int  # characters of the heard term in the text
    end: int
    alternative: str  # the diagnosis the audio fits about as well
    gap: float  # heard score minus the alternative's (nats; below MARGIN)


@lru_cache(maxsize=1)
def _terms() -> frozenset[str]:
    """The diagnosis terms the note extracts, lower case."""
    return frozenset(line.lower() for line in vocab_lines("diagnosis_terms.txt"))


def sound_alikes(text: str, *, score: Scorer, start: int = 0, end: int | None = None) -> list[SoundAlike]:
    """The diagnosis terms in ``text[start:end]`` that a common diagnosis alike in sound explains about
    as well, according to Whisper's score of the whole utterance."""
    words = [m for m in _WORD.finditer(text) if m.start() >= start and (end is None or m.end() <= end)]
    found: list[SoundAlike] = []
    i = 0
    while i < len(words):
        span = _term_at(text, words, i)
        if span is None:
            i += 1
            continue
        n, term = span
        a, b = words[i].start(), words[i + n - 1].end()
        doubt = _doubt(text, a, b, term, score)
        if doubt is not None:
            found.append(doubt)
        i += n
    return found


def _term_at(text: str, words: list[re.Match[str]], i: int) -> tuple[int, str] | None:
    for n in range(min(MAX_WORDS, len(words) - i), 0, -1):
        term = text[words[i].start() : words[i + n - 1].end()].lower()
        if term in _terms() and len(term) >= 4:
            return n, term
    return None


def _doubt(text: str, a: int, b: int, term: str, score: Scorer) -> SoundAlike | None:
    alternatives = _alternatives(term)
    if not alternatives:
        return None
    written = text[a:b]
    spelled = [alt[:1].upper() + alt[1:] if written[:1].isupper() else alt for alt in alternatives]
    scores = score([text, *(text[:a] + alt + text[b:] for alt in spelled)])
    heard, best = scores[0], max(zip(scores[1:], alternatives, strict=True))
    if heard - best[0] >= MARGIN:
        return None
    return SoundAlike(a, b, best[1], heard - best[0])


@lru_cache(maxsize=512)
def _alternatives(term: str) -> tuple[str, ...]:
    """The common diagnoses alike in sound to ``term`` that are not the term itself, or a longer or
    shorter form of it ("acute bronchitis" is bronchitis, not another diagnosis)."""
    near = []
    for dx in common_diagnoses():
        other = dx.lower()
        if _contains(other, term) or _contains(term, other):
            continue
        value = closeness(term, other)
        if value >= CLOSENESS:
            near.append((value, other))
    return tuple(name for _, name in sorted(near, reverse=True)[:MAX_ALTERNATIVES])


def _contains(longer: str, shorter: str) -> bool:
    return re.search(rf"(?<![a-z]){re.escape(shorter)}(?![a-z])", longer) is not None
