"""A short utterance is a header or a command far more often than anything else, so it is not left to
Whisper's free text.

Said alone, "Assessment" came out as "Assalamu alaikum", "Physical exam" as "MMM", and the section was
lost (or worse, the recovery of diagnoses filled it). An utterance of one to three words is therefore
put to Whisper as a multiple choice: each spoken header and voice command is scored against the audio
by forced alignment (``WhisperTranscriber.score_texts``), with what Whisper wrote among them. The best
phrase of the closed set is taken only when it beats every phrase of another meaning by ``MARGIN`` and
scores within ``TOLERANCE`` of Whisper's own text (a short utterance that is content, "No fever.",
scores far better as written than as any header, and stays).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from audio.spoken import HEADERS, find_commands, find_headers

#: scores sentences against the audio: higher is likelier (Whisper's forced alignment)
Scorer = Callable[[list[str]], list[float]]

#: how many words an utterance may have for the closed set to be asked
MAX_WORDS = 3
#: how much likelier (nats) the best phrase must be than every phrase that means something else
MARGIN = 1.5
#: how much less likely than Whisper's own text the best phrase may be and still be taken
TOLERANCE = 4.0

#: a phrase that beats every phrase of another meaning by this much may be less likely than Whisper's
#: text by up to ``CLEAR_TOLERANCE``: "Go to objections." (4.6 nats above "Go to objective.", which beat
#: every other phrase by 4.7); on the dev sets no content said alone came within 6 nats of its own text
#: with such a margin
CLEAR_MARGIN = 3.0
CLEAR_TOLERANCE = 6.0

#: the same when Whisper's text only copies its prompt: what it wrote counts for less, but a header must
#: then win more clearly ("Lungs are clear." is in the prompt and is also said)
MARGIN_COPIED = 3.0
TOLERANCE_COPIED = 10.0

#: the commands a doctor says alone (the rest of the command phrases are their variants)
_COMMANDS = (
    "new paragraph", "new line", "scratch that", "undo that", "stop dictation",
    "go to subjective", "go to objective", "go to assessment", "go to plan",
)  # fmt: skip
#: header spellings that are not said as such (abbreviations are spelled out by Whisper anyway)
#: headers the closed set does not score: abbreviations, Whisper's writings of a header ("assessment and
#: planned", "assessment plan" for "Assessment/plan") and the rare ones; every phrase added there is one
#: more a short utterance may be read as
_NOT_SAID = {
    "cc", "pc", "hpi", "hpc", "ros", "pmh", "assessment and planned", "assessment plan", "impression plan",
    "assessment slash plan", "impression slash plan", "a and p", "recommendations", "disposition",
}  # fmt: skip


@dataclass(frozen=True)
class Choice:
    text: str  # the phrase as written into the transcript ("Assessment.")
    meaning: str  # what it does: a section or a command
    margin: float  # nats by which it beat the best phrase of another meaning


@lru_cache(maxsize=1)
def phrases() -> tuple[tuple[str, str], ...]:
    """(written phrase, meaning) of every header and command of the closed set."""
    out: list[tuple[str, str]] = []
    for phrase, (section, _) in HEADERS.items():
        if phrase not in _NOT_SAID:
            out.append((phrase[:1].upper() + phrase[1:] + ".", f"header:{section}"))
    for phrase in _COMMANDS:
        (found,) = find_commands(phrase)
        out.append((phrase[:1].upper() + phrase[1:] + ".", f"command:{found.name}:{found.argument or ''}"))
    return tuple(out)


def is_short(text: str) -> bool:
    return 0 < len(re.findall(r"[A-Za-z0-9]+", text)) <= MAX_WORDS


def already_closed(text: str) -> bool:
    """Whether Whisper's text already is one header or command, exactly (nothing to ask)."""
    plain = " ".join(re.findall(r"[a-z0-9]+", text.lower()))
    return any(plain == " ".join(re.findall(r"[a-z0-9]+", p.lower())) for p, _ in phrases()) and bool(
        find_headers(text) or find_commands(text)
    )


def choose(heard: str, score: Scorer, *, trust_heard: bool = True) -> Choice | None:
    """The header or command a short utterance was, or None to keep Whisper's text. With
    ``trust_heard`` False (Whisper copied its prompt) what it wrote does not count against the choice.

    Each phrase scored costs Whisper a pass over its 30-second window (about 0.05 s), so a short text
    that is plainly content is not asked at all, and the others are asked in two rounds: the main
    headers, the commands and the phrases spelled most like what was heard first; the rest only when
    one of those comes near enough to what Whisper wrote to be chosen."""
    if not is_short(heard) or already_closed(heard) or find_headers(heard) or find_commands(heard):
        return None  # Whisper heard a header or a command itself: nothing said after it is dropped
    if trust_heard and _plainly_content(heard):
        return None
    options = phrases()
    first = options if not trust_heard else _first_round(heard)
    scores = dict(zip([heard, *(p for p, _ in first)], score([heard, *(p for p, _ in first)]), strict=True))
    own = scores.pop(heard) if heard not in dict(first) else scores[heard]
    widest = TOLERANCE_COPIED if not trust_heard else max(TOLERANCE, CLEAR_TOLERANCE)
    if max(scores.values()) < own - widest:
        return None  # nothing of the closed set comes near: content said alone
    rest = [p for p, _ in options if p not in scores]
    if rest:
        scores.update(zip(rest, score(rest), strict=True))
    return _decide(own, scores, trust_heard=trust_heard)


def _decide(own: float, scores: dict[str, float], *, trust_heard: bool) -> Choice | None:
    meanings = dict(phrases())
    ranked = sorted(scores.items(), key=lambda x: -x[1])
    best_text, best_score = ranked[0]
    best_meaning = meanings[best_text]
    other = next((s for p, s in ranked[1:] if meanings[p] != best_meaning), None)
    margin = best_score - other if other is not None else MARGIN
    need, tolerance = (MARGIN, TOLERANCE) if trust_heard else (MARGIN_COPIED, TOLERANCE_COPIED)
    if margin >= CLEAR_MARGIN and trust_heard:
        tolerance = CLEAR_TOLERANCE  # one header or command alone fits ("Go to objections.")
    if margin < need or best_score < own - tolerance:
        return None
    return Choice(best_text, best_meaning, margin)


#: how many phrases spelled most like the heard words join the first round
FIRST_ROUND_NEAREST = 6


def _first_round(heard: str) -> tuple[tuple[str, str], ...]:
    """The main spelling of every meaning and the phrases spelled most like the heard words."""
    from audio.phonetic import closeness

    options = phrases()
    main: dict[str, tuple[str, str]] = {}
    for phrase, meaning in options:
        main.setdefault(meaning, (phrase, meaning))
    nearest = sorted(options, key=lambda o: -closeness(heard, o[0]))[:FIRST_ROUND_NEAREST]
    chosen = {**{o[0]: o for o in main.values()}, **{o[0]: o for o in nearest}}
    return tuple(chosen.values())


def _plainly_content(heard: str) -> bool:
    """A number: no header or command has one ("Weight 162.", "Hemoglobin 9.1."). (Drug and diagnosis
    words are no such sign: "Scratch that." was heard as "Scratch relax.")"""
    return bool(re.search(r"\d", heard))
