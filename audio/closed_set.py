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
_NOT_SAID = {"cc", "pc", "hpi", "hpc", "ros", "pmh"}


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
    ``trust_heard`` False (Whisper copied its prompt) what it wrote does not count against the choice."""
    if not is_short(heard) or already_closed(heard) or find_headers(heard) or find_commands(heard):
        return None  # Whisper heard a header or a command itself: nothing said after it is dropped
    options = phrases()
    scores = score([heard, *(p for p, _ in options)])
    own, ranked = scores[0], sorted(zip(scores[1:], options, strict=True), key=lambda x: -x[0])
    best_score, (best_text, best_meaning) = ranked[0]
    other = next((s for s, (_, meaning) in ranked[1:] if meaning != best_meaning), None)
    margin = best_score - other if other is not None else MARGIN
    need, tolerance = (MARGIN, TOLERANCE) if trust_heard else (MARGIN_COPIED, TOLERANCE_COPIED)
    if margin < need or best_score < own - tolerance:
        return None
    return Choice(best_text, best_meaning, margin)
