"""A second engine's hearing of the same utterance, as a check on Whisper's.

Whisper writes fluent text even where it heard little: a lone "Assessment" became "Assalamu alaikum",
silence can become "Thank you." Moonshine is a different model trained on different data; where the two
disagree, at least one of them is wrong, so Whisper's words there are marked uncertain for the doctor
(they are not changed: neither engine is trusted over the other). A stretch only Whisper heard, with
nothing from Moonshine at all, is the typical hallucination and is marked the same way.

Both texts are compared as spoken: lower case, no punctuation, numbers read the same way on both sides
("142/88" and "one forty two over eighty eight"), so a difference of writing is no disagreement.
"""

from __future__ import annotations

import difflib
import re

from audio.marks import ONLY_WHISPER as ONLY_WHISPER  # the pass names are named once, with the marks
from audio.marks import PROMPT_COPY as PROMPT_COPY
from audio.marks import SECOND_OPINION, TrackedText
from audio.normalize import TENS, UNIT_WORDS, UNITS
from audio.phonetic import closeness
from audio.wordlists import medical_word

_WORD = re.compile(r"[A-Za-z0-9]+(?:['.][A-Za-z0-9]+)*")
#: words that differ between engines only in form ("okay"/"ok") or carry no content
_SKIP = {"a", "an", "the", "uh", "um", "and", ""}


_CANON = {
    **{k: v.lower() for k, v in UNIT_WORDS.items() if " " not in k},
    **{k: str(v) for k, v in UNITS.items()},
    **{k: str(v) for k, v in TENS.items()},
    "degrees": "", "fahrenheit": "f", "celsius": "c", "°c": "c", "°f": "f",
}  # fmt: skip


def _spoken(word: str) -> str:
    """One word as both engines would agree on it: units and number words written one way."""
    plain = re.sub(r"[^a-z0-9.%]", "", word.lower()).rstrip(".")
    return _CANON.get(plain, plain)


#: the pass name of a disagreement of spelling only: the second engine's words sound like Whisper's
#: ("lies in april" for lisinopril) and name no term of their own. Shown, but it gives the structured
#: note what Whisper's words give: an independent engine heard the same sounds there.
SOUNDS_ALIKE = "second_opinion_alike"
#: how alike in sound (``phonetic.closeness``) the engines' words must be for that: "lies in april" and
#: lisinopril 0.93, "fluke setting" and fluoxetine 0.75; a drug written for other words is far lower
#: ("breathing" and lithium 0.29, "a big" and apixaban 0.42, "dope" and dopamine 0.58)
ALIKE = 0.65


def compare(tracked: TrackedText, other: str, *, pass_name: str = SECOND_OPINION) -> int:
    """Marks the words of ``tracked`` that ``other`` (the second engine's text) did not hear; returns
    how many stretches were marked."""
    mine = list(_WORD.finditer(tracked.text))  # Whisper writes digits and units already
    theirs = _numbers_joined([_spoken(w.group(0)) for w in _WORD.finditer(other.replace("/", " over "))])
    a = _numbers_joined([_spoken(w.group(0)) for w in mine], keep_length=True)
    matcher = difflib.SequenceMatcher(None, a, theirs, autojunk=False)
    marked = 0
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal" or i1 == i2:
            continue
        if all(w in _SKIP or not w for w in a[i1:i2]):
            continue
        heard_also = " ".join(theirs[j1:j2])
        if heard_also and _close(" ".join(a[i1:i2]), heard_also):
            continue  # "lisinopril" and "lisinipril": a spelling, not a disagreement
        if heard_also and _alike(a[i1:i2], theirs[j1:j2]):
            note, name = f"the second engine heard: {heard_also} (alike in sound)", SOUNDS_ALIKE
        elif heard_also:
            note = f"the second engine heard: {heard_also}; a drug or diagnosis here is listed once accepted"
            name = pass_name
        else:
            note = "only Whisper heard this; the second engine heard nothing here; listed once accepted"
            name = ONLY_WHISPER
        tracked.flag(mine[i1].start(), mine[i2 - 1].end(), score=None, pass_name=name, note=note)
        marked += 1
    return marked


def _numbers_joined(words: list[str], *, keep_length: bool = False) -> list[str]:
    """ "1 42" (one forty-two, written by halves) as 142, "40 2" (forty two) as 42; with
    ``keep_length`` the joined word leaves an empty place, so positions still match the text's words."""
    out: list[str] = []
    for w in words:
        prev = next((x for x in reversed(out) if x), "")
        joined = None
        if prev in ("1", "2") and re.fullmatch(r"\d\d", w):
            joined = prev + w
        elif re.fullmatch(r"[2-9]0", prev) and re.fullmatch(r"[1-9]", w):
            joined = str(int(prev) + int(w))
        if joined is None:
            out.append(w)
            continue
        at = max(i for i, x in enumerate(out) if x)
        out[at] = joined
        if keep_length:
            out.append("")
    return out


_NUMBER_WORDS = {"hundred", "thousand", "point"}


def _alike(mine: list[str], theirs: list[str]) -> bool:
    """Whether the second engine's words are the same sounds as Whisper's, written otherwise: alike in
    sound and naming no medical term Whisper did not write ("diabetes mellitus" against Whisper's
    "diabetes myelitis" is another term, not another spelling).

    Both sides are compared as said, digits read as words, so a drug Moonshine spelled partly in
    digits ("met 4m" for metformin, "umprasole for the" for "omeprazole 40") is heard as the same
    sounds; the numbers both engines wrote alike are left out, so a shared dose does not make two
    different names alike."""
    words = [w for w in theirs if w.isalpha() and w not in _NUMBER_WORDS]
    if any(medical_word(w) and w not in mine for w in words):
        return False
    said_mine, said_theirs = _as_said(mine), _as_said(theirs)
    for word in set(said_mine) & set(said_theirs):
        if word in _READ_NUMBERS:
            shared = min(said_mine.count(word), said_theirs.count(word))
            for side in (said_mine, said_theirs):
                for _ in range(shared):
                    side.remove(word)
    if not any(w.isalpha() and w not in _READ_NUMBERS for w in said_mine) or not said_theirs:
        return False
    return closeness(" ".join(said_mine), " ".join(said_theirs)) >= ALIKE


_DIGIT_WORDS = {v: k for k, v in UNITS.items() if k != "oh"}
_TENS_WORDS = {v: k for k, v in TENS.items() if k != "fourty"}
_READ_NUMBERS = set(_DIGIT_WORDS.values()) | set(_TENS_WORDS.values()) | _NUMBER_WORDS


def _as_said(words: list[str]) -> list[str]:
    """Words with their digits read out: "4m1000mg" as "four m one thousand mg"."""
    out: list[str] = []
    for word in words:
        for part in re.findall(r"[a-z]+|\d+(?:\.\d+)?", word):
            out.extend(_read_number(part) if part[0].isdigit() else [part])
    return out


def _read_number(digits: str) -> list[str]:
    whole, _, fraction = digits.partition(".")
    value = int(whole)
    words: list[str] = []
    if value >= 10000:
        return [_DIGIT_WORDS[int(d)] for d in whole]
    if value >= 1000:
        words += [_DIGIT_WORDS[value // 1000], "thousand"]
        value %= 1000
    if value >= 100:
        words += [_DIGIT_WORDS[value // 100], "hundred"]
        value %= 100
    if value >= 20:
        words.append(_TENS_WORDS[value // 10 * 10])
        value %= 10
    if value or not words:
        words.append(_DIGIT_WORDS[value])
    if fraction:
        words += ["point", *(_DIGIT_WORDS[int(d)] for d in fraction)]
    return words


def _close(a: str, b: str) -> bool:
    return difflib.SequenceMatcher(None, a, b).ratio() >= 0.8
