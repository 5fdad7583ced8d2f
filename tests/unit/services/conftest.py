"""A small hand-made practice: one doctor with a recurring lunch block, a few patients."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path

import pytest

from app.services.patients import name_key
from app.store import Store, create_store
from models import Patient, Practice, TimeBlock, User
from models.enums import Role, TimeBlockType
from tests.support.profiles import FAST_KDF

HOURS = {str(d): ["08:00", "17:00"] for d in range(1, 6)}


@dataclass
class Clinic:
    store: Store
    doctor: User
    nurse: User
    patients: list[Patient]


def make_patient(first: str, last: str, dob: date, mrn: str) -> Patient:
    return Patient(
        mrn=mrn,
        first_name=first,
        last_name=last,
        first_name_key=name_key(first),
        last_name_key=name_key(last),
        date_of_birth=dob,
    )


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[Clinic]:
    store = create_store(tmp_path / "profile", "correct horse", kdf=FAST_KDF)
    doctor = User(username="dr.who", full_name="Dr Who", role=Role.DOCTOR)
    nurse = User(username="n.joy", full_name="Nurse Joy", role=Role.NURSE)
    patients = [
        make_patient("Ada", "Lovelace", date(1980, 3, 12), "MRN0000001"),
        make_patient("Alan", "Turing", date(1954, 6, 7), "MRN0000002"),
        make_patient("Grace", "Hopper", date(1980, 3, 12), "MRN0000003"),
        make_patient("Adam", "Smith", date(1990, 1, 31), "MRN0000004"),
    ]
    with store.session() as s:
        s.add(
            Practice(
                name="Test Clinic",
                timezone="America/Toronto",
                business_hours=HOURS,
                holiday_schedule=["2030-12-25"],
            )
        )
        s.add_all([doctor, nurse, *patients])
        s.flush()
        s.add(
            TimeBlock(
                clinician_id=doctor.id,
                start_date=date(2020, 1, 1),
                start_time=time(12, 0),
                end_time=time(13, 0),
                rrule="FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
                reason="Lunch",
                block_type=TimeBlockType.BREAK,
            )
        )
    store.set_owner("dr.who")
    yield Clinic(store=store, doctor=doctor, nurse=nurse, patients=patients)
    store.close()
