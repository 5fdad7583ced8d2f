"""Documents of a chart: scans, letters, printed prescriptions and notes (PDF, JPEG or PNG).

A file is checked by its content, never by its name: the first bytes say what it is and its
structure must be whole (a PDF ends with %%EOF, every PNG chunk's checksum holds and the file ends
with IEND, a JPEG's segments lead to its end marker), so a renamed or truncated file is refused
with a reason before anything is kept. It is then sealed with the practice's data key
(app/keyring.py) and stored in the encrypted profile; the sync uploads the sealed bytes to the
server, and another workstation downloads them when someone opens the document there.
"""

from __future__ import annotations

import uuid
import zlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from app import keyring
from app.services import audit
from app.services.patients import live_patient
from app.services.roles import require_role
from clinicdesk.errors import NotFoundError, ValidationError
from models import Document, Encounter, User
from models.enums import DocumentCategory, Role
from sync.limits import MAX_DOCUMENT_BYTES

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
KINDS = "PDF, JPEG and PNG"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: JPEG markers that stand alone (no length follows)
_JPEG_BARE = {0x01, *range(0xD0, 0xD8)}


class NotHere(Exception):
    """The document's bytes are on the server, not yet on this workstation."""


@dataclass(frozen=True)
class DocumentRecord:
    id: uuid.UUID
    patient_id: uuid.UUID
    encounter_id: uuid.UUID | None
    title: str
    filename: str | None
    category: DocumentCategory
    mime_type: str
    size_bytes: int
    created_at: datetime
    created_by: str | None
    source: str | None
    source_id: uuid.UUID | None


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def check_size(size: int) -> None:
    if size <= 0:
        raise ValidationError("the file is empty; nothing was attached")
    if size > MAX_DOCUMENT_BYTES:
        most = MAX_DOCUMENT_BYTES // (1024 * 1024)
        raise ValidationError(
            f"the file is {_megabytes(size)}, over the limit: a document may be at most {most} MB "
            "(scan it at a lower resolution or split it); nothing was attached"
        )


def _png_whole(data: bytes) -> bool:
    pos, first = len(_PNG_SIGNATURE), True
    while pos + 12 <= len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > len(data) or (first and kind != b"IHDR"):
            return False
        if zlib.crc32(data[pos + 4 : pos + 8 + length]) != int.from_bytes(data[end - 4 : end], "big"):
            return False
        if kind == b"IEND":
            return end == len(data)
        pos, first = end, False
    return False


def _jpeg_whole(data: bytes) -> bool:
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return False
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in _JPEG_BARE:
            pos += 2
            continue
        if marker == 0xD9:
            return True
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if length < 2:
            return False
        if marker == 0xDA:  # the scan: entropy-coded data up to the end marker
            return data.rstrip(b"\x00").endswith(b"\xff\xd9") and pos + 2 + length < len(data)
        pos += 2 + length
    return False


def sniff(data: bytes) -> str:
    """The document's type from its content; a file that is none of the three, or is not whole, is
    refused with the reason."""
    check_size(len(data))
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-2048:]:
            raise ValidationError("the PDF is damaged or incomplete (it has no end); nothing was attached")
        return PDF
    if data.startswith(_PNG_SIGNATURE):
        if not _png_whole(data):
            raise ValidationError("the PNG image is damaged or incomplete; nothing was attached")
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        if not _jpeg_whole(data):
            raise ValidationError("the JPEG image is damaged or incomplete; nothing was attached")
        return JPEG
    raise ValidationError(
        f"ClinicDesk attaches {KINDS} files, and this file is none of them, whatever its name says; "
        "nothing was attached"
    )


def record(doc: Document, created_by: str | None = None) -> DocumentRecord:
    return DocumentRecord(
        id=doc.id,
        patient_id=doc.patient_id,
        encounter_id=doc.encounter_id,
        title=doc.title,
        filename=doc.filename,
        category=doc.category,
        mime_type=doc.mime_type,
        size_bytes=doc.size_bytes,
        created_at=doc.created_at,
        created_by=created_by,
        source=doc.source,
        source_id=doc.source_id,
    )


def attach(
    session: Session,
    patient_id: uuid.UUID,
    data: bytes,
    *,
    title: str,
    filename: str | None = None,
    category: DocumentCategory = DocumentCategory.OTHER,
    encounter_id: uuid.UUID | None = None,
    source: tuple[str, uuid.UUID] | None = None,
) -> DocumentRecord:
    """Checks, seals and keeps a document in the patient's chart (and the encounter's, if given)."""
    user = require_role(session, Role.DOCTOR, Role.NURSE, Role.ADMIN, action="attach a document")
    mime = sniff(data)
    if not title.strip():
        raise ValidationError("a document needs a title")
    live_patient(session, patient_id)
    if encounter_id is not None:
        encounter = session.get(Encounter, encounter_id)
        if encounter is None or encounter.patient_id != patient_id:
            raise ValidationError("the encounter is not this patient's")
    blob, key_id = keyring.seal(session, data)
    doc = Document(
        patient_id=patient_id,
        encounter_id=encounter_id,
        title=" ".join(title.split())[:200],
        filename=(filename or None) and filename[:200],
        category=category,
        mime_type=mime,
        size_bytes=len(data),
        key_id=key_id,
        source=source[0] if source else None,
        source_id=source[1] if source else None,
        created_by_id=user.id,
        blob=blob,
    )
    session.add(doc)
    session.flush()
    audit.record(session, action="create", resource_type="documents", resource_id=doc.id)
    return record(doc, user.full_name)


def patient_documents(session: Session, patient_id: uuid.UUID) -> list[DocumentRecord]:
    rows = session.execute(
        select(Document, User.full_name)
        .outerjoin(User, User.id == Document.created_by_id)
        .where(Document.patient_id == patient_id, Document.deleted_at.is_(None))
        .order_by(Document.created_at.desc())
    ).all()
    return [record(doc, name) for doc, name in rows]


def stored(session: Session, document_id: uuid.UUID) -> tuple[Document, bool]:
    """The document, and whether its bytes are on this workstation."""
    doc = session.scalars(
        select(Document).options(undefer(Document.blob)).where(Document.id == document_id)
    ).first()
    if doc is None or doc.deleted_at is not None:
        raise NotFoundError("no such document in this profile")
    return doc, doc.blob is not None


def document_bytes(session: Session, document_id: uuid.UUID) -> tuple[DocumentRecord, bytes]:
    """The clear bytes, for showing or saving where the user chooses; never in a temp file. Raises
    NotHere when they must be downloaded first."""
    require_role(session, Role.DOCTOR, Role.NURSE, Role.ADMIN, action="open a document")
    doc, here = stored(session, document_id)
    if not here or doc.blob is None:
        raise NotHere(document_id)
    data = keyring.open_sealed(session, doc.blob, what="document")
    audit.record(session, action="read", resource_type="documents", resource_id=doc.id)
    return record(doc), data
