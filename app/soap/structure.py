"""Utterances in, SOAP note out: spoken headers first (wherever they fall in an utterance), the
classifier for the rest, and the marks (automatic corrections, uncertain words) carried to where their
words end up in the note's text."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from app.soap.classifier import SectionClassifier
from app.soap.extract import extract_diagnoses, extract_medications, extract_vitals, unreadable_vitals
from app.soap.headers import ASSESSMENT_AND_PLAN, SECTIONS, split_headers
from app.soap.note import NoteMark, NoteUtterance, Paragraph, SoapNote
from audio.marks import UNCERTAIN, Mark, shift, span_mapper
from audio.normalize import normalize, sentence_case
from audio.second_opinion import NOT_HEARD


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
    _classify(entries, clf)
    out, note_marks, placed = _assemble(entries, keys)
    note_utts = [NoteUtterance(text, conf, placed.get(i)) for i, (text, conf) in enumerate(raw)]
    # what only Whisper heard (no word of it from the second engine: a hallucination, typically in a
    # pause) stays in the text, marked, but gives the structured note no drug, diagnosis or vital
    text_of = {s: "\n".join(_heard_by_both(p) for p in out[s]) for s in SECTIONS}
    everything = "\n".join(text_of.values())
    vitals = extract_vitals(text_of["objective"]) or extract_vitals(everything)
    for key, value in extract_vitals(everything).items():
        vitals.setdefault(key, value)
    medications = extract_medications(
        text_of["plan"] + "\n" + text_of["subjective"] + "\n" + text_of["assessment"]
    )
    diagnoses = extract_diagnoses(text_of["assessment"] or text_of["plan"])
    return SoapNote(out, vitals, medications, diagnoses, note_utts, note_marks)


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
                    entries.append(_Entry(idx, current, label, header=True))
                    continue
            content = text[piece.start : piece.end]
            lead = len(content) - len(content.lstrip(" :;,.-\u2014\t"))
            body = content[lead:].rstrip()
            if not body:
                continue
            if forced:
                current, label = forced, None
            start = piece.start + lead
            inside = shift(marks[idx], -start, limit=(start, start + len(body)))
            entries.append(_Entry(idx, current, label, body, marks=inside))
    return entries


def _classify(entries: list[_Entry], clf: SectionClassifier) -> None:
    """2. the classifier for everything without a header (and A vs P under "assessment and plan")."""
    todo = [e for e in entries if not e.header and e.section in (None, ASSESSMENT_AND_PLAN)]
    if not todo:
        return
    allowed: list[tuple[str, ...] | None] = [
        ("assessment", "plan") if e.section == ASSESSMENT_AND_PLAN else None for e in todo
    ]
    for e, section in zip(todo, clf.decode([e.text for e in todo], allowed=allowed), strict=True):
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
            out[section].append(Paragraph(e.label))
            continue
        paragraphs = out[section]
        if not paragraphs:
            paragraphs.append(Paragraph(None))
        written = normalize(e.text)
        to_written = span_mapper(e.text, written)
        spans = [(m, *to_written(m.start, m.end)) for m in e.marks]
        spans += _vital_doubts(written)
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


def _heard_by_both(paragraph: Paragraph) -> str:
    sentences = list(paragraph.sentences)
    for index, start, end, mark, _ in paragraph.marks:
        if mark.pass_name in NOT_HEARD:
            s = sentences[index]
            sentences[index] = s[:start] + " " * (end - start) + s[end:]
    return " ".join(s for s in sentences if s)


def _vital_doubts(written: str) -> list[tuple[Mark, int, int]]:
    """A vital sign's name followed by a number that is no reading of it ("blood pressure 134 and
    man"): left out of the structured vitals by the extraction, and shown to the doctor here."""
    out: list[tuple[Mark, int, int]] = []
    for start, end in unreadable_vitals(written):
        words = written[start:end]
        note = "a vital sign that could not be read with certainty; not in the structured vitals"
        out.append((Mark(UNCERTAIN, start, end, words, words, None, "vitals", note), start, end))
    return out
