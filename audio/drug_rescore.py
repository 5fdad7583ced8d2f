"""Recovering a drug name Whisper mis-heard right before a dose, by asking Whisper which drug it was.

Whisper writes an unfamiliar drug name as ordinary English ("Acre 81 milligrams", "Start a big 5
milligrams"), and a spelling or sound match cannot get from "acre" back to aspirin. But the dose that
follows proves a drug name belongs in that slot, so the question becomes a multiple choice: which of the
commonly prescribed drugs (``resources/vocab/common_drugs.txt``, a primary-care formulary of about 300
generic names) best explains *this audio*? Whisper's own decoder answers it: the candidate sentences of
the drugs spelled and sounding most like the heard words are scored by forced alignment (the
log-probability of their tokens given the audio), and the best drug must win clearly. It is then
confirmed by decoding the utterance again with that one name as a hot word; only
if Whisper, primed, now writes that drug itself does the slot change. An ordinary phrase before a dose
("give her 20 milligrams") stays as said, because primed decoding still hears "her".
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from audio.phonetic import closeness
from audio.wordlists import common_drugs, garbled, header_word

#: the units that make a number a dose of a named drug
_DOSE_UNITS = r"milligrams?|micrograms?|grams?|mg|mcg|g|units"
#: words that start or carry a prescription and are never part of the drug's name
_LEAD_WORDS = {
    "start", "started", "starting", "continue", "continued", "add", "increase", "increased", "decrease",
    "decreased", "reduce", "stop", "take", "takes", "taking", "prescribe", "prescribed", "begin", "resume",
    "switch", "to", "on", "and", "then", "the", "a", "an", "of", "with", "plus", "also", "give", "given",
    "use", "try", "hold", "restart", "recommend", "recommended", "we", "will", "i", "she", "he", "patient",
    "is", "was", "at", "by", "from", "for", "or", "her", "his", "their", "your", "my", "our", "this", "that",
    "dose", "doses", "total", "daily", "each", "another", "extra", "additional", "up", "down", "it", "them",
    "him", "about", "around", "only", "just", "now", "currently", "same",
}  # fmt: skip
_TOKEN = re.compile(r"[A-Za-z][A-Za-z'-]*|\d+(?:\.\d+)?|[^\sA-Za-z\d]")
MAX_SPAN_WORDS = 4
#: how close (in nats of log-probability) to the best drug a candidate must be to be tried
MARGIN = 3.0
#: at most this many of them are confirmed by decoding again (each costs one decoding)
MAX_CONFIRMATIONS = 2
#: how alike in spelling and sound (``phonetic.closeness``) a drug and the heard words must be for the
#: drug to be tried at all ("Acre" and aspirin 0.38; "breathing" and lithium 0.29)
MIN_CLOSENESS = 0.35
#: the drug closest in sound is tried too when at least this close ("lipidide" and glipizide 0.71) ...
SOUND_CLOSENESS = 0.6
#: ... and scored within this many nats of the best drug
SOUND_TOLERANCE = 12.0
#: how much likelier (nats) than every other drug a drug that does not sound close must be
MIN_MARGIN = 1.0
#: how much of the candidate sentence (difflib's ratio of words) a primed decoding must reproduce
MIN_LIKENESS = 0.6
#: how many drugs, the closest in spelling and sound to what was heard, are scored against the audio:
#: each costs Whisper a pass over the whole 30-second window (about 0.08 s), and a drug that sounds
#: nothing like the heard words is never tried anyway (``MIN_CLOSENESS``)
SHORTLIST_SIZE = 24


@dataclass(frozen=True)
class DrugSlot:
    """Characters ``start:end`` of the text hold what was heard where a drug name belongs."""

    start: int
    end: int
    dose_end: int  # end of the dose's unit: the sentence is scored up to here


def missing_drug_slots(text: str, *, known: Iterable[str]) -> list[DrugSlot]:
    """The spans right before a dose ("Acre" in "Acre 81 milligrams") that are not a drug name."""
    names = {n.lower() for n in known}
    slots: list[DrugSlot] = []
    for m in re.finditer(rf"\b\d+(?:\.\d+)?\s*(?:{_DOSE_UNITS})\b", text, flags=re.IGNORECASE):
        words = [w for w in _TOKEN.finditer(text[: m.start()])]
        span: list[re.Match[str]] = []
        for w in reversed(words):
            token = w.group(0)
            if token == "." and not span:
                continue  # "Approx. 500 milligrams": Whisper's full stop right before the dose
            if not re.fullmatch(r"[A-Za-z][A-Za-z'-]*", token) or len(span) >= MAX_SPAN_WORDS:
                break
            span.insert(0, w)
        # "Start", "takes", or a header said inline ("Plan pantopresil 40 milligrams") is no part of it
        while span and (span[0].group(0).lower() in _LEAD_WORDS or header_word(span[0].group(0))):
            span.pop(0)
        if not span:
            continue
        article = _article_before(words, span[0])
        if article is not None:  # "Start a big 5 milligrams": the article is part of what was misheard
            span.insert(0, article)
        heard = [w.group(0).lower() for w in span]
        if any(" ".join(heard[i:]) in names for i in range(len(heard))) or any(h in names for h in heard):
            continue  # a drug name is already there
        end = span[-1].end()
        if text[end : end + 1] == "." and not text[end + 1 : m.start()].strip():
            end += 1  # "Approx. 500": the full stop goes with what was misheard
        slots.append(DrugSlot(span[0].start(), end, m.end()))
    return slots


def _writes(decoded: str, name: str, sentence: str) -> bool:
    """Whether a primed decoding wrote the drug as a word of its own ("methamphetamine" does not confirm
    amphetamine) while reading the rest of the utterance much as heard: primed, Whisper sometimes loops
    on the hint ("lithium. lithium. lithium.") instead of reading the audio."""
    if re.search(rf"(?<![a-z]){re.escape(name.lower())}(?![a-z])", decoded.lower()) is None:
        return False
    said, meant = re.findall(r"[a-z0-9]+", decoded.lower()), re.findall(r"[a-z0-9]+", sentence.lower())
    return difflib.SequenceMatcher(None, said, meant, autojunk=False).ratio() >= MIN_LIKENESS


def _shortlist(heard: str, pool: list[str], guess: str | None) -> list[str]:
    """The drugs worth asking Whisper about: the closest to the heard words, and the near miss."""
    ranked = sorted(pool, key=lambda name: -closeness(heard, name))[:SHORTLIST_SIZE]
    near_miss = [n for n in pool if guess is not None and n.lower() == guess.lower() and n not in ranked]
    return ranked + near_miss[:1]


#: short words Whisper writes for a drug's first syllable right after a prescribing verb: "Start a big"
#: (apixaban), "Start that poglif was in" (dapagliflozin)
_ARTICLES = ("a", "an", "the", "that")


def _article_before(words: list[re.Match[str]], first: re.Match[str]) -> re.Match[str] | None:
    """The "a" of "start a big": an article between a prescribing verb and the misheard name."""
    i = next(k for k, w in enumerate(words) if w.start() == first.start())
    if i >= 2 and words[i - 1].group(0).lower() in _ARTICLES and words[i - 2].group(0).lower() in _VERBS:
        return words[i - 1]
    return None


_VERBS = {
    "start",
    "continue",
    "add",
    "increase",
    "decrease",
    "take",
    "prescribe",
    "begin",
    "resume",
    "restart",
}


#: scores sentences against the audio: higher is likelier (Whisper's forced alignment)
Scorer = Callable[[list[str]], list[float]]
#: decodes the audio again with one word primed, returning the text
HintedDecoder = Callable[[str], str]


def recover_drugs(
    text: str,
    *,
    score: Scorer,
    decode_with_hint: HintedDecoder,
    known: Iterable[str],
    candidates: Iterable[str] | None = None,
    near_miss: Callable[[str], str | None] | None = None,
    margins: list[float] | None = None,
) -> str:
    """The text with each drug slot filled by the drug Whisper itself confirms, else unchanged.

    ``near_miss`` names the drug a heard span is a misspelling of ("metaprol" -> metoprolol); when that
    is one of the candidates it is tried first, and confirmed like the others.

    Only heard words that may be a garbled drug name are replaced (``wordlists.garbled``: not "her",
    "breathing" or a number); the chosen drug must beat every other drug by ``MIN_MARGIN`` nats, or be
    the nearest in sound and confirmed. ``margins`` receives, for each replacement, the chosen drug's
    score minus the best other drug's."""
    pool = list(candidates if candidates is not None else common_drugs())
    common = {c.lower() for c in pool}
    known_names = frozenset(n.lower() for n in known) | common
    for slot in reversed(missing_drug_slots(text, known=known_names)):
        capital = text[slot.start : slot.start + 1].isupper()
        before, after = text[: slot.start], text[slot.end :]
        if not after.startswith(" "):
            after = " " + after.lstrip()
        heard = text[slot.start : slot.end]
        if not garbled(heard, known=known_names):
            continue  # ordinary words before a dose ("give her 20 milligrams") were said as they are
        # a near miss by spelling or sound ("metaprol") is only a candidate: it is tried first, but like
        # every other it must be confirmed by Whisper against the audio
        guess = near_miss(heard) if near_miss is not None else None
        # the whole sentence is scored: every candidate must also account for the audio after it (the
        # dose, the route), so a short name cannot win by leaving that audio unexplained
        spelled = [c[:1].upper() + c[1:] if capital else c for c in _shortlist(heard, pool, guess)]
        scores = score([before + name + after for name in spelled])
        ranked = sorted(zip(scores, spelled, strict=True), reverse=True)
        # the likeliest drugs (within MARGIN of the best) are each confirmed by a primed decoding in turn;
        # one that sounds nothing like what was heard is not tried: Whisper's score favours short,
        # common names whatever was said, and primed with one ("lithium") it may just write it
        tries = [
            name
            for value, name in ranked[:MAX_CONFIRMATIONS]
            if value >= ranked[0][0] - MARGIN and closeness(heard, name) >= MIN_CLOSENESS
        ]
        # and the drug that sounds most like what was heard ("pirelectone": spironolactone), if it sounds
        # close and Whisper does not rule it out, though a common name may outscore it
        sound, nearest = max((closeness(heard, name), name) for name in spelled)
        value = scores[spelled.index(nearest)]
        if sound >= SOUND_CLOSENESS and value >= ranked[0][0] - SOUND_TOLERANCE and nearest not in tries:
            tries.append(nearest)
        if guess is not None and guess.lower() in common:
            named = next(n for n in spelled if n.lower() == guess.lower())
            tries = [named, *(t for t in tries if t != named)]
        for name in tries:
            value = scores[spelled.index(name)]
            margin = value - max((v for v, other in ranked if other != name), default=value)
            near = closeness(heard, name) >= SOUND_CLOSENESS
            if margin < MIN_MARGIN and not near:
                continue  # another drug explains the audio about as well: not a choice Whisper made
            if _writes(decode_with_hint(name.lower()), name, before + name + after):
                text = before + name + after
                if margins is not None:
                    margins.append(margin)
                break
    return text
