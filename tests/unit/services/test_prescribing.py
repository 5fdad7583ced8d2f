"""Prescribing after the draft: the safety checks at signing and the decision kept with the
prescription, refills, renewal, cancellation, and the chart's active medications."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from app.services import orders, prescribing
from app.services.notes import open_encounter
from app.services.orders import PrescriptionItemInput
from clinicdesk.errors import PermissionDeniedError, ValidationError
from models import Alert, AuditEvent, Patient, Prescription
from models.enums import AlertType, PrescriptionStatus
from tests.unit.services.conftest import Clinic
from tests.unit.services.test_notes import todays_appointment


def _draft(
    clinic: Clinic, *items: PrescriptionItemInput, allergies: list[dict[str, str]] | None = None
) -> uuid.UUID:
    appt = todays_appointment(clinic)
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        patient = s.get(Patient, clinic.patients[0].id)
        assert patient is not None
        patient.allergies = allergies or []
        enc = open_encounter(s, appt)
        return orders.create_prescription(s, enc.id, list(items)).id


def test_a_prescription_against_a_recorded_allergy_is_not_signed_until_the_doctor_gives_a_reason(
    clinic: Clinic,
) -> None:
    rx_id = _draft(
        clinic,
        PrescriptionItemInput("Amoxicillin", "500 mg", "three times daily", refills=1),
        allergies=[{"substance": "Penicillin", "reaction": "hives", "severity": "moderate"}],
    )
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        first = prescribing.sign(s, rx_id)
        assert first.record is None
        [finding] = first.findings
        assert finding.kind == "allergy" and "Penicillin" in finding.message and finding.needs_reason
        seen = [f.key for f in first.findings]
        assert prescribing.sign(s, rx_id, seen=seen).record is None, "a reason is needed"
        assert prescribing.sign(s, rx_id, override_reason="tolerated amoxicillin in 2024").record is None, (
            "the findings must have been shown"
        )
        assert s.get(Prescription, rx_id).status is PrescriptionStatus.DRAFT  # type: ignore[union-attr]
        signed = prescribing.sign(s, rx_id, seen=seen, override_reason="tolerated amoxicillin in 2024")
    assert signed.record is not None and signed.record.status is PrescriptionStatus.SIGNED
    assert signed.record.safety["decision"] == "overridden"
    assert signed.record.safety["override_reason"] == "tolerated amoxicillin in 2024"
    assert [f["key"] for f in signed.record.safety["findings"]] == seen
    with clinic.store.session() as s:
        event = s.scalars(
            select(AuditEvent).where(AuditEvent.resource_id == rx_id, AuditEvent.action == "sign")
        ).one()
        assert event.reason == "tolerated amoxicillin in 2024"
        nurse_alert = s.scalars(select(Alert).where(Alert.recipient_id == clinic.nurse.id)).one()
        assert nurse_alert.alert_type is AlertType.MEDICATION and nurse_alert.rule == "allergy_override"
        assert nurse_alert.patient_id == clinic.patients[0].id


def test_a_clean_prescription_is_signed_at_once_with_the_check_recorded(clinic: Clinic) -> None:
    rx_id = _draft(
        clinic, PrescriptionItemInput("Lisinopril", "10 mg", "once daily"), allergies=[{"substance": "latex"}]
    )
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        signed = prescribing.sign(s, rx_id)
    assert signed.findings == [] and signed.record is not None
    assert signed.record.safety["decision"] == "no warnings"


def test_duplicate_therapy_and_a_dose_out_of_range_are_found_against_the_active_list(clinic: Clinic) -> None:
    first = _draft(
        clinic, PrescriptionItemInput("Simvastatin", "20 mg", "at bedtime"), allergies=[{"substance": "x"}]
    )
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        prescribing.sign(s, first)
    second = _draft(
        clinic, PrescriptionItemInput("Atorvastatin", "120 mg", "once daily"), allergies=[{"substance": "x"}]
    )
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        findings = prescribing.sign(s, second).findings
        active = prescribing.active_medications(s, clinic.patients[0].id)
    kinds = sorted(f.kind for f in findings)
    assert kinds == ["dose", "dose", "duplicate"]
    assert any("simvastatin" in f.message.lower() for f in findings)
    assert [m.items[0].medication for m in active] == ["Simvastatin"]


def test_refills_run_out_a_renewal_replaces_the_old_prescription_and_cancelling_needs_a_reason(
    clinic: Clinic,
) -> None:
    rx_id = _draft(
        clinic,
        PrescriptionItemInput("Metformin", "500 mg", "twice daily", refills=1),
        allergies=[{"substance": "x"}],
    )
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        signed = prescribing.sign(s, rx_id).record
        assert signed is not None
        item = signed.items[0]
        assert item.refills_left == 1
        assert prescribing.record_refill(s, rx_id, item.id).items[0].refills_left == 0
        with pytest.raises(ValidationError, match="no refills of Metformin are left"):
            prescribing.record_refill(s, rx_id, item.id)
        renewal = prescribing.renew(s, rx_id)
        assert renewal.status is PrescriptionStatus.DRAFT and renewal.renewed_from_id == rx_id
        assert [i.medication for i in renewal.items] == ["Metformin"]
        assert prescribing.sign(s, renewal.id).record is not None, "renewing is no duplicate of itself"
        active = prescribing.active_medications(s, clinic.patients[0].id)
        assert [m.id for m in active] == [renewal.id]
        with pytest.raises(ValidationError, match="needs a reason"):
            prescribing.cancel(s, renewal.id, reason="  ")
        assert prescribing.cancel(s, renewal.id, reason="side effects").status is PrescriptionStatus.CANCELLED
        # the renewal gone, the prescription it renewed gives the medicine again until it is cancelled
        assert [m.id for m in prescribing.active_medications(s, clinic.patients[0].id)] == [rx_id]
        prescribing.cancel(s, rx_id, reason="stopped")
        assert prescribing.active_medications(s, clinic.patients[0].id) == []
    with clinic.store.session(actor_id=clinic.nurse.id) as s, pytest.raises(PermissionDeniedError):
        prescribing.renew(s, rx_id)


def test_only_a_signed_prescription_is_printed_and_printing_keeps_the_pdf_in_the_chart(
    clinic: Clinic,
) -> None:
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    rx_id = _draft(
        clinic, PrescriptionItemInput("Lisinopril", "10 mg", "once daily"), allergies=[{"substance": "x"}]
    )
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        with pytest.raises(ValidationError, match="only a signed prescription is printed"):
            prescribing.record_printed(s, rx_id, pdf, title="Prescription")
        prescribing.sign(s, rx_id)
        rx, doc = prescribing.record_printed(s, rx_id, pdf, title="Prescription")
    assert rx.status is PrescriptionStatus.PRINTED and rx.printed_at is not None
    assert doc.mime_type == "application/pdf" and doc.source_id == rx_id
