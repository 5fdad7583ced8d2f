"""SOAP structuring of dictated text: sections, vitals, medications, ICD-10 suggestions. No Qt.

The names below load on first use: the chart and the problem list need only ``app.soap.vocab``, and
importing the structuring (numpy, the classifier's weights, the normaliser) with them would put a
fifth of a second on the window's cold start."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.soap.extract import (
        Diagnosis,
        Medication,
        extract_diagnoses,
        extract_medications,
        extract_vitals,
    )
    from app.soap.note import NoteUtterance, Paragraph, SoapNote
    from app.soap.structure import structure_note

_WHERE = {
    "Diagnosis": "app.soap.extract",
    "Medication": "app.soap.extract",
    "extract_diagnoses": "app.soap.extract",
    "extract_medications": "app.soap.extract",
    "extract_vitals": "app.soap.extract",
    "NoteUtterance": "app.soap.note",
    "Paragraph": "app.soap.note",
    "SoapNote": "app.soap.note",
    "structure_note": "app.soap.structure",
}

__all__ = [
    "Diagnosis",
    "Medication",
    "NoteUtterance",
    "Paragraph",
    "SoapNote",
    "extract_diagnoses",
    "extract_medications",
    "extract_vitals",
    "structure_note",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'app.soap' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
