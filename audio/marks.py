"""What the doctor must see: every automatic change to the heard words, and every word heard uncertainly.

A correction pass that rewrites words ("Acre 81 milligrams" -> "aspirin 81 milligrams") is right most of
the time, but the doctor signs the note, so each change stays with the text: where it is (a character
span of the text as it now reads), what was heard, what it became, how sure the pass was, and which pass
made it. Words the engines were unsure of are kept the same way, unchanged. The note then shows both as
highlights to accept or revert, and signing lists what is still unreviewed.

``TrackedText`` carries the text and its marks through a chain of passes: each pass is a plain function
from text to text, and the words it changed are found by comparing the text before and after it, word
by word. A span changed twice (spelling, then the drug recovery) is one correction whose original is
what was first heard; one changed back to what was heard is no correction at all.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

CORRECTION = "correction"
UNCERTAIN = "uncertain"

#: the passes whose uncertain words stay in the text, shown, but give the structured note no drug and no
#: diagnosis until the doctor accepts them: words the second engine heard otherwise ("second_opinion")
#: or not at all ("only_whisper"), a short utterance that only repeats Whisper's prompt ("prompt_copy"),
#: and a stretch Whisper itself gave little probability ("whisper"). A drug name is rarely written two
#: ways by two engines that heard it; where they differ, one of them misheard, and a wrong drug in the
#: list is worse than an empty line.
SECOND_OPINION = "second_opinion"
ONLY_WHISPER = "only_whisper"
PROMPT_COPY = "prompt_copy"
WHISPER_UNSURE = "whisper"
#: and a diagnosis the audio fits no better than another alike in sound ("bronchitis", bronchiolitis)
DIAGNOSIS_ALIKE = "diagnosis_alike"
#: and words a "scratch that" would have dropped, where that command was itself read from other words
#: (the closed set's choice): they stay, shown, until the doctor deletes or keeps them
KEPT_FROM_SCRATCH = "kept_from_scratch"
#: and words a "go to" read from other words placed in its section: shown, but nothing held back (the
#: words are as heard; only their section is in doubt)
PLACED_BY_COMMAND = "placed_by_command"
HOLDS_NAMES = frozenset(
    {SECOND_OPINION, ONLY_WHISPER, PROMPT_COPY, WHISPER_UNSURE, DIAGNOSIS_ALIKE, KEPT_FROM_SCRATCH}
)
#: the passes whose words give no vital either: numbers are written many ways ("142/88", "one forty two
#: over eighty eight"), so the engines' differing there is mostly form; words only one engine heard are
#: no reading at all
HOLDS_VITALS = frozenset({ONLY_WHISPER, PROMPT_COPY, KEPT_FROM_SCRATCH})

_TOKEN = re.compile(r"[A-Za-z0-9]+(?:['.,/-][A-Za-z0-9]+)*|[^\sA-Za-z0-9]")


@dataclass(frozen=True)
class Mark:
    """One automatic change (``kind`` "correction") or one uncertain stretch ("uncertain").

    ``start:end`` are characters of the text the mark belongs to (the new words of a correction, the
    doubtful words themselves for an uncertain mark). ``original`` is what was heard; ``new`` what the
    text now says there (the same words for an uncertain mark). ``score`` is the pass's own measure (a
    margin in nats of log-probability for Whisper's choices, a probability for a word, None for a rule),
    ``pass_name`` the pass, and ``note`` a short reason shown to the doctor."""

    kind: str
    start: int
    end: int
    original: str
    new: str
    score: float | None
    pass_name: str
    note: str = ""

    def moved(self, start: int, end: int, *, new: str | None = None) -> Mark:
        return replace(self, start=start, end=end, new=self.new if new is None else new)

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "start": self.start,
            "end": self.end,
            "original": self.original,
            "new": self.new,
            "score": None if self.score is None else round(self.score, 3),
            "pass": self.pass_name,
        }
        if self.note:
            out["note"] = self.note
        return out


def holds(kind: str, pass_name: str, *, vitals: bool = False) -> bool:
    """Whether a mark of this kind and pass keeps its words out of the structured note until accepted:
    out of the medications and diagnoses (``HOLDS_NAMES``), or with ``vitals`` out of the vitals
    (``HOLDS_VITALS``)."""
    passes = HOLDS_VITALS if vitals else HOLDS_NAMES
    return kind == UNCERTAIN and any(p in passes for p in pass_name.split("+"))


def tokens(text: str) -> list[re.Match[str]]:
    return list(_TOKEN.finditer(text))


@dataclass(frozen=True)
class _Change:
    old_start: int
    old_end: int
    new_start: int
    new_end: int


def _changes(old: str, new: str) -> tuple[list[_Change], Callable[[int], int]]:
    """The word-level changes from ``old`` to ``new`` and a map of unchanged character positions."""
    a, b = tokens(old), tokens(new)
    matcher = difflib.SequenceMatcher(
        None, [t.group(0).lower() for t in a], [t.group(0).lower() for t in b], autojunk=False
    )
    changes: list[_Change] = []
    anchors: list[tuple[int, int]] = [(0, 0)]  # (old char, new char) pairs known to correspond
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                anchors.append((a[i].start(), b[j].start()))
                anchors.append((a[i].end(), b[j].end()))
            continue
        o1 = a[i1].start() if i1 < i2 else (a[i1 - 1].end() if i1 > 0 else 0)
        o2 = a[i2 - 1].end() if i1 < i2 else o1
        n1 = b[j1].start() if j1 < j2 else (b[j1 - 1].end() if j1 > 0 else 0)
        n2 = b[j2 - 1].end() if j1 < j2 else n1
        changes.append(_Change(o1, o2, n1, n2))
    anchors.append((len(old), len(new)))

    def position(old_pos: int) -> int:
        best = max((p for p in anchors if p[0] <= old_pos), key=lambda p: p[0])
        return min(len(new), best[1] + (old_pos - best[0]))

    return changes, position


class TrackedText:
    """A text and its marks, through a chain of passes (see the module's docstring)."""

    def __init__(self, text: str, marks: Iterable[Mark] = ()) -> None:
        self.text = text
        self.marks: list[Mark] = list(marks)

    def apply(
        self, pass_name: str, fix: Callable[[str], str], *, score: float | None = None, note: str = ""
    ) -> TrackedText:
        """Runs one pass; the words it changed become corrections named ``pass_name``."""
        return self.replace_text(fix(self.text), pass_name, score=score, note=note)

    def replace_text(
        self, new: str, pass_name: str, *, score: float | None = None, note: str = ""
    ) -> TrackedText:
        old = self.text
        if new == old:
            return self
        changes, position = _changes(old, new)
        kept: list[Mark] = []
        merged_into: dict[int, list[Mark]] = {}
        for mark in self.marks:
            hit = _overlapping(mark, changes)
            if hit is None:
                kept.append(mark.moved(position(mark.start), position(mark.end)))
            else:
                merged_into.setdefault(hit, []).append(mark)
        for k, change in enumerate(changes):
            earlier = sorted(merged_into.get(k, []), key=lambda m: m.start)
            old_start = min([change.old_start, *(m.start for m in earlier)])
            old_end = max([change.old_end, *(m.end for m in earlier)])
            new_start = change.new_start - (change.old_start - old_start)
            new_end = change.new_end + (old_end - change.old_end)
            original = _original(old, old_start, old_end, [m for m in earlier if m.kind == CORRECTION])
            now = new[new_start:new_end]
            if _same_words(original, now):
                continue  # changed back to what was heard
            passes = [m.pass_name for m in earlier if m.kind == CORRECTION] + [pass_name]
            kept.append(
                Mark(
                    CORRECTION,
                    new_start,
                    new_end,
                    original,
                    now,
                    score,
                    "+".join(dict.fromkeys(passes)),
                    note,
                )
            )
        self.text = new
        self.marks = sorted(kept, key=lambda m: (m.start, m.end))
        return self

    def flag(self, start: int, end: int, *, score: float | None, pass_name: str, note: str = "") -> None:
        """Marks characters ``start:end`` as uncertain (unchanged words the doctor should check)."""
        if start >= end or any(m.start <= start and end <= m.end for m in self.marks):
            return  # already shown (a correction or an earlier flag covers it)
        words = self.text[start:end]
        self.marks.append(Mark(UNCERTAIN, start, end, words, words, score, pass_name, note))
        self.marks.sort(key=lambda m: (m.start, m.end))


def _overlapping(mark: Mark, changes: list[_Change]) -> int | None:
    for k, c in enumerate(changes):
        if c.old_start == c.old_end:
            if mark.start < c.old_start < mark.end:
                return k
        elif mark.start < c.old_end and c.old_start < mark.end:
            return k
    return None


def _original(text: str, start: int, end: int, corrections: list[Mark]) -> str:
    """What was heard over ``start:end``: the text there, with earlier corrections put back."""
    pieces: list[str] = []
    pos = start
    for m in sorted(corrections, key=lambda m: m.start):
        pieces.append(text[pos : m.start])
        pieces.append(m.original)
        pos = m.end
    pieces.append(text[pos:end])
    return "".join(pieces).strip()


def _same_words(a: str, b: str) -> bool:
    return [t.group(0).lower() for t in tokens(a)] == [t.group(0).lower() for t in tokens(b)]


def shift(marks: Iterable[Mark], offset: int, *, limit: tuple[int, int] | None = None) -> list[Mark]:
    """Marks of a text seen from a slice of it: only those inside ``limit`` (start, end), moved by
    ``offset`` (negative for a slice that starts later)."""
    out: list[Mark] = []
    for m in marks:
        if limit is not None and not (limit[0] <= m.start and m.end <= limit[1]):
            continue
        out.append(m.moved(m.start + offset, m.end + offset))
    return out


def span_mapper(old: str, new: str) -> Callable[[int, int], tuple[int, int]]:
    """Maps a character span of ``old`` to the span of ``new`` that says the same words, for a text
    rewritten by formatting (``normalize``: "forty milligrams" -> "40 mg"): a span that ends inside a
    rewritten stretch takes the whole rewritten stretch."""
    changes, position = _changes(old, new)

    def mapped(start: int, end: int) -> tuple[int, int]:
        s = next((c.new_start for c in changes if c.old_start <= start < c.old_end), position(start))
        e = next((c.new_end for c in changes if c.old_start < end <= c.old_end), position(end))
        return s, max(s, e)

    return mapped
