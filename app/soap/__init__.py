"""SOAP structuring of dictated text: sections, vitals, medications, ICD-10 suggestions. No Qt."""

from app.soap.extract import (
    Diagnosis,
    Medication,
    extract_diagnoses,
    extract_medications,
    extract_vitals,
)
from app.soap.note import NoteUtterance, Paragraph, SoapNote
from app.soap.structure import structure_note

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
