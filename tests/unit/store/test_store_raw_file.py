"""Nothing in a profile folder is readable without the password: not the database, not its WAL, not
profile.json. Checked by searching the raw bytes for data the seeder put in."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from app.store import open_store
from app.store.profile import DB_FILE
from models import Patient
from tests.support.profiles import PASSWORD


def _needles(profile: Path) -> list[str]:
    store = open_store(profile, PASSWORD)
    try:
        with store.session() as s:
            rows = s.execute(
                select(Patient.first_name, Patient.last_name, Patient.mrn, Patient.phone).limit(40)
            ).all()
    finally:
        store.close()
    needles = {r.mrn for r in rows} | {r.phone for r in rows if r.phone}
    needles |= {f"{r.first_name} {r.last_name}" for r in rows}
    needles |= {r.last_name for r in rows if len(r.last_name) >= 6}
    return sorted(needles)


def _forms(text: str) -> list[bytes]:
    return [text.encode("utf-8"), text.encode("utf-16-le"), text.casefold().encode("utf-8")]


def _leaks(profile: Path, needles: list[str]) -> list[tuple[str, str]]:
    found = []
    for path in sorted(p for p in profile.rglob("*") if p.is_file()):
        data = path.read_bytes()
        found += [(path.name, n) for n in needles if any(form in data for form in _forms(n))]
    return found


def test_seeded_patient_data_appears_in_no_file_of_the_profile_folder(seeded: Path) -> None:
    needles = _needles(seeded)
    assert len(needles) > 60
    assert _leaks(seeded, needles) == []
    assert not (seeded / DB_FILE).read_bytes().startswith(b"SQLite format 3")


def test_an_open_profile_with_uncommitted_pages_in_its_wal_leaks_nothing(seeded: Path) -> None:
    needles = _needles(seeded)
    store = open_store(seeded, PASSWORD)
    try:
        with store.session() as s:
            s.add(
                Patient(
                    mrn="MRN0000042",
                    first_name="Wilhelmina",
                    last_name="Quarterbridge",
                    first_name_key="wilhelmina",
                    last_name_key="quarterbridge",
                    date_of_birth=Patient.date_of_birth.type.python_type.fromisoformat("1961-04-02"),
                )
            )
        files = {p.name for p in seeded.iterdir()}
        assert f"{DB_FILE}-wal" in files
        assert _leaks(seeded, [*needles, "Wilhelmina", "Quarterbridge", "MRN0000042"]) == []
    finally:
        store.close()


def test_the_seeded_names_really_are_in_the_decrypted_store(seeded: Path) -> None:
    """Guards the test above: searching for needles that cannot be found would prove nothing."""
    needles = _needles(seeded)
    store = open_store(seeded, PASSWORD)
    try:
        with store.session() as s:
            names = {f"{p.first_name} {p.last_name}" for p in s.scalars(select(Patient))}
    finally:
        store.close()
    assert any(n in names for n in needles)
