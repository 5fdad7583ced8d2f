"""The Patients page's registration actions: "Register patient…", "Patient record…" (demographics,
allergies, insurance, problem list) and "Import patients…". A companion the page makes, so the page
keeps its search and chart and these dialogs keep their own module."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal

from app.ops import practice as practice_ops
from app.services.practice_setup import PracticeInput
from app.services.records import PatientSummary
from app.sync_service import SyncService
from ui.actions import Menu
from ui.patient_editor import RegisterPatientDialog
from ui.patient_import_dialog import ImportPatientsDialog
from ui.patient_record import PatientRecordDialog

if TYPE_CHECKING:
    from ui.patients_page import PatientsPage


class PatientTools(QObject):
    """``registered`` carries each new patient (the page opens their chart)."""

    registered = Signal(PatientSummary)

    def __init__(self, page: PatientsPage) -> None:
        super().__init__(page)
        self.page = page
        self.ctx = page.ctx
        self.sync: SyncService | None = None
        self.register_dialog: RegisterPatientDialog | None = None
        self.record_dialog: PatientRecordDialog | None = None
        self.import_dialog: ImportPatientsDialog | None = None
        a = self.ctx.actions.create
        self.register_action = a(
            "&Register patient…", name="register_patient", menu=Menu.PATIENT, group=1, shortcut="Ctrl+R",
            slot=self.register, icon_name="patients",
        )  # fmt: skip
        self.record_action = a(
            "Patient &record…", name="patient_record", menu=Menu.PATIENT, group=1, shortcut="Ctrl+D",
            slot=self.open_record, tip="Demographics, allergies, insurance and problem list",
        )  # fmt: skip
        self.import_action = a(
            "&Import patients…", name="import_patients", menu=Menu.FILE, group=1, shortcut="Ctrl+I",
            slot=self.import_patients,
        )  # fmt: skip
        self.ctx.actions.add_updater(self.update_actions)
        page.chart_shown.connect(lambda _c: self.update_actions())

    def update_actions(self) -> None:
        self.ctx.actions.enable(self.record_action, self.page.chart is not None)

    def register(self) -> None:
        if self.ctx.actions.locked:
            return
        self.page.show_requested.emit()
        dialog = RegisterPatientDialog(self.ctx.ops, self.page.window())
        dialog.registered.connect(self._registered)
        dialog.open_existing.connect(self.page.open_chart)
        dialog.finished.connect(lambda _r: setattr(self, "register_dialog", None))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.register_dialog = dialog
        dialog.open()

    def _registered(self, patient: PatientSummary) -> None:
        self.page.status_message.emit(f"Registered {patient.full_name}: MRN {patient.mrn}", 8000)
        self.page.open_chart(patient.id)
        self.registered.emit(patient)

    def open_record(self, patient_id: uuid.UUID | None = None) -> None:
        chart = self.page.chart
        target = patient_id or (chart.patient.id if chart is not None else None)
        if target is None or self.ctx.actions.locked:
            return
        dialog = PatientRecordDialog(self.ctx.ops, target, self.page.window())
        self.ctx.ops.query(practice_ops.current, label="reading the practice").success(
            lambda practice: self._plans(dialog, practice)
        ).run()
        dialog.finished.connect(lambda _r: setattr(self, "record_dialog", None))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.record_dialog = dialog
        dialog.open()

    @staticmethod
    def _plans(dialog: PatientRecordDialog, practice: PracticeInput | None) -> None:
        if practice is not None:
            dialog.set_insurance_plans(list(practice.insurance_plans))

    def import_patients(self) -> None:
        if self.ctx.actions.locked:
            return
        dialog = ImportPatientsDialog(self.ctx.ops, sync=self.sync, parent=self.page.window())
        dialog.imported.connect(
            lambda report: self.page.status_message.emit(f"Imported {report.imported} patient(s)", 8000)
        )
        dialog.finished.connect(lambda _r: setattr(self, "import_dialog", None))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.import_dialog = dialog
        dialog.open()
