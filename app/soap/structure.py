"""Utterances in, SOAP note out: spoken headers first (wherever they fall in an utterance), the
classifier for the rest, and the marks (automatic corrections, uncertain words) carried to where their
words end up in the note's text.

What no header places is filed sentence by sentence, and a long sentence said without pauses clause by
clause (before a vital sign's reading, before a listed drug with its dose), never cutting a mark's
words apart. A first header said again as the next one is doubted (Whisper writes a lone "Subjective"
as "Objective"): the words between go to the classifier. A header that carries a mark is shown as its
paragraph's label, so the doctor sees that change too."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from app.soap.classifier import SectionClassifier
from app.soap.extract import (
    Diagnosis,
    Medication,
    extract_diagnoses,
    extract_medications,
    extract_vitals,
    misheard_diagnoses,
    unreadable_vitals,
)
from app.soap.headers import ASSESSMENT_AND_PLAN, SECTIONS, Piece, split_headers
from app.soap.note import NoteMark, NoteUtterance, Paragraph, SoapNote
from app.soap.vocab import drug_names
from audio.marks import UNCERTAIN, Mark, holds, shift, span_mapper
from audio.normalize import normalize, sentence_case
from audio.spoken import VITAL_STARTS


class UtteranceLike(Protocol):
    """Anything with text and an engine confidence (audio Utterance, session entries); ``start`` and
    ``marks`` are read when present."""

    @property
    def text(self) -> str: ...

    @property
    def confidence(self) -> float: ...


@dataclass
class _Entry:
    idx: int
    section: str | None
    label: str | None
    text: str = ""
    header: bool = False
    marks: list[Mark] = field(default_factory=list)
    forced: bool = False  # placed by a voice command ("go to plan"), not by a header


def _key(u: str | UtteranceLike, idx: int) -> str:
    """A stable name for an utterance, for the ids of its marks: its start time in the recording when
    known (the window restructures the note after every utterance; the ids must not move), else its
    line number."""
    start = getattr(u, "start", None)
    return f"t{round(float(start) * 1000)}" if isinstance(start, int | float) else f"l{idx}"


def structure_note(
    utterances: Sequence[str | UtteranceLike],
    *,
    sections: Sequence[str | None] | None = None,
    classifier: SectionClassifier | None = None,
) -> SoapNote:
    """Builds the note. ``sections[i]``, when given (from "go to plan" commands), forces utterance i."""
    clf = classifier or SectionClassifier.load()
    raw: list[tuple[str, float | None]] = []
    keys: list[str] = []
    all_marks: list[list[Mark]] = []
    for idx, u in enumerate(utterances):
        if isinstance(u, str):
            raw.append((u, None))
            all_marks.append([])
        else:
            raw.append((u.text, float(u.confidence)))
            all_marks.append(list(getattr(u, "marks", ()) or ()))
        keys.append(_key(u, idx))
    entries = _pieces(raw, all_marks, sections)
    _doubt_a_repeated_first_header(entries)
    _classify(entries, clf)
    out, note_marks, placed = _assemble(entries, keys)
    note_utts = [NoteUtterance(text, conf, placed.get(i)) for i, (text, conf) in enumerate(raw)]
    # words the engines did not agree on stay in the text, marked, but give the structured note no drug
    # and no diagnosis (and words only Whisper heard no vital either) until the doctor accepts them
    # (``released``): a drug that was never said is worse than an empty line
    for_names = {s: "\n".join(_held_back(p, vitals=False) for p in out[s]) for s in SECTIONS}
    for_vitals = {s: "\n".join(_held_back(p, vitals=True) for p in out[s]) for s in SECTIONS}
    vitals = _vitals(for_vitals)
    medications, diagnoses = _names(for_names)
    return SoapNote(out, vitals, medications, diagnoses, note_utts, note_marks)


def _vitals(text_of: dict[str, str]) -> dict[str, Any]:
    """The vitals of the sections' texts, from the objective first."""
    everything = "\n".join(text_of.get(s, "") for s in SECTIONS)
    vitals = extract_vitals(text_of.get("objective", "")) or extract_vitals(everything)
    for key, value in extract_vitals(everything).items():
        vitals.setdefault(key, value)
    return vitals


def _names(text_of: dict[str, str]) -> tuple[list[Medication], list[Diagnosis]]:
    """Medications from every section (a run-on dictation's plan is often taken for the exam; a drug's
    words there are held back like anywhere else when the engines disputed them), diagnoses from the
    assessment (else the plan)."""
    medications = extract_medications(
        "\n".join(text_of.get(s, "") for s in ("plan", "subjective", "assessment", "objective"))
    )
    diagnoses = extract_diagnoses(text_of.get("assessment", "") or text_of.get("plan", ""))
    return medications, diagnoses


def released(
    section: str,
    text: str,
    span: tuple[int, int],
    *,
    held: Sequence[tuple[int, int, str]] = (),
) -> dict[str, Any]:
    """What the words at ``span`` of a section's ``text`` give the structured note once the doctor
    accepts them (they were held back, ``audio.marks.holds``): the vitals, medications and diagnoses
    read from the section with those words that are not read from it without them. ``held`` are the
    section's other held-back marks as (start, end, pass name): they still give nothing. In the
    ``to_dict`` shapes: {"vitals": {...}, "medications": [...], "diagnoses": [...]}."""

    def blanked(spans: Sequence[tuple[int, int]]) -> dict[str, str]:
        out = text
        for a, b in spans:
            a, b = max(0, a), min(len(out), b)
            out = out[:a] + " " * (b - a) + out[b:]
        return {section: out}

    others = [h for h in held if (h[0], h[1]) != span]
    names_held = [(a, b) for a, b, name in others if holds(UNCERTAIN, name)]
    vitals_held = [(a, b) for a, b, name in others if holds(UNCERTAIN, name, vitals=True)]
    vitals_with, vitals_without = _vitals(blanked(vitals_held)), _vitals(blanked([*vitals_held, span]))
    meds, dx = _names(blanked(names_held))
    meds_without, dx_without = _names(blanked([*names_held, span]))
    had = {(m.name, m.dose) for m in meds_without}
    texts = {d.text for d in dx_without}
    return {
        "vitals": {k: v for k, v in vitals_with.items() if vitals_without.get(k) != v},
        "medications": [m.to_json() for m in meds if (m.name, m.dose) not in had],
        "diagnoses": [d.to_json() for d in dx if d.text not in texts],
    }


def _pieces(
    raw: list[tuple[str, float | None]], marks: list[list[Mark]], sections: Sequence[str | None] | None
) -> list[_Entry]:
    """1. headers: each utterance split into header and content pieces, the content carrying its marks."""
    entries: list[_Entry] = []
    current: str | None = None
    label: str | None = None
    for idx, (text, _) in enumerate(raw):
        forced = sections[idx] if sections is not None and idx < len(sections) else None
        for piece in split_headers(text):
            if piece.header:
                rest_after = text[piece.end :].strip()
                if rest_after and current == "objective" and piece.label == "Impression":
                    pass  # "Impression: ..." inside an imaging or ECG result is the report's, not ours
                else:
                    current, label = piece.section, piece.label
                    entries.append(_header_entry(idx, text, piece, marks[idx]))
                    continue
            content = text[piece.start : piece.end]
            lead = len(content) - len(content.lstrip(" :;,.-\u2014\t"))
            body = content[lead:].rstrip()
            if not body:
                continue
            if forced:
                current, label = forced, None
            start = piece.start + lead
            within = [(m.start - start, m.end - start) for m in marks[idx]]
            classified = current in (None, ASSESSMENT_AND_PLAN)
            spans = _sentences(body, keep=within) if classified else [(0, len(body))]
            for a, b in spans:
                inside = _marks_within(text, marks[idx], start + a, start + b)
                entries.append(_Entry(idx, current, label, body[a:b], marks=inside, forced=bool(forced)))
    return entries


def _header_entry(idx: int, text: str, piece: Piece, marks: list[Mark]) -> _Entry:
    """A header; one that carries a mark (the closed set read "Physic left hand." as "Physical exam.")
    shows its words as the paragraph's label, with the mark on them, so the doctor sees that change
    before signing like any other."""
    assert piece.section is not None
    said = text[piece.start : piece.end].rstrip(" .,:;!?-\u2014\t")
    on_header = _marks_within(text, marks, piece.start, piece.start + len(said))
    label = said if on_header else piece.label
    return _Entry(idx, piece.section, label, header=True, marks=on_header)


def _marks_within(text: str, marks: list[Mark], lo: int, hi: int) -> list[Mark]:
    """The marks of an utterance's ``text`` that fall in its content ``lo:hi``, seen from there. An
    uncertain stretch that runs over a header ("Plan. Ketorolac" the second engine did not hear) keeps
    its part in this content: its words are still doubtful, and a drug among them is still held back.
    (A correction always lies in one piece: the passes change words, not headers.)"""
    out = shift(marks, -lo, limit=(lo, hi))
    for m in marks:
        if m.kind != UNCERTAIN or (lo <= m.start and m.end <= hi) or m.end <= lo or hi <= m.start:
            continue
        a, b = max(lo, m.start), min(hi, m.end)
        words = list(re.finditer(r"[A-Za-z0-9]+(?:['.-][A-Za-z0-9]+)*", text[a:b]))
        if not words:
            continue
        a, b = a + words[0].start(), a + words[-1].end()
        out.append(replace(m, start=a - lo, end=b - lo, original=text[a:b], new=text[a:b]))
    return sorted(out, key=lambda m: (m.start, m.end))


_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")


def _sentences(body: str, *, keep: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The sentences of content the classifier files (no header says where it goes): Whisper writes a
    dictation said without headers or pauses as one utterance of several sentences, and each may
    belong to another section ("... heart rate of 62. His electrocardiogram is normal."). A mark's
    words (``keep``) are never cut apart: the doctor must still see the whole of it."""
    out: list[tuple[int, int]] = []
    pos = 0
    for m in _SENTENCE_BREAK.finditer(body):
        if any(a < m.end() and m.start() < b for a, b in keep):
            continue
        out.append((pos, m.start()))
        pos = m.end()
    out.append((pos, len(body)))
    return [clause for a, b in out for clause in _clauses(body, a, b, keep=keep)]


#: a sentence of at least this many words (Whisper wrote no full stops in it) is cut before a vital
#: sign's reading and before a drug given with its dose
_CLAUSE_MIN_WORDS = 14
_VITAL_READING = re.compile(
    r"\b(?:" + "|".join(sorted({*VITAL_STARTS, "body mass index"}, key=len, reverse=True)) + r")\b"
    r"(?=(?:\W+\w+){0,2}?\W+\d)",
    re.IGNORECASE,
)
_DOSED = re.compile(
    r"\b([a-z][a-z-]+(?: [a-z][a-z-]+)?)(?= \d+(?:\.\d+)? ?(?:milligrams?|mg|grams?|micrograms?|mcg|units?|"
    r"puffs?|drops?|tablets?|capsules?)\b)",
    re.IGNORECASE,
)


def _clauses(body: str, start: int, end: int, *, keep: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """A long sentence said without pauses ("... settles with rest blood pressure was 130 over 80 heart
    rate of 62") cut where a new clause plainly starts: a vital sign with its reading, a drug of the
    list with its dose. Each clause is then filed on its own; nothing is cut inside a mark."""
    sentence = body[start:end]
    if len(sentence.split()) < _CLAUSE_MIN_WORDS:
        return [(start, end)]
    cuts = {m.start() for m in _VITAL_READING.finditer(sentence)}
    names = drug_names()
    for m in _DOSED.finditer(sentence):
        words = m.group(1).lower().split()
        for n in range(len(words)):
            if " ".join(words[n:]) in names:
                cuts.add(m.start() + len(" ".join(words[:n])) + (1 if n else 0))
                break
    out: list[tuple[int, int]] = []
    pos = start
    for cut in sorted(cuts):
        at = start + cut
        if at - pos < 2 or not body[pos:at].strip(" ,;") or any(a < at < b for a, b in keep):
            continue
        out.append((pos, at))
        pos = at
    out.append((pos, end))
    return [(a, a + len(body[a:b].rstrip(" ,;"))) for a, b in out]


def _doubt_a_repeated_first_header(entries: list[_Entry]) -> None:
    """A dictation's first header said again as its next one ("Objective. <history> Objective. <exam>")
    was most likely another header misheard: Whisper writes a lone "Subjective" as "Objective" often
    enough, and no doctor opens the same section twice in a row. The content between the two is filed
    by the classifier instead of by the first header; the words stay as said."""
    heads = [n for n, e in enumerate(entries) if e.header]
    if len(heads) < 2:
        return
    first, second = entries[heads[0]], entries[heads[1]]
    if first.section is None or (first.section, first.label) != (second.section, second.label):
        return
    for e in entries[heads[0] + 1 : heads[1]]:
        if not e.forced:
            e.section = None


def _classify(entries: list[_Entry], clf: SectionClassifier) -> None:
    """2. the classifier for everything without a header (and A vs P under "assessment and plan")."""
    todo = [e for e in entries if not e.header and e.section in (None, ASSESSMENT_AND_PLAN)]
    if not todo:
        return
    allowed: list[tuple[str, ...] | None] = [
        ("assessment", "plan") if e.section == ASSESSMENT_AND_PLAN else None for e in todo
    ]
    # "after the problem": under "assessment and plan", any sentence but the first after the header
    waiting = {id(e) for e in todo}
    later = [
        e.section == ASSESSMENT_AND_PLAN and n > 0 and not entries[n - 1].header
        for n, e in enumerate(entries)
        if id(e) in waiting
    ]
    sections = clf.decode([e.text for e in todo], allowed=allowed, after_problem=later)
    for e, section in zip(todo, sections, strict=True):
        e.section = section


def _assemble(
    entries: list[_Entry], keys: list[str]
) -> tuple[dict[str, list[Paragraph]], list[NoteMark], dict[int, str]]:
    """3. the sections' paragraphs, with every mark placed on the sentence its words went into."""
    out: dict[str, list[Paragraph]] = {s: [] for s in SECTIONS}
    placed: dict[int, str] = {}
    counters: dict[str, int] = {}
    for e in entries:
        section = e.section or "subjective"
        if section == ASSESSMENT_AND_PLAN:
            section = "assessment"
        if e.header:
            heading = Paragraph(e.label)
            for mark in e.marks:  # on the label's words (``_header_entry``): sentence -1
                n = counters.get(f"{mark.kind[0]}{e.idx}", 0)
                counters[f"{mark.kind[0]}{e.idx}"] = n + 1
                heading.marks.append((-1, mark.start, mark.end, mark, f"{mark.kind[0]}-{keys[e.idx]}-{n}"))
            out[section].append(heading)
            continue
        paragraphs = out[section]
        if not paragraphs:
            paragraphs.append(Paragraph(None))
        written = normalize(e.text)
        to_written = span_mapper(e.text, written)
        spans = [(m, *to_written(m.start, m.end)) for m in e.marks]
        spans += _vital_doubts(written)
        if section == "assessment":
            spans += _diagnosis_doubts(written)
        pos = 0
        for part in re.split(r"(\n{2,})", written):
            if part.startswith("\n"):
                pos += len(part)
                continue
            if part.strip():
                sentence = sentence_case(part.replace("\n", " "))
                lead = len(part) - len(part.lstrip())
                paragraph = paragraphs[-1]
                paragraph.sentences.append(sentence)
                for mark, a, b in spans:
                    if pos <= a and b <= pos + len(part) and b > a:
                        kind = mark.kind[0]
                        n = counters.get(f"{kind}{e.idx}", 0)
                        counters[f"{kind}{e.idx}"] = n + 1
                        s, t = a - pos - lead, min(len(sentence), b - pos - lead)
                        paragraph.marks.append(
                            (len(paragraph.sentences) - 1, s, t, mark, f"{kind}-{keys[e.idx]}-{n}")
                        )
            pos += len(part)
        if re.search(r"\n{2,}\s*$", written):
            paragraphs.append(Paragraph(None))
        placed[e.idx] = section
    for section in SECTIONS:  # drop empty labelled paragraphs only when nothing followed them at all
        out[section] = [p for p in out[section] if p.sentences or p.label]
    return out, [], placed


def _held_back(paragraph: Paragraph, *, vitals: bool) -> str:
    """The paragraph's text with the held-back words (``audio.marks.holds``) blanked."""
    sentences = list(paragraph.sentences)
    for index, start, end, mark, _ in paragraph.marks:
        if index >= 0 and holds(mark.kind, mark.pass_name, vitals=vitals):  # -1: on the label
            s = sentences[index]
            sentences[index] = s[:start] + " " * (end - start) + s[end:]
    return " ".join(s for s in sentences if s)


def _diagnosis_doubts(written: str) -> list[tuple[Mark, int, int]]:
    """A diagnosis term that is only part of a longer diagnosis misheard ("diabetes myelitis"): left out
    of the structured diagnoses by the extraction, and shown to the doctor here."""
    out: list[tuple[Mark, int, int]] = []
    for start, end, listed in misheard_diagnoses(written):
        words = written[start:end]
        note = f"part of a diagnosis that may have been misheard ({listed}?); not in the structured diagnoses"
        out.append((Mark(UNCERTAIN, start, end, words, words, None, "diagnosis", note), start, end))
    return out


def _vital_doubts(written: str) -> list[tuple[Mark, int, int]]:
    """A vital sign's name followed by a number that is no reading of it ("blood pressure 134 and
    man"): left out of the structured vitals by the extraction, and shown to the doctor here."""
    out: list[tuple[Mark, int, int]] = []
    for start, end in unreadable_vitals(written):
        words = written[start:end]
        note = "a vital sign that could not be read with certainty; not in the structured vitals"
        out.append((Mark(UNCERTAIN, start, end, words, words, None, "vitals", note), start, end))
    return out
