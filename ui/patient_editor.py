"""Registering a patient and editing their record: demographics and contact, allergies (with "no
known allergies" as an answer of its own), insurance, and the problem list with ICD-10-CM search.

Registering checks for likely duplicates before saving (the same name and date of birth, or the
same phone): when there are some, they are shown and the user chooses: open one of them, or
register a new patient all the same. Every save is one operation (app.ops.registration) whose
refusal names the field, shown in the dialog's error line; nothing is written by a refused save.
"""

from __future__ import annotations

import uuid
from datetime import date

from PySide6.QtCore import QDate, Qt, Signal
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
    QVBoxLayout,
    QWidget,
)

from app.ops import registration as registration_ops
from app.services.records import PatientSummary
from app.services.registration import CONTACT_METHODS, SEXES, DuplicateSuspected, PatientInput
from clinicdesk.errors import ClinicDeskError
from ui.app import error_label, set_accessible, show_error_in
from ui.worker import Operations


def _date(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


class DemographicsForm(QWidget):
    """The demographic and contact fields (shared by registering and editing)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.first_name = QLineEdit()
        self.last_name = QLineEdit()
        self.date_of_birth = QDateEdit(QDate(1980, 1, 1))
        self.date_of_birth.setDisplayFormat("yyyy-MM-dd")
        self.date_of_birth.setCalendarPopup(True)
        self.sex = QComboBox()
        self.sex.addItem("—", None)
        for value in SEXES:
            self.sex.addItem(value.capitalize(), value)
        self.phone = QLineEdit()
        self.email = QLineEdit()
        self.street = QLineEdit()
        self.city = QLineEdit()
        self.region = QLineEdit()
        self.postal_code = QLineEdit()
        self.country = QLineEdit()
        self.language = QLineEdit()
        self.contact_method = QComboBox()
        self.contact_method.addItem("—", None)
        for value in CONTACT_METHODS:
            self.contact_method.addItem(value.upper() if value == "sms" else value.capitalize(), value)
        self.emergency = {key: QLineEdit() for key in ("name", "relationship", "phone")}
        self.mrn = QLineEdit()
        self.mrn.setPlaceholderText("Leave empty: one is generated in the practice's format")
        form = QFormLayout(self)
        for label, widget, name in (
            ("&First name:", self.first_name, "First name"),
            ("&Last name:", self.last_name, "Last name"),
            ("Date of &birth:", self.date_of_birth, "Date of birth"),
            ("Se&x:", self.sex, "Sex"),
            ("&Phone:", self.phone, "Phone"),
            ("E&mail:", self.email, "Email"),
            ("&Street:", self.street, "Street address"),
            ("&City:", self.city, "City"),
            ("&Region:", self.region, "Region"),
            ("Postal co&de:", self.postal_code, "Postal code"),
            ("Co&untry:", self.country, "Country"),
            ("Preferred lan&guage:", self.language, "Preferred language"),
            ("Contact &by:", self.contact_method, "Preferred contact method"),
            ("Emergency contact:", self.emergency["name"], "Emergency contact name"),
            ("  relationship:", self.emergency["relationship"], "Emergency contact relationship"),
            ("  phone:", self.emergency["phone"], "Emergency contact phone"),
            ("MR&N:", self.mrn, "MRN"),
        ):
            set_accessible(widget, name)
            form.addRow(label, widget)

    @staticmethod
    def _text(field: QLineEdit) -> str | None:
        return field.text().strip() or None

    def value(self) -> PatientInput:
        return PatientInput(
            first_name=self.first_name.text(),
            last_name=self.last_name.text(),
            date_of_birth=_date(self.date_of_birth.date()),
            gender=self.sex.currentData(),
            phone=self._text(self.phone),
            email=self._text(self.email),
            address_street=self._text(self.street),
            address_city=self._text(self.city),
            address_region=self._text(self.region),
            address_postal_code=self._text(self.postal_code),
            address_country=self._text(self.country),
            preferred_language=self._text(self.language),
            preferred_contact_method=self.contact_method.currentData(),
            emergency_contact={k: f.text() for k, f in self.emergency.items() if f.text().strip()},
            mrn=self._text(self.mrn),
        )

    def set_value(self, data: PatientInput) -> None:
        self.first_name.setText(data.first_name)
        self.last_name.setText(data.last_name)
        if data.date_of_birth is not None:
            born = data.date_of_birth
            self.date_of_birth.setDate(QDate(born.year, born.month, born.day))
        self.sex.setCurrentIndex(max(0, self.sex.findData(data.gender)))
        for field, value in (
            (self.phone, data.phone), (self.email, data.email), (self.street, data.address_street),
            (self.city, data.address_city), (self.region, data.address_region),
            (self.postal_code, data.address_postal_code), (self.country, data.address_country),
            (self.language, data.preferred_language), (self.mrn, data.mrn),
        ):  # fmt: skip
            field.setText(value or "")
        self.contact_method.setCurrentIndex(
            max(0, self.contact_method.findData(data.preferred_contact_method))
        )
        for key, field in self.emergency.items():
            field.setText(data.emergency_contact.get(key, ""))


class RegisterPatientDialog(QDialog):
    """Register a new patient. "Register" first looks for likely duplicates; if there are any, they
    are listed with "Open this patient" and "Register anyway" (``duplicates_shown`` fires, tests
    wait on it). ``registered`` carries the new patient; ``open_existing`` the one chosen instead."""

    registered = Signal(PatientSummary)
    open_existing = Signal(uuid.UUID)
    duplicates_shown = Signal(list)

    def __init__(self, ops: Operations, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Register a patient")
        self.setMinimumWidth(520)
        self._ops = ops
        self.form = DemographicsForm(self)
        self.duplicates_label = QLabel(
            "<b>These patients look like the same person</b> (same name and date of birth, or same "
            "phone). Open one of them, or register a new patient anyway."
        )
        self.duplicates_label.setWordWrap(True)
        self.duplicates = QListWidget()
        set_accessible(self.duplicates, "Likely duplicates")
        self.duplicates.itemActivated.connect(lambda _i: self._open_chosen())
        for widget in (self.duplicates_label, self.duplicates):
            widget.setVisible(False)
        self.error = error_label()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.register_button = self.buttons.addButton("&Register", QDialogButtonBox.ButtonRole.AcceptRole)
        set_accessible(self.register_button, "Register patient")
        self.register_button.setDefault(True)
        self.anyway_button = self.buttons.addButton(
            "Register &anyway", QDialogButtonBox.ButtonRole.ActionRole
        )
        set_accessible(self.anyway_button, "Register anyway")
        self.open_button = self.buttons.addButton(
            "&Open this patient", QDialogButtonBox.ButtonRole.ActionRole
        )
        set_accessible(self.open_button, "Open the existing patient")
        for button in (self.anyway_button, self.open_button):
            button.setVisible(False)
        self.register_button.clicked.connect(lambda: self.submit(duplicates_seen=False))
        self.anyway_button.clicked.connect(lambda: self.submit(duplicates_seen=True))
        self.open_button.clicked.connect(self._open_chosen)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addWidget(self.duplicates_label)
        layout.addWidget(self.duplicates)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.form.first_name.setFocus()

    def submit(self, *, duplicates_seen: bool) -> None:
        data = self.form.value()
        self.error.setVisible(False)
        for button in (self.register_button, self.anyway_button):
            button.setEnabled(False)
        self._ops.op(
            lambda ws: registration_ops.register(ws, data, duplicates_seen=duplicates_seen),
            label="registering the patient",
            initiator=self,
        ).success(self._registered).failure(self._failed).run()

    def _registered(self, patient: PatientSummary) -> None:
        self.accept()
        self.registered.emit(patient)

    def _failed(self, error: ClinicDeskError) -> None:
        for button in (self.register_button, self.anyway_button):
            button.setEnabled(True)
        if isinstance(error, DuplicateSuspected):
            self.show_duplicates(error.matches)
            return
        show_error_in(self.error, error)

    def show_duplicates(self, matches: list[PatientSummary]) -> None:
        self.duplicates.clear()
        for patient in matches:
            item = QListWidgetItem(
                f"{patient.last_name}, {patient.first_name} · {patient.mrn} · born {patient.date_of_birth}"
                + (f" · {patient.phone}" if patient.phone else "")
            )
            item.setData(Qt.ItemDataRole.UserRole, patient.id)
            self.duplicates.addItem(item)
        self.duplicates.setCurrentRow(0)
        for widget in (self.duplicates_label, self.duplicates, self.anyway_button, self.open_button):
            widget.setVisible(True)
        self.register_button.setVisible(False)
        self.duplicates_shown.emit(matches)

    def _open_chosen(self) -> None:
        item = self.duplicates.currentItem()
        if item is not None:
            patient_id = item.data(Qt.ItemDataRole.UserRole)
            self.accept()
            self.open_existing.emit(patient_id)


class IcdSearch(QWidget):
    """ICD-10-CM search over the shipped code list (resources/vocab): type a code or words."""

    chosen = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = QLineEdit()
        self.text.setPlaceholderText("ICD-10-CM code or words, e.g. “E11” or “type 2 diabetes”")
        set_accessible(self.text, "ICD-10 search")
        self.results = QListWidget()
        self.results.setFixedHeight(140)
        set_accessible(self.results, "ICD-10 results")
        self.results.currentItemChanged.connect(self._picked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text)
        layout.addWidget(self.results)

    def show_results(self, found: list[tuple[str, str]]) -> None:
        self.results.clear()
        for code, description in found:
            item = QListWidgetItem(f"{code}  {description}")
            item.setData(Qt.ItemDataRole.UserRole, (code, description))
            self.results.addItem(item)

    def _picked(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None = None) -> None:
        if item is not None:
            code, description = item.data(Qt.ItemDataRole.UserRole)
            self.chosen.emit(code, description)


class AllergyRow(QWidget):
    """One allergy: substance, reaction, severity."""

    def __init__(self, entry: dict[str, str] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        entry = entry or {}
        self.substance = QLineEdit(entry.get("substance", ""))
        self.reaction = QLineEdit(entry.get("reaction", ""))
        self.severity = QComboBox()
        self.severity.addItem("—", "")
        for value in ("mild", "moderate", "severe", "life-threatening"):
            self.severity.addItem(value, value)
        self.severity.setCurrentIndex(max(0, self.severity.findData(entry.get("severity", ""))))
        self.remove = QCheckBox("remove")
        for widget, name in (
            (self.substance, "Allergy substance"), (self.reaction, "Allergy reaction"),
            (self.severity, "Allergy severity"), (self.remove, "Remove allergy"),
        ):  # fmt: skip
            set_accessible(widget, name)
        from PySide6.QtWidgets import QHBoxLayout

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.substance.setPlaceholderText("Substance")
        self.reaction.setPlaceholderText("Reaction")
        for widget in (self.substance, self.reaction, self.severity, self.remove):
            layout.addWidget(widget)

    def value(self) -> dict[str, str] | None:
        if self.remove.isChecked() or not self.substance.text().strip():
            return None
        return {
            "substance": self.substance.text(),
            "reaction": self.reaction.text(),
            "severity": str(self.severity.currentData() or ""),
        }
