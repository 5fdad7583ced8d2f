"""The doctor's review of what dictation did to the words (issue 12, "never invent; always show").

Dictation keeps every automatic change ("corrections") and every word heard uncertainly ("uncertain")
with the note (``app.soap.note.SoapNote.marks``). This module holds the rules for reviewing them, free
of Qt so that the editor, the sign step and the tests share one definition:

* A mark is **unreviewed**, **accepted** (the words stay as they are), **reverted** (a correction's
  words are replaced by what was heard) or **edited** (the doctor typed over or into its words). Each
  review says who and when; the last one counts, so an accept after a revert puts the corrected words
  back (and whatever the revert took out of the structured fields).
* A mark stays anchored to its words while the doctor edits around it: an edit is found as the one
  stretch where the old and new section text differ (:func:`edit_region`), and marks before it move,
  marks after it stay, a mark it touches takes in the new words. A mark whose words the doctor changed
  by hand counts as **reviewed by editing**, not dropped: the doctor looked at those words and chose
  their own, and the note still keeps what was heard and what the machine wrote, which is the record
  the design asks for. Typing right after a mark touches it only when glued to its word ("204" ->
  "2045"), not after a space; typing before it never does (a new word typed there is glued to it until
  its space is typed, and must not count as an edit of the mark).
* Reverting a correction that named a drug, a diagnosis, a dose or a vital also takes that entry out
  of the structured fields, which were read from the corrected words: a drug that was never said must
  not stay in the medication list once the doctor has said the words were wrong.
* Words the engines did not agree on (an uncertain mark of a holding pass, ``audio.marks.holds``) give
  the structured fields no drug or diagnosis (words only Whisper heard: nothing) while unreviewed;
  accepting them adds what they give, read from the section as it stands.
* Signing with unreviewed marks is allowed after an explicit confirmation, recorded with the note
  (:func:`signing_record`): blocking outright would keep a clinician from closing a visit over an
  uncertain "the", while signing silently would let a wrong drug through unseen.

In the note's JSON each mark keeps the dictation's fields (id, kind, section, start/end in the
section's text, text, original, new, score, pass, note) plus ``review``: {state, by, by_name, at}.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from audio.marks import CORRECTION as CORRECTION  # the two kinds of mark, named once
from audio.marks import UNCERTAIN as UNCERTAIN
from audio.marks import holds
from models.enums import SOAP_SECTIONS

UNREVIEWED = "unreviewed"
ACCEPTED = "accepted"
REVERTED = "reverted"
EDITED = "edited"
STATES = (UNREVIEWED, ACCEPTED, REVERTED, EDITED)
#: the note's JSON keys for the two kinds
LISTS = {CORRECTION: "corrections", UNCERTAIN: "uncertain"}
#: the record of a signature given with marks still unreviewed
SIGN_CONFIRMATION = "signed_with_unreviewed"

_WORD_CHAR = re.compile(r"\w")
_TOKEN = re.compile(r"[a-z0-9]+(?:[./][a-z0-9]+)*")


@dataclass(frozen=True)
class Reviewer:
    """Who reviews: the signed-in user's id and name (kept with each review)."""

    id: str
    name: str


@dataclass(frozen=True)
class NoteMark:
    """One correction or uncertain stretch of a note, where it is now and how it was reviewed."""

    id: str
    kind: str
    section: str
    start: int
    end: int
    text: str
    original: str
    new: str
    score: float | None = None
    pass_name: str = ""
    note: str = ""
    state: str = UNREVIEWED
    by: str | None = None
    by_name: str | None = None
    at: str | None = None
    #: the words a revert replaced and the structured entries it took out, for an accept after it
    replaced: str | None = None
    taken_out: dict[str, Any] = field(default_factory=dict)

    @property
    def unreviewed(self) -> bool:
        return self.state == UNREVIEWED

    @property
    def can_revert(self) -> bool:
        """Only a correction has other words to go back to (an uncertain mark's are as heard)."""
        return self.kind == CORRECTION and self.state != REVERTED

    def reviewed(self, state: str, reviewer: Reviewer | None, now: datetime, **changes: Any) -> NoteMark:
        who = (reviewer.id, reviewer.name) if reviewer is not None else (None, None)
        return replace(self, state=state, by=who[0], by_name=who[1], at=now.isoformat(), **changes)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id, "kind": self.kind, "section": self.section, "start": self.start,
            "end": self.end, "text": self.text, "original": self.original, "new": self.new,
            "score": self.score, "pass": self.pass_name,
        }  # fmt: skip
        if self.note:
            out["note"] = self.note
        out["review"] = {"state": self.state, "by": self.by, "by_name": self.by_name, "at": self.at}
        if self.replaced is not None:
            out["replaced"] = self.replaced
        if self.taken_out:
            out["taken_out"] = self.taken_out
        return out

    @classmethod
    def from_json(cls, entry: dict[str, Any], kind: str) -> NoteMark | None:
        """A mark from the note's JSON, or None when the entry is not one (it is then kept as it is)."""
        section, start, end = entry.get("section"), entry.get("start"), entry.get("end")
        if section not in SOAP_SECTIONS or not isinstance(start, int) or not isinstance(end, int):
            return None
        review = entry.get("review") if isinstance(entry.get("review"), dict) else {}
        assert isinstance(review, dict)
        state = review.get("state") if review.get("state") in STATES else UNREVIEWED
        score = entry.get("score")
        taken = entry.get("taken_out")
        return cls(
            id=str(entry.get("id") or f"{kind[0]}-{section}-{start}"),
            kind=kind,
            section=str(section),
            start=max(0, start),
            end=max(0, start, end),
            text=str(entry.get("text") or ""),
            original=str(entry.get("original") or ""),
            new=str(entry.get("new") or ""),
            score=float(score) if isinstance(score, int | float) else None,
            pass_name=str(entry.get("pass") or ""),
            note=str(entry.get("note") or ""),
            state=str(state),
            by=_text_or_none(review.get("by")),
            by_name=_text_or_none(review.get("by_name")),
            at=_text_or_none(review.get("at")),
            replaced=_text_or_none(entry.get("replaced")),
            taken_out=dict(taken) if isinstance(taken, dict) else {},
        )


def _text_or_none(value: object) -> str | None:
    return None if value is None else str(value)


def ordered(marks: Iterable[NoteMark]) -> list[NoteMark]:
    """In reading order: Subjective to Plan, then by place in the section."""
    return sorted(marks, key=lambda m: (SOAP_SECTIONS.index(m.section), m.start, m.end, m.id))


# -- the note's JSON ------------------------------------------------------------------------------


@dataclass
class NoteMarks:
    """A note's marks as read from its content, plus entries that were not marks (kept, never lost)."""

    marks: list[NoteMark]
    other: dict[str, list[Any]]
    #: whether the content had the lists at all (a note never dictated gets none written)
    present: bool


def read_marks(content: dict[str, Any]) -> NoteMarks:
    """The marks of a note, each anchored to its words in the section text as it stands
    (:func:`anchor`)."""
    marks: list[NoteMark] = []
    other: dict[str, list[Any]] = {key: [] for key in LISTS.values()}
    present = False
    for kind, key in LISTS.items():
        entries = content.get(key)
        if entries is None:
            continue
        present = True
        for entry in entries if isinstance(entries, list) else [entries]:
            mark = NoteMark.from_json(entry, kind) if isinstance(entry, dict) else None
            if mark is None:
                other[key].append(entry)
            else:
                marks.append(anchor(mark, str(content.get(mark.section) or "")))
    return NoteMarks(ordered(marks), other, present)


def write_marks(content: dict[str, Any], marks: Iterable[NoteMark], *, other: dict[str, list[Any]]) -> None:
    """Puts the marks (and the entries that were not marks) into ``content``'s two lists."""
    by_kind: dict[str, list[Any]] = {key: [] for key in LISTS.values()}
    for mark in ordered(marks):
        by_kind[LISTS[mark.kind]].append(mark.to_json())
    for key, entries in other.items():
        by_kind.setdefault(key, []).extend(entries)
    content.update(by_kind)


def anchor(mark: NoteMark, text: str) -> NoteMark:
    """The mark on its words in ``text``: where it says, or the nearest place its words are (a note
    changed by an older client or merged after a conflict). Words no longer in the text at all mean
    they were edited away: an unreviewed mark then counts as edited, by nobody known."""
    start, end = min(mark.start, len(text)), min(mark.end, len(text))
    if text[start:end] == mark.text:
        return replace(mark, start=start, end=end)
    if mark.text:
        found = [m.start() for m in re.finditer(re.escape(mark.text), text)]
        if found:
            best = min(found, key=lambda at: abs(at - mark.start))
            return replace(mark, start=best, end=best + len(mark.text))
    moved = replace(mark, start=start, end=end, text=text[start:end])
    return replace(moved, state=EDITED) if mark.unreviewed else moved


# -- marks from a dictation -----------------------------------------------------------------------


def dictated_marks(soap: dict[str, Any], *, offsets: dict[str, int], id_prefix: str = "") -> list[NoteMark]:
    """The marks of a structured dictation (``SoapNote.to_dict``) in the editor's text, where each
    section's dictated text starts at ``offsets[section]`` (after the text typed before it)."""
    out: list[NoteMark] = []
    for kind, key in LISTS.items():
        for entry in soap.get(key) or []:
            mark = NoteMark.from_json(entry, kind) if isinstance(entry, dict) else None
            if mark is None:
                continue
            shift = offsets.get(mark.section, 0)
            out.append(
                replace(
                    mark, id=id_prefix + mark.id, start=mark.start + shift, end=mark.end + shift,
                    state=UNREVIEWED, by=None, by_name=None, at=None,
                )
            )  # fmt: skip
    return ordered(out)


def step(
    marks: Iterable[NoteMark],
    *,
    forward: bool,
    from_mark: NoteMark | None = None,
    from_place: tuple[str, int] | None = None,
) -> NoteMark | None:
    """The next (or previous) unreviewed mark in reading order after ``from_mark``, else after a
    place (section, cursor position); it wraps around. None when nothing waits review."""
    waiting = [m for m in ordered(marks) if m.unreviewed]
    if not waiting:
        return None
    if from_mark is not None:
        key = (SOAP_SECTIONS.index(from_mark.section), from_mark.start, from_mark.id)
    elif from_place is not None:
        section, position = from_place
        key = (SOAP_SECTIONS.index(section), position - (0 if forward else 1), "")
    else:
        return waiting[0] if forward else waiting[-1]
    keys = [(SOAP_SECTIONS.index(m.section), m.start, m.id) for m in waiting]
    if forward:
        return next((m for m, k in zip(waiting, keys, strict=True) if k > key), waiting[0])
    return next((m for m, k in zip(reversed(waiting), reversed(keys), strict=True) if k < key), waiting[-1])


# -- following the doctor's edits -----------------------------------------------------------------


def edit_region(old: str, new: str) -> tuple[int, int, int]:
    """The one stretch where ``new`` differs from ``old``: (position, characters removed, added). Any
    single edit (typing, a paste, a deletion, a replaced selection) is found exactly; several at once
    (an undo of many) as one stretch covering them all."""
    n = min(len(old), len(new))
    p = _longest(lambda k: old[:k] == new[:k], n)
    s = _longest(lambda k: old[len(old) - k :] == new[len(new) - k :], n - p)
    return p, len(old) - p - s, len(new) - p - s


def _longest(same: Callable[[int], bool], limit: int) -> int:
    """The largest k <= limit with same(k), for a ``same`` true up to some k and false after: a
    binary search of slice comparisons, so a keystroke in a long section costs microseconds."""
    lo, hi = 0, limit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if same(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


def _glued(a: str, b: str) -> bool:
    """Whether the last character of ``a`` and the first of ``b`` make one word."""
    return bool(a and b and _WORD_CHAR.match(a[-1]) and _WORD_CHAR.match(b[0]))


def follow_edit(
    marks: Iterable[NoteMark],
    section: str,
    old: str,
    new: str,
    *,
    reviewer: Reviewer | None,
    now: datetime,
    by_review: bool = False,
) -> list[NoteMark]:
    """The marks after the doctor changed ``section``'s text from ``old`` to ``new`` (see the module's
    docstring). ``by_review``: the change is a review's own (a revert), so the marks it touches only
    take in the new words and keep their state."""
    pos, removed, added = edit_region(old, new)
    if not removed and not added:
        return list(marks)
    end_old, delta = pos + removed, added - removed
    inserted = new[pos : pos + added]
    out: list[NoteMark] = []
    for m in marks:
        if m.section != section:
            out.append(m)
            continue
        touched = (
            (pos < m.end and end_old > m.start)
            or (m.start < pos < m.end)
            or (pos == m.end and m.start < m.end and _glued(old[m.start : m.end], inserted))
        )
        if not touched:
            out.append(replace(m, start=m.start + delta, end=m.end + delta) if end_old <= m.start else m)
            continue
        start = m.start if m.start <= pos else pos
        end = m.end + delta if m.end >= end_old else pos + added
        moved = replace(m, start=start, end=max(start, end), text=new[start : max(start, end)])
        out.append(moved if by_review else moved.reviewed(EDITED, reviewer, now))
    return out


# -- accepting and reverting ----------------------------------------------------------------------


@dataclass(frozen=True)
class Reviewed:
    """What a review did: the section's new text, every mark after it, the structured fields after it."""

    text: str
    marks: list[NoteMark]
    structured: dict[str, Any]
    mark: NoteMark


def review(
    marks: list[NoteMark],
    mark_id: str,
    *,
    accept: bool,
    text: str,
    structured: dict[str, Any],
    reviewer: Reviewer | None,
    now: datetime,
) -> Reviewed:
    """Accepts or reverts one mark. ``text`` is its section's text, ``structured`` the note's vitals,
    medications and diagnoses. Accept keeps the words (after a revert: puts the corrected words and
    what the revert took out back; for words held back because the engines did not agree on them,
    ``audio.marks.holds``, adds what they give: a drug, a diagnosis, a vital); revert puts a
    correction's original words back and takes out the structured entries only the corrected words
    gave. An uncertain mark cannot be reverted (ValueError): its words are the ones heard, and the
    doctor corrects them by typing."""
    mark = next((m for m in marks if m.id == mark_id), None)
    if mark is None:
        raise KeyError(mark_id)
    if accept:
        if mark.state == REVERTED and mark.replaced is not None:
            words = mark.replaced
            structured = _put_back(structured, mark.taken_out)
        else:
            words = mark.text
            if mark.unreviewed and holds(mark.kind, mark.pass_name):
                structured = _merge_new(structured, _released(marks, mark, text))
        done = mark.reviewed(ACCEPTED, reviewer, now, replaced=None, taken_out={})
    else:
        if not mark.can_revert:
            raise ValueError("only an automatic change that is not reverted already can be reverted")
        words = heard_words(mark)
        structured, taken = _take_out(structured, changed=mark.text, heard=mark.original)
        done = mark.reviewed(REVERTED, reviewer, now, replaced=mark.text, taken_out=taken)
    new_text = text[: mark.start] + words + text[mark.end :]
    others = follow_edit(
        [m for m in marks if m.id != mark_id], mark.section, text, new_text,
        reviewer=reviewer, now=now, by_review=True,
    )  # fmt: skip
    done = replace(done, end=mark.start + len(words), text=words)
    return Reviewed(new_text, ordered([*others, done]), structured, done)


def _released(marks: list[NoteMark], mark: NoteMark, text: str) -> dict[str, Any]:
    """What a held-back mark's words give the structured fields once accepted (``app.soap.released``),
    the section's other marks still held back giving nothing."""
    from app.soap.structure import released

    held = [
        (m.start, m.end, m.pass_name)
        for m in marks
        if m.section == mark.section and m.id != mark.id and m.unreviewed and holds(m.kind, m.pass_name)
    ]
    return released(mark.section, text, (mark.start, mark.end), held=held)


def _merge_new(structured: dict[str, Any], gained: dict[str, Any]) -> dict[str, Any]:
    """The structured fields with what ``gained`` adds: vitals not there yet, medications and diagnoses
    not listed yet (by name, by text); what the doctor entered or changed stays as it is."""
    out = dict(structured)
    vitals = dict(structured.get("vitals") or {})
    new_vitals = {k: v for k, v in (gained.get("vitals") or {}).items() if k not in vitals}
    if new_vitals:
        out["vitals"] = {**vitals, **new_vitals}
    for key, named_by in (("medications", "name"), ("diagnoses", "text")):
        listed = list(structured.get(key) or [])
        have = {str(entry.get(named_by, "")).lower() for entry in listed}
        new = [e for e in gained.get(key) or [] if str(e.get(named_by, "")).lower() not in have]
        if new:
            out[key] = listed + new
    return out


def heard_words(mark: NoteMark) -> str:
    """What a revert writes: the words heard. When the note's formatting grew the changed words into
    more ("forty" -> "40", shown as "40 mg" because "milligrams" was formatted with it), only the
    changed part goes back: "for the mg", so a revert never takes out words the pass did not touch."""
    from audio.normalize import normalize

    shown = normalize(mark.new).strip()
    text = mark.text
    if shown and len(shown) < len(text):
        if text.lower().startswith(shown.lower()):
            return mark.original + text[len(shown) :]
        if text.lower().endswith(shown.lower()):
            return text[: len(text) - len(shown)] + mark.original
    return mark.original


def _tokens(text: str) -> set[str]:
    return set(_TOKEN.findall(text.lower()))


def _said_only_in(value: object, changed: set[str], heard: set[str]) -> bool:
    """Whether ``value`` (a name, a code, a number) comes from the changed words and not the heard."""
    if isinstance(value, dict):
        value = value.get("value")
    words = _tokens(str(value)) if value not in (None, "") else set()
    return bool(words) and words <= changed and not words <= heard


def _take_out(
    structured: dict[str, Any], *, changed: str, heard: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The structured fields without the entries read from ``changed`` words that ``heard`` lacks
    (compared as spoken: "seventy two" heard gives 72, which then stays)."""
    from audio.normalize import normalize

    new_words, heard_words = _tokens(changed), _tokens(heard) | _tokens(normalize(heard))
    out = dict(structured)
    taken: dict[str, Any] = {}
    vitals = dict(structured.get("vitals") or {})
    gone = {k: v for k, v in vitals.items() if _said_only_in(v, new_words, heard_words)}
    if gone:
        out["vitals"] = {k: v for k, v in vitals.items() if k not in gone}
        taken["vitals"] = gone
    meds, kept_meds, doses = list(structured.get("medications") or []), [], {}
    for med in meds:
        if _said_only_in(med.get("name"), new_words, heard_words):
            taken.setdefault("medications", []).append(med)
        elif _said_only_in(med.get("dose"), new_words, heard_words):
            doses[str(med.get("name"))] = med.get("dose")
            kept_meds.append({**med, "dose": None})
        else:
            kept_meds.append(med)
    if len(kept_meds) != len(meds) or doses:
        out["medications"] = kept_meds
    if doses:
        taken["doses"] = doses
    diagnoses = list(structured.get("diagnoses") or [])
    kept_dx = [d for d in diagnoses if not _said_only_in(d.get("text"), new_words, heard_words)]
    if len(kept_dx) != len(diagnoses):
        out["diagnoses"] = kept_dx
        taken["diagnoses"] = [d for d in diagnoses if d not in kept_dx]
    return out, taken


def _put_back(structured: dict[str, Any], taken: dict[str, Any]) -> dict[str, Any]:
    out = dict(structured)
    if taken.get("vitals"):
        out["vitals"] = {**(structured.get("vitals") or {}), **taken["vitals"]}
    meds = [dict(m) for m in structured.get("medications") or []]
    for med in meds:
        dose = (taken.get("doses") or {}).get(str(med.get("name")))
        if dose is not None and med.get("dose") in (None, ""):
            med["dose"] = dose
    out["medications"] = meds + list(taken.get("medications") or [])
    out["diagnoses"] = list(structured.get("diagnoses") or []) + list(taken.get("diagnoses") or [])
    return out


# -- signing --------------------------------------------------------------------------------------


def unreviewed(content: dict[str, Any]) -> list[NoteMark]:
    """The note's marks nobody has reviewed yet, in reading order."""
    return [m for m in read_marks(content).marks if m.unreviewed]


def signing_record(
    content: dict[str, Any], *, user_id: str, user_name: str, at: datetime
) -> dict[str, Any] | None:
    """What a signature given with unreviewed marks records with the note: how many, which, who and
    when. None when every mark was reviewed (nothing to confirm)."""
    pending = unreviewed(content)
    if not pending:
        return None
    return {
        "count": len(pending),
        "ids": [m.id for m in pending],
        "by": user_id,
        "by_name": user_name,
        "at": at.isoformat(),
    }
