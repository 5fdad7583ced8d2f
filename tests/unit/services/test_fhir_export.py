"""A signed note leaves as a FHIR R4 Bundle following US Core, from the operations and from the
command line (the contract the checks call); every bundle passes the official R4 JSON Schema and
round-trips through fhir.resources; a note that is not signed is refused and nothing is written."""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from fhir.resources.R4B.bundle import Bundle

from app.services import notes, orders, prescribing
from app.services.orders import PrescriptionItemInput
from clinicdesk.launcher import main
from tests.unit.services.conftest import Clinic
from tests.unit.services.test_notes import todays_appointment

CONTENT = {
    "subjective": "Cough and fever for three days.",
    "objective": "Crackles at the right base.",
    "assessment": "Community-acquired pneumonia.",
    "plan": "Amoxicillin; review in 48 hours.",
    "vitals": {
        "blood_pressure": "128/82", "heart_rate": 96, "respiratory_rate": 22,
        "temperature": {"value": 38.4, "unit": "C"}, "spo2": 94, "weight": {"value": 70, "unit": "kg"},
        "height": {"value": 175, "unit": "cm"}, "bmi": 22.9,
    },
    "diagnoses": [{"text": "pneumonia", "icd10": "J18.9"}, {"text": "cough", "icd10": None}],
    "medications": [{"name": "acetaminophen", "dose": "500", "unit": "mg", "frequency": "as needed"}],
}  # fmt: skip
VITAL_CODES = {
    "85354-9",
    "8480-6",
    "8462-4",
    "8867-4",
    "9279-1",
    "8310-5",
    "59408-5",
    "29463-7",
    "8302-2",
    "39156-5",
}
SECTIONS = {"61150-9", "61149-1", "51848-0", "18776-5"}


@pytest.fixture(scope="module")
def validator(corpora_dir: Path) -> Any:
    return jsonschema_rs.validator_for(json.loads((corpora_dir / "fhir" / "fhir.r4.schema.json").read_text()))


@pytest.fixture(scope="module")
def corpora_dir() -> Path:
    found = Path(__file__).resolve().parents[3].parent / "shared" / "corpora"
    if not (found / "fhir" / "fhir.r4.schema.json").is_file():
        pytest.skip("../shared/corpora is not present on this machine")
    return found


def _signed_visit(clinic: Clinic, *, sign: bool = True) -> uuid.UUID:
    appt = todays_appointment(clinic)
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        enc = notes.open_encounter(s, appt)
        note = notes.create_note(s, enc.id)
        notes.save_draft(s, note.id, CONTENT)
        rx = orders.create_prescription(
            s,
            enc.id,
            [PrescriptionItemInput("Amoxicillin", "500 mg", "three times daily", "7 days", refills=0)],
        )
        prescribing.sign(
            s, rx.id, seen=[f.key for f in prescribing.review(s, rx.id)], override_reason="reviewed"
        )
        if sign:
            notes.sign_note(s, note.id)
    return note.id


def check_bundle(bundle: dict[str, Any], validator: Any) -> None:
    """The official schema and the fhir.resources models each accept it, and it round-trips."""
    errors = [str(e)[:200] for e in validator.iter_errors(bundle)]
    assert errors == []
    assert json.loads(Bundle.model_validate(bundle).model_dump_json(exclude_none=True)) == bundle


def test_the_command_line_writes_one_us_core_bundle_of_the_signed_note(
    clinic: Clinic, tmp_path: Path, validator: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    note_id = _signed_visit(clinic)
    clinic.store.set_owner("dr.who")
    out = tmp_path / "note.json"
    code = main(["export-fhir", "--profile", str(clinic.store.profile_dir), "--password", "correct horse",
                 "--note", str(note_id), "--out", str(out)])  # fmt: skip
    assert code == 0 and "wrote 1 signed note(s)" in capsys.readouterr().out
    bundle = json.loads(out.read_text(encoding="utf-8"))
    check_bundle(bundle, validator)
    assert bundle["type"] == "collection"
    by_type: dict[str, list[dict[str, Any]]] = {}
    for entry in bundle["entry"]:
        assert entry["fullUrl"] == f"urn:uuid:{entry['resource']['id']}"
        by_type.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    [composition] = by_type["Composition"]
    assert composition["type"]["coding"][0]["code"] == "11506-3" and composition["status"] == "final"
    assert {s["code"]["coding"][0]["code"] for s in composition["section"]} == SECTIONS
    assert composition["section"][0]["text"]["div"].endswith("Cough and fever for three days.</p></div>")
    [document] = by_type["DocumentReference"]
    assert document["category"][0]["coding"][0]["code"] == "clinical-note"

    assert "COMMUNITY-ACQUIRED" not in base64.b64decode(document["content"][0]["attachment"]["data"]).decode()
    assert (
        "Community-acquired pneumonia."
        in base64.b64decode(document["content"][0]["attachment"]["data"]).decode()
    )
    codes = {c["code"] for o in by_type["Observation"] for c in o["code"]["coding"]}
    codes |= {
        c["code"] for o in by_type["Observation"] for p in o.get("component", []) for c in p["code"]["coding"]
    }
    assert codes >= VITAL_CODES
    temperature = next(o for o in by_type["Observation"] if o["code"]["coding"][0]["code"] == "8310-5")
    assert temperature["valueQuantity"] == {
        "value": 38.4,
        "unit": "C",
        "system": "http://unitsofmeasure.org",
        "code": "Cel",
    }
    pneumonia, cough = by_type["Condition"]
    assert pneumonia["code"]["coding"] == [
        {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "J18.9", "display": "pneumonia"}
    ]
    assert cough["code"] == {"text": "cough"}, "a diagnosis without a code keeps its words alone"
    assert pneumonia["category"][0]["coding"][0]["code"] == "encounter-diagnosis"
    intents = sorted(
        (m["intent"], m["medicationCodeableConcept"]["text"]) for m in by_type["MedicationRequest"]
    )
    assert intents == [("order", "Amoxicillin"), ("plan", "acetaminophen")]
    assert {len(by_type[t]) for t in ("Encounter", "Patient", "Practitioner")} == {1}
    assert by_type["Patient"][0]["identifier"][0]["value"] == "MRN0000001"


def test_every_signed_note_of_a_patient_goes_in_one_bundle_sharing_the_patient(
    clinic: Clinic, tmp_path: Path, validator: Any
) -> None:
    _signed_visit(clinic)
    _signed_visit(clinic)
    _signed_visit(clinic, sign=False)
    clinic.store.set_owner("dr.who")
    out = tmp_path / "patient.json"
    code = main(["export-fhir", "--profile", str(clinic.store.profile_dir), "--password", "correct horse",
                 "--patient", "MRN0000001", "--out", str(out)])  # fmt: skip
    assert code == 0
    bundle = json.loads(out.read_text(encoding="utf-8"))
    check_bundle(bundle, validator)
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert (
        kinds.count("Composition") == 2 and kinds.count("Patient") == 1 and kinds.count("Practitioner") == 1
    )


def test_an_unsigned_note_is_refused_with_a_clear_message_and_no_file(
    clinic: Clinic, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    draft = _signed_visit(clinic, sign=False)
    clinic.store.set_owner("dr.who")
    out = tmp_path / "draft.json"
    code = main(["export-fhir", "--profile", str(clinic.store.profile_dir), "--password", "correct horse",
                 "--note", str(draft), "--out", str(out)])  # fmt: skip
    assert code != 0 and not out.exists()
    assert "only a signed note can be exported; sign it first" in capsys.readouterr().err
