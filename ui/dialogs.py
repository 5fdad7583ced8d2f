"""Dialogs for appointment changes: the cancellation reason and "Book appointment…".

Both keep their own error line instead of a message box: the booking rules' ValidationError says
which rule the slot breaks, and the clinician fixes the field right there.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Any, TypeVar

from PySide6.QtCore import QDate, Qt, QTime, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from app.ops import patients as patient_ops
from app.ops import registration as registration_ops
from app.ops import schedule as schedule_ops
from app.ops import scheduling as scheduling_ops
from app.ops.changes import Outcome
from app.services.records import AppointmentRecord, PatientSummary
from clinicdesk.errors import ClinicDeskError
from models.enums import AppointmentType, IdentityContext
from ui.app import error_label, icon, set_accessible, show_error_in
from ui.schedule_model import type_label
from ui.scheduling_dialogs import IdentityPanel
from ui.worker import Operations

SEARCH_DELAY_MS = 250
T = TypeVar("T")


def _first(outcome: Outcome[tuple[T, Any]]) -> Outcome[T]:
    """An operation's outcome with only the first part of its value (the booking, not the check)."""
    return Outcome(outcome.value[0], outcome.changes)


class CancelDialog(QDialog):
    """Asks why an appointment is cancelled; the OK button stays disabled until there is a reason,
    because the status history must say why (DESIGN.md)."""

    def __init__(self, what: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Cancel appointment")
        self.setWindowIcon(icon("cancel"))
        self.setMinimumWidth(420)
        intro = QLabel(f"Cancel the appointment at {what}?\nThe reason is kept in the appointment's history.")
        intro.setWordWrap(True)
        self.reason = QPlainTextEdit()
        self.reason.setPlaceholderText("Reason (required), e.g. “patient called: feeling better”")
        self.reason.setFixedHeight(80)
        self.reason.setTabChangesFocus(True)
        set_accessible(self.reason, "Cancellation reason", "Why the appointment is cancelled (required)")
        self.buttons = QDialogButtonBox()
        self.ok_button = self.buttons.addButton("Cancel &appointment", QDialogButtonBox.ButtonRole.AcceptRole)
        set_accessible(self.ok_button, "Cancel appointment")
        keep = self.buttons.addButton("&Keep appointment", QDialogButtonBox.ButtonRole.RejectRole)
        set_accessible(keep, "Keep appointment")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.ok_button.setEnabled(False)
        self.reason.textChanged.connect(lambda: self.ok_button.setEnabled(bool(self.reason_text())))
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.reason)
        layout.addWidget(self.buttons)
        self.reason.setFocus()

    def reason_text(self) -> str:
        return " ".join(self.reason.toPlainText().split())

    def accept(self) -> None:
        if self.reason_text():
            super().accept()


class BookingDialog(QDialog):
    """Book a new appointment. ``booked`` fires with the AppointmentRecord once the booking rules
    accepted it (the dialog then closes); a refused slot is said in the dialog's error line."""

    booked = Signal(AppointmentRecord)
    slot_found = Signal(datetime)

    def __init__(
        self,
        ops: Operations,
        *,
        clinicians: list[tuple[str, uuid.UUID]],
        clinician_id: uuid.UUID,
        day: date,
        patient: PatientSummary | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Book appointment")
        self.setWindowIcon(icon("book"))
        self.setMinimumWidth(520)
        self._ops = ops
        self._search_generation = 0
        self.patient: PatientSummary | None = None

        self.patient_search = QLineEdit()
        self.patient_search.setPlaceholderText("Name, MRN or date of birth")
        self.patient_search.setClearButtonEnabled(True)
        set_accessible(self.patient_search, "Find patient", "Search for the patient to book")
        self.patient_list = QListWidget()
        self.patient_list.setFixedHeight(110)
        set_accessible(self.patient_list, "Matching patients")
        self.patient_list.currentItemChanged.connect(self._patient_chosen)
        self.patient_label = QLabel("No patient chosen")
        self.patient_label.setAccessibleName("Chosen patient")
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DELAY_MS)
        self._debounce.timeout.connect(self.search_patients)
        self.patient_search.textChanged.connect(lambda _t: self._debounce.start())

        self.clinician_box = QComboBox()
        set_accessible(self.clinician_box, "Clinician", "The doctor to book with")
        for label, cid in clinicians:
            self.clinician_box.addItem(label, cid)
        self.clinician_box.setCurrentIndex(max(0, self.clinician_box.findData(clinician_id)))

        self.date_edit = QDateEdit(QDate(day.year, day.month, day.day))
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("ddd d MMM yyyy")
        set_accessible(self.date_edit, "Appointment date")
        self.time_edit = QTimeEdit(QTime(9, 0))
        self.time_edit.setDisplayFormat("HH:mm")
        set_accessible(self.time_edit, "Appointment time", "Start time in the practice's timezone")
        self.type_box = QComboBox()
        set_accessible(self.type_box, "Appointment type")
        for kind in AppointmentType:
            self.type_box.addItem(type_label(kind), kind.value)
        self.duration = QSpinBox()
        self.duration.setRange(0, 480)
        self.duration.setSingleStep(5)
        self.duration.setSuffix(" min")
        self.duration.setSpecialValueText("Default for the type")
        set_accessible(self.duration, "Duration", "Minutes; zero means the type's default")
        self.reason = QLineEdit()
        self.reason.setMaxLength(500)
        set_accessible(self.reason, "Reason for visit")
        self.next_free_button = QPushButton("Next &free slot")
        set_accessible(self.next_free_button, "Find the next free slot")
        self.next_free_button.clicked.connect(self.find_next_free)
        self.by_phone = QCheckBox("Booked by &phone: confirm the caller's identity first")
        set_accessible(self.by_phone, "Booked by phone")
        self.identity = IdentityPanel("The caller")
        self.identity.setVisible(False)
        self.by_phone.toggled.connect(self.identity.setVisible)

        self.error = error_label()
        form = QFormLayout()
        form.addRow("Find &patient:", self.patient_search)
        form.addRow("", self.patient_list)
        form.addRow("Patient:", self.patient_label)
        form.addRow("&Clinician:", self.clinician_box)
        form.addRow("&Date:", self.date_edit)
        form.addRow("&Time:", self.time_edit)
        form.addRow("", self.next_free_button)
        form.addRow("T&ype:", self.type_box)
        form.addRow("D&uration:", self.duration)
        form.addRow("&Reason:", self.reason)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.book_button = self.buttons.addButton("&Book", QDialogButtonBox.ButtonRole.AcceptRole)
        set_accessible(self.book_button, "Book", "Book the appointment")
        self.book_button.setDefault(True)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.by_phone)
        layout.addWidget(self.identity)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        if patient is not None:
            self.set_patient(patient)
        self.patient_search.setFocus()

    # -- patient picker ---------------------------------------------------------------------------

    def search_patients(self) -> None:
        self._debounce.stop()
        text = self.patient_search.text().strip()
        self._search_generation += 1
        generation = self._search_generation
        if len(text) < 2:
            self.patient_list.clear()
            return
        self._ops.query(
            lambda ws: patient_ops.search(ws, text, limit=30), label="searching patients"
        ).success(lambda found: self._show_patients(generation, found)).failure(self.show_error).run()

    def _show_patients(self, generation: int, found: list[PatientSummary]) -> None:
        if generation != self._search_generation:
            return
        self.patient_list.clear()
        for patient in found:
            item = QListWidgetItem(
                f"{patient.last_name}, {patient.first_name} · {patient.mrn} · {patient.date_of_birth}"
            )
            item.setData(Qt.ItemDataRole.UserRole, patient)
            self.patient_list.addItem(item)
        if self.patient_list.count() == 1:
            self.patient_list.setCurrentRow(0)

    def _patient_chosen(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None = None) -> None:
        if item is not None:
            patient = item.data(Qt.ItemDataRole.UserRole)
            if isinstance(patient, PatientSummary):
                self.set_patient(patient)

    def set_patient(self, patient: PatientSummary) -> None:
        self.patient = patient
        self.patient_label.setText(f"<b>{patient.first_name} {patient.last_name}</b> · {patient.mrn}")
        self.identity.show_record(
            f"On file: <b>{patient.first_name} {patient.last_name}</b>, born {patient.date_of_birth}, "
            f"MRN {patient.mrn}" + (f", phone {patient.phone}" if patient.phone else "")
        )

    # -- booking ----------------------------------------------------------------------------------

    def start(self) -> datetime:
        d, t = self.date_edit.date(), self.time_edit.time()
        return datetime.combine(
            date(d.year(), d.month(), d.day()),
            time(t.hour(), t.minute()),
            tzinfo=self._ops.workspace.practice_tz,
        )

    def appointment_type(self) -> AppointmentType:
        return AppointmentType(str(self.type_box.currentData()))

    def set_type(self, kind: AppointmentType) -> None:
        self.type_box.setCurrentIndex(self.type_box.findData(kind.value))

    def set_slot(self, day: date, at: time) -> None:
        self.date_edit.setDate(QDate(day.year, day.month, day.day))
        self.time_edit.setTime(QTime(at.hour, at.minute))

    def submit(self) -> None:
        if not self.book_button.isEnabled():
            return
        if self.patient is None:
            self.show_error(ClinicDeskError("choose a patient first: search by name, MRN or date of birth"))
            return
        clinician = self.clinician_box.currentData()
        assert isinstance(clinician, uuid.UUID)
        kind = self.appointment_type()
        patient_id, start = self.patient.id, self.start()
        reason = self.reason.text().strip() or None
        duration = self.duration.value() or None
        self.book_button.setEnabled(False)
        self.error.setVisible(False)
        booking: dict[str, Any] = {
            "patient_id": patient_id, "clinician_id": clinician, "start": start, "appointment_type": kind,
            "reason": reason, "duration_minutes": duration,
        }  # fmt: skip
        if self.by_phone.isChecked():
            self._book_by_phone(booking)
            return
        self._ops.op(
            lambda ws: schedule_ops.book(ws, **booking), label="booking the appointment", initiator=self
        ).success(self._booked).failure(self.show_error).run()

    def _book_by_phone(self, booking: dict[str, Any]) -> None:
        """A caller whose identity is confirmed is booked (the check is recorded with the booking);
        one who is not is refused, and the failed attempt is recorded all the same."""
        verification = self.identity.verification()
        if not verification.verified:
            patient_id = booking["patient_id"]
            self._ops.op(
                lambda ws: registration_ops.record_identity_check(
                    ws, patient_id, verification, context=IdentityContext.PHONE_BOOKING
                ),
                label="recording the identity check",
                initiator=self,
            ).success(
                lambda _c: self.show_error(
                    ClinicDeskError(
                        "the caller's identity is not confirmed (full name, date of birth and one more "
                        "identifier); the attempt is recorded and nothing was booked"
                    )
                )
            ).failure(self.show_error).run()
            return
        self._ops.op(
            lambda ws: _first(registration_ops.book_by_phone(ws, verification, **booking)),
            label="booking the appointment",
            initiator=self,
        ).success(self._booked).failure(self.show_error).run()

    def find_next_free(self) -> None:
        """The first slot the booking rules allow for the chosen clinician and type, from the date and
        time shown (or now)."""
        clinician, kind, after = self.clinician_box.currentData(), self.appointment_type(), self.start()
        self.error.setVisible(False)
        self._ops.query(
            lambda ws: scheduling_ops.next_free_slot(
                ws, clinician_id=clinician, appointment_type=kind, after=after
            ),
            label="finding the next free slot",
        ).success(self._found_slot).failure(self.show_error).run()

    def _found_slot(self, start: datetime | None) -> None:
        if start is None:
            self.show_error(ClinicDeskError("no free slot within this type's booking window"))
            return
        local = start.astimezone(self._ops.workspace.practice_tz)
        self.set_slot(local.date(), local.time())
        self.slot_found.emit(start)

    def _booked(self, result: AppointmentRecord) -> None:
        self.book_button.setEnabled(True)
        self.accept()
        self.booked.emit(result)

    def show_error(self, error: ClinicDeskError) -> None:
        self.book_button.setEnabled(True)
        show_error_in(self.error, error)
