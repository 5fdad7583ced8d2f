"""``clinicdesk import-patients`` through the real command line: the JSON contract, a refused file
(one line, non-zero, nothing imported), a dry run, skipping bad rows, and a FHIR bundle."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.store import open_store
from models import Patient
from tests.support.day_one import fhir_bundle, patient_rows, practice_profile, write_csv, write_fhir
from tests.support.profiles import PASSWORD

from .conftest import Run, assert_one_line_error


@pytest.fixture
def desk_profile(tmp_path: Path) -> Path:
    folder = tmp_path / "desk"
    practice_profile(folder).close()
    return folder


def patient_count(profile: Path) -> int:
    store = open_store(profile, PASSWORD)
    try:
        with store.session() as s:
            return int(s.scalar(select(func.count()).select_from(Patient)) or 0)
    finally:
        store.close()


def test_a_csv_with_a_bad_row_is_refused_then_checked_then_imported_without_it(
    run_cli: Run, desk_profile: Path, tmp_path: Path
) -> None:
    rows = patient_rows(5)
    rows[3]["date_of_birth"] = "1970-02-31"
    path = write_csv(tmp_path / "old.csv", rows)
    common = (
        "import-patients",
        str(path),
        "--profile",
        str(desk_profile),
        "--password",
        PASSWORD,
        "--format",
        "json",
    )

    refused = run_cli(*common)
    line = assert_one_line_error(refused, "import-patients", "row 4: date_of_birth is not a date")
    assert "1970-02-31" not in line and rows[3]["last_name"] not in line
    assert patient_count(desk_profile) == 0

    dry = run_cli(*common, "--dry-run", "--skip-bad")
    assert dry.returncode == 0, dry.stderr
    report = {
        "imported": 4,
        "duplicates": 0,
        "skipped": [{"row": 4, "reason": "date_of_birth is not a date (YYYY-MM-DD)"}],
    }
    assert json.loads(dry.stdout) == report
    assert patient_count(desk_profile) == 0, "a dry run imports nothing"

    done = run_cli(*common, "--skip-bad")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == report
    assert patient_count(desk_profile) == 4


def test_a_fhir_bundle_imports_and_the_same_file_again_is_all_duplicates(
    run_cli: Run, desk_profile: Path, tmp_path: Path
) -> None:
    path = write_fhir(tmp_path / "bundle.json", fhir_bundle(patient_rows(3)))
    common = ("import-patients", str(path), "--profile", str(desk_profile), "--format", "json")
    first = run_cli(*common, env={"CLINICDESK_PASSWORD": PASSWORD})
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout) == {"imported": 3, "duplicates": 0, "skipped": []}
    again = run_cli(*common, "--dry-run", env={"CLINICDESK_PASSWORD": PASSWORD})
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == {"imported": 0, "duplicates": 3, "skipped": []}
    broken = tmp_path / "broken.json"
    broken.write_text(
        json.dumps({"resourceType": "Bundle", "type": "collection", "entry": "none"}), encoding="utf-8"
    )
    refused = run_cli(
        "import-patients", str(broken), "--profile", str(desk_profile), env={"CLINICDESK_PASSWORD": PASSWORD}
    )
    assert_one_line_error(refused, "import-patients", "'entry' must be a list")
    assert patient_count(desk_profile) == 3
