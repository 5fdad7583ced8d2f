"""Importing a practice's patients: nothing half-imported, bad rows reported by row and field only,
likely duplicates left out, CSV columns mapped, FHIR R4 bundles validated."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import patient_import
from app.ops import registration as registration_ops
from app.patient_import import ImportRefused
from app.workspace import Workspace
from clinicdesk.errors import ValidationError
from models import AuditEvent, OutboxEntry, Patient
from tests.support.day_one import fhir_bundle, patient_rows, practice_profile, write_csv, write_fhir


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Workspace]:
    """The receptionist of a practice set up a minute ago, on a stand-alone profile."""
    store = practice_profile(tmp_path / "profile")
    workspace = Workspace.for_store(store)
    yield workspace
    workspace.close()


def patients(workspace: Workspace) -> int:
    with workspace.reading() as s:
        return int(s.scalar(select(func.count()).select_from(Patient)) or 0)


def run(workspace: Workspace, path: Path, **how: object) -> patient_import.ImportReport:
    mapping = how.pop("mapping", None)
    rows = patient_import.read_rows(path, mapping=mapping)  # type: ignore[arg-type]
    return registration_ops.import_file(workspace, rows, **how).value  # type: ignore[arg-type]


def test_a_clean_csv_goes_in_whole_with_its_outbox_entries_and_one_audit_event(
    desk: Workspace, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "old.csv", patient_rows(25))
    report = run(desk, path)
    assert report.to_json() == {"imported": 25, "duplicates": 0, "skipped": []}
    assert patients(desk) == 25
    with desk.reading() as s:
        queued = s.scalar(
            select(func.count()).select_from(OutboxEntry).where(OutboxEntry.entity == "patients")
        )
        audit = s.scalars(select(AuditEvent).where(AuditEvent.new_values.is_not(None))).all()
    assert queued == 25, "every patient syncs"
    assert any((a.new_values or {}).get("imported") == 25 for a in audit)


def test_a_file_with_a_bad_row_is_refused_whole_and_the_reason_names_only_row_and_field(
    desk: Workspace, tmp_path: Path
) -> None:
    rows = patient_rows(6)
    rows[2]["date_of_birth"] = "03/04/1975"
    rows[4]["last_name"] = ""
    rows[5]["email"] = "not-an-address"
    path = write_csv(tmp_path / "old.csv", rows)
    with pytest.raises(ImportRefused) as refused:
        run(desk, path)
    assert patients(desk) == 0, "nothing was imported"
    assert [p.to_json() for p in refused.value.report.skipped] == [
        {"row": 3, "reason": "date_of_birth is not a date (YYYY-MM-DD)"},
        {"row": 5, "reason": "last_name is empty"},
        {"row": 6, "reason": "email does not look like an email address"},
    ]
    for value in ("03/04/1975", "not-an-address", rows[2]["first_name"]):
        assert value not in refused.value.message
    # The dry run reports the same and writes nothing; skipping bad rows imports the rest at once.
    dry = run(desk, path, dry_run=True)
    assert dry.imported == 3 and len(dry.skipped) == 3 and patients(desk) == 0
    done = run(desk, path, skip_bad=True)
    assert done.to_json() == {"imported": 3, "duplicates": 0, "skipped": [p.to_json() for p in dry.skipped]}
    assert patients(desk) == 3


def test_duplicates_of_the_practices_patients_or_of_earlier_rows_are_left_out(
    desk: Workspace, tmp_path: Path
) -> None:
    rows = patient_rows(10)
    run(desk, write_csv(tmp_path / "first.csv", rows[:4]))
    again = [{**r, "mrn": ""} for r in rows[2:6]]  # two already there (by name and birth date)
    again.append({**rows[7], "first_name": "Someone", "last_name": "Else", "mrn": ""})  # same phone as a row
    report = run(desk, write_csv(tmp_path / "second.csv", [*again, {**rows[7], "mrn": ""}]))
    assert (report.imported, report.duplicates, report.skipped) == (3, 3, [])
    assert patients(desk) == 7


def test_an_mrn_in_use_or_used_twice_in_the_file_is_a_bad_row(desk: Workspace, tmp_path: Path) -> None:
    rows = patient_rows(5)
    run(desk, write_csv(tmp_path / "first.csv", rows[:1]))
    second = [{**rows[1], "mrn": rows[0]["mrn"]}, rows[2], {**rows[3], "mrn": rows[2]["mrn"]}]
    with pytest.raises(ImportRefused) as refused:
        run(desk, write_csv(tmp_path / "second.csv", second))
    assert [(p.row, p.reason) for p in refused.value.report.skipped] == [
        (1, "mrn is already in use by another patient"),
        (3, "mrn is used by an earlier row of the file"),
    ]
    assert patients(desk) == 1


def test_rows_without_an_mrn_get_the_practices_format_and_other_columns_can_be_mapped(
    desk: Workspace, tmp_path: Path
) -> None:
    rows = patient_rows(3, mrn_from=None)
    header = ["Given name", "Surname", "DOB", "Telephone", "Lang"]
    renamed = [
        dict(
            zip(
                header,
                (r["first_name"], r["last_name"], r["date_of_birth"], r["phone"], "French"),
                strict=True,
            )
        )
        for r in rows
    ]
    path = write_csv(tmp_path / "other-system.csv", renamed, header=header)
    guessed = patient_import.suggest_mapping(patient_import.csv_headers(path))
    assert guessed == {
        "first_name": "Given name",
        "last_name": "Surname",
        "date_of_birth": "DOB",
        "phone": "Telephone",
    }
    with pytest.raises(ValidationError, match="cannot map a column to 'favourite_colour'"):
        run(desk, path, mapping={**guessed, "favourite_colour": "Lang"})
    run(desk, path, mapping={**guessed, "preferred_language": "Lang"})
    with desk.reading() as s:
        imported = s.execute(select(Patient.mrn, Patient.preferred_language).order_by(Patient.mrn)).all()
    assert imported == [("MRN0000001", "French"), ("MRN0000002", "French"), ("MRN0000003", "French")]


def test_a_fhir_bundle_of_patients_is_validated_and_imported(desk: Workspace, tmp_path: Path) -> None:
    bundle = fhir_bundle(patient_rows(4))
    bundle["entry"][1]["resource"]["birthDate"] = "1980-13-45"
    bundle["entry"][3] = {"resource": {"resourceType": "Observation", "status": "final"}}
    path = write_fhir(tmp_path / "bundle.json", bundle)
    with pytest.raises(ImportRefused) as refused:
        run(desk, path)
    assert [(p.row, p.reason) for p in refused.value.report.skipped] == [
        (2, "not a valid FHIR Patient (birthDate)"),
        (4, "the entry is not a Patient resource"),
    ]
    report = run(desk, path, skip_bad=True, source="fhir")
    assert report.imported == 2
    with desk.reading() as s:
        assert s.scalars(select(Patient.mrn).order_by(Patient.mrn)).all() == ["OLD0000001", "OLD0000003"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "the file is not JSON"),
        (json.dumps({"resourceType": "Patient"}), "not a FHIR Bundle"),
        (
            json.dumps({"resourceType": "Bundle", "type": "collection", "entry": {"a": 1}}),
            "'entry' must be a list",
        ),
        (
            json.dumps({"resourceType": "Bundle", "type": "nonsense", "entry": []}),
            "not a FHIR R4 bundle type",
        ),
    ],
)
def test_a_file_that_is_no_fhir_bundle_is_refused_with_one_clear_reason(
    desk: Workspace, tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "bundle.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValidationError, match=message):
        run(desk, path)
    assert patients(desk) == 0
