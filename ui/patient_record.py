"""A patient's record, edited in one dialog with a tab per part: demographics and contact, allergies,
insurance, and the problem list (clinicians only, with ICD-10-CM search and the diagnoses of signed
notes offered for it). Each tab saves on its own, as one operation; a refused save names the field
in the dialog's error line and writes nothing."""

from __future__ import annotations

import uuid
from datetime import date

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.ops import registration as registration_ops
from app.services.chart_edits import (
    COVERAGE_TYPES,
    InsuranceInput,
    InsuranceRecord,
    OfferedDiagnosis,
    PatientDetails,
    search_icd10,
)
from clinicdesk.errors import ClinicDeskError
from models.enums import AllergyStatus, ConditionStatus
from ui.app import error_label, set_accessible, show_error_in
from ui.patient_editor import AllergyRow, DemographicsForm, IcdSearch
from ui.worker import Operations, QueryOp

ICD_DELAY_MS = 250


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _date(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


def _date_edit(name: str, day: date) -> QDateEdit:
    edit = QDateEdit(_qdate(day))
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setCalendarPopup(True)
    set_accessible(edit, name)
    return edit


class PatientRecordDialog(QDialog):
    """``saved`` fires with a short description after each successful save (tests wait on it)."""

    saved = Signal(str)
    loaded = Signal(PatientDetails)

    def __init__(self, ops: Operations, patient_id: uuid.UUID, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Patient record")
        self.setMinimumSize(640, 600)
        self._ops = ops
        self.patient_id = patient_id
        self.details: PatientDetails | None = None
        self._icd_generation = 0
        #: set once the dialog has closed: answers still on their way are dropped
        self.closed = False
        self.finished.connect(lambda _r: setattr(self, "closed", True))
        today = ops.workspace.today()
        self.title = QLabel("Loading…")
        self.title.setObjectName("viewTitle")
        self.tabs = QTabWidget()
        set_accessible(self.tabs, "Patient record parts")
        self.error = error_label()

        # demographics
        self.demographics = DemographicsForm()
        self.save_demographics = QPushButton("&Save demographics")
        set_accessible(self.save_demographics, "Save demographics")
        self.save_demographics.clicked.connect(self._save_demographics)
        self.tabs.addTab(self._tab(self.demographics, self.save_demographics), "&Demographics")

        # allergies
        self.not_recorded = QRadioButton("Not recorded (nobody has asked yet)")
        self.none_known = QRadioButton("No known allergies (the patient says so)")
        self.recorded = QRadioButton("Allergies:")
        self.status_group = QButtonGroup(self)
        for button, name in (
            (self.not_recorded, "Allergies not recorded"),
            (self.none_known, "No known allergies"),
            (self.recorded, "Allergies recorded"),
        ):
            set_accessible(button, name)
            self.status_group.addButton(button)
        self.allergy_rows: list[AllergyRow] = []
        self.allergy_box = QVBoxLayout()
        add_allergy = QPushButton("Add &allergy")
        set_accessible(add_allergy, "Add allergy")
        add_allergy.clicked.connect(lambda: self.add_allergy_row(None))
        self.save_allergies = QPushButton("&Save allergies")
        set_accessible(self.save_allergies, "Save allergies")
        self.save_allergies.clicked.connect(self._save_allergies)
        allergies = QWidget()
        allergy_layout = QVBoxLayout(allergies)
        for widget in (self.not_recorded, self.none_known, self.recorded):
            allergy_layout.addWidget(widget)
        allergy_layout.addLayout(self.allergy_box)
        allergy_layout.addWidget(add_allergy)
        allergy_layout.addStretch(1)
        self.tabs.addTab(self._tab(allergies, self.save_allergies), "A&llergies")

        # insurance
        self.coverages = QListWidget()
        set_accessible(self.coverages, "Insurance coverages")
        self.coverages.currentItemChanged.connect(lambda item, _p: self._show_coverage(item))
        self.payer = QComboBox()
        self.payer.setEditable(True)
        set_accessible(self.payer, "Insurance payer")
        self.policy = QLineEdit()
        set_accessible(self.policy, "Policy number")
        self.group = QLineEdit()
        set_accessible(self.group, "Group number")
        self.coverage_type = QComboBox()
        self.coverage_type.addItem("—", None)
        for value in COVERAGE_TYPES:
            self.coverage_type.addItem(value, value)
        set_accessible(self.coverage_type, "Coverage type")
        self.primary = QCheckBox("Primary (the others become secondary)")
        set_accessible(self.primary, "Primary coverage")
        self.effective = _date_edit("Coverage starts", today)
        self.end_on = _date_edit("Coverage ends on", today)
        new_coverage = QPushButton("&New coverage")
        set_accessible(new_coverage, "New coverage")
        new_coverage.clicked.connect(self._new_coverage)
        self.save_coverage = QPushButton("Save &coverage")
        set_accessible(self.save_coverage, "Save coverage")
        self.save_coverage.clicked.connect(self._save_coverage)
        self.end_coverage = QPushButton("&End coverage")
        set_accessible(self.end_coverage, "End coverage")
        self.end_coverage.clicked.connect(self._end_coverage)
        insurance = QWidget()
        form = QFormLayout()
        form.addRow("&Payer:", self.payer)
        form.addRow("Polic&y:", self.policy)
        form.addRow("&Group:", self.group)
        form.addRow("&Type:", self.coverage_type)
        form.addRow("", self.primary)
        form.addRow("Starts:", self.effective)
        end_row = QHBoxLayout()
        end_row.addWidget(self.end_on)
        end_row.addWidget(self.end_coverage)
        form.addRow("Ends:", end_row)
        insurance_layout = QVBoxLayout(insurance)
        insurance_layout.addWidget(self.coverages)
        insurance_layout.addLayout(form)
        insurance_layout.addWidget(new_coverage)
        self.tabs.addTab(self._tab(insurance, self.save_coverage), "&Insurance")

        # problems
        self.problems = QListWidget()
        set_accessible(self.problems, "Problem list")
        self.icd = IcdSearch()
        self.icd.chosen.connect(self._icd_chosen)
        self._icd_timer = QTimer(self)
        self._icd_timer.setSingleShot(True)
        self._icd_timer.setInterval(ICD_DELAY_MS)
        self._icd_timer.timeout.connect(self.search_icd)
        self.icd.text.textChanged.connect(lambda _t: self._icd_timer.start())
        self.problem_name = QLineEdit()
        set_accessible(self.problem_name, "Problem name")
        self.problem_code = QLineEdit()
        set_accessible(self.problem_code, "Problem ICD-10 code")
        self.diagnosed = _date_edit("Diagnosed on", today)
        self.chronic = QCheckBox("Chronic")
        set_accessible(self.chronic, "Chronic problem")
        self.add_problem = QPushButton("Add to the &problem list")
        set_accessible(self.add_problem, "Add problem")
        self.add_problem.clicked.connect(lambda: self._add_problem(None))
        self.resolved_on = _date_edit("Resolved on", today)
        self.resolve = QPushButton("&Resolve")
        set_accessible(self.resolve, "Resolve problem")
        self.resolve.clicked.connect(self._resolve)
        self.offered = QListWidget()
        set_accessible(self.offered, "Diagnoses from signed notes")
        self.offered.setFixedHeight(90)
        self.take_offered = QPushButton("Add the &diagnosis from the note")
        set_accessible(self.take_offered, "Add offered diagnosis")
        self.take_offered.clicked.connect(self._take_offered)
        problems = QWidget()
        problem_layout = QVBoxLayout(problems)
        problem_layout.addWidget(self.problems)
        resolve_row = QHBoxLayout()
        resolve_row.addWidget(QLabel("Resolve the chosen problem on"))
        resolve_row.addWidget(self.resolved_on)
        resolve_row.addWidget(self.resolve)
        problem_layout.addLayout(resolve_row)
        problem_layout.addWidget(QLabel("<b>Add a problem</b>"))
        problem_layout.addWidget(self.icd)
        add_form = QFormLayout()
        add_form.addRow("&Name:", self.problem_name)
        add_form.addRow("ICD-10-&CM:", self.problem_code)
        add_form.addRow("Diagnosed:", self.diagnosed)
        add_form.addRow("", self.chronic)
        problem_layout.addLayout(add_form)
        problem_layout.addWidget(self.add_problem)
        problem_layout.addWidget(QLabel("<b>Accepted in signed notes, not on the list yet</b>"))
        problem_layout.addWidget(self.offered)
        problem_layout.addWidget(self.take_offered)
        self.problems_tab = self.tabs.addTab(problems, "P&roblems")

        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.error)
        layout.addWidget(close)
        self.load()

    @staticmethod
    def _tab(body: QWidget, button: QPushButton) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.addWidget(body, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(button)
        layout.addLayout(row)
        return tab

    # -- loading ----------------------------------------------------------------------------------

    def load(self) -> None:
        patient_id = self.patient_id
        self._ops.query(
            lambda ws: registration_ops.details(ws, patient_id), label="opening the record"
        ).success(self._show).failure(self._failed).run()

    def _show(self, details: PatientDetails) -> None:
        if self.closed:
            return
        self.details = details
        d = details.demographics
        self.title.setText(f"{d.first_name} {d.last_name} · {details.mrn}")
        self.demographics.set_value(d)
        {
            AllergyStatus.NOT_RECORDED: self.not_recorded,
            AllergyStatus.NONE_KNOWN: self.none_known,
            AllergyStatus.RECORDED: self.recorded,
        }[details.allergy_status].setChecked(True)
        for row in self.allergy_rows:
            row.setParent(None)
        self.allergy_rows = []
        for entry in details.allergies:
            self.add_allergy_row(entry)
        self.coverages.clear()
        today = self._ops.workspace.today()
        for coverage in details.insurance:
            ended = "" if coverage.active_on(today) else " (ended)"
            rank = "primary" if coverage.is_primary else "secondary"
            item = QListWidgetItem(f"{coverage.payer} · {coverage.policy_number} · {rank}{ended}")
            item.setData(Qt.ItemDataRole.UserRole, coverage)
            self.coverages.addItem(item)
        self._show_coverage(None)
        self.problems.clear()
        for problem in details.problems:
            resolved = f" — resolved {problem.resolved_date}" if problem.resolved_date else ""
            item = QListWidgetItem(
                f"{problem.icd10_code or '—'}  {problem.name} ({problem.status.value}){resolved}"
            )
            item.setData(Qt.ItemDataRole.UserRole, problem.id)
            self.problems.addItem(item)
        clinical = self._ops.workspace.user.role.value in ("doctor", "nurse", "admin")
        self.tabs.setTabVisible(self.problems_tab, clinical)
        if clinical:
            patient_id = self.patient_id
            self._ops.query(
                lambda ws: registration_ops.offered_diagnoses(ws, patient_id),
                label="reading the signed notes",
            ).success(self._show_offered).run()
        self.loaded.emit(details)

    def _show_offered(self, offered: list[OfferedDiagnosis]) -> None:
        if self.closed:
            return
        self.offered.clear()
        for diagnosis in offered:
            item = QListWidgetItem(
                f"{diagnosis.code or '—'}  {diagnosis.name} (note of {diagnosis.signed_on})"
            )
            item.setData(Qt.ItemDataRole.UserRole, diagnosis)
            self.offered.addItem(item)

    def set_insurance_plans(self, plans: list[str]) -> None:
        """The practice's accepted plans, offered as payers."""
        self.payer.clear()
        self.payer.addItems(plans)
        self.payer.setCurrentText("")

    # -- saving -----------------------------------------------------------------------------------

    def _run(self, action: object, what: str) -> None:
        self.error.setVisible(False)
        self._ops.op(action, label=f"saving the {what}", initiator=self).success(  # type: ignore[arg-type]
            lambda _r: self._saved(what)
        ).failure(self._failed).run()

    def _saved(self, what: str) -> None:
        if self.closed:
            return
        self.load()
        self.saved.emit(what)

    def _failed(self, error: ClinicDeskError) -> None:
        if self.closed:
            return
        show_error_in(self.error, error)

    def _save_demographics(self) -> None:
        data, pid = self.demographics.value(), self.patient_id
        self._run(lambda ws: registration_ops.update_demographics(ws, pid, data), "demographics")

    def add_allergy_row(self, entry: dict[str, str] | None) -> AllergyRow:
        row = AllergyRow(entry)
        self.allergy_rows.append(row)
        self.allergy_box.addWidget(row)
        if entry is None:
            self.recorded.setChecked(True)
        return row

    def _save_allergies(self) -> None:
        entries = [v for v in (row.value() for row in self.allergy_rows) if v is not None]
        if self.none_known.isChecked():
            status = AllergyStatus.NONE_KNOWN
        elif self.not_recorded.isChecked():
            status = AllergyStatus.NOT_RECORDED
        else:
            status = AllergyStatus.RECORDED
        pid = self.patient_id
        self._run(lambda ws: registration_ops.set_allergies(ws, pid, status, entries), "allergies")

    def _coverage(self) -> InsuranceRecord | None:
        item = self.coverages.currentItem()
        value = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return value if isinstance(value, InsuranceRecord) else None

    def _show_coverage(self, item: QListWidgetItem | None) -> None:
        coverage = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        coverage = coverage if isinstance(coverage, InsuranceRecord) else None
        self.payer.setCurrentText(coverage.payer if coverage else "")
        self.policy.setText(coverage.policy_number if coverage else "")
        self.group.setText((coverage.group_number or "") if coverage else "")
        self.coverage_type.setCurrentIndex(
            max(0, self.coverage_type.findData(coverage.coverage_type if coverage else None))
        )
        self.primary.setChecked(coverage.is_primary if coverage else not self.coverages.count())
        self.end_coverage.setEnabled(coverage is not None)

    def _new_coverage(self) -> None:
        self.coverages.setCurrentRow(-1)
        self._show_coverage(None)

    def _save_coverage(self) -> None:
        existing = self._coverage()
        data = InsuranceInput(
            payer=self.payer.currentText(),
            policy_number=self.policy.text(),
            group_number=self.group.text(),
            coverage_type=self.coverage_type.currentData(),
            is_primary=self.primary.isChecked(),
            effective_date=existing.effective_date if existing else _date(self.effective.date()),
            expiry_date=existing.expiry_date if existing else None,
        )
        pid, iid = self.patient_id, existing.id if existing else None
        self._run(lambda ws: registration_ops.save_insurance(ws, pid, data, insurance_id=iid), "insurance")

    def _end_coverage(self) -> None:
        existing = self._coverage()
        if existing is None:
            return
        pid, on = self.patient_id, _date(self.end_on.date())
        self._run(lambda ws: registration_ops.end_coverage(ws, pid, existing.id, on=on), "insurance")

    # -- problems ---------------------------------------------------------------------------------

    def search_icd(self) -> None:
        self._icd_timer.stop()
        text = self.icd.text.text()
        self._icd_generation += 1
        generation = self._icd_generation
        QueryOp(self._ops.runner, lambda: search_icd10(text), label="searching ICD-10-CM").success(
            lambda found: self._icd_found(generation, found)
        ).run()

    def _icd_found(self, generation: int, found: list[tuple[str, str]]) -> None:
        if generation == self._icd_generation and not self.closed:
            self.icd.show_results(found)

    def _icd_chosen(self, code: str, description: str) -> None:
        self.problem_code.setText(code)
        self.problem_name.setText(description)

    def _add_problem(self, source_note: uuid.UUID | None) -> None:
        pid = self.patient_id
        name, code = self.problem_name.text(), self.problem_code.text().strip() or None
        diagnosed = _date(self.diagnosed.date())
        status = ConditionStatus.CHRONIC if self.chronic.isChecked() else ConditionStatus.ACTIVE
        self._run(
            lambda ws: registration_ops.add_problem(
                ws,
                pid,
                name=name,
                icd10_code=code,
                diagnosed=diagnosed,
                status=status,
                source_note_id=source_note,
            ),
            "problem list",
        )

    def _take_offered(self) -> None:
        item = self.offered.currentItem()
        diagnosis = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if isinstance(diagnosis, OfferedDiagnosis):
            self.problem_name.setText(diagnosis.name)
            self.problem_code.setText(diagnosis.code or "")
            if diagnosis.signed_on is not None:
                self.diagnosed.setDate(_qdate(diagnosis.signed_on))
            self._add_problem(diagnosis.note_id)

    def _resolve(self) -> None:
        item = self.problems.currentItem()
        condition_id = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if isinstance(condition_id, uuid.UUID):
            on = _date(self.resolved_on.date())
            self._run(lambda ws: registration_ops.resolve_problem(ws, condition_id, on=on), "problem list")
