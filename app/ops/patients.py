"""Finding a patient and reading their chart (each chart opening is an audited read)."""

from __future__ import annotations

from app.ops.base import query
from app.services import patients

#: patients whose name, MRN or date of birth matches the text
search = query(patients.search_patients)
#: the chart summary: demographics, allergies, conditions, insurance, encounters, upcoming visits
chart = query(patients.patient_chart)
