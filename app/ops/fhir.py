"""A signed note (or every signed note of a patient) leaving the system as a FHIR R4 Bundle file."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app import fhir_export
from app.ops.changes import Outcome
from clinicdesk.errors import StoreError

if TYPE_CHECKING:
    from app.workspace import Workspace


@dataclass(frozen=True)
class Exported:
    path: Path
    notes: int
    resources: int


def export_to(
    workspace: Workspace, out: Path, *, note_id: uuid.UUID | None = None, mrn: str | None = None
) -> Outcome[Exported]:
    """Writes one Bundle (type collection) of the notes asked for to ``out``; refused, with nothing
    written, for a note that is not signed. The export is audited per note."""
    with workspace.transaction() as transaction:
        bundle = fhir_export.export(transaction.session, note_id=note_id, mrn=mrn)
        text = json.dumps(bundle, ensure_ascii=False, indent=2)
        try:
            out.write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise StoreError(f"cannot write {out.name} ({reason}); choose another place") from None
    notes = sum(1 for e in bundle["entry"] if e["resource"]["resourceType"] == "Composition")
    return Outcome(Exported(out, notes, len(bundle["entry"])), transaction.changes)
