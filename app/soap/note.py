"""The structured note: four sections, what was extracted, and what was actually said."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from app.soap.extract import Diagnosis, Medication
from app.soap.headers import SECTIONS
from audio.marks import CORRECTION, Mark

#: a mark placed in a paragraph: (sentence index, start, end within that sentence, the mark, its id);
#: sentence -1 is the paragraph's label (a header the closed set chose, shown with its mark)
NoteMark = tuple[int, int, int, Mark, str]


@dataclass
class Paragraph:
    """A run of sentences under one (optional) sub-header label, e.g. "Review of systems"; ``marks``
    are the corrections and uncertain words in its sentences."""

    label: str | None
    sentences: list[str] = field(default_factory=list)
    marks: list[NoteMark] = field(default_factory=list)

    def render(self, *, labels: bool = True) -> str:
        body = " ".join(s for s in self.sentences if s)
        if labels and self.label:
            return f"{self.label}: {body}".rstrip(": ") if body else self.label + ":"
        return body

    def sentence_offsets(self, *, labels: bool = True) -> list[int]:
        """Where each sentence starts in ``render(labels=...)`` (empty sentences share the next one's)."""
        pos = len(self.label) + 2 if labels and self.label and any(self.sentences) else 0
        offsets: list[int] = []
        for s in self.sentences:
            offsets.append(pos)
            if s:
                pos += len(s) + 1
        return offsets


@dataclass
class NoteUtterance:
    """One utterance as dictated (raw engine text) with its engine confidence and where it went."""

    text: str
    confidence: float | None
    section: str | None  # None for headers and commands


@dataclass
class SoapNote:
    sections: dict[str, list[Paragraph]]
    vitals: dict[str, Any]
    medications: list[Medication]
    diagnoses: list[Diagnosis]
    utterances: list[NoteUtterance]
    #: marks not tied to a sentence (none yet; kept for the contract's shape)
    extra_marks: list[NoteMark] = field(default_factory=list)

    def section_text(self, name: str, *, labels: bool = True) -> str:
        return self._layout(name, labels=labels)[0]

    def _layout(self, name: str, *, labels: bool = True) -> tuple[str, list[tuple[Paragraph, int]]]:
        """The section's text and where each shown paragraph starts in it."""
        shown = [p for p in self.sections.get(name, []) if p.sentences or (labels and p.label)]
        rendered = [p.render(labels=labels) for p in shown]
        joined = "\n".join(rendered)
        lead = len(joined) - len(joined.lstrip())
        starts: list[tuple[Paragraph, int]] = []
        pos = -lead
        for p, text in zip(shown, rendered, strict=True):
            starts.append((p, pos))
            pos += len(text) + 1
        return joined.strip(), starts

    def marks(self, *, labels: bool = True) -> list[dict[str, Any]]:
        """Every correction and uncertain stretch with its place in ``section_text(section)``: the
        ``corrections`` and ``uncertain`` lists of the JSON contract (see ``to_dict``)."""
        out: list[dict[str, Any]] = []
        for name in SECTIONS:
            text, starts = self._layout(name, labels=labels)
            for p, base in starts:
                offsets = p.sentence_offsets(labels=labels)
                for sentence, start, end, mark, mark_id in p.marks:
                    if sentence < 0 and not (labels and p.label):
                        continue  # on a label not shown
                    at = 0 if sentence < 0 else offsets[sentence]
                    a = max(0, min(len(text), base + at + start))
                    b = max(a, min(len(text), base + at + end))
                    entry: dict[str, Any] = {"id": mark_id, "kind": mark.kind, "section": name}
                    entry.update(mark.to_json())
                    entry.update({"start": a, "end": b, "text": text[a:b]})
                    out.append(entry)
        return out

    @property
    def subjective(self) -> str:
        return self.section_text("subjective")

    @property
    def objective(self) -> str:
        return self.section_text("objective")

    @property
    def assessment(self) -> str:
        return self.section_text("assessment")

    @property
    def plan(self) -> str:
        return self.section_text("plan")

    @property
    def raw_transcription(self) -> str:
        return "\n".join(u.text for u in self.utterances)

    @property
    def confidence(self) -> float | None:
        """Mean engine confidence over the dictated utterances (None for typed or pasted text)."""
        values = [u.confidence for u in self.utterances if u.confidence is not None]
        return sum(values) / len(values) if values else None

    def to_dict(self) -> dict[str, Any]:
        """The ``clinicdesk soap`` JSON contract, plus the raw transcription and confidences, and the
        review lists: ``corrections`` (automatic changes) and ``uncertain`` (words to check). Each entry:
        ``id`` (stable while the dictation grows), ``kind``, ``section``, ``start``/``end`` (characters
        of that section's text in this JSON), ``text`` (the words there now), ``original`` (what was
        heard), ``new``, ``score``, ``pass`` and, for most, a ``note`` saying why."""
        out: dict[str, Any] = {name: self.section_text(name) for name in SECTIONS}
        out["vitals"] = self.vitals
        out["medications"] = [m.to_json() for m in self.medications]
        out["diagnoses"] = [d.to_json() for d in self.diagnoses]
        out["raw_transcription"] = self.raw_transcription
        out["utterances"] = [
            {"text": u.text, "confidence": u.confidence, "section": u.section} for u in self.utterances
        ]
        marks = self.marks()
        out["corrections"] = [m for m in marks if m["kind"] == CORRECTION]
        out["uncertain"] = [m for m in marks if m["kind"] != CORRECTION]
        return out

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)
