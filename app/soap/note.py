"""The structured note: four sections, what was extracted, and what was actually said."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from app.soap.extract import Diagnosis, Medication
from app.soap.headers import SECTIONS


@dataclass
class Paragraph:
    """A run of sentences under one (optional) sub-header label, e.g. "Review of systems"."""

    label: str | None
    sentences: list[str] = field(default_factory=list)

    def render(self, *, labels: bool = True) -> str:
        body = " ".join(s for s in self.sentences if s)
        if labels and self.label:
            return f"{self.label}: {body}".rstrip(": ") if body else self.label + ":"
        return body


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

    def section_text(self, name: str, *, labels: bool = True) -> str:
        return "\n".join(
            p.render(labels=labels)
            for p in self.sections.get(name, [])
            if p.sentences or (labels and p.label)
        ).strip()

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
        """The ``clinicdesk soap`` JSON contract, plus the raw transcription and confidences."""
        out: dict[str, Any] = {name: self.section_text(name) for name in SECTIONS}
        out["vitals"] = self.vitals
        out["medications"] = [m.to_json() for m in self.medications]
        out["diagnoses"] = [d.to_json() for d in self.diagnoses]
        out["raw_transcription"] = self.raw_transcription
        out["utterances"] = [
            {"text": u.text, "confidence": u.confidence, "section": u.section} for u in self.utterances
        ]
        return out

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)
