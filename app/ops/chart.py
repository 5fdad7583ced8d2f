"""What the chart shows of the clinical loop beside the patient's record: the active medications
(from prescriptions), the results, and the documents."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from app.ops.base import query
from app.services import documents, prescribing, results
from app.services.documents import DocumentRecord
from app.services.prescribing import RxRecord
from app.services.results import ResultRecord


@dataclass(frozen=True)
class ClinicalSummary:
    patient_id: uuid.UUID
    medications: list[RxRecord] = field(default_factory=list)
    results: list[ResultRecord] = field(default_factory=list)
    documents: list[DocumentRecord] = field(default_factory=list)


def clinical_summary(session: Session, patient_id: uuid.UUID) -> ClinicalSummary:
    """Read together with the chart (whose opening is the audited read of the patient's record)."""
    return ClinicalSummary(
        patient_id,
        prescribing.active_medications(session, patient_id),
        results.patient_results(session, patient_id),
        documents.patient_documents(session, patient_id),
    )


clinical = query(clinical_summary)
