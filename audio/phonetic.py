"""A small phonetic key (metaphone-like) and edit distance, for snapping misheard words to a vocabulary.

Whisper writes an unfamiliar drug name as whatever English it sounds like ("penta presole" for
pantoprazole, "famicidine" for famotidine). Spelling distance misses many of these; comparing how the
words *sound* (consonant skeletons, voiced and unvoiced pairs merged) finds them.
"""

from __future__ import annotations

import difflib
import re

_RULES: list[tuple[str, str]] = [
    (r"ph", "f"),
    (r"tch", "x"),
    (r"sch", "sk"),
    (r"ck", "k"),
    (r"c(?=[eiy])", "s"),
    (r"(?:sh|ch|ti(?=[ao]))", "x"),
    (r"c", "k"),
    (r"q", "k"),
    (r"x", "ks"),
    (r"th", "0"),
    (r"dg(?=[eiy])", "j"),
    (r"gh(?![aeiou])", ""),
    (r"g(?=[eiy])", "j"),
    (r"z", "s"),
    (r"v", "f"),
    (r"[wy](?![aeiou])", ""),
]
_VOICING = str.maketrans({"d": "t", "b": "p", "g": "k", "j": "x"})


def phonetic_key(text: str) -> str:
    """A consonant skeleton of how the text sounds: "pantoprazole" and "penta presole" give the same key.

    Voiced and unvoiced pairs (d/t, b/p, g/k) are merged, vowels dropped except a leading one (written
    "a"), doubled letters collapsed, and word boundaries ignored.
    """
    w = re.sub(r"[^a-z]", "", text.lower())
    if not w:
        return ""
    first_vowel = w[0] in "aeiou"
    if re.match(r"(?:kn|gn|pn|wr|ps)", w):  # silent first letter: knee, gnaw, pneumonia, psych
        w = w[1:]
    for pattern, repl in _RULES:
        w = re.sub(pattern, repl, w)
    w = w.translate(_VOICING)
    w = re.sub(r"[aeiouyw]", "", w)
    w = re.sub(r"(.)\1+", r"\1", w)
    return ("a" + w) if first_vowel else w


def edit_distance(a: str, b: str, limit: int | None = None) -> int:
    """Levenshtein distance; stops early (returning limit + 1) once it must exceed ``limit``."""
    if a == b:
        return 0
    if len(a) < len(b):
        a, b = b, a
    if limit is not None and len(a) - len(b) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if limit is not None and min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def similarity(a: str, b: str) -> float:
    """1 - normalised edit distance (1.0 for equal strings, 0.0 for nothing in common)."""
    if not a and not b:
        return 1.0
    return 1.0 - edit_distance(a, b) / max(len(a), len(b))


def closeness(heard: str, name: str) -> float:
    """How alike heard words and a vocabulary phrase are, 0..1: spelling and sound averaged, word breaks
    ignored ("strip throat" and "strep throat" are close, "pirelectone" and spironolactone fairly close,
    "breathing" and lithium far apart)."""
    return letters_closeness(letters(heard), phonetic_key(heard), letters(name), phonetic_key(name))


def letters(text: str) -> str:
    """The text's letters and digits only, lower-cased: what spelling closeness compares."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


def letters_closeness(letters_a: str, key_a: str, letters_b: str, key_b: str) -> float:
    """``closeness`` from precomputed ``letters`` and ``phonetic_key`` values (for long shortlists)."""
    spelling = difflib.SequenceMatcher(None, letters_a, letters_b).ratio()
    return (spelling + similarity(key_a, key_b)) / 2
