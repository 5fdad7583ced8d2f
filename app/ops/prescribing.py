"""A prescription after its draft: the safety checks and the signature, printing, sending, refills,
renewal, cancellation; the chart's active medications."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app import printing
from app.ops.base import operation, query
from app.ops.changes import Outcome
from app.printing import PrintJob
from app.services import prescribing
from app.services.documents import DocumentRecord
from app.services.prescribing import RxRecord
from clinicdesk.errors import StoreError

if TYPE_CHECKING:
    from app.workspace import Workspace

#: lays a print job out as a PDF (ui/print_pdf.py: Qt's own PDF writer)
Render = Callable[[PrintJob], bytes]

#: what signing would show now
review = query(prescribing.review)
#: the signature after the checks (unsigned, with the findings, until the doctor decides)
sign = operation(prescribing.sign)
renew = operation(prescribing.renew)
cancel = operation(prescribing.cancel)
record_refill = operation(prescribing.record_refill)
mark_sent = operation(prescribing.mark_sent)
of_encounter = query(prescribing.encounter_prescriptions)
active_medications = query(prescribing.active_medications)


@dataclass(frozen=True)
class Printed:
    """A PDF made and kept (sealed) in the chart; ``path`` where it was also saved, if anywhere."""

    document: DocumentRecord
    size: int
    path: Path | None
    prescription: RxRecord | None = None


def write_pdf(path: Path, data: bytes) -> None:
    """Straight to the file the user chose (never a temporary copy elsewhere)."""
    try:
        path.write_bytes(data)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise StoreError(f"cannot write {path.name} ({reason}); choose another place") from None


def print_prescription(
    workspace: Workspace, prescription_id: uuid.UUID, *, render: Render, out: Path | None = None
) -> Outcome[Printed]:
    """Lays the signed prescription out, keeps the PDF in the chart (the prescription becomes
    printed) and saves it to ``out``. The layout runs outside the transaction, so a failed render
    changes nothing."""
    with workspace.reading() as session:
        job = printing.prescription_job(session, prescription_id, tz=workspace.practice_tz)
    pdf = render(job)
    with workspace.transaction() as transaction:
        rx, doc = prescribing.record_printed(transaction.session, prescription_id, pdf, title=job.title)
    if out is not None:
        write_pdf(out, pdf)
    return Outcome(Printed(doc, len(pdf), out, rx), transaction.changes)


def print_note(
    workspace: Workspace, note_id: uuid.UUID, *, render: Render, out: Path | None = None
) -> Outcome[Printed]:
    """A signed note as a PDF, kept in the chart and saved to ``out``."""
    from app.services import audit, documents
    from models.enums import DocumentCategory

    with workspace.reading() as session:
        job = printing.note_job(session, note_id, tz=workspace.practice_tz)
    pdf = render(job)
    with workspace.transaction() as transaction:
        session = transaction.session
        doc = documents.attach(
            session,
            job.patient_id,
            pdf,
            title=job.title,
            filename=f"note-{str(note_id)[:8]}.pdf",
            category=DocumentCategory.NOTE,
            source=(job.source, job.source_id),
        )
        audit.record(session, action="print", resource_type="clinical_notes", resource_id=note_id)
    if out is not None:
        write_pdf(out, pdf)
    return Outcome(Printed(doc, len(pdf), out), transaction.changes)
