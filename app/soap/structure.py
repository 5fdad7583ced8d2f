"""Utterances in, SOAP note out: spoken headers first, the classifier for the rest."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from app.soap.classifier import SectionClassifier
from app.soap.extract import extract_diagnoses, extract_medications, extract_vitals
from app.soap.headers import ASSESSMENT_AND_PLAN, SECTIONS, match_header
from app.soap.note import NoteUtterance, Paragraph, SoapNote
from audio.normalize import normalize, sentence_case


class UtteranceLike(Protocol):
    """Anything with text and an engine confidence (audio Utterance, session entries)."""

    @property
    def text(self) -> str: ...

    @property
    def confidence(self) -> float: ...


#: an utterance that is only a forced section change (e.g. "go to plan" already applied by the session)
_SECTION_TAG = re.compile(r"^\[(subjective|objective|assessment|plan)\]\s*", re.IGNORECASE)


def structure_note(
    utterances: Sequence[str | UtteranceLike],
    *,
    sections: Sequence[str | None] | None = None,
    classifier: SectionClassifier | None = None,
) -> SoapNote:
    """Builds the note. ``sections[i]``, when given (from "go to plan" commands), forces utterance i."""
    clf = classifier or SectionClassifier.load()
    raw: list[tuple[str, float | None]] = []
    for u in utterances:
        if isinstance(u, str):
            raw.append((u, None))
        else:
            raw.append((u.text, float(u.confidence)))
    # 1. headers
    entries: list[dict[str, object]] = []  # text, section (fixed or None), allowed, label, raw index
    current: str | None = None
    label: str | None = None
    for idx, (text, _) in enumerate(raw):
        forced = sections[idx] if sections is not None and idx < len(sections) else None
        content = text.strip()
        if not content:
            continue
        header = match_header(content)
        if header and header.rest and current == "objective" and header.label == "Impression":
            header = None  # "Impression: ..." inside an imaging or ECG result is the report's, not ours
        if header:
            current, label = header.section, header.label
            content = header.rest
            entries.append({"header": True, "section": current, "label": label, "idx": idx})
            if not content:
                continue
        if forced:
            current, label = forced, None
        entries.append({"text": content, "section": current, "label": label, "idx": idx})
    # 2. the classifier for everything without a header (and A vs P under "assessment and plan")
    todo = [e for e in entries if "text" in e and e["section"] in (None, ASSESSMENT_AND_PLAN)]
    if todo:
        texts = [str(e["text"]) for e in todo]
        allowed: list[tuple[str, ...] | None] = [
            ("assessment", "plan") if e["section"] == ASSESSMENT_AND_PLAN else None for e in todo
        ]
        for e, section in zip(todo, clf.decode(texts, allowed=allowed), strict=True):
            e["section"] = section
    # 3. assemble
    out: dict[str, list[Paragraph]] = {s: [] for s in SECTIONS}
    placed: dict[int, str] = {}
    last_label: dict[str, str | None] = {}
    pending_label: dict[str, str | None] = {}
    for e in entries:
        section = str(e["section"]) if e["section"] is not None else "subjective"
        if section == ASSESSMENT_AND_PLAN:
            section = "assessment"
        if e.get("header"):
            lab = e["label"] if isinstance(e["label"], str) else None
            target = section if e["section"] != ASSESSMENT_AND_PLAN else "assessment"
            pending_label[target] = lab
            out[target].append(Paragraph(lab))
            last_label[target] = lab
            continue
        text = str(e["text"])
        paragraphs = out[section]
        if not paragraphs:
            paragraphs.append(Paragraph(None))
        for part in re.split(r"\n{2,}", normalize(text)):
            if part.strip():
                paragraphs[-1].sentences.append(sentence_case(part.replace("\n", " ")))
        if re.search(r"\n{2,}\s*$", normalize(text)):
            paragraphs.append(Paragraph(None))
        placed[int(str(e["idx"]))] = section
    for section in SECTIONS:  # drop empty labelled paragraphs only when nothing followed them at all
        out[section] = [p for p in out[section] if p.sentences or p.label]
    note_utts = [NoteUtterance(text, conf, placed.get(i)) for i, (text, conf) in enumerate(raw)]
    text_of = {s: "\n".join(p.render(labels=False) for p in out[s]) for s in SECTIONS}
    everything = "\n".join(text_of.values())
    vitals = extract_vitals(text_of["objective"]) or extract_vitals(everything)
    for key, value in extract_vitals(everything).items():
        vitals.setdefault(key, value)
    medications = extract_medications(
        text_of["plan"] + "\n" + text_of["subjective"] + "\n" + text_of["assessment"]
    )
    diagnoses = extract_diagnoses(text_of["assessment"] or text_of["plan"])
    return SoapNote(out, vitals, medications, diagnoses, note_utts)
