"""Importing patients from the practice's old system: a CSV file (columns found by their header, with
a mapping for other names) or a FHIR R4 Bundle of Patient resources.

Nothing is half-imported. Every row is checked first; a file with a bad row is refused whole,
unless the user chose to skip bad rows: then the good rows go in, in one transaction, and the report
lists each skipped row and why. A dry run checks and reports without writing. Rows that look like a
patient the practice already has (or an earlier row of the file) are not imported twice: they are
counted as duplicates. A reason names the row and the field, never the value (it is patient data).

Rows are numbered as the user sees them: the first data row of a CSV file (after its header) is
row 1, and the first entry of a bundle is row 1.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from app.ops.changes import note_bulk_write
from app.services import audit, mrn
from app.services.patients import name_key
from app.services.registration import (
    DuplicateIndex,
    PatientInput,
    check_patient,
    find_by_mrns,
    new_patient_values,
)
from clinicdesk.errors import ValidationError
from models import OutboxEntry, Patient, new_id, utcnow
from models.enums import AllergyStatus, OutboxOperation, OutboxStatus, PatientStatus
from models.registry import values_to_dict

#: The fields a row may fill, by the CSV header that names them.
FIELDS = (
    "mrn", "first_name", "last_name", "date_of_birth", "sex", "phone", "email", "address", "city", "region",
    "postal_code", "country", "preferred_language", "preferred_contact_method", "emergency_contact_name",
    "emergency_contact_relationship", "emergency_contact_phone",
)  # fmt: skip
REQUIRED = ("first_name", "last_name", "date_of_birth")
#: Other headers old systems use, offered as the mapping's first guess.
SYNONYMS = {
    "given_name": "first_name", "firstname": "first_name", "forename": "first_name",
    "family_name": "last_name", "lastname": "last_name", "surname": "last_name",
    "dob": "date_of_birth", "birth_date": "date_of_birth", "birthdate": "date_of_birth",
    "gender": "sex", "telephone": "phone", "phone_number": "phone", "mobile": "phone",
    "street": "address", "address_line": "address", "province": "region", "state": "region",
    "postcode": "postal_code", "zip": "postal_code", "zip_code": "postal_code",
    "medical_record_number": "mrn", "language": "preferred_language",
}  # fmt: skip
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_ROWS = 250_000
CHUNK = 2_000


@dataclass(frozen=True)
class Problem:
    row: int
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"row": self.row, "reason": self.reason}


@dataclass
class ImportReport:
    """What an import did (or, for a dry run, would do)."""

    imported: int = 0
    duplicates: int = 0
    skipped: list[Problem] = field(default_factory=list)
    total: int = 0
    dry_run: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "imported": self.imported,
            "duplicates": self.duplicates,
            "skipped": [p.to_json() for p in self.skipped],
        }


class ImportRefused(ValidationError):
    """The file has bad rows and skipping them was not chosen: nothing was imported."""

    def __init__(self, report: ImportReport) -> None:
        shown = "; ".join(f"row {p.row}: {p.reason}" for p in report.skipped[:5])
        more = f" and {len(report.skipped) - 5} more" if len(report.skipped) > 5 else ""
        super().__init__(
            f"{len(report.skipped)} bad row(s) ({shown}{more}); nothing was imported: fix them, "
            "or choose to skip bad rows"
        )
        self.report = report


# -- reading ----------------------------------------------------------------------------------------


def header_key(header: str) -> str:
    return "_".join(header.strip().lower().replace("-", " ").split())


def suggest_mapping(headers: list[str]) -> dict[str, str]:
    """field -> header: the headers named like a field (or a usual synonym of one)."""
    mapping: dict[str, str] = {}
    for header in headers:
        key = header_key(header)
        target = key if key in FIELDS else SYNONYMS.get(key)
        if target is not None and target not in mapping:
            mapping[target] = header
    return mapping


def _read_text(path: Path) -> str:
    try:
        size = path.stat().st_size
    except OSError:
        raise ValidationError(f"cannot read {path.name}: no such file, or no permission") from None
    if size > MAX_FILE_BYTES:
        raise ValidationError(f"{path.name} is larger than {MAX_FILE_BYTES // 2**20} MB; split it")
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(f"{path.name} is not UTF-8 text; save it as UTF-8 CSV") from None
    except OSError:
        raise ValidationError(f"cannot read {path.name}") from None


def csv_headers(path: Path) -> list[str]:
    reader = csv.reader(io.StringIO(_read_text(path)))
    try:
        return [h.strip() for h in next(reader)]
    except (StopIteration, csv.Error):
        raise ValidationError(f"{path.name} has no header row") from None


def read_csv(text: str, mapping: Mapping[str, str] | None = None) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number, field -> text) per data row. ``mapping`` (field -> header) defaults to the
    suggested one; a required field without a column refuses the file."""
    reader = csv.reader(io.StringIO(text))
    try:
        headers = [h.strip() for h in next(reader)]
    except StopIteration:
        raise ValidationError("the file is empty: a CSV file starts with its header row") from None
    except csv.Error:
        raise ValidationError("the header row is not valid CSV") from None
    chosen = dict(mapping) if mapping is not None else suggest_mapping(headers)
    unknown = [f for f in chosen if f not in FIELDS]
    if unknown:
        raise ValidationError(f"cannot map a column to {unknown[0]!r}; the fields are {', '.join(FIELDS)}")
    missing = [f for f in REQUIRED if f not in chosen]
    if missing:
        raise ValidationError(f"no column for {', '.join(missing)}: map one, or add the header")
    position = {}
    for target, header in chosen.items():
        if header not in headers:
            raise ValidationError(f"the file has no column {header!r} to map to {target}")
        position[target] = headers.index(header)
    row = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error:
            yield row + 1, {"__error__": "the row is not valid CSV (a quote is not closed)"}
            return
        if not any(c.strip() for c in cells):
            continue
        row += 1
        if row > MAX_ROWS:
            raise ValidationError(f"the file has more than {MAX_ROWS:,} rows; split it")
        if len(cells) > len(headers):
            yield row, {"__error__": "the row has more cells than the header has columns"}
            continue
        yield row, {t: cells[i].strip() if i < len(cells) else "" for t, i in position.items()}


def read_fhir(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(entry number, field -> text) per entry of a FHIR R4 Bundle of Patient resources, each
    validated with fhir.resources. A file that is not such a bundle is refused whole."""
    from fhir.resources.R4B.patient import Patient as FhirPatient
    from pydantic import ValidationError as PydanticError

    try:
        bundle = json.loads(text)
    except ValueError:
        raise ValidationError(
            "the file is not JSON: a FHIR import takes a Bundle of Patient resources"
        ) from None
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise ValidationError("the file is not a FHIR Bundle (resourceType must be 'Bundle')")
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        raise ValidationError("the bundle's 'entry' must be a list")
    if bundle.get("type") not in {"collection", "transaction", "batch", "searchset", "document", "message"}:
        raise ValidationError("the bundle's 'type' is missing or not a FHIR R4 bundle type")
    for number, entry in enumerate(entries, start=1):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or resource.get("resourceType") != "Patient":
            yield number, {"__error__": "the entry is not a Patient resource"}
            continue
        try:
            patient = FhirPatient.model_validate(resource)
        except PydanticError as exc:
            where = ".".join(str(p) for p in exc.errors()[0].get("loc", ()) if not isinstance(p, int))
            yield number, {"__error__": f"not a valid FHIR Patient ({where or 'resource'})"}
            continue
        yield number, _from_fhir(patient)


def _from_fhir(patient: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    every = list(patient.name or [])
    names = [n for n in every if n.use in (None, "official", "usual")] or every
    if names:
        out["first_name"] = " ".join(names[0].given or [])
        out["last_name"] = names[0].family or ""
    if patient.birthDate is not None:
        out["date_of_birth"] = str(patient.birthDate)
    if patient.gender:
        out["sex"] = str(patient.gender)
    for telecom in patient.telecom or []:
        if telecom.system == "phone" and "phone" not in out and telecom.value:
            out["phone"] = telecom.value
        if telecom.system == "email" and "email" not in out and telecom.value:
            out["email"] = telecom.value
    if patient.address:
        address = patient.address[0]
        out["address"] = " ".join(address.line or [])
        out.update(
            city=address.city or "", region=address.state or "", postal_code=address.postalCode or "",
            country=address.country or "",
        )  # fmt: skip
    for identifier in patient.identifier or []:
        codes = [c.code for c in (identifier.type.coding or [])] if identifier.type else []
        if "MR" in codes and identifier.value:
            out["mrn"] = identifier.value
            break
    if patient.communication:
        language = patient.communication[0].language
        text = language.text or (language.coding[0].code if language.coding else None)
        if text:
            out["preferred_language"] = text
    return out


def read_rows(
    path: Path, *, mapping: Mapping[str, str] | None = None
) -> Iterator[tuple[int, dict[str, str]]]:
    """A .json file is read as a FHIR bundle, anything else as CSV."""
    text = _read_text(path)
    if path.suffix.lower() == ".json":
        return read_fhir(text)
    return read_csv(text, mapping)


# -- checking -------------------------------------------------------------------------------------


def row_input(values: Mapping[str, str]) -> PatientInput:
    """One row's values as a checked PatientInput, or ValidationError naming the field."""
    if "__error__" in values:
        raise ValidationError(values["__error__"])
    for name in REQUIRED:
        if not values.get(name, "").strip():
            raise ValidationError(f"{name} is empty")
    text = values["date_of_birth"].strip()
    try:
        if not _ISO_DATE.match(text):
            raise ValueError(text)
        born = date.fromisoformat(text)
    except ValueError:
        raise ValidationError("date_of_birth is not a date (YYYY-MM-DD)") from None
    contact = {
        key: values.get(f"emergency_contact_{key}", "")
        for key in ("name", "relationship", "phone")
        if values.get(f"emergency_contact_{key}", "").strip()
    }
    data = PatientInput(
        first_name=values["first_name"], last_name=values["last_name"], date_of_birth=born,
        gender=values.get("sex") or None, phone=values.get("phone") or None,
        email=values.get("email") or None,
        address_street=values.get("address") or None, address_city=values.get("city") or None,
        address_region=values.get("region") or None, address_postal_code=values.get("postal_code") or None,
        address_country=values.get("country") or None,
        preferred_language=values.get("preferred_language") or None,
        preferred_contact_method=values.get("preferred_contact_method") or None,
        emergency_contact=contact, mrn=values.get("mrn") or None,
    )  # fmt: skip
    try:
        return check_patient(data)
    except ValidationError as exc:
        raise ValidationError(_as_field(exc.message)) from None


_LABELS = {
    "first name": "first_name", "last name": "last_name", "date of birth": "date_of_birth", "sex": "sex",
    "address street": "address", "address city": "city", "address region": "region",
    "address postal code": "postal_code", "address country": "country", "an mrn": "mrn",
    "preferred language": "preferred_language", "preferred contact method": "preferred_contact_method",
}  # fmt: skip


def _as_field(message: str) -> str:
    """The registration form's words for a field become the CSV column's name."""
    for words, column in _LABELS.items():
        if message.startswith(words):
            return column + message[len(words) :]
    return message


def import_patients(
    session: Session,
    rows: Iterator[tuple[int, dict[str, str]]],
    *,
    dry_run: bool = False,
    skip_bad: bool = False,
    source: str = "csv",
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Checks every row, then (unless ``dry_run``) adds the good ones in this transaction. Bad rows
    refuse the whole import (ImportRefused) unless ``skip_bad``."""
    report = ImportReport(dry_run=dry_run)
    index = DuplicateIndex.load(session)
    good: list[tuple[int, PatientInput]] = []
    seen_mrns: set[str] = set()
    for number, values in rows:
        report.total += 1
        try:
            data = row_input(values)
        except ValidationError as exc:
            report.skipped.append(Problem(number, exc.message))
            continue
        if index.match(data) is not None:
            report.duplicates += 1
            continue
        if data.mrn is not None:
            if data.mrn in seen_mrns:
                report.skipped.append(Problem(number, "mrn is used by an earlier row of the file"))
                continue
            seen_mrns.add(data.mrn)
        assert data.date_of_birth is not None
        index.add(
            uuid.UUID(int=number), name_key(data.first_name), name_key(data.last_name), data.date_of_birth,
            data.phone,
        )  # fmt: skip
        good.append((number, data))
    taken = find_by_mrns(session, seen_mrns)
    if taken:
        for number, data in good:
            if data.mrn in taken:
                report.skipped.append(Problem(number, "mrn is already in use by another patient"))
        good = [(n, d) for n, d in good if d.mrn not in taken]
    report.skipped.sort(key=lambda p: p.row)
    report.imported = len(good)
    if report.skipped and not skip_bad:
        if dry_run:
            return report
        raise ImportRefused(report)
    if dry_run or not good:
        return report
    _write(session, [d for _, d in good], progress=progress)
    audit.record(
        session,
        action="create",
        resource_type="patients",
        resource_id=None,
        new={
            "imported": len(good),
            "duplicates": report.duplicates,
            "skipped": len(report.skipped),
            "from": source,
        },
    )
    return report


def _write(session: Session, good: list[PatientInput], *, progress: Callable[[int], None] | None) -> None:
    """Adds the patients in chunks with bulk inserts, each chunk's outbox entries beside them (what the
    store's flush hook writes for one record at a time, done here for thousands): 50,000 rows never
    become ORM objects, and only one chunk's rows are in memory at once. All in the caller's
    transaction: the import commits whole or not at all."""
    missing = sum(1 for d in good if d.mrn is None)
    generated = iter(mrn.next_mrns(session, missing)) if missing else iter(())
    defaults = _defaults(Patient)
    done = 0
    for start in range(0, len(good), CHUNK):
        now = utcnow()
        rows = []
        for data in good[start : start + CHUNK]:
            values = {name: factory() for name, factory in defaults.items()}
            values.update(_patient_values(data))
            values.update(id=new_id(), mrn=data.mrn or next(generated), created_at=now, updated_at=now)
            rows.append(values)
        session.execute(insert(Patient), rows)
        last = session.scalar(select(func.max(OutboxEntry.seq))) or 0
        session.execute(
            insert(OutboxEntry),
            [
                {
                    "id": new_id(), "seq": last + n, "entity": "patients", "record_id": row["id"],
                    "operation": OutboxOperation.UPSERT, "payload": values_to_dict(row), "base_version": None,
                    "created_at": now, "status": OutboxStatus.PENDING, "attempts": 0,
                }
                for n, row in enumerate(rows, start=1)
            ],
        )  # fmt: skip
        note_bulk_write(session, "patients", (row["id"] for row in rows))
        done += len(rows)
        if progress is not None:
            progress(done)


def _defaults(model: Any) -> dict[str, Callable[[], Any]]:
    """Each column's default, as a function giving a fresh value (a new list for a JSON list)."""
    out: dict[str, Callable[[], Any]] = {}
    for attr in model.__mapper__.column_attrs:
        out[attr.key] = functools.partial(_default_value, attr.columns[0].default)
    return out


def _default_value(default: Any) -> Any:
    if default is None:
        return None
    return default.arg(None) if default.is_callable else default.arg


def _patient_values(data: PatientInput) -> dict[str, Any]:
    """What registration writes for a new patient (app/services/registration.new_patient)."""
    patient = new_patient_values(data)
    patient.update(status=PatientStatus.ACTIVE, allergy_status=AllergyStatus.NOT_RECORDED)
    return patient


def mrns_needed(rows: Iterator[tuple[int, dict[str, str]]]) -> int:
    """How many rows leave the MRN to be generated (to reserve enough numbers first)."""
    return sum(1 for _, values in rows if not values.get("mrn", "").strip())
