"""Recovering a misheard diagnosis in the assessment, by asking Whisper which diagnosis it was.

The assessment is the shortest part of a dictation and the one that matters most: "Strip throat",
"Acute gut", "Therapy master" (herpes zoster), "My brain without a rubble" (migraine without aura). The
words are ordinary English, so a spelling check has nothing to flag. But after an "Assessment" or
"Impression" header a diagnosis is what the doctor says, so the question becomes the same multiple choice
as for a drug before a dose (``drug_rescore``): which of the common primary-care diagnoses
(``resources/vocab/common_diagnoses.txt``, a few hundred written from general clinical knowledge, and the
qualifiers said with them in ``diagnosis_qualifiers.txt``: "uncontrolled", "exacerbation", "without aura")
explains *this audio* better than what was written?

Every stretch of the heard words is compared with every listed phrase by spelling and by sound; the
closest few become candidate sentences (the heard sentence with that stretch replaced), and Whisper scores
them against the audio by forced alignment together with the sentence as heard. A candidate replaces the
heard words when its score beats the heard sentence by a clear margin. Whisper's own words usually score
best, though, right or wrong ("Trip throat" far above "strep throat"), so a listed diagnosis that scores
nearly as well is also taken when it is confirmed as for drugs: decoded again with that diagnosis primed,
Whisper now writes it itself. That step is kept for heard words that are no diagnosis vocabulary at all,
because primed Whisper will write a sound-alike of a real diagnosis ("hypotension" for "hypertension");
qualifiers and listed words change on the score alone. Candidates that only drop heard words are never
made: fewer words always score better, whatever was said.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from audio.phonetic import letters as _letters
from audio.phonetic import letters_closeness, phonetic_key
from audio.spoken import ASSESSMENT_AND_PLAN, find_commands, find_headers
from audio.wordlists import garbled
from resources import vocab_lines

#: scores sentences against the audio: higher is likelier (Whisper's forced alignment)
Scorer = Callable[[list[str]], list[float]]
#: decodes the audio again with one diagnosis primed, returning the text
HintedDecoder = Callable[[str], str]

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*|\d+")
#: the longest stretch of heard words one listed phrase may replace
MAX_SPAN_WORDS = 6
#: how alike (spelling and sound, 0..1) heard words and a phrase must be for the phrase to be scored
SHORTLIST_CUTOFF = 0.5
#: how many candidate sentences are scored per round (one forced-alignment batch)
SHORTLIST_SIZE = 24
#: how much likelier (in nats of log-probability) a candidate must be than the sentence as heard to
#: replace it on Whisper's score alone
MARGIN = 2.0
#: how much less likely than the sentence as heard a listed diagnosis may be and still be confirmed by a
#: primed decoding: Whisper scores its own words far above a diagnosis it did not write ("Trip throat"
#: 11 nats above "Strep throat" for a synthetic "strep throat"), so the primed decoding decides
TOLERANCE = 12.0
#: the diagnosis closest in sound is also tried when at least this close to the heard words ...
NEAR_CLOSENESS = 0.7
#: ... and scored within this many nats of the sentence as heard
NEAR_TOLERANCE = 25.0
#: how much of the candidate sentence (difflib's ratio of words) a primed decoding must reproduce to
#: confirm it: primed, Whisper sometimes loops on the hint instead of reading the audio
MIN_LIKENESS = 0.6
#: at most this many diagnoses are confirmed per round (each costs one decoding)
MAX_CONFIRMATIONS = 2
#: how long a phrase may be (in letters) compared with the heard words it replaces
MIN_LENGTH_RATIO = 0.75
MAX_LENGTH_RATIO = 1.6
#: replacements per utterance ("stable and diner and hyperlipidemia": one word at a time)
MAX_ROUNDS = 3


@dataclass(frozen=True)
class SectionStep:
    """What one utterance does to the dictation's place: ``in_assessment`` after it, and where its own
    diagnosis words are (characters ``content_start:content_end``; start None when it says none)."""

    in_assessment: bool
    content_start: int | None
    content_end: int | None = None


def follow_sections(text: str, in_assessment: bool) -> SectionStep:
    """Tracks the assessment through a dictation, one recognised utterance at a time.

    "Assessment." enters it, "Assessment: acute gout." enters it and says a diagnosis, "Plan." (or any
    other section's header, or "go to plan") leaves it, wherever in the utterance they are said
    (``audio.spoken``, as the structuring reads them)."""
    events: list[tuple[int, int, bool]] = [
        (h.start, h.end, h.section in ("assessment", ASSESSMENT_AND_PLAN)) for h in find_headers(text)
    ]
    events += [(c.start, c.end, c.argument == "assessment") for c in find_commands(text) if c.name == "go_to"]
    state = in_assessment
    region = 0 if in_assessment else None
    spans: list[tuple[int, int]] = []
    for start, end, entering in sorted(events):
        if region is not None:
            spans.append((region, start))
        state, region = entering, (end if entering else None)
    if region is not None:
        spans.append((region, len(text)))
    said = [(a, b) for a, b in spans if re.search(r"[A-Za-z]", text[a:b])]
    if not said:
        return SectionStep(state, None)
    return SectionStep(state, said[0][0], said[0][1])


@lru_cache(maxsize=1)
def common_diagnoses() -> tuple[str, ...]:
    return vocab_lines("common_diagnoses.txt")


@lru_cache(maxsize=1)
def diagnosis_qualifiers() -> tuple[str, ...]:
    return vocab_lines("diagnosis_qualifiers.txt")


@dataclass(frozen=True)
class _Phrase:
    text: str
    letters: str
    key: str
    words: int
    qualifier: bool


@lru_cache(maxsize=8)
def _phrases(diagnoses: tuple[str, ...], qualifiers: tuple[str, ...]) -> tuple[_Phrase, ...]:
    return tuple(
        _Phrase(p, _letters(p), phonetic_key(p), len(p.split()), qualifier)
        for group, qualifier in ((diagnoses, False), (qualifiers, True))
        for p in group
    )


@dataclass(frozen=True)
class Candidate:
    """The utterance with one stretch of heard words replaced by a listed ``phrase``."""

    text: str
    phrase: str
    heard: str  # the words it replaces
    qualifier: bool
    closeness: float


def shortlist(
    text: str,
    start: int,
    diagnoses: Iterable[str],
    qualifiers: Iterable[str] = (),
    size: int = SHORTLIST_SIZE,
    *,
    end: int | None = None,
) -> list[Candidate]:
    """The candidate sentences: ``text`` with one stretch of its words (from character ``start`` on)
    replaced by a listed phrase close to it in spelling and sound, the closest first. A phrase must be
    about as long as what it replaces: a short one in place of many words would drop what was said."""
    phrases = _phrases(tuple(diagnoses), tuple(qualifiers))
    words = [m for m in _WORD.finditer(text) if m.start() >= start and (end is None or m.end() <= end)]
    best: dict[str, Candidate] = {}
    for i in range(len(words)):
        for j in range(i + 1, min(len(words), i + MAX_SPAN_WORDS) + 1):
            heard = text[words[i].start() : words[j - 1].end()]
            letters = _letters(heard)
            key = phonetic_key(heard)
            for p in phrases:
                ratio = (len(p.letters) + 1) / (len(letters) + 1)
                if not MIN_LENGTH_RATIO <= ratio <= MAX_LENGTH_RATIO or abs(p.words - (j - i)) > 2:
                    continue
                if p.letters == letters or _only_drops_or_adds(heard, p.text):
                    continue
                score = letters_closeness(letters, key, p.letters, p.key)
                if score < SHORTLIST_CUTOFF:
                    continue
                name = p.text[:1].upper() + p.text[1:] if heard[:1].isupper() else p.text
                candidate = text[: words[i].start()] + name + text[words[j - 1].end() :]
                if candidate not in best or score > best[candidate].closeness:
                    best[candidate] = Candidate(candidate, p.text, heard, p.qualifier, score)
    ranked = sorted(best.values(), key=lambda c: (-c.closeness, c.text))
    return ranked[:size]


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _only_drops_or_adds(heard: str, phrase: str) -> bool:
    """Whether a replacement would only drop heard words or only add words around them ("diabetes
    mellitus heart" -> "diabetes mellitus"): that is no other reading of the same sounds, and Whisper's
    score favours fewer words whatever was said. Replacing a phrase with itself counts too."""
    a, b = _words(heard), _words(phrase)
    return _subsequence(a, b) or _subsequence(b, a)


def _subsequence(short: list[str], long: list[str]) -> bool:
    it = iter(long)
    return all(any(w == x for x in it) for w in short)


@lru_cache(maxsize=8)
def _vocabulary(phrases: tuple[str, ...]) -> frozenset[str]:
    return frozenset(w for p in phrases for w in _words(p))


def _unlisted_words(heard: str, vocabulary: frozenset[str]) -> bool:
    """Whether heard words include one no listed phrase uses ("strip", "therapy", "yourinary")."""
    return any(w not in vocabulary for w in _words(heard))


def _confirms(decoded: str, candidate: Candidate, heard: str) -> bool:
    """Whether a decoding primed with the candidate's diagnosis wrote that diagnosis itself (case,
    punctuation and hyphens aside) and reads, as a whole, more like the candidate sentence than like the
    sentence as heard (so a candidate that also dropped or added other words is not confirmed)."""
    said, phrase = _words(decoded), _words(candidate.phrase)
    if not any(said[i : i + len(phrase)] == phrase for i in range(len(said) - len(phrase) + 1)):
        return False
    like = difflib.SequenceMatcher(None, said, _words(candidate.text)).ratio()
    if like < MIN_LIKENESS:
        return False  # a decoding that lost the sentence ("eczema. eczema. eczema. ...") confirms nothing
    return like > difflib.SequenceMatcher(None, said, _words(heard)).ratio()


def _nearest_confirmed(
    ranked: list[tuple[float, Candidate]],
    heard: float,
    vocabulary: frozenset[str],
    text: str,
    decode_with_hint: HintedDecoder,
    tried: list[Candidate],
) -> Candidate | None:
    """The diagnosis closest in spelling and sound to the heard words, when the likeliest ones were not
    confirmed: Whisper scores a long term low ("benign paroxysmal positional vertigo" far below shorter
    phrases for "benign peroxies melt position over to go"), but primed with it, it writes it."""
    near = [
        (cand.closeness, value, cand)
        for value, cand in ranked
        if not cand.qualifier and _unlisted_words(cand.heard, vocabulary)
    ]
    if not near:
        return None
    closeness, value, cand = max(near, key=lambda n: (n[0], n[1]))
    if cand in tried or closeness < NEAR_CLOSENESS or value < heard - NEAR_TOLERANCE:
        return None
    return cand if _confirms(decode_with_hint(cand.phrase), cand, text) else None


def recover_diagnoses(
    text: str,
    *,
    score: Scorer,
    decode_with_hint: HintedDecoder | None = None,
    start: int = 0,
    end: int | None = None,
    diagnoses: Iterable[str] | None = None,
    qualifiers: Iterable[str] | None = None,
    margins: list[float] | None = None,
) -> str:
    """The utterance with misheard diagnosis words replaced, else unchanged. Words before character
    ``start`` (a header said in the same utterance) are left alone.

    A replacement is made when Whisper scores it clearly likelier than what it wrote (``MARGIN``), or,
    for a listed diagnosis scored nearly as likely (within ``TOLERANCE``), when Whisper primed with that
    diagnosis (``decode_with_hint``) then writes it itself. Whisper's own text is its best guess as
    English, so it often outscores the right diagnosis a little; primed, Whisper writes the right one and
    still refuses a wrong one ("herpes simplex" primed over "herpes zoster" audio stays "Herpes master").

    Only heard words that may be a garbled term are replaced (``wordlists.garbled``: never a header, a
    number, or ordinary words alone), so a misheard header is never turned into a diagnosis. ``margins``
    receives, for each replacement, its score minus the sentence as heard."""
    length = len(text)  # a replacement moves the end of the diagnosis words by what it adds
    dx = tuple(diagnoses if diagnoses is not None else common_diagnoses())
    qual = tuple(qualifiers if qualifiers is not None else diagnosis_qualifiers())
    vocabulary = _vocabulary(dx + qual)
    for _ in range(MAX_ROUNDS):
        limit = len(text) if end is None else end + (len(text) - length)
        options = [
            c for c in shortlist(text, start, dx, qual, end=limit) if garbled(c.heard, known=vocabulary)
        ]
        if not options:
            break
        scores = score([text, *(c.text for c in options)])
        heard = scores[0]
        ranked = sorted(zip(scores[1:], options, strict=True), key=lambda sc: (-sc[0], sc[1].text))
        chosen: Candidate | None = None
        if ranked[0][0] >= heard + MARGIN:
            chosen = ranked[0][1]
        elif decode_with_hint is not None:
            tried: list[Candidate] = []
            for value, cand in ranked:
                if value < heard - TOLERANCE or len(tried) >= MAX_CONFIRMATIONS:
                    break
                if cand.qualifier or not _unlisted_words(cand.heard, vocabulary):
                    continue  # a qualifier primes nothing; a listed diagnosis is never swapped for a
                    # sound-alike on a primed decoding ("hypertension" primed as "hypotension" is written)
                tried.append(cand)
                if _confirms(decode_with_hint(cand.phrase), cand, text):
                    chosen = cand
                    break
            if chosen is None:
                chosen = _nearest_confirmed(ranked, heard, vocabulary, text, decode_with_hint, tried)
        if chosen is None:
            break
        if margins is not None:
            margins.append(scores[1 + options.index(chosen)] - heard)
        text = chosen.text  # only words after ``start`` were replaced: the header before it stays put
    return text
