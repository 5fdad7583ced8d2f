"""The clinical loop through the real window on the seeded clinic: a prescription held by the patient's
penicillin allergy is signed over with a reason and printed to PDF (kept in the chart, printable
again); a nurse enters an abnormal result, the ordering doctor is alerted and signs it off; bad input
is refused with its reason and changes nothing (an oversized or corrupt attachment, a result with
no unit, a FHIR export of an unsigned note)."""

from __future__ import annotations

import uuid
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from app.ops import media as media_ops
from app.services import prescribing
from models import Alert, AuditEvent, Document, OrderResult, Patient
from models.enums import AlertStatus, DocumentCategory, OrderStatus, PrescriptionStatus
from sync.protocol import MAX_DOCUMENT_BYTES
from tests.support.profiles import sign_in_as
from tests.ui.conftest import nurse_with_alerts
from tests.ui.test_ui_clinical_day import _check_in_and_open
from tests.unit.services.test_documents_messages_keys import png
from ui.documents import DocumentsDialog
from ui.prescription_signing import SafetyDialog
from ui.results_dialog import ResultsDialog, ReviewDialog

PENICILLIN = [{"substance": "Penicillin", "reaction": "hives", "severity": "moderate"}]


def _allergic(window, patient_id: uuid.UUID) -> None:
    """The patient's recorded allergy (registration records it: issue 14's chart editing)."""
    with window.workspace.store.session() as s:
        patient = s.get(Patient, patient_id)
        patient.allergies = PENICILLIN
        if hasattr(patient, "allergy_status"):
            patient.allergy_status = "recorded"


def _select(qtbot: QtBot, page, kind: str) -> uuid.UUID:
    """Chooses the visit's last prescription ("rx") or order in the list beside the note."""
    rows = [page.orders_list.item(i) for i in range(page.orders_list.count())]
    row = max(i for i, item in enumerate(rows) if (item.data(Qt.ItemDataRole.UserRole) or ("",))[0] == kind)
    page.orders_list.setCurrentRow(row)
    return page.orders_list.item(row).data(Qt.ItemDataRole.UserRole)[1]


def test_a_prescription_held_by_an_allergy_is_signed_with_a_reason_and_printed_to_pdf(
    qtbot: QtBot, profile: Path, open_window, ui, tmp_path: Path
) -> None:
    window = open_window(profile)
    _day, entry = ui.find_day(window.workspace, ui.is_open_appointment, start=window.workspace.today())
    _allergic(window, entry.patient_id)
    bundle = _check_in_and_open(qtbot, window, ui)
    page = window.encounter
    assert bundle.chart.patient.id == entry.patient_id

    window.encounter.prescription_action.trigger()
    dialog = page.dialog
    for column, text in enumerate(
        ("Amoxicillin", "500 mg", "three times daily", "7 days", "21 capsules", "0")
    ):
        dialog.table.set_cell(0, column, text)
    with qtbot.waitSignal(page.orders_changed, timeout=ui.wait_ms):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    rx_id = _select(qtbot, page, "rx")

    # signing runs the checks: the allergy is shown, and nothing is signed without a reason
    page.sign_order_action.trigger()
    qtbot.waitUntil(
        lambda: isinstance(page.dialog, SafetyDialog) and page.dialog.isVisible(), timeout=ui.wait_ms
    )
    safety = page.dialog
    assert (
        "penicillin antibiotic; the patient is allergic to Penicillin (reaction: hives)"
        in safety.list.toPlainText()
    )
    qtbot.mouseClick(safety.ok_button, Qt.MouseButton.LeftButton)
    assert "give the reason" in safety.error.text().lower()
    assert window.workspace.call(prescribing.encounter_prescriptions, bundle.encounter.id)[-1].status is (
        PrescriptionStatus.DRAFT
    )
    qtbot.keyClicks(safety.reason, "took amoxicillin in 2024 without reaction")
    with qtbot.waitSignal(page.orders_changed, timeout=ui.wait_ms):
        qtbot.mouseClick(safety.ok_button, Qt.MouseButton.LeftButton)
    [rx] = [
        r
        for r in window.workspace.call(prescribing.encounter_prescriptions, bundle.encounter.id)
        if r.id == rx_id
    ]
    assert rx.status is PrescriptionStatus.SIGNED and rx.safety["decision"] == "overridden"
    assert rx.safety["override_reason"] == "took amoxicillin in 2024 without reaction"
    with window.workspace.store.session() as s:
        override = s.scalars(
            select(Alert).where(Alert.rule == "allergy_override", Alert.source_id == rx_id)
        ).all()
    assert override and all(a.patient_id == entry.patient_id for a in override), "the nurses are told"

    # printed to PDF: saved where the doctor chose and kept (sealed) in the chart
    _select(qtbot, page, "rx")
    qtbot.waitUntil(window.clinical.print_action.isEnabled, timeout=ui.wait_ms)
    out = tmp_path / "amoxicillin.pdf"
    with qtbot.waitSignal(window.clinical.printed, timeout=ui.wait_ms) as printed:
        window.clinical.print_to(out)
    pdf = out.read_bytes()
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF") and len(pdf) > 5_000
    kept = printed.args[0].document
    assert kept.category is DocumentCategory.PRESCRIPTION and kept.source_id == rx_id
    [rx] = [
        r
        for r in window.workspace.call(prescribing.encounter_prescriptions, bundle.encounter.id)
        if r.id == rx_id
    ]
    assert rx.status is PrescriptionStatus.PRINTED
    # ...and printed again from the chart's documents: the same PDF
    documents = DocumentsDialog(window.ops, patient_id=entry.patient_id, patient_name="x", parent=window)
    qtbot.addWidget(documents)
    qtbot.waitUntil(lambda: any(d.id == kept.id for d in documents.documents), timeout=ui.wait_ms)
    documents.list.setCurrentRow(next(i for i, d in enumerate(documents.documents) if d.id == kept.id))
    again = tmp_path / "again.pdf"
    with qtbot.waitSignal(documents.saved, timeout=ui.wait_ms):
        documents.save_selected(again)
    assert again.read_bytes() == pdf
    with window.workspace.store.session() as s:
        prints = s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "print"))
    assert prints >= 2
    documents.reject()

    # the signed note prints too (with nothing chosen in the visit's list)
    page.editor.edits["plan"].setPlainText("Amoxicillin for seven days; review if no better.")
    with qtbot.waitSignal(page.signed, timeout=ui.wait_ms):
        page.sign_note_action.trigger()
    page.orders_list.setCurrentRow(-1)
    qtbot.waitUntil(window.clinical.print_action.isEnabled, timeout=ui.wait_ms)
    with qtbot.waitSignal(window.clinical.printed, timeout=ui.wait_ms) as printed:
        window.clinical.print_to(tmp_path / "note.pdf")
    assert printed.args[0].document.category is DocumentCategory.NOTE
    assert (tmp_path / "note.pdf").read_bytes().startswith(b"%PDF-")


def test_an_abnormal_result_entered_by_a_nurse_alerts_the_ordering_doctor_who_signs_it_off(
    qtbot: QtBot, profile: Path, open_window, ui
) -> None:
    doctor_window = open_window(profile)
    bundle = _check_in_and_open(qtbot, doctor_window, ui)
    page = doctor_window.encounter
    page.order_action.trigger()
    order_dialog = page.dialog
    order_dialog.table.set_cell(0, 0, "2823-3")
    order_dialog.table.set_cell(0, 1, "Potassium")
    with qtbot.waitSignal(page.orders_changed, timeout=ui.wait_ms):
        qtbot.mouseClick(order_dialog.ok_button, Qt.MouseButton.LeftButton)
    order_id = _select(qtbot, page, "order")
    with qtbot.waitSignal(page.orders_changed, timeout=ui.wait_ms):
        page.sign_order_action.trigger()

    # the nurse opens the same visit on her workstation and enters what the lab sent back
    sign_in_as(profile, nurse_with_alerts(profile))
    nurse_window = open_window(profile)
    with qtbot.waitSignal(nurse_window.encounter.opened, timeout=ui.wait_ms):
        nurse_window.encounter.open_entry(bundle.entry)
    nurse = nurse_window.clinical
    _select(qtbot, nurse_window.encounter, "order")
    qtbot.waitUntil(nurse.results_action.isEnabled, timeout=ui.wait_ms)
    assert not nurse.review_action.isEnabled()
    nurse.results_action.trigger()
    qtbot.waitUntil(
        lambda: isinstance(nurse.dialog, ResultsDialog) and nurse.dialog.isVisible(), timeout=ui.wait_ms
    )
    results = nurse.dialog
    assert results.table.item(0, 0).text() == "Potassium"
    results.table.set_cell(0, 1, "6.1")
    results.table.set_cell(0, 3, "3.5")
    results.table.set_cell(0, 4, "5.1")
    qtbot.mouseClick(results.ok_button, Qt.MouseButton.LeftButton)  # no unit: refused, nothing kept
    qtbot.waitUntil(lambda: "has a number but no unit" in results.error.text().lower(), timeout=ui.wait_ms)
    with nurse_window.workspace.store.session() as s:
        assert (
            s.scalar(select(func.count()).select_from(OrderResult).where(OrderResult.order_id == order_id))
            == 0
        )
    results.table.set_cell(0, 2, "mmol/L")
    with qtbot.waitSignal(nurse.results_changed, timeout=ui.wait_ms) as entered:
        qtbot.mouseClick(results.ok_button, Qt.MouseButton.LeftButton)
    assert entered.args[0].status is OrderStatus.RESULTED and entered.args[0].abnormal

    # the ordering doctor's alert list names the patient; the review signs it off and resolves it
    doctor_window.alerts.show_requested.emit()
    alerts = doctor_window.alerts
    patient = bundle.chart.patient.full_name
    qtbot.waitUntil(lambda: any(a.rule == "abnormal_result" for a in alerts.model.rows), timeout=ui.wait_ms)
    [alert] = [a for a in alerts.model.rows if a.rule == "abnormal_result"]
    assert alert.patient_name == patient and alert.title == f"High result: Potassium — {patient}"
    row = alerts.model.rows.index(alert)
    assert alerts.model.index(row, 2).data() == patient
    page.reload_orders()
    qtbot.waitUntil(lambda: any(o.status is OrderStatus.RESULTED for o in page.orders), timeout=ui.wait_ms)
    doctor_window.show_page(page)
    _select(qtbot, page, "order")
    qtbot.waitUntil(doctor_window.clinical.review_action.isEnabled, timeout=ui.wait_ms)
    doctor_window.clinical.review_action.trigger()
    clinical = doctor_window.clinical
    qtbot.waitUntil(
        lambda: isinstance(clinical.dialog, ReviewDialog) and clinical.dialog.isVisible(), timeout=ui.wait_ms
    )
    review = clinical.dialog
    assert "6.1 mmol/L" in review.view.toPlainText() and "HIGH" in review.view.toPlainText()
    qtbot.keyClicks(review.note, "repeat potassium tomorrow")
    with qtbot.waitSignal(clinical.results_changed, timeout=ui.wait_ms) as reviewed:
        qtbot.mouseClick(review.ok_button, Qt.MouseButton.LeftButton)
    assert (
        reviewed.args[0].status is OrderStatus.REVIEWED
        and reviewed.args[0].review_note == "repeat potassium tomorrow"
    )
    doctor_window.alerts.show_requested.emit()
    qtbot.waitUntil(
        lambda: next(a for a in alerts.model.rows if a.id == alert.id).status is AlertStatus.RESOLVED,
        timeout=ui.wait_ms,
    )


def test_an_oversized_or_corrupt_attachment_and_an_unsigned_export_are_refused_and_change_nothing(
    qtbot: QtBot, profile: Path, open_window, ui, tmp_path: Path
) -> None:
    window = open_window(profile)
    bundle = _check_in_and_open(qtbot, window, ui)
    patient_id = bundle.chart.patient.id
    window.clinical.documents_action.trigger()
    qtbot.waitUntil(lambda: isinstance(window.clinical.dialog, DocumentsDialog), timeout=ui.wait_ms)
    documents = window.clinical.dialog
    big = tmp_path / "scan.pdf"
    with big.open("wb") as f:
        f.truncate(MAX_DOCUMENT_BYTES + 1)
    corrupt = tmp_path / "wound.png"
    corrupt.write_bytes(png()[:-10])
    renamed = tmp_path / "letter.pdf"
    renamed.write_bytes(b"PK\x03\x04 a zip file, not a letter")
    for path, reason in ((big, "a document may be at most 20 MB"), (corrupt, "PNG image is damaged"),
                         (renamed, "none of them, whatever its name says")):  # fmt: skip
        with qtbot.waitSignal(documents.failed, timeout=ui.wait_ms) as refused:
            documents.attach(path)
        assert reason in refused.args[0].message and "nothing was attached" in refused.args[0].message
        assert documents.error.isVisible() and reason.lower() in documents.error.text().lower()
    assert window.workspace.call(media_ops.documents.patient_documents, patient_id) == []
    with window.workspace.store.session() as s:
        assert s.scalar(select(func.count()).select_from(Document)) == 0
    documents.reject()

    # the visit's note is still a draft: its FHIR export is refused and no file is written
    out = tmp_path / "draft.json"
    with qtbot.waitSignal(window.clinical.failed, timeout=ui.wait_ms) as failed:
        window.clinical.export_to(out)
    assert "only a signed note can be exported; sign it first" in failed.args[0].message
    assert not out.exists()
