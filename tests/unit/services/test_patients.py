from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.services.patients import parse_dob, patient_chart, search_patients
from clinicdesk.errors import NotFoundError
from models import AuditEvent, Condition, Insurance
from tests.unit.services.conftest import Clinic


def names(clinic: Clinic, text: str) -> list[str]:
    with clinic.store.session() as s:
        return [f"{p.first_name} {p.last_name}" for p in search_patients(s, text)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("lov", ["Ada Lovelace"]),
        ("LOVELACE", ["Ada Lovelace"]),
        ("ad", ["Ada Lovelace", "Adam Smith"]),
        ("ada lov", ["Ada Lovelace"]),
        ("lovelace ada", ["Ada Lovelace"]),
        ("smith, ad", ["Adam Smith"]),
        ("MRN0000002", ["Alan Turing"]),
        ("0000002", ["Alan Turing"]),
        ("1980-03-12", ["Grace Hopper", "Ada Lovelace"]),
        ("31/01/1990", ["Adam Smith"]),
        ("zz", []),
        ("   ", []),
    ],
)
def test_search_finds_patients_by_name_prefix_mrn_or_date_of_birth(
    clinic: Clinic, query: str, expected: list[str]
) -> None:
    assert names(clinic, query) == expected


def test_ambiguous_slashed_dates_are_not_guessed() -> None:
    assert parse_dob("03/04/1980") is None
    assert parse_dob("13/04/1980") == date(1980, 4, 13)


def test_opening_a_chart_shows_its_parts_and_is_audited(clinic: Clinic) -> None:
    ada = clinic.patients[0]
    with clinic.store.session() as s:
        s.add(Condition(patient_id=ada.id, name="Essential hypertension", icd10_code="I10"))
        s.add(Insurance(patient_id=ada.id, payer="Sun Life", policy_number="P-1"))
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        chart = patient_chart(s, ada.id)
    assert chart.patient.mrn == "MRN0000001"
    assert chart.conditions[0]["icd10"] == "I10"
    assert chart.insurance[0]["payer"] == "Sun Life"
    with clinic.store.session() as s:
        reads = s.scalars(select(AuditEvent).where(AuditEvent.action == "read")).all()
        assert [(r.resource_id, r.user_id) for r in reads] == [(ada.id, clinic.doctor.id)]


def test_an_unknown_patient_gives_a_clear_error(clinic: Clinic) -> None:
    import uuid

    with clinic.store.session() as s, pytest.raises(NotFoundError, match="no such patient"):
        patient_chart(s, uuid.uuid4())


def test_the_store_knows_its_newest_migration_without_asking_alembic() -> None:
    from app.store.migrate import HEAD, head_revision

    assert head_revision() == HEAD
