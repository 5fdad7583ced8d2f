"""The clinical loop's actions in the window: a visit's prescriptions and orders after signing
(cancel, renew, refills, sent, print), results (enter, review), printing a signed note, the visit's
recordings, a patient's documents, FHIR export, and the chart's medications, results and documents.

One controller rather than more wiring in the pages: it places its own actions (Encounter, Patient
and File menus), enables them from what the encounter and the chart show, works on the prescription
or order chosen in the visit's list, and adds the clinical sections to the chart views when they are
drawn. Every step is an operation on the worker; its errors show where the user is.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QTextBrowser, QWidget

from app.ops import chart as chart_ops
from app.ops import fhir as fhir_ops
from app.ops import prescribing as rx_ops
from app.ops import results as result_ops
from app.ops.changes import Changes
from app.ops.chart import ClinicalSummary
from app.ops.fhir import Exported
from app.ops.media import Fetch
from app.ops.prescribing import Printed
from app.services.prescribing import RxRecord
from app.services.records import PatientChart
from app.services.results import OrderResults
from clinicdesk.errors import ClinicDeskError
from models.enums import NoteStatus, OrderStatus, PrescriptionStatus, ResultFlag, Role
from ui.actions import Menu
from ui.clinical_dialogs import FormDialog, ReasonDialog
from ui.documents import DocumentsDialog
from ui.encounter_page import EncounterBundle, EncounterPage
from ui.page import PageContext
from ui.patients_page import PatientsPage, chart_html
from ui.print_pdf import render_pdf
from ui.recordings import RecordingsDialog
from ui.results_dialog import ResultsDialog, ReviewDialog

P = PrescriptionStatus
PDFS = "PDF documents (*.pdf)"


def clinical_html(summary: ClinicalSummary, tz: Any) -> str:
    """The chart's medications (from prescriptions), results and documents."""

    def row(*cells: str) -> str:
        return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"

    def said(*parts: str | None) -> str:
        return escape(" ".join(x for x in parts if x))

    meds = "".join(
        row(
            f"<b>{escape(item.medication)}</b>",
            said(item.dosage, item.frequency),
            f"{item.refills_left} refill(s) left",
            escape(rx.prescriber_name),
        )
        for rx in summary.medications
        for item in rx.items
    )
    results = "".join(
        row(
            f"{r.resulted_at.astimezone(tz):%Y-%m-%d}",
            escape(r.name),
            said(r.value, r.unit) or escape((r.report or "")[:60]),
            escape(r.reference),
            ""
            if r.flag is ResultFlag.NORMAL
            else f"<b style='color:#9b1c1c'>{escape(r.flag.value.upper())}</b>",
        )
        for r in summary.results[:15]
    )
    docs = "".join(
        row(f"{d.created_at.astimezone(tz):%Y-%m-%d}", escape(d.title), escape(d.category.value))
        for d in summary.documents[:10]
    )

    def section(title: str, body: str, empty: str) -> str:
        inner = (
            f"<table cellspacing='0' cellpadding='2'>{body}</table>"
            if body
            else f"<p style='color:#777'>{empty}</p>"
        )
        return f"<h3 style='margin:8px 0 4px 0; color:#2b6cb0'>{title}</h3>{inner}"

    return (
        section("Active medications", meds, "No active prescriptions.")
        + section("Results", results, "No results yet.")
        + section("Documents", docs, "No documents (F12 attaches one).")
    )


class ClinicalLoop(QObject):
    """Signals carry each step's result; tests and the window wait on them."""

    printed = Signal(Printed)
    exported = Signal(Exported)
    prescription_changed = Signal(RxRecord)
    results_changed = Signal(OrderResults)
    chart_drawn = Signal(ClinicalSummary)
    failed = Signal(ClinicDeskError)

    def __init__(
        self,
        ctx: PageContext,
        *,
        encounter: EncounterPage,
        patients: PatientsPage,
        fetch: Fetch,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx, self.encounter, self.patients, self.fetch = ctx, encounter, patients, fetch
        self.dialog: QWidget | None = None
        self._make_actions()
        ctx.actions.add_updater(self.update_actions)
        ctx.ops.did_execute.connect(self._changed)
        encounter.opened.connect(lambda _b: self._redraw_encounter_chart())
        encounter.orders_changed.connect(self.update_actions)
        encounter.orders_list.currentItemChanged.connect(lambda *_: self.update_actions())
        encounter.signed.connect(lambda _n: self.update_actions())
        patients.chart_shown.connect(self._redraw_patient_chart)
        patients.chart_shown.connect(lambda _c: self.update_actions())

    # -- actions ----------------------------------------------------------------------------------

    def _make_actions(self) -> None:
        def a(text: str, name: str, shortcut: str, slot: Callable[[], None], *, group: int = 2,
              menu: Menu = Menu.ENCOUNTER, tip: str | None = None) -> QAction:  # fmt: skip
            return self.ctx.actions.create(
                text, name=name, menu=menu, group=group, shortcut=shortcut, slot=slot, tip=tip
            )

        printing = "The chosen signed prescription, else the signed note, as a PDF"
        self.print_action = a(
            "&Print prescription or note…", "print_pdf", "Ctrl+P", self._choose_and_print, tip=printing
        )
        self.cancel_action = a(
            "Ca&ncel prescription…", "cancel_prescription", "Ctrl+Shift+Z", self.cancel_selected
        )
        self.renew_action = a("Re&new prescription", "renew_prescription", "Ctrl+Y", self.renew_selected)
        self.refill_action = a("Record a re&fill", "record_refill", "Ctrl+J", self.refill_selected)
        self.sent_action = a(
            "Mark prescription or order sen&t", "mark_sent", "Shift+F4", self.mark_selected_sent
        )
        self.results_action = a("Enter res&ults…", "enter_results", "Shift+F6", self.enter_results, group=3)
        self.review_action = a("Re&view results…", "review_results", "Shift+F7", self.review_results, group=3)
        self.recordings_action = a(
            "Play &recordings…", "recordings", "Shift+F8", self.show_recordings, group=3
        )
        self.documents_action = a(
            "&Documents…", "documents", "F12", self.show_documents, group=1, menu=Menu.PATIENT
        )
        export = "The signed note in view, or the chart's signed notes, as FHIR R4"
        self.export_action = a(
            "&Export to FHIR…",
            "export_fhir",
            "Shift+F12",
            self._choose_and_export,
            group=1,
            menu=Menu.FILE,
            tip=export,
        )

    @property
    def role(self) -> Role:
        return self.ctx.workspace.user.role

    def selected(self) -> tuple[str, uuid.UUID] | None:
        item = self.encounter.orders_list.currentItem()
        data = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return (str(data[0]), data[1]) if isinstance(data, tuple) else None

    def selected_prescription(self) -> Any:
        chosen = self.selected()
        if chosen is None or chosen[0] != "rx":
            return None
        return next((r for r in self.encounter.prescriptions if r.id == chosen[1]), None)

    def selected_order(self) -> Any:
        chosen = self.selected()
        if chosen is None or chosen[0] != "order":
            return None
        return next((o for o in self.encounter.orders if o.id == chosen[1]), None)

    def signed_note(self) -> uuid.UUID | None:
        note = self.encounter.note
        return note.id if note is not None and note.status is not NoteStatus.DRAFT else None

    def patient(self) -> tuple[uuid.UUID, str] | None:
        """The patient of the page in view: the encounter's, or the chart's."""
        if self.patients.isVisible() and self.patients.chart is not None:
            p = self.patients.chart.patient
            return p.id, p.full_name
        bundle = self.encounter.bundle
        if bundle is not None:
            p = bundle.chart.patient
            return p.id, p.full_name
        return None

    def update_actions(self) -> None:
        enable = self.ctx.actions.enable
        doctor = self.role is Role.DOCTOR
        clinician = self.role in (Role.DOCTOR, Role.NURSE, Role.ADMIN)
        rx, order = self.selected_prescription(), self.selected_order()
        live = rx is not None and rx.status in (P.SIGNED, P.PRINTED, P.SENT, P.DISPENSED)
        enable(self.print_action, doctor and (live or (rx is None and self.signed_note() is not None)))
        enable(
            self.cancel_action,
            doctor and rx is not None and rx.status in (P.DRAFT, P.SIGNED, P.PRINTED, P.SENT),
        )
        enable(self.renew_action, doctor and live)
        enable(self.refill_action, doctor and live)
        enable(
            self.sent_action,
            clinician
            and (
                (rx is not None and rx.status in (P.SIGNED, P.PRINTED) and doctor)
                or (order is not None and order.status is OrderStatus.SIGNED)
            ),
        )
        enable(
            self.results_action,
            clinician
            and order is not None
            and order.status in (OrderStatus.SIGNED, OrderStatus.SENT, OrderStatus.RESULTED),
        )
        enable(
            self.review_action,
            order is not None
            and order.status is OrderStatus.RESULTED
            and self.role in (Role.DOCTOR, Role.ADMIN),
        )
        has_patient = self.patients.chart is not None or self.encounter.bundle is not None
        enable(self.recordings_action, clinician and has_patient)
        enable(self.documents_action, clinician and has_patient)
        enable(self.export_action, clinician)

    # -- running ----------------------------------------------------------------------------------

    def _fail(self, error: ClinicDeskError) -> None:
        self.failed.emit(error)
        self.ctx.ops.show_error(error)

    def _open(self, dialog: FormDialog, submit: Callable[[], None]) -> None:
        dialog.on_submit = submit
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.open()

    def _changed(self, changes: Changes, _initiator: object) -> None:
        if changes.touches("prescriptions", "orders", "documents"):
            if self.patients.chart is not None:
                self._redraw_patient_chart(self.patients.chart)
            self._redraw_encounter_chart()
        self.update_actions()

    def _rx_done(self, record: RxRecord) -> None:
        self.prescription_changed.emit(record)

    # -- prescriptions ----------------------------------------------------------------------------

    def cancel_selected(self) -> None:
        rx = self.selected_prescription()
        if rx is None:
            return
        dialog = ReasonDialog(
            "Cancel prescription", "Cancel &prescription", "Why is it cancelled?", self.encounter
        )
        rx_id = rx.id

        def submit() -> None:
            reason = dialog.reason_text()
            self.ctx.ops.op(
                lambda ws: rx_ops.cancel(ws, rx_id, reason=reason),
                label="cancelling the prescription",
                initiator=self,
            ).success(dialog.closing(self._rx_done)).failure(dialog.show_error).run()

        self._open(dialog, submit)

    def renew_selected(self) -> None:
        rx, bundle = self.selected_prescription(), self.encounter.bundle
        if rx is None:
            return
        rx_id, encounter_id = rx.id, bundle.encounter.id if bundle is not None else None
        self.ctx.ops.op(
            lambda ws: rx_ops.renew(ws, rx_id, encounter_id=encounter_id), label="renewing", initiator=self
        ).success(self._rx_done).failure(self._fail).run()

    def refill_selected(self) -> None:
        rx = self.selected_prescription()
        if rx is None or not rx.items:
            return
        rx_id = rx.id

        def first_item_left(ws: Any) -> Any:
            record = next(r for r in rx_ops.of_encounter(ws, rx.encounter_id) if r.id == rx_id)
            item = next((i for i in record.items if i.refills_left > 0), record.items[0])
            return rx_ops.record_refill(ws, rx_id, item.id)

        self.ctx.ops.op(first_item_left, label="recording a refill", initiator=self).success(
            self._rx_done
        ).failure(self._fail).run()

    def mark_selected_sent(self) -> None:
        rx, order = self.selected_prescription(), self.selected_order()
        if rx is not None:
            rx_id = rx.id
            self.ctx.ops.op(lambda ws: rx_ops.mark_sent(ws, rx_id), label="sending", initiator=self).success(
                self._rx_done
            ).failure(self._fail).run()
        elif order is not None:
            order_id = order.id
            self.ctx.ops.op(
                lambda ws: result_ops.mark_sent(ws, order_id), label="sending", initiator=self
            ).success(self.results_changed.emit).failure(self._fail).run()

    # -- printing ---------------------------------------------------------------------------------

    def _choose_and_print(self) -> None:
        rx = self.selected_prescription()
        name = f"prescription-{str(rx.id)[:8]}.pdf" if rx is not None else "note.pdf"
        path, _ = QFileDialog.getSaveFileName(self.encounter, "Print to PDF", name, PDFS)
        if path:
            self.print_to(Path(path))

    def print_to(self, path: Path | None) -> None:
        """The chosen signed prescription, else the visit's signed note, as a PDF kept in the chart
        and saved at ``path``."""
        rx, note_id = self.selected_prescription(), self.signed_note()
        if rx is not None:
            rx_id = rx.id
            self.ctx.ops.op(
                lambda ws: rx_ops.print_prescription(ws, rx_id, render=render_pdf, out=path),
                label="printing the prescription",
                initiator=self,
            ).success(self._printed).failure(self._fail).run()
        elif note_id is not None:
            self.ctx.ops.op(
                lambda ws: rx_ops.print_note(ws, note_id, render=render_pdf, out=path),
                label="printing the note",
                initiator=self,
            ).success(self._printed).failure(self._fail).run()

    def _printed(self, printed: Printed) -> None:
        where = f" and saved as {printed.path.name}" if printed.path else ""
        self.encounter.status_message.emit(f"Printed to PDF: kept in the chart{where}", 5000)
        self.printed.emit(printed)

    # -- results ----------------------------------------------------------------------------------

    def enter_results(self) -> None:
        order = self.selected_order()
        if order is None:
            return
        order_id = order.id
        self.ctx.ops.query(lambda ws: result_ops.of_order(ws, order_id), label="loading the order").success(
            self._results_form
        ).failure(self._fail).run()

    def _results_form(self, order: OrderResults) -> None:
        dialog = ResultsDialog(order, self.encounter)
        order_id = order.id

        def submit() -> None:
            try:
                entries = dialog.entries()
            except ClinicDeskError as exc:
                dialog.show_error(exc)
                return
            self.ctx.ops.op(
                lambda ws: result_ops.enter(ws, order_id, entries), label="saving the results", initiator=self
            ).success(dialog.closing(self.results_changed.emit)).failure(dialog.show_error).run()

        self._open(dialog, submit)

    def review_results(self) -> None:
        order = self.selected_order()
        if order is None:
            return
        order_id = order.id
        self.ctx.ops.query(lambda ws: result_ops.of_order(ws, order_id), label="loading the results").success(
            self._review_form
        ).failure(self._fail).run()

    def _review_form(self, order: OrderResults) -> None:
        dialog = ReviewDialog(order, self.encounter)
        order_id = order.id

        def submit() -> None:
            note = dialog.note.text().strip() or None
            self.ctx.ops.op(
                lambda ws: result_ops.review(ws, order_id, note=note),
                label="signing off results",
                initiator=self,
            ).success(dialog.closing(self.results_changed.emit)).failure(dialog.show_error).run()

        self._open(dialog, submit)

    # -- recordings, documents, export ------------------------------------------------------------

    def show_recordings(self) -> None:
        bundle, chart = self.encounter.bundle, self.patients.chart
        on_chart = self.patients.isVisible() and chart is not None
        if bundle is None and not on_chart:
            return
        speaker = self.ctx.settings.extra.get("speaker")
        dialog = RecordingsDialog(
            self.ctx.ops,
            encounter_id=None if on_chart or bundle is None else bundle.encounter.id,
            patient_id=chart.patient.id if on_chart and chart is not None else None,
            fetch=self.fetch,
            device=str(speaker) if speaker else None,
            parent=self.encounter,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()

    def show_documents(self) -> None:
        found = self.patient()
        if found is None:
            return
        bundle = self.encounter.bundle
        encounter_id = (
            bundle.encounter.id
            if bundle is not None and bundle.chart.patient.id == found[0] and not self.patients.isVisible()
            else None
        )
        parent = self.patients if self.patients.isVisible() else self.encounter
        dialog = DocumentsDialog(
            self.ctx.ops,
            patient_id=found[0],
            patient_name=found[1],
            encounter_id=encounter_id,
            fetch=self.fetch,
            parent=parent,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()

    def _choose_and_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self.encounter, "Export to FHIR", "bundle.json", "FHIR JSON (*.json)"
        )
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> None:
        """The signed note on the encounter page, else every signed note of the chart's patient."""
        note_id = self.signed_note() if self.encounter.isVisible() or not self.patients.isVisible() else None
        chart = self.patients.chart
        if note_id is None and self.encounter.note is not None and not self.patients.isVisible():
            note_id = self.encounter.note.id  # a draft: refused by the export with its reason
        mrn = chart.patient.mrn if note_id is None and chart is not None else None
        if note_id is None and mrn is None:
            self._fail(ClinicDeskError("open a signed note or a patient's chart to export"))
            return
        self.ctx.ops.op(
            lambda ws: fhir_ops.export_to(ws, path, note_id=note_id, mrn=mrn),
            label="exporting",
            initiator=self,
        ).success(self._exported).failure(self._fail).run()

    def _exported(self, done: Exported) -> None:
        self.encounter.status_message.emit(f"Exported {done.notes} note(s) to {done.path.name}", 5000)
        self.exported.emit(done)

    # -- the chart's clinical sections ------------------------------------------------------------

    def _draw(
        self, view: QTextBrowser, chart: PatientChart, patient_id: uuid.UUID, still: Callable[[], bool]
    ) -> None:
        ws = self.ctx.workspace

        def show(summary: ClinicalSummary) -> None:
            if still():
                view.setHtml(
                    chart_html(chart, today=ws.today(), tz=ws.practice_tz)
                    + clinical_html(summary, ws.practice_tz)
                )
                self.chart_drawn.emit(summary)

        if self.role is Role.RECEPTIONIST:
            return
        self.ctx.ops.query(lambda w: chart_ops.clinical(w, patient_id), label="loading the chart").success(
            show
        ).run()

    def _redraw_patient_chart(self, chart: PatientChart) -> None:
        pid = chart.patient.id
        page = self.patients
        self._draw(
            page.chart_view, chart, pid, lambda: page.chart is not None and page.chart.patient.id == pid
        )

    def _redraw_encounter_chart(self) -> None:
        bundle: EncounterBundle | None = self.encounter.bundle
        if bundle is None:
            return
        pid = bundle.chart.patient.id
        page = self.encounter
        self._draw(
            page.chart_view,
            bundle.chart,
            pid,
            lambda: page.bundle is not None and page.bundle.chart.patient.id == pid,
        )
