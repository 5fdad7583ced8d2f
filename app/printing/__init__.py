"""What a printed prescription and a printed note say, as HTML a Qt text document lays out (the PDF
itself is made in ui/print_pdf.py with Qt's own PDF writer; this package stays Qt-free).

Both carry the practice's letterhead, the prescriber or author with credentials and licence number,
the patient (name, date of birth, MRN, address), the date and what was signed, with the signature
line. Every value from a record is escaped.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.services import practice as practice_service
from app.services.prescribing import RxRecord, rx_record
from clinicdesk.errors import NotFoundError, ValidationError
from models import ClinicalNote, Patient, Prescription, User
from models.enums import SOAP_SECTIONS, NoteStatus, PrescriptionStatus

PRINTABLE = (
    PrescriptionStatus.SIGNED,
    PrescriptionStatus.PRINTED,
    PrescriptionStatus.SENT,
    PrescriptionStatus.DISPENSED,
)


@dataclass(frozen=True)
class PrintJob:
    """One document to lay out: its title (the PDF's), the HTML, and the record it prints."""

    title: str
    html: str
    source: str
    source_id: uuid.UUID
    patient_id: uuid.UUID


STYLE = (
    "<style>body{font-family:'DejaVu Sans',Arial,sans-serif;font-size:10pt;color:#111}"
    "h1{font-size:16pt;margin:0}h2{font-size:12pt;margin:12px 0 4px 0;color:#2b6cb0}"
    "td{padding:3px 8px 3px 0;vertical-align:top}th{text-align:left;padding:3px 8px 3px 0;"
    "border-bottom:1px solid #999}.small{color:#555;font-size:9pt}</style>"
)


def _address(parts: dict[str, object] | None) -> str:
    if not parts:
        return ""
    keys = ("street", "city", "region", "postal_code", "country")
    return ", ".join(str(parts[k]) for k in keys if parts.get(k))


def _letterhead(session: Session) -> str:
    practice = practice_service.get_practice(session)
    line = " · ".join(x for x in (_address(practice.address), practice.phone or "") if x)
    return (
        f"<table width='100%'><tr><td><h1>{escape(practice.name)}</h1>"
        f"<div class='small'>{escape(line)}</div></td></tr></table><hr/>"
    )


def _clinician(user: User | None, label: str) -> str:
    if user is None:
        return ""
    name = escape(user.full_name + (f", {user.credentials}" if user.credentials else ""))
    details = [escape(user.specialty)] if user.specialty else []
    details.append(f"Licence no. {escape(user.license_number)}" if user.license_number else "Licence no. —")
    small = " · ".join(details)
    return f"<tr><td><b>{label}</b></td><td>{name}<br/><span class='small'>{small}</span></td></tr>"


def _patient(patient: Patient) -> str:
    address = ", ".join(
        x
        for x in (
            patient.address_street,
            patient.address_city,
            patient.address_region,
            patient.address_postal_code,
            patient.address_country,
        )
        if x
    )
    return (
        f"<tr><td><b>Patient</b></td><td>{escape(patient.full_name)}<br/><span class='small'>"
        f"born {patient.date_of_birth.isoformat()} · {escape(patient.mrn)}"
        + (f" · {escape(address)}" if address else "")
        + "</span></td></tr>"
    )


def _paragraphs(text: object) -> str:
    return escape(str(text or "—")).replace("\n", "<br/>")


def _when(moment: datetime | None, tz: ZoneInfo) -> str:
    return f"{moment.astimezone(tz):%Y-%m-%d %H:%M}" if moment else "—"


def prescription_job(session: Session, prescription_id: uuid.UUID, *, tz: ZoneInfo) -> PrintJob:
    rx = session.get(Prescription, prescription_id)
    if rx is None or rx.deleted_at is not None:
        raise NotFoundError("no such prescription in this profile")
    if rx.status not in PRINTABLE:
        raise ValidationError("only a signed prescription is printed; sign it first")
    record: RxRecord = rx_record(session, rx)
    patient = session.get(Patient, rx.patient_id)
    assert patient is not None
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{escape(v)}</td>"
            for v in (
                item.medication,
                item.dosage or "",
                item.frequency or "",
                item.duration or "",
                item.quantity or "",
                str(item.refills),
            )
        )
        + "</tr>"
        + (
            f"<tr><td></td><td colspan='5' class='small'>{escape(item.instructions)}</td></tr>"
            if item.instructions
            else ""
        )
        for item in record.items
    )
    valid = f" · valid until {rx.valid_until.isoformat()}" if rx.valid_until else ""
    html = (
        f"<html><head>{STYLE}</head><body>{_letterhead(session)}"
        f"<table>{_clinician(session.get(User, rx.prescriber_id), 'Prescriber')}{_patient(patient)}"
        f"<tr><td><b>Date</b></td><td>{_when(rx.signed_at, tz)}{valid}</td></tr></table>"
        "<h2>℞ Prescription</h2><table width='100%'><tr><th>Medication</th><th>Dose</th><th>Frequency</th>"
        f"<th>Duration</th><th>Quantity</th><th>Refills</th></tr>{rows}</table>"
        f"<p class='small'>Electronically signed by {escape(record.prescriber_name)} on "
        f"{_when(rx.signed_at, tz)} · prescription {str(rx.id)[:8]}</p>"
        "<p><br/>Signature: ______________________________</p></body></html>"
    )
    return PrintJob(f"Prescription {str(rx.id)[:8]}", html, "prescriptions", rx.id, rx.patient_id)


def note_job(session: Session, note_id: uuid.UUID, *, tz: ZoneInfo) -> PrintJob:
    note = session.get(ClinicalNote, note_id)
    if note is None or note.deleted_at is not None:
        raise NotFoundError("no such note in this profile")
    if note.status is NoteStatus.DRAFT:
        raise ValidationError("only a signed note is printed; sign it first")
    patient = session.get(Patient, note.patient_id)
    assert patient is not None
    content = note.content or {}
    sections = "".join(
        f"<h2>{section.capitalize()}</h2><p>{_paragraphs(content.get(section))}</p>"
        for section in SOAP_SECTIONS
    )
    version = f" · version {note.current_version}" if note.status is NoteStatus.AMENDED else ""
    signer = session.get(User, note.signed_by_id) if note.signed_by_id else None
    html = (
        f"<html><head>{STYLE}</head><body>{_letterhead(session)}"
        f"<table>{_clinician(session.get(User, note.author_id), 'Author')}{_patient(patient)}"
        f"<tr><td><b>Date</b></td><td>{_when(note.signed_at, tz)}</td></tr></table>"
        f"<h1 style='margin-top:10px'>Progress note ({escape(note.status.value)}{version})</h1>{sections}"
        f"<p class='small'>Electronically signed by {escape(signer.full_name if signer else '—')} on "
        f"{_when(note.signed_at, tz)} · note {str(note.id)[:8]}</p></body></html>"
    )
    return PrintJob(f"Note {str(note.id)[:8]}", html, "clinical_notes", note.id, note.patient_id)
